//! The auth context of UI.md: who is logged in, the tokens, `login` and
//! `logout`, start-up and the other tabs. The authenticated request and its
//! refresh are in `session`.
//!
//! Pages read it through [`use_auth`]; nothing else touches the tokens.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{AccessClaims, LoginBody, TokenPair};

use super::session::{RefreshError, RefreshFuture, now};
use super::storage;
use super::token::{Backoff, decode_access};
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
    /// The username changed: the tokens named the old one, so the user
    /// logs in again with the new one.
    UsernameChanged,
    /// The account is gone, with every session.
    AccountDeleted,
}

impl LogoutReason {
    /// How storage tells the other tabs why the session ended.
    pub(super) fn marker(self) -> &'static str {
        match self {
            LogoutReason::SessionExpired => "expired",
            LogoutReason::PasswordChanged => "password_changed",
            LogoutReason::UsernameChanged => "username_changed",
            LogoutReason::AccountDeleted => "account_deleted",
            LogoutReason::NoSession | LogoutReason::LoggedOut => "logged_out",
        }
    }

    fn from_marker(marker: &str) -> Self {
        match marker {
            "expired" => LogoutReason::SessionExpired,
            "password_changed" => LogoutReason::PasswordChanged,
            "username_changed" => LogoutReason::UsernameChanged,
            "account_deleted" => LogoutReason::AccountDeleted,
            _ => LogoutReason::LoggedOut,
        }
    }
}

#[derive(Clone, Copy)]
pub struct Auth {
    pub(super) state: RwSignal<AuthState>,
    /// The refresh under way, if any: a request that gets a 401 awaits this
    /// one instead of starting its own, since a rotated refresh token can be
    /// used only once.
    pub(super) in_flight: StoredValue<Option<RefreshFuture>, LocalStorage>,
    /// When the background refresh may try again after failing to reach
    /// the server.
    pub(super) backoff: StoredValue<Backoff, LocalStorage>,
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
    pub fn api(self) -> AuthedApi<Auth> {
        AuthedApi::new(self)
    }

    /// The access token to send now. Read from storage on every request so
    /// that a pair stored by another tab is used at once.
    pub fn access_token(self) -> Option<String> {
        storage::load().map(|pair| pair.access)
    }

    /// `POST /api/token/`, then keep the pair.
    pub async fn login(self, username: String, password: String) -> Result<(), Error> {
        // The name goes as both fields: the server reads the one its
        // LOGIN_FIELD names, so the same app works with either.
        let body = LoginBody {
            email: Some(username.clone()),
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
        self.logout_for(LogoutReason::LoggedOut);
    }

    /// [`Auth::logout`], with `reason` for the login page of every tab.
    pub fn logout_for(self, reason: LogoutReason) {
        let pair = storage::load();
        storage::clear(reason.marker());
        self.state.set(AuthState::LoggedOut { reason });
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
    pub(super) fn adopt(self, pair: &TokenPair) -> bool {
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
