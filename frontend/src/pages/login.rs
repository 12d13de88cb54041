//! `/login`: username and password, then on to `next`.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::guest::GuestOnly;
use crate::api::error::SESSION_EXPIRED;
use crate::auth::context::{LogoutReason, use_auth};
use crate::components::field::{Field, FormError, Notice};
use crate::components::form::{FormErrors, ShownErrors};
use crate::routes::{Done, EXPIRED_FLAG, Page, safe_next};

#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();

    // Set when the form is sent: only a login made on this page goes on to
    // `next`. Someone already logged in (when the page opened, or by another
    // tab) goes home, whatever `next` says.
    let submitted = RwSignal::new(false);
    let destination = move |()| {
        if submitted.get_untracked() {
            safe_next(query.read().get("next").as_deref())
        } else {
            Page::Home.path().to_owned()
        }
    };

    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let login = Action::new_local(move |(user, pass): &(String, String)| {
        let (user, pass) = (user.clone(), pass.clone());
        async move {
            auth.login(user, pass)
                .await
                .map_err(|e| FormErrors::from_error(&e, &["username", "password"]))
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        login.dispatch_local((username.get_untracked(), password.get_untracked()));
    };
    let errors = ShownErrors::of(login);

    let notice = Signal::derive(move || {
        // Once a login attempt has failed, its error says what matters.
        let untried = login.value().read().is_none();
        let done = query
            .read()
            .get(Done::QUERY)
            .and_then(|flag| Done::from_flag(&flag));
        if let Some(done) = done.filter(|_| untried) {
            return Some(done.message().to_owned());
        }
        match auth.logout_reason() {
            Some(LogoutReason::SessionExpired) => Some(SESSION_EXPIRED.to_owned()),
            // After a reload the reason is gone from memory; the URL still says.
            Some(LogoutReason::NoSession) if query.read().get(EXPIRED_FLAG).is_some() => {
                Some(SESSION_EXPIRED.to_owned())
            }
            Some(LogoutReason::PasswordChanged) => {
                Some("Your password has been changed. Please log in with the new one.".to_owned())
            }
            Some(LogoutReason::UsernameChanged) => {
                Some("Your username has been changed. Please log in with the new one.".to_owned())
            }
            Some(LogoutReason::AccountDeleted) => Some("Your account has been deleted.".to_owned()),
            _ if untried && query.read().get("registered").is_some() => {
                Some("Your account is ready. Please log in.".to_owned())
            }
            _ => None,
        }
    });

    view! {
        <GuestOnly destination>
            <section class="card narrow" aria-labelledby="login-heading">
                <h1 id="login-heading">"Log in"</h1>
                <Notice message=notice />
                <form novalidate on:submit=on_submit>
                    <FormError message=errors.general() />
                    <Field
                        label="Username"
                        name="username"
                        value=username
                        errors=errors.field("username")
                        autocomplete="username"
                        required=true
                    />
                    <Field
                        label="Password"
                        name="password"
                        kind="password"
                        value=password
                        errors=errors.field("password")
                        autocomplete="current-password"
                        required=true
                    />
                    <p class="field-aside">
                        <A href=Page::PasswordReset.path()>"Forgot password?"</A>
                    </p>
                    <button type="submit" class="button wide" disabled=move || login.pending().get()>
                        {move || if login.pending().get() { "Logging in…" } else { "Log in" }}
                    </button>
                </form>
                <p class="aside">
                    "No account yet? " <A href=Page::Register.path()>"Register"</A>
                </p>
                <p class="aside">
                    "Forgot your username? " <A href=Page::UsernameReset.path()>"Get a link to choose a new one"</A>
                </p>
            </section>
        </GuestOnly>
    }
}
