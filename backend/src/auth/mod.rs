//! Authentication: signing keys, JWTs, passwords, login throttling, and the
//! session rules built on them.

pub mod django_hash;
pub mod drf_jwt;
pub mod hash_queue;
pub mod jwt;
pub mod keys;
pub mod links;
pub mod password;
pub mod rate_limit;
pub mod session;

/// A fresh random id of 32 hex characters (128 bits), for `jti` and `sid`.
pub fn random_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}
