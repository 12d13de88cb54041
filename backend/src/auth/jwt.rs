//! Issuing and checking the two JWTs of API.md.

use jsonwebtoken::{Header, Validation, decode, encode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use shared::{AccessClaims, RefreshClaims, TokenType};

use super::keys::SigningKeys;
use super::random_id;
use crate::config::TokenSettings;

/// Why a token was refused; each is safe to show the client.
pub mod reason {
    pub const INVALID: &str = "Token is invalid";
    pub const EXPIRED: &str = "Token is expired";
    pub const WRONG_TYPE: &str = "Token has wrong type";
    pub const BLACKLISTED: &str = "Token is blacklisted";
    pub const USER_NOT_FOUND: &str = "User not found";
    pub const USER_INACTIVE: &str = "User is inactive";
    pub const NO_SESSION: &str = "Token has no session";
    /// simplejwt's words for a refresh token whose user is gone or inactive.
    pub const NO_ACTIVE_ACCOUNT: &str = "No active account found for the given token.";
    pub const BAD_HEADER: &str = "Authorization header must contain two space-delimited values";
    /// drf-jwt's words for a token that has no login time to refresh from.
    pub const NO_ORIG_IAT: &str = "orig_iat field is required.";
}

/// The claims every token has, to tell the two types apart.
#[derive(Debug, Deserialize)]
pub struct TokenHead {
    pub token_type: TokenType,
    pub jti: String,
    pub iat: i64,
}

/// Whom a djangorestframework-jwt token is about, and its session.
pub struct DrfSubject<'a> {
    pub user_id: i64,
    pub username: &'a str,
    pub email: &'a str,
    pub sid: &'a str,
}

/// Signs and checks tokens with one key and one algorithm.
pub struct Jwt {
    keys: SigningKeys,
    header: Header,
    validation: Validation,
    tokens: TokenSettings,
}

impl Jwt {
    pub fn new(keys: SigningKeys, tokens: TokenSettings) -> Self {
        let mut header = Header::new(keys.algorithm);
        header.kid = keys.kid.clone();
        // Only the configured algorithm: a token that names another (`none`,
        // or HS256 signed with our public key) is refused before any check.
        let mut validation = Validation::new(keys.algorithm);
        // `exp` must be there, but `exp` and `nbf` are checked against the
        // caller's `now` in `check_times`: jsonwebtoken reads the clock
        // itself and accepts a token in the second its `exp` names.
        validation.leeway = 0;
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.set_required_spec_claims(&["exp"]);
        Jwt {
            keys,
            header,
            validation,
            tokens,
        }
    }

    pub fn settings(&self) -> &TokenSettings {
        &self.tokens
    }

    pub fn jwks(&self) -> Option<&serde_json::Value> {
        self.keys.jwks.as_ref()
    }

    /// The key of the mailed links (see `auth::links`).
    pub fn link_key(&self) -> &ring::hmac::Key {
        &self.keys.link_key
    }

    /// A new access token of session `sid`; `now` in seconds.
    pub fn issue_access(
        &self,
        user_id: i64,
        username: &str,
        sid: &str,
        now: i64,
    ) -> anyhow::Result<String> {
        let claims = AccessClaims {
            token_type: TokenType::Access,
            exp: now + self.tokens.access_ttl.as_secs() as i64,
            iat: now,
            jti: random_id(),
            user_id,
            username: username.to_owned(),
            sid: Some(sid.to_owned()),
        };
        Ok(encode(&self.header, &claims, &self.keys.encoding)?)
    }

    /// A djangorestframework-jwt token of session `sid` (API.md Part 2,
    /// `DRF_JWT=true`): an access token living `ttl`, with drf-jwt's
    /// `email` and `orig_iat` (the login time, which refreshes keep).
    pub fn issue_drf(
        &self,
        subject: &DrfSubject<'_>,
        orig_iat: i64,
        now: i64,
        ttl: std::time::Duration,
    ) -> anyhow::Result<String> {
        let claims = shared::DrfClaims {
            access: AccessClaims {
                token_type: TokenType::Access,
                exp: now + ttl.as_secs() as i64,
                iat: now,
                jti: random_id(),
                user_id: subject.user_id,
                username: subject.username.to_owned(),
                sid: Some(subject.sid.to_owned()),
            },
            email: subject.email.to_owned(),
            orig_iat,
        };
        Ok(encode(&self.header, &claims, &self.keys.encoding)?)
    }

