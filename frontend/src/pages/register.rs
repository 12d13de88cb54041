//! `/register`: a new account, then the login page.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use shared::RegisterBody;

use super::guest::GuestOnly;
use crate::api::client;
use crate::components::field::{Field, FormError};
use crate::components::form::{FormErrors, ShownErrors, passwords_match};
use crate::routes::Page;

const FIELDS: &[&str] = &[
    "username",
    "email",
    "first_name",
    "last_name",
    "password",
    "password2",
];

#[component]
pub fn RegisterPage() -> impl IntoView {
    let navigate = use_navigate();

    let username = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let first_name = RwSignal::new(String::new());
    let last_name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let password2 = RwSignal::new(String::new());

    let register = Action::new_local(move |body: &(RegisterBody, String)| {
        let (body, again) = body.clone();
        let navigate = navigate.clone();
        async move {
            passwords_match(
                body.password.as_deref().unwrap_or_default(),
                &again,
                "password2",
            )?;
            client::register(&body)
                .await
                .map_err(|e| FormErrors::from_error(&e, FIELDS))?;
            navigate(
                &format!("{}?registered=1", Page::Login.path()),
                Default::default(),
            );
            Ok(())
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = RegisterBody {
            username: Some(username.get_untracked()),
            password: Some(password.get_untracked()),
            email: Some(email.get_untracked()),
            first_name: Some(first_name.get_untracked()),
            last_name: Some(last_name.get_untracked()),
        };
        register.dispatch_local((body, password2.get_untracked()));
    };
    let errors = ShownErrors::of(register);

    view! {
        <GuestOnly>
            <section class="card narrow" aria-labelledby="register-heading">
                <h1 id="register-heading">"Create an account"</h1>
                <form novalidate on:submit=on_submit>
                    <FormError message=errors.general() />
                    <Field label="Username" name="username" value=username errors=errors.field("username") autocomplete="username" required=true />
                    <Field label="Email" name="email" kind="email" value=email errors=errors.field("email") autocomplete="email" />
                    <div class="row">
                        <Field label="First name" name="first_name" value=first_name errors=errors.field("first_name") autocomplete="given-name" />
                        <Field label="Last name" name="last_name" value=last_name errors=errors.field("last_name") autocomplete="family-name" />
                    </div>
                    <Field
                        label="Password"
                        name="password"
                        kind="password"
                        value=password
                        errors=errors.field("password")
                        autocomplete="new-password"
                        required=true
                        hint="At least 8 characters, not only digits, not your username."
                    />
                    <Field label="Password again" name="password2" kind="password" value=password2 errors=errors.field("password2") autocomplete="new-password" required=true />
                    <button type="submit" class="button wide" disabled=move || register.pending().get()>
                        {move || if register.pending().get() { "Creating account…" } else { "Create account" }}
                    </button>
                </form>
                <p class="aside">
                    "Already registered? " <A href=Page::Login.path()>"Log in"</A>
                </p>
            </section>
        </GuestOnly>
    }
}
