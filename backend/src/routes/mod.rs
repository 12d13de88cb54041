//! The API's routes, one module per group of endpoints of API.md. Each
//! module lists its endpoints; `api_router` registers every one at each of
//! its paths (the `/api/` one, djoser's, a `PATH_ALIASES` alias), so one
//! handler serves them all.

mod drf_jwt;
mod health;
mod notes;
mod profile;
mod sessions;
pub mod spa;
mod tokens;
mod users;

use axum::Router;
use axum::routing::MethodRouter;

use crate::config::{ConfigError, PathAlias, Settings};
use crate::state::AppState;

/// Every API path, as `GET /api/` lists them.
pub const API_PATHS: &[&str] = &[
    "/api/",
    "/api/token/",
    "/api/token/refresh/",
    "/api/token/verify/",
    "/api/token/blacklist/",
    "/api/users/",
    "/api/users/me/",
    "/api/users/set_password/",
    "/api/users/set_username/",
    "/api/users/reset_username/",
    "/api/users/reset_username_confirm/",
    "/api/users/activation/",
    "/api/users/resend_activation/",
    "/api/users/reset_password/",
    "/api/users/reset_password_confirm/",
    "/api/profile/",
    "/api/notes/",
    "/api/notes/{id}/",
    "/api/sessions/",
    "/api/sessions/{id}/",
    "/api/health/",
];

/// One endpoint: its handlers and every path they answer at, each written
/// with its trailing slash.
pub struct Endpoint {
    /// The first is its own path (`/api/…`, or drf-jwt's `/api-token-…/`);
    /// the others are where djoser mounts the same view (API.md Part 2,
    /// "djoser's layout").
    pub paths: &'static [&'static str],
    pub method: MethodRouter<AppState>,
}

impl Endpoint {
    pub fn new(paths: &'static [&'static str], method: MethodRouter<AppState>) -> Self {
        Endpoint { paths, method }
    }
}

/// Every endpoint these settings serve.
fn endpoints(settings: &Settings) -> Vec<Endpoint> {
    let mut all = Vec::new();
    all.extend(health::endpoints());
    all.extend(tokens::endpoints());
    all.extend(users::endpoints());
    all.extend(profile::endpoints());
    all.extend(notes::endpoints());
    all.extend(sessions::endpoints());
    if settings.drf_jwt.is_some() {
        all.extend(drf_jwt::endpoints());
    }
    all
}

/// Registers `path` (written with its trailing slash) both with and without
/// it, as API.md requires, so clients of either habit work without redirects.
fn route(router: Router<AppState>, path: &str, method: MethodRouter<AppState>) -> Router<AppState> {
    let bare = path.trim_end_matches('/');
    router.route(bare, method.clone()).route(path, method)
}

/// The endpoint each alias stands for, or the `PATH_ALIASES` error: a
/// target that is not a path these settings serve, or an alias that is
/// one already.
fn resolve_aliases<'a>(
    aliases: &'a [PathAlias],
    endpoints: &'a [Endpoint],
) -> Result<Vec<(&'a str, &'a Endpoint)>, ConfigError> {
    let find = |path: &str| endpoints.iter().find(|e| e.paths.contains(&path));
    let mut resolved = Vec::new();
    for PathAlias { alias, target } in aliases {
        let Some(endpoint) = find(target) else {
            let hint = if target.starts_with("/api-token-") {
                " (drf-jwt's paths need DRF_JWT=true)"
            } else {
                ""
            };
            return Err(ConfigError {
                name: "PATH_ALIASES",
                reason: format!("{target} is not a path of this API{hint}"),
            });
        };
        if find(alias).is_some() || alias.starts_with("/.well-known/") {
            return Err(ConfigError {
                name: "PATH_ALIASES",
                reason: format!("{alias} is already a path of this API"),
            });
        }
        resolved.push((alias.as_str(), endpoint));
    }
    Ok(resolved)
}

/// Checks `PATH_ALIASES` against the routes of these settings.
pub fn check_aliases(settings: &Settings) -> Result<(), ConfigError> {
    resolve_aliases(&settings.path_aliases, &endpoints(settings)).map(|_| ())
}

/// Every endpoint at each of its paths and aliases, plus the JWKS document.
/// The aliases must have passed [`check_aliases`] (`App::build` does it);
/// one that does not resolve is left out.
pub fn api_router(settings: &Settings) -> Router<AppState> {
    let endpoints = endpoints(settings);
    let mut router = Router::new();
    for endpoint in &endpoints {
        for path in endpoint.paths {
            router = route(router, path, endpoint.method.clone());
        }
    }
    match resolve_aliases(&settings.path_aliases, &endpoints) {
        Ok(aliases) => {
            for (alias, endpoint) in aliases {
                router = route(router, alias, endpoint.method.clone());
            }
        }
        Err(e) => tracing::error!(error = %e, "path aliases left out"),
    }
    router.merge(tokens::jwks_router())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings::local(std::path::Path::new("/tmp"))
    }

    #[test]
    fn get_api_lists_every_api_path_of_the_table() {
        let mut listed: Vec<&str> = endpoints(&settings()).iter().map(|e| e.paths[0]).collect();
        listed.sort_unstable();
        let mut expected = API_PATHS.to_vec();
        expected.sort_unstable();
        assert_eq!(listed, expected);
    }

    #[test]
    fn an_alias_must_name_a_served_path_and_not_be_one() {
        let mut s = settings();
        s.path_aliases = vec![PathAlias {
            alias: "/obtain/".into(),
            target: "/api/token/".into(),
        }];
        assert!(check_aliases(&s).is_ok());
        s.path_aliases[0].target = "/api-token-auth/".into();
        let err = check_aliases(&s).unwrap_err();
        assert_eq!(err.name, "PATH_ALIASES");
        assert!(err.reason.contains("DRF_JWT=true"), "{}", err.reason);
        s.drf_jwt = Some(std::time::Duration::from_secs(300));
        assert!(check_aliases(&s).is_ok());
        s.path_aliases[0].alias = "/auth/users/".into();
        assert_eq!(check_aliases(&s).unwrap_err().name, "PATH_ALIASES");
    }
}
