//! The auth context of UI.md: who is logged in, the tokens, and `login`,
//! `logout` and the refresh that every authenticated request shares.
//!
//! Pages read it through [`use_auth`]; nothing else touches the tokens.

use futures::FutureExt;
use futures::future::{LocalBoxFuture, Shared};
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{AccessClaims, LoginBody, TokenPair};

use super::storage;
use super::token::{
    Backoff, answers_current_session, decode_access, may_be_a_lost_race, needs_refresh,
};
use crate::api::client::{self, AuthedApi};
use crate::api::error::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthState {
    /// At start-up, while stored tokens are being checked.
    Checking,
    LoggedOut {
        reason: LogoutReason,
    },
    LoggedIn {
        claims: AccessClaims,
    },
}

/// Why nobody is logged in; the login page words its message after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoutReason {
    /// No session was stored.
    NoSession,
    /// The user pressed Logout, here or in another tab.
    LoggedOut,
    /// The server refused the refresh token.
    SessionExpired,
    /// A password change ended every session.
    PasswordChanged,
}

impl LogoutReason {
    /// How storage tells the other tabs why the session ended.
    fn marker(self) -> &'static str {
        match self {
            LogoutReason::SessionExpired => "expired",
            LogoutReason::PasswordChanged => "password_changed",
            LogoutReason::NoSession | LogoutReason::LoggedOut => "logged_out",
        }
    }

    fn from_marker(marker: &str) -> Self {
        match marker {
            "expired" => LogoutReason::SessionExpired,
            "password_changed" => LogoutReason::PasswordChanged,
            _ => LogoutReason::LoggedOut,
        }
    }
}

/// The outcome of one refresh, shared by everyone who waited for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshError {
    Network(String),
    SessionExpired,
}

impl From<RefreshError> for Error {
    fn from(error: RefreshError) -> Self {
        match error {
            RefreshError::Network(message) => Error::Network(gloo_net::Error::GlooError(message)),
            RefreshError::SessionExpired => Error::SessionExpired,
        }
    }
}

type RefreshFuture = Shared<LocalBoxFuture<'static, Result<TokenPair, RefreshError>>>;

/// How long a refused refresh waits for another tab's pair to show up in
/// storage before it ends the session (see [`Auth::refresh`]).
const ADOPT_ATTEMPTS: u32 = 6;
const ADOPT_WAIT_MS: u32 = 250;

#[derive(Clone, Copy)]
pub struct Auth {
    state: RwSignal<AuthState>,
    /// The refresh under way, if any: a request that gets a 401 awaits this
    /// one instead of starting its own, since a rotated refresh token can be
    /// used only once.
    in_flight: StoredValue<Option<RefreshFuture>, LocalStorage>,
    /// When the background refresh may try again after failing to reach
    /// the server.
    backoff: StoredValue<Backoff, LocalStorage>,
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

/// Creates the context at the root, reads the stored session and follows the
/// other tabs.
pub fn provide_auth() -> Auth {
    let auth = Auth {
        state: RwSignal::new(AuthState::Checking),
        in_flight: StoredValue::new_local(None),
        backoff: StoredValue::new_local(Backoff::default()),
    };
    provide_context(auth);
    auth.start();
    let listener = storage::watch(move |pair| auth.follow_other_tab(pair));
    // The browser says the network is back: no need to wait out the backoff.
    let online = window_event_listener(leptos::ev::online, move |_| auth.server_answered());
    on_cleanup(move || {
        listener.remove();
        online.remove();
    });
    auth
}

impl Auth {
    /// The state, untracked.
    pub fn state_untracked(self) -> AuthState {
        self.state.get_untracked()
    }

    /// `Some(true)` when logged in, `None` while checking: the shape of a
    /// `ProtectedRoute`'s condition.
    pub fn logged_in(self) -> Option<bool> {
        self.state.with(|state| match state {
            AuthState::Checking => None,
            AuthState::LoggedIn { .. } => Some(true),
            AuthState::LoggedOut { .. } => Some(false),
        })
    }

    pub fn username(self) -> Option<String> {
        self.state.with(|state| match state {
            AuthState::LoggedIn { claims } => Some(claims.username.clone()),
            _ => None,
        })
    }

