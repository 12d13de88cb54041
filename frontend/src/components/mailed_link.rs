//! What the pages of mailed links share (UI.md Part 2): the `uid` and
//! `token` of the link's path, telling a refused link from other errors,
//! and the form that asks for a new link.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use shared::FieldErrors;

use crate::api::client::{self, MailRequest};
use crate::api::error::{ApiErrorBody, Error};
use crate::components::field::{Field, FormError, Notice};
use crate::components::form::{FormErrors, ShownErrors};
use crate::routes::Page;

/// What a page of an expired, used or mangled link says.
pub const LINK_REFUSED: &str = "This link has expired or has already been used.";

/// The `:uid` and `:token` of the page's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub uid: String,
    pub token: String,
}

pub fn use_link() -> Memo<Link> {
    let params = use_params_map();
    Memo::new(move |_| {
        let params = params.read();
        Link {
            uid: params.get("uid").unwrap_or_default(),
            token: params.get("token").unwrap_or_default(),
        }
    })
}

/// Whether the server refused the link itself (its `uid` or `token`), as
/// opposed to what the user typed.
pub fn link_refused(error: &Error) -> bool {
    matches!(
        error,
        Error::Api { status: 400, body: ApiErrorBody::Fields(fields) } if names_link(fields)
    )
}

/// What a link's form shows for `error`: [`LINK_REFUSED`] when the link
/// itself was refused (and `refused` is set, so the page offers a new
/// one), else the errors of its `fields`.
pub fn link_form_errors(error: &Error, fields: &[&str], refused: RwSignal<bool>) -> FormErrors {
    let link = link_refused(error);
    refused.set(link);
    if link {
        FormErrors::general(LINK_REFUSED)
    } else {
        FormErrors::from_error(error, fields)
    }
}

fn names_link(fields: &FieldErrors) -> bool {
    !fields.get("uid").is_empty() || !fields.get("token").is_empty()
}

/// An email field and a button that asks the server to mail a link of
/// `kind`. The answer is the same whether or not an account has the
/// address, and so is the message shown after it (`sent`).
#[component]
pub fn MailRequestForm(
    kind: MailRequest,
    submit: &'static str,
    sent: &'static str,
    /// The id of the email input, when the page has another.
    #[prop(default = "email")]
    id: &'static str,
) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let request = Action::new_local(move |email: &String| {
        let email = email.clone();
        async move {
            client::request_mail(kind, &email)
                .await
                .map_err(|e| FormErrors::from_error(&e, &["email"]))
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        request.dispatch_local(email.get_untracked());
    };
    let errors = ShownErrors::of(request);
    let done = Signal::derive(move || {
        matches!(request.value().get(), Some(Ok(()))).then(|| sent.to_owned())
    });
    view! {
        <form novalidate on:submit=on_submit>
            <Notice message=done success=true />
            <FormError message=errors.general() />
            <Field label="Email" name="email" id=id kind="email" value=email errors=errors.field("email") autocomplete="email" required=true />
            <button type="submit" class="button wide" disabled=move || request.pending().get()>
                {move || if request.pending().get() { "Sending…" } else { submit }}
            </button>
        </form>
    }
}

/// A page that asks for a mailed link: what it is for, the email form, and
/// the way back to the login page.
#[component]
pub fn MailRequestPage(
    heading: &'static str,
    intro: &'static str,
    kind: MailRequest,
    sent: &'static str,
) -> impl IntoView {
    view! {
        <section class="card narrow" aria-labelledby="mail-request-heading">
            <h1 id="mail-request-heading">{heading}</h1>
            <p class="hint">{intro}</p>
            <MailRequestForm kind submit="Send the link" sent />
            <p class="aside">
                "Remembered it? " <A href=Page::Login.path()>"Log in"</A>
            </p>
        </section>
    }
}

/// Under a refused link's error: the page that mails a new one.
#[component]
pub fn AskAgain(#[prop(into)] refused: Signal<bool>, page: Page) -> impl IntoView {
    view! {
        <Show when=move || refused.get()>
            <p class="aside">
                <A href=page.path()>"Ask for a new link"</A>
            </p>
        </Show>
    }
}
