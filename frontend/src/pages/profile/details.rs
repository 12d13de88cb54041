//! `/profile`: name and email, and the password.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use shared::{ProfilePatch, SetPasswordBody};

use crate::auth::context::{LogoutReason, use_auth};
use crate::components::field::{Field, FormError, Notice};
use crate::components::form::{FormErrors, ShownErrors, passwords_match};
use crate::routes::Page;

#[component]
pub fn ProfilePage() -> impl IntoView {
    view! {
        <ProfileForm />
        <PasswordForm />
    }
}

#[component]
fn ProfileForm() -> impl IntoView {
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

#[component]
fn PasswordForm() -> impl IntoView {
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
