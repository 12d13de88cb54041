//! `/activate/:uid/:token`: the link mailed at registration. The request is
//! sent when the button is pressed, never when the page loads: mail
//! scanners open links.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use shared::LinkBody;

use crate::api::client::{self, MailRequest};
use crate::api::error::Error;
use crate::components::field::FormError;
use crate::components::mailed_link::{MailRequestForm, link_refused, use_link};
use crate::routes::{Done, Page};

/// Why an activation did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Failure {
    /// 403 "Stale token": the account is active already.
    AlreadyActive,
    /// The link's uid or token: expired, or not one of ours.
    Refused,
    Other(String),
}

impl Failure {
    fn of(error: &Error) -> Self {
        match error {
            Error::Api { status: 403, .. } => Failure::AlreadyActive,
            error if link_refused(error) => Failure::Refused,
            error => Failure::Other(error.to_string()),
        }
    }

    fn message(&self) -> String {
        match self {
            Failure::AlreadyActive => "Your account is already active.".to_owned(),
            Failure::Refused => "This activation link has expired or is not valid.".to_owned(),
            Failure::Other(message) => message.clone(),
        }
    }
}

#[component]
pub fn ActivatePage() -> impl IntoView {
    let navigate = use_navigate();
    let link = use_link();
    let activate = Action::new_local(move |(): &()| {
        let navigate = navigate.clone();
        async move {
            let link = link.get_untracked();
            let body = LinkBody {
                uid: Some(link.uid),
                token: Some(link.token),
            };
            client::activate(&body).await.map_err(|e| Failure::of(&e))?;
            navigate(&Done::Activated.login_path(), Default::default());
            Ok::<_, Failure>(())
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        activate.dispatch_local(());
    };
    let failure = Signal::derive(move || activate.value().get().and_then(|result| result.err()));
    let message = Signal::derive(move || failure.get().map(|f| f.message()));

    view! {
        <section class="card narrow" aria-labelledby="activate-heading">
            <h1 id="activate-heading">"Activate your account"</h1>
            <form novalidate on:submit=on_submit>
                <FormError message />
                <p class="hint">"One step left: press the button to start using your account."</p>
                <button type="submit" class="button wide" disabled=move || activate.pending().get()>
                    {move || if activate.pending().get() { "Activating…" } else { "Activate my account" }}
                </button>
            </form>
            {move || match failure.get() {
                Some(Failure::AlreadyActive) => Some(view! {
                    <p class="aside">"You can " <A href=Page::Login.path()>"log in"</A> "."</p>
                }.into_any()),
                Some(Failure::Refused) => Some(view! {
                    <h2>"Get a new link"</h2>
                    <MailRequestForm
                        kind=MailRequest::Activation
                        submit="Send the email again"
                        sent="If that account still needs activating, we have sent a new link."
                    />
                }.into_any()),
                _ => None,
            }}
        </section>
    }
}
