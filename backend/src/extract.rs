//! Request extractors: the authenticated user, JSON bodies, client address.

use std::net::{IpAddr, SocketAddr};

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};

use serde::de::DeserializeOwned;
use serde_json::Value;
use shared::AccessClaims;

use crate::auth::jwt::reason;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::users::{self, UserRow};

/// The caller, proven by a valid access token, whose account still exists
/// and is active.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user_id: i64,
    pub username: String,
    /// The session the access token was issued for (absent in tokens of
    /// older servers).
    pub sid: Option<String>,
    /// The account as it is now, read while checking the token.
    pub user: UserRow,
}

impl<S> FromRequestParts<S> for AuthUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let state = AppState::from_ref(state);
        let claims = match parts.headers.get(header::AUTHORIZATION) {
            None => return Err(ApiError::NotAuthenticated),
            Some(value) => from_authorization(&state, value)?,
        };
        // Access tokens live until `exp`, but not past their account: a
        // deactivated or deleted user is refused at once (as simplejwt's
        // `get_user` does), and no handler has to cope with a missing user.
        let user = users::find(&state.db.pool, claims.user_id).await?;
        match user {
            Some(user) if user.is_active != 0 => Ok(AuthUser {
                user_id: claims.user_id,
                username: user.username.clone(),
                sid: claims.sid,
                user,
            }),
            Some(_) => Err(ApiError::TokenInvalid(reason::USER_INACTIVE)),
            None => Err(ApiError::TokenInvalid(reason::USER_NOT_FOUND)),
        }
    }
}

/// Parses `Authorization: <prefix> <access token>`. A header with a prefix we
/// do not accept counts as no credentials, as in simplejwt, so that other
/// schemes (Basic, say) are not mistaken for bad tokens.
fn from_authorization(state: &AppState, value: &HeaderValue) -> Result<AccessClaims, ApiError> {
    let Ok(value) = value.to_str() else {
        tracing::debug!("authorization header is not ASCII");
        return Err(ApiError::TokenInvalid(reason::BAD_HEADER));
    };
    let mut parts = value.split_ascii_whitespace();
    let prefix = parts.next().unwrap_or_default();
    if !state.settings.auth_prefixes.iter().any(|p| p == prefix) {
        tracing::debug!("authorization header has an unknown prefix");
        return Err(ApiError::NotAuthenticated);
    }
    let (Some(token), None) = (parts.next(), parts.next()) else {
        tracing::debug!("authorization header is not two values");
        return Err(ApiError::TokenInvalid(reason::BAD_HEADER));
    };
    let now = state.clock.now().secs();
    // Only access tokens: the decoder checks the algorithm, signature,
    // expiry and `token_type`. Access tokens are not blacklisted (API.md:
    // they live until `exp`).
    state.jwt.decode_access(token, now).map_err(|why| {
        tracing::debug!(why, "access token refused");
        ApiError::TokenInvalid(why)
    })
}

/// A JSON object body, with every failure mapped to API.md's error rows.
///
/// The body is read as a `Value` first because serde would otherwise accept
/// a JSON array in place of an object (`["user", "password"]` as a login).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let axum::Json(value) = axum::Json::<Value>::from_request(request, state).await?;
        body_from_value(value).map(ApiJson)
    }
}

/// A request body from already-parsed JSON: an object whose fields have the
/// right types. Public for the fuzz targets, which feed it arbitrary input.
pub fn body_from_value<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    if !value.is_object() {
        return Err(ApiError::Malformed(
            "JSON parse error: expected an object".to_owned(),
        ));
    }
    serde_path_to_error::deserialize(value)
        .map_err(|e| ApiError::Malformed(format!("JSON parse error: {}", redact(&e.to_string()))))
}

/// [`ApiJson`], or `T::default()` for a request with no body at all: a
/// `DELETE` may carry its fields in a body or come without one, and then
/// its required fields are reported missing, as DRF does, rather than
/// the media type.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonOrEmpty<T>(pub T);

impl<T, S> FromRequest<S> for JsonOrEmpty<T>
where
    T: DeserializeOwned + Default,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let headers = request.headers();
        let length = headers.get(header::CONTENT_LENGTH);
        let no_body = length.is_some_and(|v| v.as_bytes() == b"0")
            || (length.is_none() && !headers.contains_key(header::TRANSFER_ENCODING));
        if no_body {
            return Ok(JsonOrEmpty(T::default()));
        }
        let ApiJson(body) = ApiJson::from_request(request, state).await?;
        Ok(JsonOrEmpty(body))
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType,
            _ => {
                let text = match &rejection {
                    JsonRejection::JsonSyntaxError(e) => std::error::Error::source(e)
                        .map(ToString::to_string)
                        .unwrap_or_else(|| e.body_text()),
                    other => other.body_text(),
                };
                ApiError::Malformed(format!("JSON parse error: {}", redact(&text)))
            }
        }
    }
}

/// serde's message minus the offending value (`invalid type: string
/// "hunter2", expected …`), which could be a password.
fn redact(text: &str) -> String {
    for kind in ["invalid type", "invalid value"] {
        if let (Some(start), Some(end)) = (text.find(&format!("{kind}: ")), text.find(", expected"))
            && start < end
        {
            return format!("{}{kind}{}", &text[..start], &text[end..]);
        }
    }
    text.to_owned()
}

/// The client's address, for throttling per client: the peer, or what a
/// trusted proxy says (see `forwarded`); `None` only when the server was
/// built without connection info (some router tests).
#[derive(Debug, Clone)]
pub struct ClientAddr(pub Option<IpAddr>);

impl ClientAddr {
    /// What the throttles count by: the address, or an IPv6 client's /64.
    pub fn key(&self) -> String {
        self.0
            .map(crate::forwarded::network_key)
            .unwrap_or_else(|| "unknown".to_owned())
    }
}

impl std::fmt::Display for ClientAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(ip) => ip.fmt(f),
            None => f.write_str("unknown"),
        }
    }
}

impl<S> FromRequestParts<S> for ClientAddr
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // The extractor, not the raw extension, so that router tests can
        // supply the address with `MockConnectInfo`.
        let Ok(ConnectInfo(peer)) =
            ConnectInfo::<SocketAddr>::from_request_parts(parts, state).await
        else {
            return Ok(ClientAddr(None));
        };
        let trusted = &AppState::from_ref(state).settings.trusted_proxies;
        let ip = crate::forwarded::client_ip(peer.ip(), &parts.headers, trusted);
        Ok(ClientAddr(Some(ip)))
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn offending_values_are_left_out_of_messages() {
        let message =
            redact(r#"password: invalid type: string "hunter2", expected a sequence at line 1"#);
        assert_eq!(
            message,
            "password: invalid type, expected a sequence at line 1"
        );
        assert_eq!(redact("EOF while parsing"), "EOF while parsing");
    }
}
