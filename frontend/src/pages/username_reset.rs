//! `/username/reset` (ask for a mailed link) and
//! `/username/reset/confirm/:uid/:token` (the link: a new username).

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use shared::ResetUsernameConfirmBody;

use crate::api::client::{self, MailRequest};
use crate::auth::context::{LogoutReason, use_auth};
use crate::components::field::{Field, FormError};
use crate::components::form::ShownErrors;
use crate::components::mailed_link::{AskAgain, MailRequestPage, link_form_errors, use_link};
use crate::routes::{Done, Page};

pub const USERNAME_RESET_SENT: &str =
    "If an account exists for that email, we have sent a link to choose a new username.";

#[component]
pub fn UsernameResetPage() -> impl IntoView {
    view! {
        <MailRequestPage
            heading="Forgot your username?"
            intro="Enter the email address of your account and we will send you a link to choose a new username."
            kind=MailRequest::UsernameReset
            sent=USERNAME_RESET_SENT
        />
    }
}

#[component]
pub fn UsernameResetConfirmPage() -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    let link = use_link();
    let username = RwSignal::new(String::new());
    let refused = RwSignal::new(false);

    let confirm = Action::new_local(move |username: &String| {
        let username = username.clone();
        let navigate = navigate.clone();
        async move {
            let link = link.get_untracked();
            let body = ResetUsernameConfirmBody {
                uid: Some(link.uid),
                token: Some(link.token),
                new_username: Some(username),
            };
            client::confirm_username_reset(&body)
                .await
                .map_err(|e| link_form_errors(&e, &["new_username"], refused))?;
            // A session open here names the old username in its tokens.
            if auth.logged_in() == Some(true) {
                auth.logout_for(LogoutReason::UsernameChanged);
            }
            navigate(&Done::UsernameReset.login_path(), Default::default());
            Ok(())
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        confirm.dispatch_local(username.get_untracked());
    };
    let errors = ShownErrors::of(confirm);

    view! {
        <section class="card narrow" aria-labelledby="username-confirm-heading">
            <h1 id="username-confirm-heading">"Choose a new username"</h1>
            <form novalidate on:submit=on_submit>
                <FormError message=errors.general() />
                <AskAgain refused page=Page::UsernameReset />
                <Field label="New username" name="new_username" value=username errors=errors.field("new_username") autocomplete="username" required=true />
                <button type="submit" class="button wide" disabled=move || confirm.pending().get()>
                    {move || if confirm.pending().get() { "Saving…" } else { "Change username" }}
                </button>
            </form>
        </section>
    }
}
