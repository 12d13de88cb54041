//! The test's hand on the page's `fetch`: count the app's requests, hold one
//! until the test lets it go (so that "while a request is in flight" lasts
//! exactly as long as the test needs, with no sleeping), and remember what
//! the page showed while nobody was looking.
//!
//! It can also take the server away ([`go_offline`]: every call fails as a
//! fetch to an unreachable host does) and bring it back, and it notes when
//! (on the page's own clock, `performance.now()`) each call, answer and
//! watched element happened, for journeys about timing.
//!
//! A call is named `"<METHOD> <path>"`, e.g. [`REFRESH`].
//!
//! [`watch`] wraps `window.fetch` in the page shown now; it is gone after a
//! reload. [`watch_every_page`] has Chromium install it in every new document
//! of the tab before the app's own scripts run, for what happens at start-up.

use anyhow::{Context, Result};
use fantoccini::Client;
use fantoccini::wd::WebDriverCompatibleCommand;
use serde_json::{Value, json};

use crate::check;

pub const LOGIN: &str = "POST /api/token/";
pub const REFRESH: &str = "POST /api/token/refresh/";

/// Installs `window.__e2e` once per document. Its settings for a new document
/// (calls to hold, selectors to look out for) come from
/// `sessionStorage["e2e-network"]`, which survives a reload of the tab.
const GATE: &str = r#"
(() => {
  if (window.__e2e) return;
  let settings = {};
  try { settings = JSON.parse(sessionStorage.getItem('e2e-network') || '{}'); } catch (e) {}
  const gate = {
    calls: [], answers: [], held: [], seen: {}, addresses: [],
    callTimes: [], answerTimes: [], offline: false,
    holding: new Set(settings.hold || []),
    lookFor: settings.lookFor || [],
  };
  window.__e2e = gate;
  const realFetch = window.fetch.bind(window);
  window.fetch = function (input, init) {
    const isRequest = input instanceof Request;
    const method = ((init && init.method) || (isRequest ? input.method : 'GET')).toUpperCase();
    const path = new URL(isRequest ? input.url : String(input), location.href).pathname;
    const call = method + ' ' + path;
    gate.calls.push(call);
    gate.callTimes.push({ call, at: performance.now() });
    const noteAnswer = (answer) => {
      gate.answers.push(answer);
      gate.answerTimes.push({ answer, at: performance.now() });
    };
    // The answer is noted before the app sees it.
    const send = () => {
      if (gate.offline) {
        noteAnswer(call + ' failed');
        return Promise.reject(new TypeError('Failed to fetch'));
      }
      const answer = realFetch(input, init);
      answer.then(r => noteAnswer(call + ' ' + r.status), () => noteAnswer(call + ' failed'));
      return answer;
    };
    if (!gate.holding.has(call)) return send();
    return new Promise((resolve, reject) => {
      gate.held.push({ call, go: () => send().then(resolve, reject) });
    });
  };
  // Every address and every watched element the page ever shows, even for
  // an instant between two polls of the test.
  const look = () => {
    const here = location.pathname + location.search;
    if (gate.addresses[gate.addresses.length - 1] !== here) gate.addresses.push(here);
    for (const selector of gate.lookFor) {
      if (gate.seen[selector] === undefined && document.querySelector(selector)) gate.seen[selector] = performance.now();
    }
  };
  new MutationObserver(look).observe(document, { childList: true, subtree: true, attributes: true });
  for (const name of ['pushState', 'replaceState']) {
    const real = history[name].bind(history);
    history[name] = function (...args) { const result = real(...args); look(); return result; };
  }
  window.addEventListener('popstate', look);
  look();
})();
"#;

/// Wraps `fetch` in the page shown now.
pub async fn watch(client: &Client) -> Result<()> {
    client
        .execute(GATE, vec![])
        .await
        .context("wrapping window.fetch")?;
    Ok(())
}

/// Wraps `fetch` in every document the tab opens from now on, before the
/// app starts: `hold` are the calls to hold, `look_for` the CSS selectors to
/// remember if they ever match (see [`ever_saw`]). The page shown now must be
/// the app's (the settings go to its `sessionStorage`).
pub async fn watch_every_page(client: &Client, hold: &[&str], look_for: &[&str]) -> Result<()> {
    let settings = json!({ "hold": hold, "lookFor": look_for }).to_string();
    client
        .execute(
            "sessionStorage.setItem('e2e-network', arguments[0]);",
            vec![json!(settings)],
        )
        .await?;
    client
        .issue_cmd(Cdp::new(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": GATE }),
        ))
        .await
        .context("installing the fetch wrapper for new documents")?;
    Ok(())
}

/// From now on `call` waits until [`release`].
pub async fn hold(client: &Client, call: &str) -> Result<()> {
    gate(client, "gate.holding.add(arguments[0]);", call).await?;
    Ok(())
}

