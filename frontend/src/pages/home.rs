//! `/`: the user's profile and notes.

use leptos::prelude::*;
use leptos_router::components::A;
use shared::NoteBody;

use crate::auth::context::use_auth;
use crate::components::field::{Field, FormError, TextArea};
use crate::components::form::{FormErrors, ShownErrors};
use crate::components::note_list::NoteList;
use crate::routes::Page;

#[component]
pub fn HomePage() -> impl IntoView {
    let api = use_auth().api();

    let profile =
        LocalResource::new(move || async move { api.profile().await.map_err(|e| e.to_string()) });

    let title = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    let add = Action::new_local(move |note: &NoteBody| {
        let note = note.clone();
        async move {
            match api.create_note(&note).await {
                Ok(_) => {
                    title.set(String::new());
                    body.set(String::new());
                    Ok(())
                }
                Err(e) => Err(FormErrors::from_error(&e, &["title", "body"])),
            }
        }
    });
    // A failed save keeps the note's id, so that its errors are shown in
    // that note's form, beside its fields.
    let save = Action::new_local(move |(id, note): &(i64, NoteBody)| {
        let (id, note) = (*id, note.clone());
        async move {
            api.update_note(id, &note)
                .await
                .map(|_| ())
                .map_err(|e| (id, FormErrors::from_error(&e, &["title", "body"])))
        }
    });
    let delete = Action::new_local(move |id: &i64| {
        let id = *id;
        async move { api.delete_note(id).await.map_err(|e| e.to_string()) }
    });

    // Every change to the notes reloads the list.
    let notes = LocalResource::new(move || {
        add.version().track();
        save.version().track();
        delete.version().track();
        async move { api.notes().await.map_err(|e| e.to_string()) }
    });

    let list = Signal::derive(move || notes.get().and_then(Result::ok).unwrap_or_default());
    let busy = Signal::derive(move || save.pending().get() || delete.pending().get());
    let delete_error = Signal::derive(move || delete.value().get().and_then(Result::err));
    let edit_errors = Signal::derive(move || save.value().get().and_then(Result::err));

    let on_add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        add.dispatch_local(NoteBody {
            title: Some(title.get_untracked()),
            body: Some(body.get_untracked()),
        });
    };
    let add_errors = ShownErrors::of(add);

    view! {
        <section class="card" aria-labelledby="profile-heading">
            <h1 id="profile-heading">"Your profile"</h1>
            {move || match profile.get() {
                None => view! { <p class="loading" role="status">"Loading…"</p> }.into_any(),
                Some(Err(message)) => view! { <p class="form-error" role="alert">{message}</p> }.into_any(),
                Some(Ok(profile)) => {
                    let name = format!("{} {}", profile.first_name, profile.last_name);
                    view! {
                        <dl class="profile">
                            <div>
                                <dt class="visually-hidden">"Name"</dt>
                                <dd>{format!("Name: {}", name.trim())}</dd>
                            </div>
                            <div>
                                <dt class="visually-hidden">"Email"</dt>
                                <dd>{format!("Email: {}", profile.email)}</dd>
                            </div>
                        </dl>
                        <A href=Page::Profile.path()>"Edit profile"</A>
                    }
                    .into_any()
                }
            }}
        </section>

        <section class="card" aria-labelledby="notes-heading">
            <h2 id="notes-heading">"Your notes"</h2>
            <form class="note-new" novalidate on:submit=on_add>
                <FormError message=add_errors.general() />
                <Field label="Title" name="title" value=title errors=add_errors.field("title") required=true />
                <TextArea label="Note" name="body" value=body errors=add_errors.field("body") />
                <button type="submit" class="button" disabled=move || add.pending().get()>
                    "Add note"
                </button>
            </form>
            <FormError message=delete_error />
            {move || match notes.get() {
                None => Some(view! { <p class="loading" role="status">"Loading notes…"</p> }.into_any()),
                Some(Err(message)) => Some(view! { <p class="form-error" role="alert">{message}</p> }.into_any()),
                Some(Ok(_)) => None,
            }}
            <Show when=move || matches!(notes.get(), Some(Ok(_)))>
                <NoteList
                    notes=list
                    on_save=move |change| { save.dispatch_local(change); }
                    on_delete=move |id| { delete.dispatch_local(id); }
                    edit_errors
                    busy
                />
            </Show>
        </section>
    }
}
