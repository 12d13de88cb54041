//! Token decoding and validation never panics, and never accepts a token
//! that this server did not sign.
#![no_main]

use std::sync::LazyLock;

use backend::auth::jwt::Jwt;
use backend::auth::keys::SigningKeys;
use backend::config::{Secret, Settings, Signing};
use libfuzzer_sys::fuzz_target;

static JWT: LazyLock<Jwt> = LazyLock::new(|| {
    let signing = Signing::Hs256 {
        secret: Some(Secret::new("fuzzing secret, 32 bytes or more!")),
        secret_file: "/nonexistent".into(),
    };
    let tokens = Settings::local(std::path::Path::new("/nonexistent")).tokens;
    Jwt::new(SigningKeys::load(&signing).expect("keys"), tokens)
});

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else { return };
    let now = 1_800_000_000;
    // Random bytes cannot carry our HMAC: nothing may be accepted.
    assert!(JWT.decode_access(token, now).is_err());
    assert!(JWT.decode_refresh(token, now).is_err());
    assert!(JWT.decode_any(token, now).is_err());
});
