//! `AppState`: what every handler can reach. Cheap to clone.

use std::sync::Arc;

use crate::auth::hash_queue::HashQueue;
use crate::auth::jwt::Jwt;
use crate::clock::Clock;
use crate::config::Settings;
use crate::mail::Mailer;
use crate::store::Db;

/// Shared by every request: axum clones the state for each extractor that
/// takes it, and a clone of this is one reference count, where a clone of
/// `Services` was a dozen (and two strings of the mailer).
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    pub fn new(services: Services) -> AppState {
        AppState(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

pub struct Services {
    pub db: Db,
    pub jwt: Arc<Jwt>,
    pub settings: Arc<Settings>,
    /// Per-address admission to password hashing, per server.
    pub hash_queue: Arc<HashQueue>,
    /// Now, for every rule about time (a test's clock in tests).
    pub clock: Clock,
    /// The account lifecycle's mail.
    pub mailer: Mailer,
}
