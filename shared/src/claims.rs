//! The claims inside the two JWTs (API.md, "Tokens").

use serde::{Deserialize, Serialize};

/// The `token_type` claim. A token of one type is never accepted where the
/// other is expected, so every decoder checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    Access,
    Refresh,
}

/// Claims of an access token. It carries `sid` (API.md Part 2, "Sessions
/// you can see and end") but no `auth_time`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub token_type: TokenType,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Unique id, 32 hex characters.
    pub jti: String,
    pub user_id: i64,
    pub username: String,
    /// The login session the token was issued for; absent in tokens of
    /// servers that do not track sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// Claims of a refresh token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshClaims {
    pub token_type: TokenType,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub user_id: i64,
    pub username: String,
    /// The login session (rotation family) this token belongs to.
    pub sid: String,
    /// When the password login that started this session happened.
    pub auth_time: i64,
}

/// Claims of a djangorestframework-jwt token (API.md Part 2, `DRF_JWT=true`):
/// an access token with drf-jwt's `email` and `orig_iat` (the login time,
/// kept by every refresh), so every authenticated endpoint accepts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrfClaims {
    #[serde(flatten)]
    pub access: AccessClaims,
    pub email: String,
    pub orig_iat: i64,
}

impl AccessClaims {
    /// Seconds of validity this token was issued with.
    pub fn lifetime(&self) -> i64 {
        self.exp - self.iat
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn access_claims_match_the_documented_json() {
        let claims = AccessClaims {
            token_type: TokenType::Access,
            exp: 1_700_000_300,
            iat: 1_700_000_000,
            jti: "0123456789abcdef0123456789abcdef".into(),
            user_id: 7,
            username: "sam".into(),
            sid: Some("s1".into()),
        };
        let expected = json!({
            "token_type": "access", "exp": 1_700_000_300, "iat": 1_700_000_000,
            "jti": "0123456789abcdef0123456789abcdef", "user_id": 7, "username": "sam",
            "sid": "s1"
        });
        assert_eq!(serde_json::to_value(&claims).unwrap(), expected);
        assert_eq!(
            serde_json::from_value::<AccessClaims>(expected).unwrap(),
            claims
        );
        assert_eq!(claims.lifetime(), 300);
    }

    #[test]
    fn refresh_claims_carry_session_and_auth_time() {
        let value = json!({
            "token_type": "refresh", "exp": 2, "iat": 1, "jti": "ab", "user_id": 1,
            "username": "u", "sid": "s1", "auth_time": 1
        });
        let claims: RefreshClaims = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(claims.token_type, TokenType::Refresh);
        assert_eq!(claims.sid, "s1");
        assert_eq!(serde_json::to_value(&claims).unwrap(), value);
    }

    #[test]
    fn drf_claims_are_an_access_token_with_email_and_orig_iat() {
        let value = json!({
            "token_type": "access", "exp": 2, "iat": 1, "jti": "ab", "user_id": 1,
            "username": "u", "sid": "s1", "email": "u@x.io", "orig_iat": 1
        });
        let claims: DrfClaims = serde_json::from_value(value.clone()).unwrap();
        assert_eq!((claims.orig_iat, claims.email.as_str()), (1, "u@x.io"));
        assert_eq!(serde_json::to_value(&claims).unwrap(), value);
        // An access token reads it, so every authenticated endpoint takes it.
        let access: AccessClaims = serde_json::from_value(value).unwrap();
        assert_eq!(access, claims.access);
    }

    #[test]
    fn access_claims_need_a_token_type() {
        let value = json!({"exp": 2, "iat": 1, "jti": "ab", "user_id": 1, "username": "u"});
        assert!(serde_json::from_value::<AccessClaims>(value).is_err());
    }

    #[test]
    fn unknown_token_type_is_refused() {
        let value = json!({"token_type": "id", "exp": 2, "iat": 1, "jti": "ab", "user_id": 1, "username": "u"});
        assert!(serde_json::from_value::<AccessClaims>(value).is_err());
    }
}