    pub fn logout_reason(self) -> Option<LogoutReason> {
        self.state.with(|state| match state {
            AuthState::LoggedOut { reason } => Some(*reason),
            _ => None,
        })
    }

    /// The authenticated endpoints.
    pub fn api(self) -> AuthedApi {
        AuthedApi::new(self)
    }

    /// The access token to send now. Read from storage on every request so
    /// that a pair stored by another tab is used at once.
    pub fn access_token(self) -> Option<String> {
        storage::load().map(|pair| pair.access)
    }

    /// `POST /api/token/`, then keep the pair.
    pub async fn login(self, username: String, password: String) -> Result<(), Error> {
        let body = LoginBody {
            username: Some(username),
            password: Some(password),
        };
        let pair = client::login(&body).await?;
        self.server_answered();
        if self.adopt(&pair) {
            storage::save_login(&pair);
            Ok(())
        } else {
            Err(Error::Network(gloo_net::Error::GlooError(
                "The server sent a token this app cannot read.".into(),
            )))
        }
    }

    /// Forgets the session here and in every tab, and tells the server to
    /// refuse the refresh token (best effort: the user is logged out here
    /// whether or not the server answers).
    pub fn logout(self) {
        let pair = storage::load();
        storage::clear(LogoutReason::LoggedOut.marker());
        self.state.set(AuthState::LoggedOut {
            reason: LogoutReason::LoggedOut,
        });
        if let Some(pair) = pair {
            spawn_local(async move {
                let _ = client::blacklist(&pair.refresh).await;
            });
        }
    }

    /// Ends the session without asking the server: it has already refused
    /// (or, after a password change, revoked) the refresh token.
    pub fn end_session(self, reason: LogoutReason) {
        storage::clear(reason.marker());
        self.state.set(AuthState::LoggedOut { reason });
    }

    /// Whether the background refresh should run now: the logged-in user's
    /// access token is due (see [`needs_refresh`]) and, if the server could
    /// not be reached lately, the backoff has passed. The refresh timer asks
    /// this several times a second.
    pub fn refresh_due(self) -> bool {
        let due = self.state.with_untracked(|state| match state {
            AuthState::LoggedIn { claims } => needs_refresh(claims, now()),
            _ => false,
        });
        due && self.backoff.with_value(|backoff| backoff.may_try(now_ms()))
    }

    /// The server answered a request: it is reachable again, so the
    /// background refresh no longer waits.
    pub fn server_answered(self) {
        if self.backoff.with_value(|b| *b != Backoff::default()) {
            self.backoff.update_value(Backoff::reset);
        }
    }

    /// Rotates the token pair, once for every caller that asks while a
    /// rotation is under way.
    pub async fn refresh(self) -> Result<TokenPair, RefreshError> {
        let running = self.in_flight.with_value(Clone::clone);
        let future = match running {
            Some(future) => future,
            None => {
                let future = self.rotate().boxed_local().shared();
                self.in_flight.set_value(Some(future.clone()));
                future
            }
        };
        future.await
    }

    async fn rotate(self) -> Result<TokenPair, RefreshError> {
        let result = self.rotate_once().await;
        self.in_flight.set_value(None);
        match &result {
            Err(RefreshError::Network(_)) => {
                let random = js_sys::Math::random();
                self.backoff
                    .update_value(|backoff| backoff.failed(now_ms(), random));
            }
            _ => self.server_answered(),
        }
        result
    }

