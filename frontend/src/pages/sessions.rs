//! `/sessions`: the user's sessions (API.md Part 2 "Sessions you can see and
//! end"), and logging out the others, one or all at once.

use gloo_timers::callback::Interval;
use leptos::prelude::*;

use crate::auth::context::use_auth;
use crate::components::field::FormError;
use crate::components::form::{FormErrors, ShownErrors};
use crate::components::session_table::SessionTable;

/// How often "last active" is worded again while the page is open.
const CLOCK_EVERY_MS: u32 = 30_000;

#[component]
pub fn SessionsPage() -> impl IntoView {
    let api = use_auth().api();

    // Bumped whenever an ending reached the server, done or refused (a 404:
    // the session had already gone), so that the list shows what is true
    // now. Unreached, the list stays as it was, under the error.
    let changed = RwSignal::new(0u32);
    let end = Action::new_local(move |id: &String| {
        let id = id.clone();
        async move {
            let result = api.end_session(&id).await;
            if result.as_ref().err().is_none_or(|e| e.reached_server()) {
                changed.update(|n| *n += 1);
            }
            result.map_err(|e| FormErrors::from_error(&e, &[]))
        }
    });
    let end_others = Action::new_local(move |(): &()| async move {
        let result = api.end_other_sessions().await;
        if result.as_ref().err().is_none_or(|e| e.reached_server()) {
            changed.update(|n| *n += 1);
        }
        result.map_err(|e| FormErrors::from_error(&e, &[]))
    });
    let sessions = LocalResource::new(move || {
        changed.track();
        async move { api.sessions().await.map_err(|e| e.to_string()) }
    });

    let now_ms = RwSignal::new(js_sys::Date::now());
    let clock = Interval::new(CLOCK_EVERY_MS, move || now_ms.set(js_sys::Date::now()));
    let clock = StoredValue::new_local(Some(clock));
    on_cleanup(move || {
        if let Some(clock) = clock.try_update_value(Option::take).flatten() {
            clock.cancel();
        }
    });

    let list = Signal::derive(move || sessions.get().and_then(Result::ok).unwrap_or_default());
    let others = Signal::derive(move || list.with(|list| list.iter().any(|s| !s.current)));
    let busy = Signal::derive(move || end.pending().get() || end_others.pending().get());
    let end_errors = ShownErrors::of(end);
    let end_others_errors = ShownErrors::of(end_others);

    view! {
        <section class="card" aria-labelledby="sessions-heading">
            <h1 id="sessions-heading">"Your sessions"</h1>
            <p class="hint">"Every device and browser where you are logged in. Log out the ones you do not recognise."</p>
            <FormError message=end_errors.general() />
            <FormError message=end_others_errors.general() />
            {move || match sessions.get() {
                None => Some(view! { <p class="loading" role="status">"Loading sessions…"</p> }.into_any()),
                Some(Err(message)) => Some(view! { <p class="form-error" role="alert">{message}</p> }.into_any()),
                Some(Ok(_)) => None,
            }}
            <Show when=move || matches!(sessions.get(), Some(Ok(_)))>
                <SessionTable
                    sessions=list
                    now_ms
                    on_end=move |id| { end.dispatch_local(id); }
                    busy
                />
                <button
                    type="button"
                    class="button danger"
                    disabled=move || busy.get() || !others.get()
                    on:click=move |_| { end_others.dispatch_local(()); }
                >
                    "Log out all other sessions"
                </button>
            </Show>
        </section>
    }
}