/// Lets every held `call` go, and stops holding it (in this document and in
/// the next ones).
pub async fn release(client: &Client, call: &str) -> Result<()> {
    gate(
        client,
        "gate.holding.delete(arguments[0]);
         const settings = JSON.parse(sessionStorage.getItem('e2e-network') || '{}');
         settings.hold = (settings.hold || []).filter(c => c !== arguments[0]);
         sessionStorage.setItem('e2e-network', JSON.stringify(settings));
         const go = gate.held.filter(h => h.call === arguments[0]);
         gate.held = gate.held.filter(h => h.call !== arguments[0]);
         go.forEach(h => h.go());",
        call,
    )
    .await?;
    Ok(())
}

/// How many times the app has called `call` in this document.
pub async fn calls(client: &Client, call: &str) -> Result<usize> {
    count(
        client,
        "return gate.calls.filter(c => c === arguments[0]).length;",
        call,
    )
    .await
}

/// How many answers `"<call> <status>"` (e.g. `"GET /api/notes/ 401"`) the
/// app has received in this document.
pub async fn answers(client: &Client, answer: &str) -> Result<usize> {
    count(
        client,
        "return gate.answers.filter(a => a === arguments[0]).length;",
        answer,
    )
    .await
}

/// Waits until `n` requests `call` are being held.
pub async fn until_held(client: &Client, call: &str, n: usize) -> Result<()> {
    check::until(&format!("{n} held {call}"), check::PATIENCE, async || {
        Ok(count(
            client,
            "return gate.held.filter(h => h.call === arguments[0]).length;",
            call,
        )
        .await?
            >= n)
    })
    .await
}

/// Waits until the app has received `n` answers `answer` (see [`answers`]).
pub async fn until_answered(client: &Client, answer: &str, n: usize) -> Result<()> {
    check::until(
        &format!("{n} answers {answer}"),
        check::PATIENCE,
        async || Ok(answers(client, answer).await? >= n),
    )
    .await
}

/// Whether `selector` (one of `look_for` of [`watch_every_page`]) ever
/// matched in this document.
pub async fn ever_saw(client: &Client, selector: &str) -> Result<bool> {
    Ok(seen_at(client, selector).await?.is_some())
}

/// When (page clock, ms) `selector` (one of `look_for` of
/// [`watch_every_page`]) first matched in this document.
pub async fn seen_at(client: &Client, selector: &str) -> Result<Option<f64>> {
    let at = gate(client, "return gate.seen[arguments[0]] ?? null;", selector).await?;
    Ok(at.as_f64())
}

/// From now on every call fails at once, as when the server is down.
pub async fn go_offline(client: &Client) -> Result<()> {
    gate(client, "gate.offline = true;", "").await?;
    Ok(())
}

/// The server is back: calls reach it again.
pub async fn go_online(client: &Client) -> Result<()> {
    gate(client, "gate.offline = false;", "").await?;
    Ok(())
}

/// When (page clock, ms) the app called `call`, in order.
pub async fn call_times(client: &Client, call: &str) -> Result<Vec<f64>> {
    let times = gate(
        client,
        "return gate.callTimes.filter(c => c.call === arguments[0]).map(c => c.at);",
        call,
    )
    .await?;
    Ok(serde_json::from_value(times)?)
}

/// When (page clock, ms) the app first received `answer` (see [`answers`]).
pub async fn answered_at(client: &Client, answer: &str) -> Result<Option<f64>> {
    let at = gate(
        client,
        "const a = gate.answerTimes.find(a => a.answer === arguments[0]); return a ? a.at : null;",
        answer,
    )
    .await?;
    Ok(at.as_f64())
}

/// The page's clock now (`performance.now()`, ms).
pub async fn page_now(client: &Client) -> Result<f64> {
    let now = client.execute("return performance.now();", vec![]).await?;
    now.as_f64().context("performance.now() is a number")
}

/// Every address (path and query) this document has shown, in order.
pub async fn addresses(client: &Client) -> Result<Vec<String>> {
    let list = gate(client, "return gate.addresses;", "").await?;
    Ok(serde_json::from_value(list)?)
}

async fn count(client: &Client, script: &str, argument: &str) -> Result<usize> {
    let n = gate(client, script, argument).await?;
    Ok(usize::try_from(n.as_u64().context("a count")?)?)
}

/// Runs `script` with `gate` bound to the page's `window.__e2e`.
async fn gate(client: &Client, script: &str, argument: &str) -> Result<Value> {
    let script = format!(
        "const gate = window.__e2e;
         if (!gate) throw new Error('window.fetch is not watched in this page');
         {script}"
    );
    client
        .execute(&script, vec![json!(argument)])
        .await
        .with_context(|| format!("asking the fetch wrapper ({argument})"))
}

/// A Chrome DevTools Protocol command, sent through chromedriver's
/// `goog/cdp/execute` endpoint.
#[derive(Debug)]
struct Cdp {
    body: String,
}

impl Cdp {
    fn new(cmd: &str, params: Value) -> Self {
        Self {
            body: json!({ "cmd": cmd, "params": params }).to_string(),
        }
    }
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.clone()))
    }
}
