//! The profile's password change: every session ends.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use shared::SetPasswordBody;

use crate::auth::context::{LogoutReason, use_auth};
use crate::components::field::{Field, FormError};
use crate::components::form::{FormErrors, ShownErrors, passwords_match};
use crate::routes::Page;

#[component]
pub fn PasswordForm() -> impl IntoView {
    let auth = use_auth();
    let api = auth.api();
    let navigate = use_navigate();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());

    let change = Action::new_local(move |(body, again): &(SetPasswordBody, String)| {
        let (body, again) = (body.clone(), again.clone());
        let navigate = navigate.clone();
        async move {
            passwords_match(
                body.new_password.as_deref().unwrap_or_default(),
                &again,
                "new_password2",
            )?;
            api.set_password(&body)
                .await
                .map_err(|e| FormErrors::from_error(&e, &["current_password", "new_password"]))?;
            // The server has ended every session of the user, this one too.
            auth.end_session(LogoutReason::PasswordChanged);
            navigate(Page::Login.path(), Default::default());
            Ok(())
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = SetPasswordBody {
            current_password: Some(current.get_untracked()),
            new_password: Some(new.get_untracked()),
        };
        change.dispatch_local((body, again.get_untracked()));
    };
    let errors = ShownErrors::of(change);

    view! {
        <section class="card narrow" aria-labelledby="password-heading">
            <h2 id="password-heading">"Change password"</h2>
            <p class="hint">"You will be logged out everywhere and asked to log in again."</p>
            <form novalidate on:submit=on_submit>
                <FormError message=errors.general() />
                <Field label="Current password" name="current_password" kind="password" value=current errors=errors.field("current_password") autocomplete="current-password" required=true />
                <Field label="New password" name="new_password" kind="password" value=new errors=errors.field("new_password") autocomplete="new-password" required=true />
                <Field label="New password again" name="new_password2" kind="password" value=again errors=errors.field("new_password2") autocomplete="new-password" required=true />
                <button type="submit" class="button" disabled=move || change.pending().get()>
                    {move || if change.pending().get() { "Changing…" } else { "Change password" }}
                </button>
            </form>
        </section>
    }
}
