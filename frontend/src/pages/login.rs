//! `/login`: username and password, then on to `next`.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::error::{FormErrors, SESSION_EXPIRED};
use crate::auth::context::{LogoutReason, use_auth};
use crate::components::field::{Field, FormError, Notice};
use crate::routes::{EXPIRED_FLAG, Page, safe_next};

#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();
    let navigate = use_navigate();

    // Set when the form is sent: only a login made on this page goes on to
    // `next`. Someone already logged in (when the page opened, or by another
    // tab) goes home, whatever `next` says.
    let submitted = RwSignal::new(false);

    Effect::new(move |_| {
        if auth.logged_in() == Some(true) {
            let next = if submitted.get_untracked() {
                safe_next(query.read().get("next").as_deref())
            } else {
                Page::Home.path().to_owned()
            };
            navigate(
                &next,
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });

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
    let errors = move |field: &'static str| {
        Signal::derive(move || login.value().with(|v| FormErrors::of(v.as_ref(), field)))
    };

    let notice = Signal::derive(move || match auth.logout_reason() {
        Some(LogoutReason::SessionExpired) => Some(SESSION_EXPIRED.to_owned()),
        // After a reload the reason is gone from memory; the URL still says.
        Some(LogoutReason::NoSession) if query.read().get(EXPIRED_FLAG).is_some() => {
            Some(SESSION_EXPIRED.to_owned())
        }
        Some(LogoutReason::PasswordChanged) => {
            Some("Your password has been changed. Please log in with the new one.".to_owned())
        }
        // Once a login attempt has failed, its error says what matters.
        _ if query.read().get("registered").is_some() && login.value().read().is_none() => {
            Some("Your account is ready. Please log in.".to_owned())
        }
        _ => None,
    });

    view! {
        <Show
            when=move || auth.logged_in() == Some(false)
            fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }
        >
            <section class="card narrow" aria-labelledby="login-heading">
                <h1 id="login-heading">"Log in"</h1>
                <Notice message=notice />
                <form novalidate on:submit=on_submit>
                    <FormError message=Signal::derive(move || login.value().with(|v| FormErrors::general_of(v.as_ref()))) />
                    <Field
                        label="Username"
                        name="username"
                        value=username
                        errors=errors("username")
                        autocomplete="username"
                        required=true
                    />
                    <Field
                        label="Password"
                        name="password"
                        kind="password"
                        value=password
                        errors=errors("password")
                        autocomplete="current-password"
                        required=true
                    />
                    <button type="submit" class="button wide" disabled=move || login.pending().get()>
                        {move || if login.pending().get() { "Logging in…" } else { "Log in" }}
                    </button>
                </form>
                <p class="aside">
                    "No account yet? " <A href=Page::Register.path()>"Register"</A>
                </p>
            </section>
        </Show>
    }
}
