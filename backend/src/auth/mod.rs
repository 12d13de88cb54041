//! Authentication: signing keys, JWTs, passwords, login throttling, and the
//! session rules built on them.

pub mod django_hash;
pub mod drf_jwt;
pub mod hash_queue;
pub mod hash_slots;
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

/// An id of 32 hex characters that sorts by creation: the Unix time in
/// milliseconds (12 digits), then 80 random bits. For refresh tokens'
/// `jti`, the key of `refresh_tokens`: each new token then goes to the end
/// of that index instead of to a random page of it, which a rotation would
/// otherwise write out (a WAL frame on SQLite) for every token. The time it
/// shows is the token's `iat` anyway.
pub fn ordered_id() -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let random = rand::random::<u128>() >> 48;
    format!("{:012x}{random:020x}", millis & 0xffff_ffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_ids_are_32_hex_digits_that_sort_by_time_and_differ() {
        let first = ordered_id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let (second, third) = (ordered_id(), ordered_id());
        for id in [&first, &second, &third] {
            assert_eq!(id.len(), 32, "{id}");
            assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
        }
        assert!(first < second, "{first} {second}");
        assert_ne!(second, third);
    }
}
