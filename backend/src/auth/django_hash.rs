//! Django's password hash formats, for users brought over by
//! `backend import-django-users` (API.md "Moving a Django deployment
//! over"): `pbkdf2_sha256$<iterations>$<salt>$<hash>` (Django's default) and
//! `argon2$argon2id$…` or the older `argon2$argon2i$…` (its
//! `Argon2PasswordHasher`: `argon2` and a PHC string without its leading
//! `$`). Only verification: a password that matches is hashed again in this
//! server's argon2id (see `password::check_in`). Anything else Django can
//! store (`md5$…`, `bcrypt$…`, an unusable `!…` password) never verifies.

use std::num::NonZeroU32;

use argon2::{Block, Version};
use base64::Engine;

use super::password;

/// Django 5.x uses 1 000 000 iterations and adds some each release; a row
/// asking for ten times that is corrupt or planted, and is refused rather
/// than allowed to hold a core for seconds per login attempt.
pub const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;

/// A Django hash this module can check, parsed.
#[derive(Debug, PartialEq, Eq)]
pub enum DjangoHash<'a> {
    /// PBKDF2-HMAC-SHA256 with a 32-byte output (Django's `dklen=None`).
    Pbkdf2Sha256 {
        iterations: NonZeroU32,
        /// Used as its bytes, as Django does (it is never decoded).
        salt: &'a str,
        derived: [u8; 32],
    },
    /// The PHC string (`$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>`).
    Argon2 { phc: &'a str },
}

/// Parses `stored` as one of the Django formats checked here; `None` for
/// any other format, a malformed string, or parameters over the caps.
pub fn parse(stored: &str) -> Option<DjangoHash<'_>> {
    if let Some(rest) = stored.strip_prefix("pbkdf2_sha256$") {
        return parse_pbkdf2(rest);
    }
    let phc = stored.strip_prefix("argon2")?;
    if !(phc.starts_with("$argon2id$") || phc.starts_with("$argon2i$")) {
        return None;
    }
    // Parsed here too, so that a malformed one counts as "not a hash"
    // (and costs the dummy hash) rather than as a wrong password.
    password::argon2_params(phc)?;
    Some(DjangoHash::Argon2 { phc })
}

fn parse_pbkdf2(rest: &str) -> Option<DjangoHash<'_>> {
    let mut parts = rest.split('$');
    let (iterations, salt, hash) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || salt.is_empty() {
        return None;
    }
    // Digits only: `u32::from_str` would also take a leading `+`.
    if iterations.is_empty() || !iterations.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let iterations: u32 = iterations.parse().ok()?;
    if iterations > MAX_PBKDF2_ITERATIONS {
        return None;
    }
    let derived = base64::engine::general_purpose::STANDARD
        .decode(hash)
        .ok()?
        .try_into()
        .ok()?;
    Some(DjangoHash::Pbkdf2Sha256 {
        iterations: NonZeroU32::new(iterations)?,
        salt,
        derived,
    })
}