    /// A djangorestframework-jwt token: an access token (every check of
    /// [`Jwt::decode_access`]) that has an `orig_iat` to refresh from.
    pub fn decode_drf(&self, token: &str, now: i64) -> Result<shared::DrfClaims, &'static str> {
        let value: serde_json::Value = self.decode_typed(token, TokenType::Access, now)?;
        if value.get("orig_iat").is_none() {
            return Err(reason::NO_ORIG_IAT);
        }
        shared::DrfClaims::deserialize(value).map_err(|_| reason::INVALID)
    }

    /// A new refresh token of session `sid`. Its expiry slides with each
    /// rotation but never passes `auth_time` + the session maximum.
    pub fn issue_refresh(
        &self,
        user_id: i64,
        username: &str,
        sid: &str,
        auth_time: i64,
        now: i64,
    ) -> anyhow::Result<(String, RefreshClaims)> {
        let sliding = now + self.tokens.refresh_ttl.as_secs() as i64;
        let cap = auth_time + self.tokens.session_max.as_secs() as i64;
        let claims = RefreshClaims {
            token_type: TokenType::Refresh,
            exp: sliding.min(cap),
            iat: now,
            jti: super::ordered_id(),
            user_id,
            username: username.to_owned(),
            sid: sid.to_owned(),
            auth_time,
        };
        Ok((self.sign_refresh(&claims)?, claims))
    }

    /// The refresh token of these claims. Signing is deterministic (HMAC,
    /// and Ed25519 by RFC 8032), and serde writes the claims in one order,
    /// so the same claims give the same token byte for byte: that is how a
    /// refresh retried inside the grace is handed the token the first one
    /// got, rebuilt from its row, without the token itself being stored
    /// where a database reader could take it.
    pub fn sign_refresh(&self, claims: &RefreshClaims) -> anyhow::Result<String> {
        Ok(encode(&self.header, claims, &self.keys.encoding)?)
    }

    pub fn decode_access(&self, token: &str, now: i64) -> Result<AccessClaims, &'static str> {
        self.decode_typed(token, TokenType::Access, now)
    }

    pub fn decode_refresh(&self, token: &str, now: i64) -> Result<RefreshClaims, &'static str> {
        self.decode_typed(token, TokenType::Refresh, now)
    }

    /// Checks a token of either type: signature, algorithm, expiry, `iat`,
    /// and a complete claim set for its type. Decoded and verified once.
    pub fn decode_any(&self, token: &str, now: i64) -> Result<TokenHead, &'static str> {
        let value = self.verified_claims(token, now)?;
        let head = TokenHead::deserialize(&value).map_err(|_| reason::INVALID)?;
        self.check_iat(head.iat, now)?;
        // The whole claim set must be valid for its type, not just the head.
        let complete = match head.token_type {
            TokenType::Access => AccessClaims::deserialize(&value).is_ok(),
            TokenType::Refresh => RefreshClaims::deserialize(&value).is_ok(),
        };
        complete.then_some(head).ok_or(reason::INVALID)
    }

    fn decode_typed<T: DeserializeOwned>(
        &self,
        token: &str,
        expected: TokenType,
        now: i64,
    ) -> Result<T, &'static str> {
        let value = self.verified_claims(token, now)?;
        let head = TokenHead::deserialize(&value).map_err(|_| reason::INVALID)?;
        if head.token_type != expected {
            return Err(reason::WRONG_TYPE);
        }
        self.check_iat(head.iat, now)?;
        T::deserialize(value).map_err(|_| reason::INVALID)
    }

    /// A token issued in the future was not issued by a clock we trust.
    fn check_iat(&self, iat: i64, now: i64) -> Result<(), &'static str> {
        if iat > now + self.tokens.leeway.as_secs() as i64 {
            return Err(reason::INVALID);
        }
        Ok(())
    }

    /// Signature, algorithm, `crit`, `exp` and `nbf`; the claims as JSON.
    fn verified_claims(&self, token: &str, now: i64) -> Result<serde_json::Value, &'static str> {
        refuse_critical_extensions(token)?;
        let claims = decode::<serde_json::Value>(token, &self.keys.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|err| {
                tracing::debug!(kind = ?err.kind(), "token refused");
                reason::INVALID
            })?;
        self.check_times(&claims, now)?;
        Ok(claims)
    }

    /// RFC 7519: a token is expired *at* `exp` ("on or after"), and not yet
    /// valid before `nbf`; both with the configured leeway.
    fn check_times(&self, claims: &serde_json::Value, now: i64) -> Result<(), &'static str> {
        let leeway = self.tokens.leeway.as_secs() as i64;
        let exp = claims.get("exp").and_then(serde_json::Value::as_i64);
        match exp {
            None => return Err(reason::INVALID),
            Some(exp) if now >= exp.saturating_add(leeway) => return Err(reason::EXPIRED),
            Some(_) => {}
        }
        match claims.get("nbf").map(serde_json::Value::as_i64) {
            None => Ok(()),
            Some(Some(nbf)) if now.saturating_add(leeway) >= nbf => Ok(()),
            Some(_) => {
                tracing::debug!("token used before its nbf, or nbf not a number");
                Err(reason::INVALID)
            }
        }
    }
}

