//! `AppState`: what every handler can reach. Cheap to clone.

use std::sync::Arc;

use crate::auth::hash_queue::HashQueue;
use crate::auth::jwt::Jwt;
use crate::clock::Clock;
use crate::config::Settings;
use crate::mail::Mailer;
use crate::store::Db;

#[derive(Clone)]
pub struct AppState {
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
