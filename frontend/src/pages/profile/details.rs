//! The profile's names and email.

use leptos::prelude::*;
use shared::ProfilePatch;

use crate::auth::context::use_auth;
use crate::components::field::{Field, FormError, Notice};
use crate::components::form::{FormErrors, ShownErrors};

#[component]
pub fn ProfileForm() -> impl IntoView {
    let api = use_auth().api();
    let first_name = RwSignal::new(String::new());
    let last_name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());

    let profile = LocalResource::new(move || async move {
        let profile = api.profile().await.map_err(|e| e.to_string())?;
        first_name.set(profile.first_name);
        last_name.set(profile.last_name);
        email.set(profile.email);
        Ok::<_, String>(())
    });

    let save = Action::new_local(move |patch: &ProfilePatch| {
        let patch = patch.clone();
        async move {
            api.update_profile(&patch)
                .await
                .map(|_| ())
                .map_err(|e| FormErrors::from_error(&e, &["first_name", "last_name", "email"]))
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch_local(ProfilePatch {
            first_name: Some(first_name.get_untracked()),
            last_name: Some(last_name.get_untracked()),
            email: Some(email.get_untracked()),
        });
    };
    let errors = ShownErrors::of(save);
    let saved = Signal::derive(move || {
        matches!(save.value().get(), Some(Ok(())))
            .then(|| "Your profile has been saved.".to_owned())
    });

    view! {
        <section class="card narrow" aria-labelledby="profile-heading">
            <h1 id="profile-heading">"Your profile"</h1>
            {move || match profile.get() {
                None => Some(view! { <p class="loading" role="status">"Loading…"</p> }.into_any()),
                Some(Err(message)) => Some(view! { <p class="form-error" role="alert">{message}</p> }.into_any()),
                Some(Ok(())) => None,
            }}
            <form novalidate on:submit=on_submit>
                <Notice message=saved success=true />
                <FormError message=errors.general() />
                <div class="row">
                    <Field label="First name" name="first_name" value=first_name errors=errors.field("first_name") autocomplete="given-name" />
                    <Field label="Last name" name="last_name" value=last_name errors=errors.field("last_name") autocomplete="family-name" />
                </div>
                <Field label="Email" name="email" kind="email" value=email errors=errors.field("email") autocomplete="email" />
                <button type="submit" class="button" disabled=move || save.pending().get() || profile.get().is_none()>
                    {move || if save.pending().get() { "Saving…" } else { "Save profile" }}
                </button>
            </form>
        </section>
    }
}
