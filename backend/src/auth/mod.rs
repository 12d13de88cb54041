//! Authentication: signing keys, JWTs, passwords and login throttling.

pub mod jwt;
pub mod keys;
pub mod password;
pub mod rate_limit;

/// A fresh random id of 32 hex characters (128 bits), for `jti` and `sid`.
pub fn random_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}
