//! The links mailed for activation, a password reset and a username reset
//! (API.md Part 2, "The account lifecycle by email"): `uid` is the user's
//! id in URL-safe base64 (djoser's `encode_uid`), and `token` is made as
//! Django's `PasswordResetTokenGenerator` makes it: a timestamp and an HMAC
//! over the state of the account it was issued for.
//!
//! So nothing is stored that a database reader could use, and a token stops
//! working by itself when that state moves on: a reset sets a new password
//! hash (so the link works once, and an older link dies when a newer one is
//! used), an activation makes the account active, a username reset renames
//! it, and a change of the email, username or password in between ends
//! them all. The timestamp makes it expire.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;

/// What a link is for: part of what is signed, so one kind's token is
/// never another's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Activation,
    PasswordReset,
    UsernameReset,
}

impl Purpose {
    fn label(self) -> &'static str {
        match self {
            Purpose::Activation => "activation",
            Purpose::PasswordReset => "password-reset",
            Purpose::UsernameReset => "username-reset",
        }
    }
}

/// The state of an account a token is bound to.
#[derive(Debug, Clone, Copy)]
pub struct AccountState<'a> {
    pub user_id: i64,
    pub username: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub active: bool,
}

/// djoser's `encode_uid`: the id's decimal digits in URL-safe base64
/// without padding (`1` → `MQ`).
pub fn encode_uid(user_id: i64) -> String {
    URL_SAFE_NO_PAD.encode(user_id.to_string())
}

/// The id a `uid` encodes, if it is one.
pub fn decode_uid(uid: &str) -> Option<i64> {
    let bytes = URL_SAFE_NO_PAD.decode(uid.trim_end_matches('=')).ok()?;
    let digits = std::str::from_utf8(&bytes).ok()?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// What is signed: every field length-prefixed, so that no two states
/// sign alike.
fn message(purpose: Purpose, state: &AccountState<'_>, at: i64) -> Vec<u8> {
    let mut message = Vec::new();
    let active = if state.active { "1" } else { "0" };
    for part in [
        purpose.label(),
        &state.user_id.to_string(),
        state.username,
        state.email,
        state.password_hash,
        active,
        &at.to_string(),
    ] {
        message.extend_from_slice(&(part.len() as u64).to_be_bytes());
        message.extend_from_slice(part.as_bytes());
    }
    message
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A token for `state`, made at `now` (seconds): `<base 36 time>-<hex HMAC>`.
pub fn make(key: &hmac::Key, purpose: Purpose, state: &AccountState<'_>, now: i64) -> String {
    let tag = hmac::sign(key, &message(purpose, state, now));
    format!("{}-{}", base36(now), hex(tag.as_ref()))
}

/// Whether `token` was made for `state` and purpose, at most `timeout`
/// seconds before `now`. The HMAC is compared in constant time.
pub fn check(
    key: &hmac::Key,
    purpose: Purpose,
    state: &AccountState<'_>,
    token: &str,
    now: i64,
    timeout: u64,
) -> bool {
    let Some((time, mac)) = token.split_once('-') else {
        return false;
    };
    let (Some(at), Some(mac)) = (from_base36(time), unhex(mac)) else {
        return false;
    };
    if at > now || now - at > timeout as i64 {
        return false;
    }
    // ring compares the tags in constant time.
    hmac::verify(key, &message(purpose, state, at), &mac).is_ok()
}

fn base36(mut n: i64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    if n <= 0 {
        return "0".to_owned();
    }
    let mut out = Vec::new();
    while n > 0 {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn from_base36(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 12 {
        return None;
    }
    i64::from_str_radix(text, 36).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, b"a key for the tests of the links..")
    }

    fn state() -> AccountState<'static> {
        AccountState {
            user_id: 7,
            username: "sam",
            email: "sam@example.com",
            password_hash: "$argon2id$v=19$...",
            active: true,
        }
    }

    const NOW: i64 = 1_800_000_000;
    const DAY: u64 = 86_400;

    #[test]
    fn uids_are_djosers() {
        assert_eq!(encode_uid(1), "MQ");
        assert_eq!(encode_uid(42), "NDI");
        assert_eq!(decode_uid("MQ"), Some(1));
        assert_eq!(decode_uid("NDI"), Some(42));
        for bad in ["", "!!", "YWJj", "LTE"] {
            assert_eq!(decode_uid(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_token_checks_for_its_state_and_purpose_until_it_expires() {
        let token = make(&key(), Purpose::PasswordReset, &state(), NOW);
        let ok = |purpose, state: &AccountState<'_>, now| {
            check(&key(), purpose, state, &token, now, DAY)
        };
        assert!(ok(Purpose::PasswordReset, &state(), NOW));
        assert!(ok(Purpose::PasswordReset, &state(), NOW + DAY as i64));
        assert!(!ok(Purpose::PasswordReset, &state(), NOW + DAY as i64 + 1));
        assert!(!ok(Purpose::PasswordReset, &state(), NOW - 1));
        assert!(!ok(Purpose::Activation, &state(), NOW));
        assert!(!ok(Purpose::UsernameReset, &state(), NOW));
        for changed in [
            AccountState {
                password_hash: "$argon2id$other",
                ..state()
            },
            AccountState {
                email: "new@example.com",
                ..state()
            },
            AccountState {
                username: "samuel",
                ..state()
            },
            AccountState {
                active: false,
                ..state()
            },
            AccountState {
                user_id: 8,
                ..state()
            },
        ] {
            assert!(!ok(Purpose::PasswordReset, &changed, NOW), "{changed:?}");
        }
        let other_key = hmac::Key::new(hmac::HMAC_SHA256, b"another key");
        assert!(!check(
            &other_key,
            Purpose::PasswordReset,
            &state(),
            &token,
            NOW,
            DAY
        ));
    }

    #[test]
    fn malformed_tokens_never_check() {
        let token = make(&key(), Purpose::Activation, &state(), NOW);
        let (time, mac) = token.split_once('-').unwrap();
        for bad in [
            String::new(),
            "-".into(),
            time.to_owned(),
            format!("{time}-"),
            format!("{time}-{}", &mac[1..]),
            format!("{time}-{}0", &mac[..mac.len() - 1]),
            format!("zzzzzzzzzzzzz-{mac}"),
            format!("{}-{mac}", base36(NOW - 1)),
            "1-zz".into(),
        ] {
            assert!(
                !check(&key(), Purpose::Activation, &state(), &bad, NOW, DAY),
                "{bad}"
            );
        }
    }
}
