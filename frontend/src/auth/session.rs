//! The authenticated request of UI.md "401 handling", and the refresh it
//! shares: every authenticated call carries `Authorization: Bearer
//! <access>`; on a 401 it awaits the one refresh under way (single flight)
//! and retries once. The refresh timer uses the same refresh, with a backoff
//! after the server could not be reached.
//!
//! `api::client` describes the endpoints and knows nothing of sessions; it
//! sends authenticated calls through [`Authorize`], implemented here.

use futures::FutureExt;
use futures::future::{LocalBoxFuture, Shared};
use gloo_net::http::{Method, Response};
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::TokenPair;

use super::context::{Auth, AuthState, LogoutReason};
use super::storage;
use super::token::{Backoff, answers_current_session, may_be_a_lost_race, needs_refresh};
use crate::api::client::{self, Authorize};
use crate::api::error::Error;

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

pub(super) type RefreshFuture = Shared<LocalBoxFuture<'static, Result<TokenPair, RefreshError>>>;

/// How long a refused refresh waits for another tab's pair to show up in
/// storage before it ends the session (see [`Auth::refresh`]).
const ADOPT_ATTEMPTS: u32 = 6;
const ADOPT_WAIT_MS: u32 = 250;

impl Authorize for Auth {
    /// Sends one authenticated request. On a 401 it refreshes once (sharing
    /// the refresh with every other request that is waiting for one) and
    /// retries once; a second 401 is returned as it is.
    async fn send(self, method: Method, path: &str, body: Option<&str>) -> Result<Response, Error> {
        let Some(access) = self.access_token() else {
            // The pair is gone from storage: the session ended in another tab.
            self.ended_elsewhere();
            return Err(Error::SessionExpired);
        };
        let response = client::send(method.clone(), path, body, Some(&access)).await?;
        if response.status() < 500 {
            self.server_answered();
        }
        if response.status() != 401 {
            return Ok(response);
        }
        // Another tab (or the refresh timer) may have stored a newer pair
        // while this request was on its way: use it rather than refresh again.
        let access = match self.access_token() {
            Some(newer) if newer != access => newer,
            _ => self.refresh().await?.access,
        };
        client::send(method, path, body, Some(&access)).await
    }
}

impl Auth {
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
                if !answers_current_session(&sent, &pair, stored.as_ref()) {
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
                // tabs may have sent the same refresh token at once. This
                // server answers every one of them inside the reuse grace with
                // the same pair, but one without that rule (simplejwt, or this
                // one before it) rotates it for the other tab and refuses it
                // here, and the winner's new pair lands in storage a moment
                // later. Only a used token can mean that; an expired one ends
                // at once. A session ended elsewhere is refused the same way,
                // so it waits too before the login page shows.
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
}

/// Seconds since the epoch, as the `exp` claim counts them.
pub(super) fn now() -> f64 {
    js_sys::Date::now() / 1000.0
}

/// Milliseconds since the epoch, for the backoff.
fn now_ms() -> f64 {
    js_sys::Date::now()
}