    async fn rotate_once(self) -> Result<TokenPair, RefreshError> {
        let Some(sent) = storage::load() else {
            self.ended_elsewhere();
            return Err(RefreshError::SessionExpired);
        };
        match client::refresh(&sent.refresh).await {
            Ok(answer) => {
                // Without rotation the answer is the access token alone.
                let pair = answer.into_pair(&sent.refresh);
                let stored = storage::load();
                if !answers_current_session(&sent, stored.as_ref()) {
                    // The session was ended (or replaced by a new login)
                    // while the refresh was on its way: storing this pair
                    // would bring the old session back here and, through the
                    // storage event, in every other tab. Drop it, and ask the
                    // server to refuse its refresh token too.
                    spawn_local(async move {
                        let _ = client::blacklist(&pair.refresh).await;
                    });
                    return match stored {
                        Some(newer) if self.adopt(&newer) => Ok(newer),
                        Some(_) => Err(RefreshError::Network("unreadable access token".into())),
                        None => {
                            self.ended_elsewhere();
                            Err(RefreshError::SessionExpired)
                        }
                    };
                }
                if self.adopt(&pair) {
                    storage::save(&pair);
                    Ok(pair)
                } else {
                    Err(RefreshError::Network("unreadable access token".into()))
                }
            }
            Err(Error::Api {
                status: 400 | 401,
                body,
            }) => {
                // Before treating the refusal as the end of the session: two
                // tabs may have sent the same refresh token at once. The
                // server rotated it for the other tab and refuses it here, and
                // the winner's new pair lands in storage a moment later. Only
                // a used token can mean that; an expired one ends at once.
                let attempts = if may_be_a_lost_race(&body) {
                    ADOPT_ATTEMPTS
                } else {
                    0
                };
                for attempt in 0..=attempts {
                    match storage::load() {
                        None => {
                            self.ended_elsewhere();
                            return Err(RefreshError::SessionExpired);
                        }
                        Some(now) if now.refresh != sent.refresh => {
                            if self.adopt(&now) {
                                return Ok(now);
                            }
                        }
                        Some(_) => {}
                    }
                    if attempt < attempts {
                        TimeoutFuture::new(ADOPT_WAIT_MS).await;
                    }
                }
                self.end_session(LogoutReason::SessionExpired);
                Err(RefreshError::SessionExpired)
            }
            Err(error) => Err(RefreshError::Network(error.to_string())),
        }
    }

    /// Reads the stored pair at start-up. A still-valid access token logs the
    /// user in at once (no flash of the login page on reload); an expired one
    /// is refreshed first, while private pages show their loading state.
    fn start(self) {
        let Some(pair) = storage::load() else {
            self.state.set(AuthState::LoggedOut {
                reason: LogoutReason::NoSession,
            });
            return;
        };
        match decode_access(&pair.access) {
            Some(claims) if (claims.exp as f64) > now() + 1.0 => {
                self.state.set(AuthState::LoggedIn { claims });
            }
            stale => spawn_local(async move {
                if let Err(RefreshError::Network(_)) = self.refresh().await {
                    // The server is unreachable: show what is known and let
                    // the next request try again.
                    self.state.set(match stale {
                        Some(claims) => AuthState::LoggedIn { claims },
                        None => AuthState::LoggedOut {
                            reason: LogoutReason::NoSession,
                        },
                    });
                }
            }),
        }
    }

    /// Another tab logged in, refreshed or logged out.
    fn follow_other_tab(self, pair: Option<TokenPair>) {
        match pair {
            Some(pair) => {
                self.adopt(&pair);
            }
            None => self.ended_elsewhere(),
        }
    }

    /// The one path for "the session ended elsewhere" (the pair is gone from
    /// storage: another tab logged out, saw its refresh refused or changed
    /// the password): logged out here too, for the reason storage gives,
    /// unless already logged out, so that a reason already shown (such as an
    /// expired session) is not replaced.
    pub fn ended_elsewhere(self) {
        if self
            .state
            .with_untracked(|s| !matches!(s, AuthState::LoggedOut { .. }))
        {
            let reason = storage::ended()
                .map(|marker| LogoutReason::from_marker(&marker))
                .unwrap_or(LogoutReason::LoggedOut);
            self.state.set(AuthState::LoggedOut { reason });
        }
    }

    /// Makes `pair`'s user the logged-in user; false if its access token
    /// cannot be read. The caller stores the pair if it is new.
    fn adopt(self, pair: &TokenPair) -> bool {
        let Some(claims) = decode_access(&pair.access) else {
            return false;
        };
        let state = AuthState::LoggedIn { claims };
        if self.state.with_untracked(|current| *current != state) {
            self.state.set(state);
        }
        true
    }
}

/// Seconds since the epoch, as the `exp` claim counts them.
fn now() -> f64 {
    js_sys::Date::now() / 1000.0
}

/// Milliseconds since the epoch, for the backoff.
fn now_ms() -> f64 {
    js_sys::Date::now()
}
