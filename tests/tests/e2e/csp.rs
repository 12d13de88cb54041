//! Issue 9, item 7: the app works under its Content-Security-Policy. The
//! other journeys run under it too; this one checks that the policy is
//! really there, that the stylesheet was not blocked, and that a login,
//! a note and a page change cause no violation report.

use anyhow::{Context, ensure};
use e2e::{Journey, TestUser, action, check, find};
use serde_json::Value;

/// Collects every `securitypolicyviolation` of the document shown now.
const COLLECT_VIOLATIONS: &str = r#"
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.effectiveDirective + ' blocked ' + e.blockedURI);
});
"#;

#[tokio::test]
async fn the_app_runs_under_its_content_security_policy_without_violations() {
    let journey = Journey::start().await.expect("journey starts");
    journey
        .run("csp", async |j| {
            let user = TestUser::new("carol");
            j.create_user(&user).await?;
            let client = &j.client;

            // The login form is drawn by the wasm, which the inline module
            // script loads: both ran under the policy.
            action::open(j, "/login").await?;
            check::on_login_page(client).await?;
            let policy = client
                .execute(
                    "return fetch(location.href).then(r => r.headers.get('content-security-policy'));",
                    vec![],
                )
                .await?;
            let policy = policy.as_str().context("the page has no Content-Security-Policy")?;
            ensure!(policy.contains("'sha256-"), "no script hash in {policy}");
            ensure!(policy.contains("frame-ancestors 'none'"), "{policy}");
            let styled = client
                .execute(
                    "return [...document.styleSheets].some(s => s.href && s.cssRules.length > 0);",
                    vec![],
                )
                .await?;
            ensure!(styled == Value::Bool(true), "the stylesheet was blocked");

            client.execute(COLLECT_VIOLATIONS, vec![]).await?;
            action::log_in(client, &user.username, &user.password).await?;
            check::sees(client, &find::greeting("carol")).await?;
            action::add_note(client, "Under the policy", "still works").await?;
            action::click(client, &find::header_link("Profile")).await?;
            check::at(client, "/profile").await?;

            let violations = client
                .execute("return window.__cspViolations;", vec![])
                .await?;
            ensure!(
                violations.as_array().is_some_and(Vec::is_empty),
                "violations: {violations}"
            );
            Ok(())
        })
        .await;
}
