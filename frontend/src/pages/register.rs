//! `/register`: a new account, then the login page.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use shared::RegisterBody;

use super::guest::GuestOnly;
use crate::api::client::{self, MailRequest};
use crate::components::field::{Field, FormError, Notice};
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
    // The address the activation link went to, once registered with
    // activation on.
    let awaiting = RwSignal::new(None::<String>);

    let register = Action::new_local(move |body: &(RegisterBody, String)| {
        let (body, again) = body.clone();
        let navigate = navigate.clone();
        async move {
            passwords_match(
                body.password.as_deref().unwrap_or_default(),
                &again,
                "password2",
            )?;
            let email = body.email.clone().unwrap_or_default();
            let registered = client::register(&body)
                .await
                .map_err(|e| FormErrors::from_error(&e, FIELDS))?;
            if registered.needs_activation {
                awaiting.set(Some(email));
            } else {
                navigate(
                    &format!("{}?registered=1", Page::Login.path()),
                    Default::default(),
                );
            }
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
            {move || awaiting.get().map(|email| view! { <CheckEmail email /> })}
            <section class="card narrow" aria-labelledby="register-heading" hidden=move || awaiting.read().is_some()>
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

/// After a resend. The server mails an address at most once a minute, and
/// says the same either way, so the message says so too.
const RESENT: &str = "We have sent the email again, unless one went out less than a minute ago.";

/// UI.md Part 2: after registering with activation on.
#[component]
fn CheckEmail(email: String) -> impl IntoView {
    let resend = Action::new_local(move |email: &String| {
        let email = email.clone();
        async move {
            client::request_mail(MailRequest::Activation, &email)
                .await
                .map_err(|e| e.to_string())
        }
    });
    let on_submit = {
        let email = email.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            resend.dispatch_local(email.clone());
        }
    };
    let sent = Signal::derive(move || {
        matches!(resend.value().get(), Some(Ok(()))).then(|| RESENT.to_owned())
    });
    let failed = Signal::derive(move || resend.value().get().and_then(Result::err));
    view! {
        <section class="card narrow" aria-labelledby="check-email-heading">
            <h1 id="check-email-heading">"One more step"</h1>
            <Notice message=Signal::derive(|| Some("Check your email to activate your account.".to_owned())) />
            <p>"We have sent a link to " <strong>{email}</strong> ". Follow it to activate your account, then log in."</p>
            <form novalidate on:submit=on_submit>
                <Notice message=sent success=true />
                <FormError message=failed />
                <button type="submit" class="button secondary" disabled=move || resend.pending().get()>
                    {move || if resend.pending().get() { "Sending…" } else { "Send the email again" }}
                </button>
            </form>
        </section>
    }
}
