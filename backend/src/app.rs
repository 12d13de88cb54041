//! The HTTP application: the router with its middleware (the server's
//! lifecycle is `server`).

use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Json, Router};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tower_http::trace::TraceLayer;

use crate::error::{ApiError, InternalCause};
use crate::routes;
use crate::state::AppState;

/// API.md: request bodies over 64 KiB are refused with 413.
pub const BODY_LIMIT: usize = 64 * 1024;

/// How long a slow or idle client may hold a connection or a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// From the connection's start, or the end of its previous response, to
    /// the end of the next request's headers; then hyper closes it. This
    /// also ends idle keep-alive connections.
    pub headers: Duration,
    /// The longest wait for the next piece of a request body; then the body
    /// read fails, the request is answered 400 and the connection closed.
    pub body: Duration,
    /// A whole request, from its headers to its response; then 408.
    pub request: Duration,
}

impl Timeouts {
    /// API.md "Slow clients": 10 s for headers, 30 s for a body or a request.
    pub const API: Timeouts = Timeouts {
        headers: Duration::from_secs(10),
        body: Duration::from_secs(30),
        request: Duration::from_secs(30),
    };
}

/// The router with every route and layer, ready to serve or to test with
/// `oneshot`.
pub fn build_router(state: AppState) -> Router {
    let timeouts = state.settings.timeouts;
    // Inner to outer. These run where a body is read: in the API's routes,
    // inside CORS, so that their 413 and 408 carry its headers; json_errors,
    // outside, rewrites those empty answers as JSON.
    let mut api = routes::api_router(&state.settings)
        .route_layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .route_layer(RequestBodyTimeoutLayer::new(timeouts.body))
        .route_layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeouts.request,
        ));
    // Only the API's own paths answer CORS preflights (CorsLayer answers
    // every OPTIONS itself, so outside the router it made OPTIONS on any
    // path a 200), and without CORS_ORIGINS there is no CORS at all.
    if let Some(cors) = cors_layer(&state.settings.cors_origins) {
        api = api.route_layer(cors);
    }
    // API.md "Responses": token responses must not be cached, and no other
    // API answer (profiles, notes) belongs in a shared or browser cache.
    let api = api
        .route("/api/{*rest}", any(api_not_found))
        .route("/auth/{*rest}", any(api_not_found))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    let app = match &state.settings.static_dir {
        Some(dist) => api.merge(routes::spa::router(dist)),
        None => api.fallback(api_not_found),
    };
    app.layer(middleware::from_fn(log_internal_errors))
        .layer(middleware::from_fn(json_errors))
        // API.md "Responses", for every response, errors and files alike:
        // no MIME sniffing of JSON into HTML, and no token-bearing URL of
        // ours leaks to another site in a Referer.
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn api_not_found() -> ApiError {
    ApiError::NotFound
}

fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
            .max_age(Duration::from_secs(3600)),
    )
}

/// Errors made outside our handlers (axum's 405, tower-http's 413) get the
/// same JSON body as ours, keeping their headers (`Allow`, for one).
async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (parts, _) = response.into_parts();
    let mut replacement = match status {
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed.into_response(),
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge.into_response(),
        StatusCode::NOT_FOUND => ApiError::NotFound.into_response(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType.into_response(),
        other => {
            let detail = other.canonical_reason().unwrap_or("Error").to_owned();
            (other, Json(shared::ErrorBody { detail, code: None })).into_response()
        }
    };
    for name in [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE] {
        if let Some(value) = parts.headers.get(&name) {
            replacement.headers_mut().insert(name, value.clone());
        }
    }
    // The CORS layer's headers too, or a browser would hide the error.
    for (name, value) in &parts.headers {
        if name.as_str().starts_with("access-control-") || name == header::VARY {
            replacement.headers_mut().append(name, value.clone());
        }
    }
    replacement
}