/// RFC 7515 §4.1.11: a recipient must refuse a token whose `crit` names
/// extensions it does not understand, and we understand none. jsonwebtoken
/// ignores `crit`, so the header is read here.
fn refuse_critical_extensions(token: &str) -> Result<(), &'static str> {
    use base64::Engine;
    let header = token.split('.').next().unwrap_or_default();
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header) else {
        // Not a JWT at all: the decoder refuses it with its own reason.
        return Ok(());
    };
    match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&bytes) {
        Ok(fields) if fields.contains_key("crit") => {
            tracing::debug!("token header has crit");
            Err(reason::INVALID)
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Settings, Signing};
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use std::time::Duration;

    fn jwt_with(signing: Signing) -> Jwt {
        let mut tokens = Settings::local(std::path::Path::new("/tmp")).tokens;
        tokens.access_ttl = Duration::from_secs(60);
        Jwt::new(SigningKeys::load(&signing).unwrap(), tokens)
    }

    fn hs256(secret: &str) -> Jwt {
        jwt_with(Signing::Hs256 {
            secret: Some(crate::config::Secret::new(secret)),
            secret_file: "/nonexistent".into(),
        })
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";
    const NOW: i64 = 1_800_000_000;

    #[test]
    fn an_access_token_round_trips() {
        let jwt = hs256(SECRET);
        let token = jwt.issue_access(7, "sam", "sid", NOW).unwrap();
        let claims = jwt.decode_access(&token, NOW).unwrap();
        assert_eq!((claims.user_id, claims.username.as_str()), (7, "sam"));
        assert_eq!(claims.exp - claims.iat, 60);
        assert_eq!(claims.jti.len(), 32);
    }

    #[test]
    fn a_refresh_token_is_not_an_access_token_and_back() {
        let jwt = hs256(SECRET);
        let (refresh, _) = jwt.issue_refresh(1, "u", "sid", NOW, NOW).unwrap();
        let access = jwt.issue_access(1, "u", "sid", NOW).unwrap();
        assert_eq!(
            jwt.decode_access(&refresh, NOW).unwrap_err(),
            reason::WRONG_TYPE
        );
        assert_eq!(
            jwt.decode_refresh(&access, NOW).unwrap_err(),
            reason::WRONG_TYPE
        );
    }

    #[test]
    fn refresh_expiry_never_passes_the_session_cap() {
        let jwt = hs256(SECRET);
        let max = jwt.settings().session_max.as_secs() as i64;
        let (_, claims) = jwt.issue_refresh(1, "u", "s", NOW - max + 5, NOW).unwrap();
        assert_eq!(claims.exp, NOW + 5);
    }

    #[test]
    fn another_key_is_refused() {
        let token = hs256(SECRET).issue_access(1, "u", "sid", NOW).unwrap();
        let other = hs256("fedcba9876543210fedcba9876543210");
        assert_eq!(
            other.decode_access(&token, NOW).unwrap_err(),
            reason::INVALID
        );
    }

    #[test]
    fn alg_none_is_refused() {
        let jwt = hs256(SECRET);
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(format!(
            r#"{{"token_type":"access","exp":{},"iat":{NOW},"jti":"x","user_id":1,"username":"u"}}"#,
            NOW + 999_999_999
        ));
        assert_eq!(
            jwt.decode_access(&format!("{header}.{body}."), NOW)
                .unwrap_err(),
            reason::INVALID
        );
    }

    #[test]
    fn an_eddsa_token_is_refused_by_an_hs256_server() {
        let dir = tempfile::tempdir().unwrap();
        let ed = jwt_with(Signing::EdDsa {
            key_file: dir.path().join("k.pem"),
        });
        let token = ed.issue_access(1, "u", "sid", NOW).unwrap();
        assert!(ed.decode_access(&token, NOW).is_ok());
        assert_eq!(
            hs256(SECRET).decode_access(&token, NOW).unwrap_err(),
            reason::INVALID
        );
    }

    #[test]
    fn tokens_from_the_future_are_refused() {
        let jwt = hs256(SECRET);
        let token = jwt.issue_access(1, "u", "sid", NOW + 3600).unwrap();
        assert_eq!(jwt.decode_access(&token, NOW).unwrap_err(), reason::INVALID);
    }

    /// A token signed with `SECRET` from a header and claims of our own.
    fn forged(header: &str, claims: serde_json::Value) -> String {
        let message = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let key = jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes());
        let signature =
            jsonwebtoken::crypto::sign(message.as_bytes(), &key, jsonwebtoken::Algorithm::HS256)
                .unwrap();
        format!("{message}.{signature}")
    }

    fn access_claims(extra: serde_json::Value) -> serde_json::Value {
        let mut claims = serde_json::json!({
            "token_type": "access", "exp": NOW + 60, "iat": NOW - 10,
            "jti": "0123456789abcdef0123456789abcdef", "user_id": 1, "username": "u"
        });
        claims
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        claims
    }

    #[test]
    fn a_token_is_expired_in_the_second_its_exp_names() {
        let jwt = hs256(SECRET);
        let token = jwt.issue_access(1, "u", "sid", NOW - 60).unwrap();
        assert!(jwt.decode_access(&token, NOW - 1).is_ok());
        assert_eq!(jwt.decode_access(&token, NOW).unwrap_err(), reason::EXPIRED);
        assert_eq!(jwt.decode_any(&token, NOW).unwrap_err(), reason::EXPIRED);
    }

    #[test]
    fn a_token_is_refused_before_its_nbf() {
        let jwt = hs256(SECRET);
        let token = forged(
            r#"{"alg":"HS256","typ":"JWT"}"#,
            access_claims(serde_json::json!({"nbf": NOW + 30})),
        );
        assert_eq!(jwt.decode_access(&token, NOW).unwrap_err(), reason::INVALID);
        assert_eq!(jwt.decode_any(&token, NOW).unwrap_err(), reason::INVALID);
        assert!(jwt.decode_access(&token, NOW + 30).is_ok());
    }

    #[test]
    fn a_token_whose_header_has_crit_is_refused() {
        let jwt = hs256(SECRET);
        let plain = forged(
            r#"{"alg":"HS256","typ":"JWT"}"#,
            access_claims(serde_json::json!({})),
        );
        assert!(jwt.decode_access(&plain, NOW).is_ok());
        let critical = forged(
            r#"{"alg":"HS256","typ":"JWT","crit":["exp"]}"#,
            access_claims(serde_json::json!({})),
        );
        assert_eq!(
            jwt.decode_access(&critical, NOW).unwrap_err(),
            reason::INVALID
        );
        assert_eq!(jwt.decode_any(&critical, NOW).unwrap_err(), reason::INVALID);
    }

    #[test]
    fn garbage_is_invalid() {
        let jwt = hs256(SECRET);
        for junk in ["", "a.b.c", "....", "not a token"] {
            assert_eq!(jwt.decode_any(junk, NOW).unwrap_err(), reason::INVALID);
        }
    }
}
