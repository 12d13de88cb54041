//! The profile's username change. The session's tokens name the old
//! username, so the user logs in again with the new one, as after a
//! password change.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use shared::SetUsernameBody;

use crate::auth::context::{LogoutReason, use_auth};
use crate::components::field::{Field, FormError};
use crate::components::form::{FormErrors, ShownErrors};
use crate::routes::Page;

#[component]
pub fn UsernameForm() -> impl IntoView {
    let auth = use_auth();
    let api = auth.api();
    let navigate = use_navigate();
    let username = RwSignal::new(String::new());
    let current = RwSignal::new(String::new());

    let change = Action::new_local(move |body: &SetUsernameBody| {
        let body = body.clone();
        let navigate = navigate.clone();
        async move {
            api.set_username(&body)
                .await
                .map_err(|e| FormErrors::from_error(&e, &["new_username", "current_password"]))?;
            auth.logout_for(LogoutReason::UsernameChanged);
            navigate(Page::Login.path(), Default::default());
            Ok(())
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        change.dispatch_local(SetUsernameBody {
            current_password: Some(current.get_untracked()),
            new_username: Some(username.get_untracked()),
        });
    };
    let errors = ShownErrors::of(change);

    view! {
        <section class="card narrow" aria-labelledby="username-heading">
            <h2 id="username-heading">"Change username"</h2>
            <p class="hint">"You will be asked to log in again with the new username."</p>
            <form novalidate on:submit=on_submit class="username-form">
                <FormError message=errors.general() />
                <Field label="New username" name="new_username" value=username errors=errors.field("new_username") autocomplete="username" required=true />
                <Field label="Current password" name="current_password" id="username-current-password" kind="password" value=current errors=errors.field("current_password") autocomplete="current-password" required=true />
                <button type="submit" class="button" disabled=move || change.pending().get()>
                    {move || if change.pending().get() { "Changing…" } else { "Change username" }}
                </button>
            </form>
        </section>
    }
}