/// Logs the cause of a 500, which the response body never carries.
async fn log_internal_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if let Some(InternalCause(cause)) = response.extensions().get::<InternalCause>() {
        tracing::error!(error = ?cause, "request failed");
    }
    response
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use axum::body::{Body, to_bytes};
    use axum::extract::connect_info::MockConnectInfo;
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;
    use crate::config::Settings;

    async fn router(dir: &std::path::Path) -> Router {
        router_with(Settings::local(dir)).await
    }

    async fn router_with(settings: Settings) -> Router {
        let app = crate::server::App::build(settings).await.unwrap();
        build_router(app.state().clone())
    }

    /// Five failed logins for `sam` from `peer`, each claiming `forwarded`;
    /// then what the next login from each of `then` gets.
    async fn throttled_after_failures(
        router: Router,
        peer: [u8; 4],
        forwarded: &str,
        then: &[&str],
    ) -> Vec<StatusCode> {
        let via = |xff: &str| {
            let mut request = login("sam");
            request.headers_mut().insert(
                "x-forwarded-for",
                axum::http::HeaderValue::from_str(xff).unwrap(),
            );
            router
                .clone()
                .layer(MockConnectInfo(SocketAddr::from((peer, 1234))))
                .oneshot(request)
        };
        for _ in 0..5 {
            assert_eq!(
                via(forwarded).await.unwrap().status(),
                StatusCode::UNAUTHORIZED
            );
        }
        let mut statuses = Vec::new();
        for xff in then {
            statuses.push(via(xff).await.unwrap().status());
        }
        statuses
    }

    #[tokio::test]
    async fn behind_a_trusted_proxy_failures_count_per_forwarded_client() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::local(dir.path());
        settings.trusted_proxies = crate::forwarded::parse_trusted("10.0.0.0/8").unwrap();
        let statuses = throttled_after_failures(
            router_with(settings).await,
            [10, 0, 0, 2],
            "198.51.100.7",
            &["198.51.100.7", "198.51.100.8"],
        )
        .await;
        // The attacker is throttled; another user behind the same balancer
        // is not.
        assert_eq!(
            statuses,
            [StatusCode::TOO_MANY_REQUESTS, StatusCode::UNAUTHORIZED]
        );
    }

    #[tokio::test]
    async fn an_untrusted_peer_cannot_escape_the_throttle_with_the_header() {
        let dir = tempfile::tempdir().unwrap();
        let statuses = throttled_after_failures(
            router(dir.path()).await,
            [203, 0, 113, 9],
            "198.51.100.1",
            &["198.51.100.2"],
        )
        .await;
        assert_eq!(statuses, [StatusCode::TOO_MANY_REQUESTS]);
    }

    fn login(username: &str) -> Request<Body> {
        Request::post("/api/token/")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(format!(
                r#"{{"username":"{username}","password":"wrong password"}}"#
            )))
            .unwrap()
    }

    #[tokio::test]
    async fn unknown_api_paths_are_json_404s() {
        let dir = tempfile::tempdir().unwrap();
        let response = router(dir.path())
            .await
            .oneshot(
                Request::get("/api/nothing/here/")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let body = to_bytes(response.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], br#"{"detail":"Not found."}"#);
    }

    #[tokio::test]
    async fn failed_logins_are_counted_per_client_address() {
        let dir = tempfile::tempdir().unwrap();
        let base = router(dir.path()).await;
        let from = |ip: [u8; 4]| {
            base.clone()
                .layer(MockConnectInfo(SocketAddr::from((ip, 1234))))
        };
        for _ in 0..5 {
            let status = from([10, 0, 0, 1])
                .oneshot(login("sam"))
                .await
                .unwrap()
                .status();
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }

        let same_client = from([10, 0, 0, 1]).oneshot(login("sam")).await.unwrap();
        let other_client = from([10, 0, 0, 2]).oneshot(login("sam")).await.unwrap();

        assert_eq!(same_client.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(other_client.status(), StatusCode::UNAUTHORIZED);
    }
}
