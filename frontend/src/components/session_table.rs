//! The user's sessions, one row each (`<tr data-session-id>`): device and
//! browser, address, when it started and was last active, and `This device`
//! or a `Log out` button.

use leptos::prelude::*;
use shared::SessionInfo;

use super::time_ago::time_ago;
use super::user_agent::summarize;

#[component]
pub fn SessionTable(
    #[prop(into)] sessions: Signal<Vec<SessionInfo>>,
    /// The time now (ms since the epoch), for "last active 5 minutes ago".
    #[prop(into)]
    now_ms: Signal<f64>,
    /// Ends the session with this id.
    #[prop(into)]
    on_end: Callback<String>,
    /// True while a session is being ended: the buttons wait for it.
    #[prop(into)]
    busy: Signal<bool>,
) -> impl IntoView {
    view! {
        <table class="sessions">
            <thead>
                <tr>
                    <th scope="col">"Device"</th>
                    <th scope="col">"Address"</th>
                    <th scope="col">"Started"</th>
                    <th scope="col">"Last active"</th>
                    <th scope="col"><span class="visually-hidden">"Action"</span></th>
                </tr>
            </thead>
            <tbody>
                <For each=move || sessions.get() key=|s| (s.id.clone(), s.last_used_at.clone()) let:session>
                    <SessionRow session now_ms on_end busy />
                </For>
            </tbody>
        </table>
    }
}

#[component]
fn SessionRow(
    session: SessionInfo,
    now_ms: Signal<f64>,
    on_end: Callback<String>,
    busy: Signal<bool>,
) -> impl IntoView {
    let agent = summarize(&session.user_agent);
    let last_used = session.last_used_at.clone();
    let last_active = move || time_ago((now_ms.get() - parse_ms(&last_used)) / 1000.0);
    let address = if session.ip.is_empty() {
        "Unknown address".to_owned()
    } else {
        session.ip.clone()
    };
    let id = session.id.clone();
    let action = if session.current {
        view! { <span class="badge">"This device"</span> }.into_any()
    } else {
        let label = format!("Log out {} on {}", agent.browser, agent.device);
        view! {
            <button
                type="button"
                class="button secondary"
                aria-label=label
                disabled=move || busy.get()
                on:click=move |_| on_end.run(id.clone())
            >
                "Log out"
            </button>
        }
        .into_any()
    };
    view! {
        <tr data-session-id=session.id.clone() class:current=session.current>
            <td data-label="Device">
                <span class="device">{agent.device}</span>
                <span class="browser">{agent.browser}</span>
            </td>
            <td data-label="Address">{address}</td>
            <td data-label="Started">
                <time datetime=session.created_at.clone()>{local_time(&session.created_at)}</time>
            </td>
            <td data-label="Last active">
                <time datetime=session.last_used_at.clone()>{last_active}</time>
            </td>
            <td class="session-action">{action}</td>
        </tr>
    }
}

/// An ISO 8601 time as ms since the epoch (NaN if unreadable).
fn parse_ms(iso: &str) -> f64 {
    js_sys::Date::parse(iso)
}

/// An ISO 8601 time in the user's time zone and words, e.g. "1 Dec 2026,
/// 10:20"; the text as sent if the browser cannot read it.
fn local_time(iso: &str) -> String {
    let date = js_sys::Date::new(&iso.into());
    if date.get_time().is_nan() {
        return iso.to_owned();
    }
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"dateStyle".into(), &"medium".into());
    let _ = js_sys::Reflect::set(&options, &"timeStyle".into(), &"short".into());
    date.to_locale_string("default", &options).into()
}
