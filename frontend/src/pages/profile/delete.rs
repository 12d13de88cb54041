//! Deleting the account: the current password, then a second step that
//! says what goes, and only then the request.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use shared::DeleteMeBody;

use crate::auth::context::{LogoutReason, use_auth};
use crate::components::field::{Field, FormError};
use crate::components::form::{FormErrors, ShownErrors};
use crate::routes::Page;

#[component]
pub fn DeleteAccountForm() -> impl IntoView {
    let auth = use_auth();
    let api = auth.api();
    let navigate = use_navigate();
    let current = RwSignal::new(String::new());
    // The second step is showing: the next submit deletes.
    let confirming = RwSignal::new(false);
    // What the first step found wrong before anything was sent.
    let missing = RwSignal::new(None::<FormErrors>);

    let delete = Action::new_local(move |body: &DeleteMeBody| {
        let body = body.clone();
        let navigate = navigate.clone();
        async move {
            let deleted = api.delete_account(&body).await;
            confirming.set(false);
            deleted.map_err(|e| FormErrors::from_error(&e, &["current_password"]))?;
            // The server has removed every session with the account.
            auth.end_session(LogoutReason::AccountDeleted);
            navigate(Page::Login.path(), Default::default());
            Ok(())
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if current.read_untracked().is_empty() {
            missing.set(Some(FormErrors::field(
                "current_password",
                shared::error::REQUIRED,
            )));
            return;
        }
        missing.set(None);
        if confirming.get_untracked() {
            delete.dispatch_local(DeleteMeBody {
                current_password: Some(current.get_untracked()),
            });
        } else {
            confirming.set(true);
        }
    };
    let errors = ShownErrors::new(Signal::derive(move || {
        missing.get().or_else(|| {
            delete.value().with(|value| {
                value
                    .as_ref()
                    .and_then(|result| result.as_ref().err().cloned())
            })
        })
    }));

    view! {
        <section class="card narrow" aria-labelledby="delete-heading">
            <h2 id="delete-heading">"Delete account"</h2>
            <p class="hint">"Your account, your notes and your sessions are deleted for good."</p>
            <form novalidate on:submit=on_submit class="delete-form">
                <FormError message=errors.general() />
                <Field label="Current password" name="current_password" id="delete-current-password" kind="password" value=current errors=errors.field("current_password") autocomplete="current-password" required=true />
                <Show when=move || confirming.get()>
                    <div class="confirm-step">
                        <p role="alert"><strong>"Are you sure? This cannot be undone."</strong></p>
                    </div>
                </Show>
                <div class="actions">
                    <button type="submit" class="button danger" disabled=move || delete.pending().get()>
                        {move || match (delete.pending().get(), confirming.get()) {
                            (true, _) => "Deleting…",
                            (false, true) => "Yes, delete my account",
                            (false, false) => "Delete my account",
                        }}
                    </button>
                    <Show when=move || confirming.get()>
                        <button type="button" class="button secondary" on:click=move |_| confirming.set(false)>
                            "Cancel"
                        </button>
                    </Show>
                </div>
            </form>
        </section>
    }
}