/// Whether `password` matches the Django hash `stored`; `None` if `stored`
/// is not a hash this module can check (see [`parse`]).
pub fn verify(password: &str, stored: &str, memory: &mut Vec<Block>) -> Option<bool> {
    Some(match parse(stored)? {
        DjangoHash::Pbkdf2Sha256 {
            iterations,
            salt,
            derived,
        } => {
            // `ring` compares the derived key in constant time.
            ring::pbkdf2::verify(
                ring::pbkdf2::PBKDF2_HMAC_SHA256,
                iterations,
                salt.as_bytes(),
                password.as_bytes(),
                &derived,
            )
            .is_ok()
        }
        // A PHC string without `v=` is argon2 1.0 (0x10), as the reference
        // implementation reads it; Django's early argon2 hashes look so.
        DjangoHash::Argon2 { phc } => password::verify_phc(password, phc, Version::V0x10, memory),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Made by Django 5.2's `make_password("alice in django land")`
    /// (PBKDF2PasswordHasher, 1 000 000 iterations); also in the API tests'
    /// fixture.
    const DJANGO_PBKDF2: &str =
        "pbkdf2_sha256$1000000$BSmeraQFA6XAfdPHkzZuLJ$xqzbmoXPQEoxSNlw4lVyRxUAXxXVbGOMuCPgWF8ENQw=";
    /// Made by Django 5.2's `make_password("bob argon2 secret", hasher="argon2")`
    /// (argon2-cffi 25).
    const DJANGO_ARGON2: &str = "argon2$argon2id$v=19$m=102400,t=2,p=8$TklTdFlEME9IaDNDNEV3a2NpVWp0aQ$qGGLSEDHGw3Ex1Sjhi6Dun7lqUeIcjiJWUwLqFT/Ji4";

    fn check(password: &str, stored: &str) -> Option<bool> {
        verify(password, stored, &mut Vec::new())
    }

    /// PBKDF2-HMAC-SHA256 of "password" with salt "salt", 4096 iterations,
    /// 32 bytes, in base64: the common test vector (c5e478d5…aa98134a), as
    /// Python's `hashlib.pbkdf2_hmac` also computes it.
    const VECTOR_4096: &str = "xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o=";

    #[test]
    fn djangos_own_pbkdf2_hash_verifies_only_its_password() {
        assert_eq!(check("alice in django land", DJANGO_PBKDF2), Some(true));
        assert_eq!(check("alice in django lane", DJANGO_PBKDF2), Some(false));
        assert_eq!(check("", DJANGO_PBKDF2), Some(false));
    }

    #[test]
    fn a_pbkdf2_hash_from_the_test_vector_verifies() {
        let stored = format!("pbkdf2_sha256$4096$salt${VECTOR_4096}");
        assert_eq!(check("password", &stored), Some(true));
        assert_eq!(check("passwore", &stored), Some(false));
        // The salt is part of it.
        let stored = format!("pbkdf2_sha256$4096$salu${VECTOR_4096}");
        assert_eq!(check("password", &stored), Some(false));
        // So is the iteration count.
        let stored = format!("pbkdf2_sha256$4095$salt${VECTOR_4096}");
        assert_eq!(check("password", &stored), Some(false));
    }

    #[test]
    fn djangos_argon2_hash_verifies_only_its_password() {
        assert_eq!(check("bob argon2 secret", DJANGO_ARGON2), Some(true));
        assert_eq!(check("bob argon2 secreT", DJANGO_ARGON2), Some(false));
    }

    #[test]
    fn djangos_older_argon2i_hashes_verify() {
        use argon2::PasswordHasher;
        let salt = argon2::password_hash::SaltString::from_b64("c29tZXNhbHRzb21lc2FsdA").unwrap();
        let phc = argon2::Argon2::new(
            argon2::Algorithm::Argon2i,
            Version::V0x13,
            argon2::Params::new(512, 2, 2, None).unwrap(),
        )
        .hash_password(b"old django", &salt)
        .unwrap()
        .to_string();
        let stored = format!("argon2{phc}");
        assert!(stored.starts_with("argon2$argon2i$v=19$m=512,t=2,p=2$"));
        assert_eq!(check("old django", &stored), Some(true));
        assert_eq!(check("old djangO", &stored), Some(false));
    }

    #[test]
    fn a_huge_iteration_count_is_refused_without_running_it() {
        let started = std::time::Instant::now();
        let stored = format!("pbkdf2_sha256$4000000000$salt${VECTOR_4096}");
        assert_eq!(check("password", &stored), None);
        let stored = format!("pbkdf2_sha256$10000001$salt${VECTOR_4096}");
        assert_eq!(check("password", &stored), None);
        assert!(started.elapsed() < std::time::Duration::from_millis(100));
        assert!(parse(&format!("pbkdf2_sha256$10000000$salt${VECTOR_4096}")).is_some());
    }

    #[test]
    fn huge_argon2_parameters_are_refused() {
        let huge_memory = DJANGO_ARGON2.replace("m=102400", "m=4194304");
        assert_eq!(check("bob argon2 secret", &huge_memory), None);
        let many_passes = DJANGO_ARGON2.replace("t=2", "t=1000");
        assert_eq!(check("bob argon2 secret", &many_passes), None);
    }

    #[test]
    fn malformed_and_other_formats_are_not_hashes_here() {
        for stored in [
            "",
            "!P2eeLncmb8s9dVyC1e8lSTUyt3kkFOwXSrlgU5BW",
            "md5$salt$5f4dcc3b5aa765d61d8327deb882cf99",
            "sha1$salt$5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8",
            "bcrypt_sha256$$2b$12$abcdefghijklmnopqrstuu5lYXs0mRMBaPbDWPCxBfBQHPuVGrFaq",
            "pbkdf2_sha1$260000$salt$AAAA",
            "pbkdf2_sha256$$salt$AAAA",
            "pbkdf2_sha256$0$salt$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o=",
            "pbkdf2_sha256$+4096$salt$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o=",
            "pbkdf2_sha256$-1$salt$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o=",
            "pbkdf2_sha256$4096$$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o=",
            "pbkdf2_sha256$4096$salt",
            "pbkdf2_sha256$4096$salt$not base64!",
            // 31 bytes, not SHA-256's 32
            "pbkdf2_sha256$4096$salt$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYEw==",
            "pbkdf2_sha256$4096$salt$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o=$extra",
            "argon2$argon2d$v=19$m=512,t=2,p=2$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
            "argon2$argon2id$v=19$m=512,t=2,p=2$c29tZXNhbHQ",
            "argon2$argon2id$garbage",
            "argon2argon2id$v=19$m=512,t=2,p=2$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
            // this server's own format is not Django's
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert_eq!(check("password", stored), None, "{stored:?}");
        }
    }
}
