//! `ApiError`: one variant per row of API.md's error table, and the one
//! place that turns an error into an HTTP response.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shared::{ErrorBody, FieldErrors};

pub use crate::auth::rate_limit::Limited;
use crate::auth::rate_limit::RateLimitError;

/// Sent with every 401, as API.md requires.
const WWW_AUTHENTICATE: &str = r#"Bearer realm="api""#;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Malformed JSON or a field of the wrong type.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// Invalid or missing fields, one key per field.
    #[error("invalid fields")]
    Fields(FieldErrors),
    #[error("no credentials")]
    NotAuthenticated,
    /// Wrong username or password, or an inactive user: one message for all,
    /// so the answer does not tell which usernames exist.
    #[error("bad credentials")]
    BadCredentials,
    /// A token that is malformed, badly signed, expired, of the wrong type or
    /// blacklisted; the reason is safe to show.
    #[error("token not valid: {0}")]
    TokenInvalid(&'static str),
    #[error("not found")]
    NotFound,
    /// 403 `{"detail"}`: the request is understood and refused.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("request body too large")]
    TooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("throttled for {retry_after} s")]
    Throttled { what: Limited, retry_after: u64 },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        ApiError::Internal(err.into())
    }
}

impl From<RateLimitError> for ApiError {
    fn from(err: RateLimitError) -> Self {
        match err {
            RateLimitError::Throttled { what, retry_after } => {
                ApiError::Throttled { what, retry_after }
            }
            RateLimitError::Database(e) => e.into(),
        }
    }
}

impl From<FieldErrors> for ApiError {
    fn from(errors: FieldErrors) -> Self {
        ApiError::Fields(errors)
    }
}

impl ApiError {
    /// A single field's error.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::default();
        errors.add(field, message);
        ApiError::Fields(errors)
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Malformed(_) | ApiError::Fields(_) => StatusCode::BAD_REQUEST,
            ApiError::NotAuthenticated | ApiError::BadCredentials | ApiError::TokenInvalid(_) => {
                StatusCode::UNAUTHORIZED
            }
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::Malformed(what) => what.clone(),
            ApiError::NotAuthenticated => "Authentication credentials were not provided.".into(),
            ApiError::BadCredentials => "No active account found with the given credentials".into(),
            ApiError::TokenInvalid(reason) => (*reason).into(),
            ApiError::NotFound => "Not found.".into(),
            ApiError::Forbidden(why) => (*why).into(),
            ApiError::MethodNotAllowed => "Method not allowed.".into(),
            ApiError::TooLarge => "Request body is too large (the limit is 64 KiB).".into(),
            ApiError::UnsupportedMediaType => {
                "Unsupported media type: send the body as application/json.".into()
            }
            ApiError::Throttled { what, retry_after } => match what {
                Limited::Logins => {
                    format!("Too many failed login attempts. Try again in {retry_after} seconds.")
                }
                Limited::Registrations => format!(
                    "Too many accounts were registered from this address. Try again in {retry_after} seconds."
                ),
                Limited::Busy => format!(
                    "Too many requests from this address at once. Try again in {retry_after} seconds."
                ),
            },
            // The cause goes to the log, never to the client.
            ApiError::Internal(_) => "A server error occurred.".into(),
            // Answered with the field errors themselves; this names them in logs.
            ApiError::Fields(_) => "Invalid fields.".into(),
        }
    }
}

/// Marks a 500 response with its cause, so that the logging middleware can
/// record it without the body ever carrying it.
#[derive(Clone)]
pub struct InternalCause(pub std::sync::Arc<anyhow::Error>);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response = match &self {
            ApiError::Fields(errors) => (status, Json(errors)).into_response(),
            other => {
                let body = ErrorBody {
                    detail: other.detail(),
                    code: matches!(other, ApiError::TokenInvalid(_))
                        .then(|| "token_not_valid".to_owned()),
                };
                (status, Json(body)).into_response()
            }
        };
        let headers = response.headers_mut();
        match &self {
            ApiError::NotAuthenticated | ApiError::BadCredentials | ApiError::TokenInvalid(_) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(WWW_AUTHENTICATE),
                );
            }
            ApiError::Throttled { retry_after, .. } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            }
            _ => {}
        }
        if let ApiError::Internal(err) = self {
            response
                .extensions_mut()
                .insert(InternalCause(std::sync::Arc::new(err)));
        }
        response
    }
}

/// A unique-constraint violation, on either database.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;

    async fn body_of(response: Response) -> serde_json::Value {
        let bytes = to_bytes(response.into_body(), 1 << 16).await.unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn every_401_carries_www_authenticate() {
        for err in [
            ApiError::NotAuthenticated,
            ApiError::BadCredentials,
            ApiError::TokenInvalid("Token is invalid"),
        ] {
            let response = err.into_response();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
            assert_eq!(
                response.headers()[header::WWW_AUTHENTICATE],
                WWW_AUTHENTICATE
            );
        }
    }

    #[tokio::test]
    async fn only_token_errors_have_a_code() {
        let token = body_of(ApiError::TokenInvalid("Token is expired").into_response()).await;
        let other = body_of(ApiError::BadCredentials.into_response()).await;
        assert_eq!(token["code"], "token_not_valid");
        assert!(other.get("code").is_none());
    }

    #[tokio::test]
    async fn throttling_says_when_to_retry() {
        let response = ApiError::Throttled {
            what: Limited::Logins,
            retry_after: 42,
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "42");
    }

    #[tokio::test]
    async fn internal_detail_stays_out_of_the_body() {
        let err = ApiError::Internal(anyhow::anyhow!("password_hash column is corrupt"));
        let response = err.into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(response.extensions().get::<InternalCause>().is_some());
        let body = body_of(response).await;
        assert_eq!(
            body,
            serde_json::json!({"detail": "A server error occurred."})
        );
    }

    #[tokio::test]
    async fn field_errors_are_the_whole_body() {
        let body =
            body_of(ApiError::field("title", "This field is required.").into_response()).await;
        assert_eq!(
            body,
            serde_json::json!({"title": ["This field is required."]})
        );
    }
}
