//! The auth context of UI.md: who is logged in, the tokens, and `login`,
//! `logout` and the refresh that every authenticated request shares.
//!
//! Pages read it through [`use_auth`]; nothing else touches the tokens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::FutureExt;
use futures::future::{LocalBoxFuture, Shared};
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{AccessClaims, LoginBody, TokenPair, TokenType};

use super::storage;
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
    };
    provide_context(auth);
    auth.start();
    let listener = storage::watch(move |pair| auth.follow_other_tab(pair));
    on_cleanup(move || listener.remove());
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
        if self.adopt(&pair) {
            storage::save(&pair);
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
        storage::clear();
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
        storage::clear();
        self.state.set(AuthState::LoggedOut { reason });
    }

    /// Whether the logged-in user's access token is due for a refresh (see
    /// [`needs_refresh`]). The refresh timer asks this several times a second.
    pub fn needs_refresh(self) -> bool {
        self.state.with_untracked(|state| match state {
            AuthState::LoggedIn { claims } => needs_refresh(claims, now()),
            _ => false,
        })
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
        result
    }

    async fn rotate_once(self) -> Result<TokenPair, RefreshError> {
        let Some(sent) = storage::load() else {
            // Another tab logged out.
            self.end_session(LogoutReason::LoggedOut);
            return Err(RefreshError::SessionExpired);
        };
        match client::refresh(&sent.refresh).await {
            Ok(pair) => {
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
                            self.logged_out_elsewhere();
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
                status: 400 | 401, ..
            }) => {
                // Before treating the refusal as the end of the session: two
                // tabs may have sent the same refresh token at once. The
                // server rotated it for the other tab and refuses it here, and
                // the winner's new pair lands in storage a moment later.
                for attempt in 0..=ADOPT_ATTEMPTS {
                    match storage::load() {
                        None => {
                            self.end_session(LogoutReason::LoggedOut);
                            return Err(RefreshError::SessionExpired);
                        }
                        Some(now) if now.refresh != sent.refresh => {
                            if self.adopt(&now) {
                                return Ok(now);
                            }
                        }
                        Some(_) => {}
                    }
                    if attempt < ADOPT_ATTEMPTS {
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
            None => self.logged_out_elsewhere(),
        }
    }

    /// The session ended in another tab (its storage is empty): logged out
    /// here too, unless already logged out, so that a reason already shown
    /// (such as an expired session) is not replaced.
    fn logged_out_elsewhere(self) {
        if self
            .state
            .with_untracked(|s| !matches!(s, AuthState::LoggedOut { .. }))
        {
            self.state.set(AuthState::LoggedOut {
                reason: LogoutReason::LoggedOut,
            });
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

/// The claims of an access token, read without checking its signature: the
/// browser has no key, and the server checks every token it is sent. The
/// claims only say whose name to show and when to refresh.
pub fn decode_access(token: &str) -> Option<AccessClaims> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: AccessClaims = serde_json::from_slice(&bytes).ok()?;
    (claims.token_type == TokenType::Access).then_some(claims)
}

/// The most time before `exp` at which a token is refreshed.
const MAX_REFRESH_MARGIN_S: f64 = 60.0;

/// Whether an access token with these claims has less than a quarter of its
/// lifetime (at most 60 s) left at `now` (seconds since the epoch).
pub fn needs_refresh(claims: &AccessClaims, now: f64) -> bool {
    let margin = (claims.lifetime() as f64 / 4.0).min(MAX_REFRESH_MARGIN_S);
    (claims.exp as f64) - now < margin
}

/// Whether a refresh answer belongs to the session still stored: the refresh
/// token that was `sent` is still the stored one. If storage was cleared (a
/// logout, here or in another tab) or holds another pair (a new login), the
/// answer is stale and must not be stored.
fn answers_current_session(sent: &TokenPair, stored: Option<&TokenPair>) -> bool {
    stored.is_some_and(|stored| stored.refresh == sent.refresh)
}

/// Seconds since the epoch, as the `exp` claim counts them.
fn now() -> f64 {
    js_sys::Date::now() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(payload: &str) -> String {
        format!(
            "eyJhbGciOiJIUzI1NiJ9.{}.c2lnbmF0dXJl",
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn an_access_token_decodes_into_its_claims() {
        let access = token(
            r#"{"token_type":"access","exp":1700000300,"iat":1700000000,"jti":"ab","user_id":7,"username":"sam"}"#,
        );
        let claims = decode_access(&access).expect("claims");
        assert_eq!(claims.username, "sam");
        assert_eq!(claims.lifetime(), 300);
    }

    fn claims_living(iat: i64, lifetime: i64) -> AccessClaims {
        let access = token(&format!(
            r#"{{"token_type":"access","exp":{},"iat":{iat},"jti":"ab","user_id":7,"username":"sam"}}"#,
            iat + lifetime
        ));
        decode_access(&access).expect("claims")
    }

    fn pair(refresh: &str) -> TokenPair {
        TokenPair {
            access: "access".into(),
            refresh: refresh.into(),
        }
    }

    #[test]
    fn a_short_lived_token_is_refreshed_in_the_last_quarter_of_its_lifetime() {
        // 3 s lifetime: the window is the last 0.75 s.
        let claims = claims_living(1_000, 3);
        assert!(!needs_refresh(&claims, 1_000.0));
        assert!(!needs_refresh(&claims, 1_002.2));
        assert!(needs_refresh(&claims, 1_002.3));
        assert!(needs_refresh(&claims, 1_003.0));
        assert!(needs_refresh(&claims, 1_010.0));
    }

    #[test]
    fn a_long_lived_token_is_refreshed_at_most_60_seconds_before_it_expires() {
        // 1 h lifetime: a quarter would be 15 min, but the cap is 60 s.
        let claims = claims_living(1_000, 3_600);
        assert!(!needs_refresh(&claims, 1_000.0 + 3_600.0 - 61.0));
        assert!(needs_refresh(&claims, 1_000.0 + 3_600.0 - 59.0));
        // 4 min lifetime: a quarter is exactly the cap.
        let claims = claims_living(1_000, 240);
        assert!(!needs_refresh(&claims, 1_000.0 + 179.0));
        assert!(needs_refresh(&claims, 1_000.0 + 181.0));
    }

    #[test]
    fn a_refresh_answer_is_kept_only_while_the_sent_token_is_still_stored() {
        let sent = pair("r1");
        assert!(answers_current_session(&sent, Some(&pair("r1"))));
        // Logged out while the refresh was on its way.
        assert!(!answers_current_session(&sent, None));
        // Logged out and in again (here or in another tab).
        assert!(!answers_current_session(&sent, Some(&pair("r2"))));
    }

    #[test]
    fn refresh_tokens_and_garbage_are_not_access_claims() {
        let refresh = token(
            r#"{"token_type":"refresh","exp":2,"iat":1,"jti":"ab","user_id":7,"username":"sam","sid":"s","auth_time":1}"#,
        );
        assert_eq!(decode_access(&refresh), None);
        assert_eq!(decode_access("not-a-token"), None);
        assert_eq!(decode_access("a.!!!.c"), None);
        assert_eq!(decode_access(&token("[1, 2]")), None);
    }
}
