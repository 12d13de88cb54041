//! The built frontend: files as they are, and `index.html` for every other
//! non-API path, so that deep links into the single-page app load it.

use std::path::Path;

use axum::Router;
use axum::http::{HeaderValue, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::state::AppState;

pub fn router(dist: &Path) -> Router<AppState> {
    let index_path = dist.join("index.html");
    // Read once at start-up, so the policy names exactly the inline script
    // of the build being served.
    let index = std::fs::read_to_string(&index_path).unwrap_or_else(|e| {
        tracing::warn!(error = %e, path = %index_path.display(), "cannot read index.html; its inline scripts will not run");
        String::new()
    });
    let csp = HeaderValue::from_str(&content_security_policy(&index))
        .expect("a policy of ASCII words and base64 is a valid header value");
    // `fallback`, not `not_found_service`: a deep link must answer 200.
    // No index.html on directories: ServeDir would answer `GET //assets`
    // with `Location: //assets/`, which a browser reads as another host.
    // Trunk's dist has no directory index of its own, so every directory
    // (`/` included) falls back to the app.
    let files = ServeDir::new(dist)
        .append_index_html_on_directories(false)
        .fallback(ServeFile::new(index_path));
    Router::new()
        .fallback_service(files)
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            csp,
        ))
}

/// API.md "Responses": scripts, styles, wasm and API calls only from this
/// origin; trunk's inline module script (which loads the wasm) only by its
/// hash; `'wasm-unsafe-eval'` because compiling wasm needs it, and never
/// `'unsafe-inline'` or `'unsafe-eval'`. No framing (clickjacking), no
/// plugins, no `<base>` that could redirect relative URLs.
pub fn content_security_policy(index_html: &str) -> String {
    let hashes: String = inline_scripts(index_html)
        .map(|script| format!(" 'sha256-{}'", STANDARD.encode(Sha256::digest(script))))
        .collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The text of every `<script>` without a `src`, byte for byte as the
/// browser hashes it. Script text is raw in HTML (no entities, no nested
/// tags), so the first `</script` ends it.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    let lower = html.to_ascii_lowercase();
    let mut scripts = Vec::new();
    let mut from = 0;
    while let Some(start) = lower[from..].find("<script").map(|i| from + i) {
        let Some(open_end) = lower[start..].find('>').map(|i| start + i + 1) else {
            break;
        };
        let Some(close) = lower[open_end..].find("</script").map(|i| open_end + i) else {
            break;
        };
        let tag = &lower[start..open_end];
        let has_src = tag
            .split(|c: char| c.is_ascii_whitespace())
            .any(|attribute| attribute.starts_with("src=") || attribute == "src");
        if !has_src {
            scripts.push(&html[open_end..close]);
        }
        from = close;
    }
    scripts.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_inline_scripts_are_hashed_byte_for_byte() {
        let html = "<head><SCRIPT type=\"module\">import init from '/a.js';\n init();</script>\
                    <script src=\"/b.js\"></script><script defer src='/c.js'></script></head>";
        let scripts: Vec<_> = inline_scripts(html).collect();
        assert_eq!(scripts, ["import init from '/a.js';\n init();"]);
    }

    #[test]
    fn the_policy_allows_the_inline_script_by_hash_and_nothing_unsafe() {
        // echo -n 'alert(1)' | openssl dgst -sha256 -binary | base64
        let csp = content_security_policy("<script>alert(1)</script>");
        assert!(
            csp.contains("'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"));
    }
}
