//! `/password/reset` (ask for a mailed link) and
//! `/password/reset/confirm/:uid/:token` (the link: a new password).

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use shared::ResetPasswordConfirmBody;

use crate::api::client::{self, MailRequest};
use crate::auth::context::{LogoutReason, use_auth};
use crate::components::field::{Field, FormError};
use crate::components::form::{ShownErrors, passwords_match};
use crate::components::mailed_link::{AskAgain, MailRequestPage, link_form_errors, use_link};
use crate::routes::{Done, Page};

/// UI.md's words: the same whether or not an account has the address.
pub const RESET_SENT: &str =
    "If an account exists for that email, we have sent a link to reset the password.";

#[component]
pub fn PasswordResetPage() -> impl IntoView {
    view! {
        <MailRequestPage
            heading="Forgot your password?"
            intro="Enter the email address of your account and we will send you a link to choose a new password."
            kind=MailRequest::PasswordReset
            sent=RESET_SENT
        />
    }
}

#[component]
pub fn PasswordResetConfirmPage() -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    let link = use_link();
    let password = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    // Set when the server refused the link: the page offers a new one.
    let refused = RwSignal::new(false);

    let confirm = Action::new_local(move |(password, again): &(String, String)| {
        let (password, again) = (password.clone(), again.clone());
        let navigate = navigate.clone();
        async move {
            passwords_match(&password, &again, "new_password2")?;
            let link = link.get_untracked();
            let body = ResetPasswordConfirmBody {
                uid: Some(link.uid),
                token: Some(link.token),
                new_password: Some(password),
            };
            client::confirm_password_reset(&body)
                .await
                .map_err(|e| link_form_errors(&e, &["new_password"], refused))?;
            // The server has ended every session of the user: if this
            // browser had one of them, it is over here too.
            if auth.logged_in() == Some(true) {
                auth.end_session(LogoutReason::PasswordChanged);
            }
            navigate(&Done::PasswordReset.login_path(), Default::default());
            Ok(())
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        confirm.dispatch_local((password.get_untracked(), again.get_untracked()));
    };
    let errors = ShownErrors::of(confirm);

    view! {
        <section class="card narrow" aria-labelledby="reset-confirm-heading">
            <h1 id="reset-confirm-heading">"Choose a new password"</h1>
            <form novalidate on:submit=on_submit>
                <FormError message=errors.general() />
                <AskAgain refused page=Page::PasswordReset />
                <Field
                    label="New password"
                    name="new_password"
                    kind="password"
                    value=password
                    errors=errors.field("new_password")
                    autocomplete="new-password"
                    required=true
                    hint="At least 8 characters, not only digits, not your username."
                />
                <Field label="New password again" name="new_password2" kind="password" value=again errors=errors.field("new_password2") autocomplete="new-password" required=true />
                <button type="submit" class="button wide" disabled=move || confirm.pending().get()>
                    {move || if confirm.pending().get() { "Saving…" } else { "Set the new password" }}
                </button>
            </form>
        </section>
    }
}
