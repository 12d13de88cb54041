//! The user's notes, each with Edit and Delete.

use leptos::prelude::*;
use shared::{Note, NoteBody};

use super::field::{Field, FormError, TextArea};
use super::form::{FormErrors, ShownErrors};

#[component]
pub fn NoteList(
    #[prop(into)] notes: Signal<Vec<Note>>,
    #[prop(into)] on_save: Callback<(i64, NoteBody)>,
    #[prop(into)] on_delete: Callback<i64>,
    /// The errors of the last failed save, with the id of its note: they are
    /// shown in that note's form.
    #[prop(into)]
    edit_errors: Signal<Option<(i64, FormErrors)>>,
    /// True while a change is being sent: the buttons wait for it.
    #[prop(into)]
    busy: Signal<bool>,
) -> impl IntoView {
    view! {
        <Show
            when=move || !notes.read().is_empty()
            fallback=|| view! { <p class="empty">"No notes yet. Write your first one above."</p> }
        >
            <ul class="notes">
                // Keyed by `updated_at` too: a saved note comes back with a new
                // one, which re-creates its item and so closes its editor.
                <For
                    each=move || notes.get()
                    key=|note| (note.id, note.updated_at.clone())
                    let:note
                >
                    <NoteItem note on_save on_delete edit_errors busy />
                </For>
            </ul>
        </Show>
    }
}

#[component]
fn NoteItem(
    note: Note,
    on_save: Callback<(i64, NoteBody)>,
    on_delete: Callback<i64>,
    edit_errors: Signal<Option<(i64, FormErrors)>>,
    busy: Signal<bool>,
) -> impl IntoView {
    let editing = RwSignal::new(false);
    let title = RwSignal::new(note.title.clone());
    let body = RwSignal::new(note.body.clone());
    let id = note.id;
    let updated = note
        .updated_at
        .get(..16)
        .unwrap_or_default()
        .replace('T', " ");

    // This note's part of the last failed save, if it was this note's.
    let errors = ShownErrors::new(Signal::derive(move || {
        edit_errors.with(|errors| match errors {
            Some((failed, errors)) if *failed == id => Some(errors.clone()),
            _ => None,
        })
    }));

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        on_save.run((
            id,
            NoteBody {
                title: Some(title.get_untracked()),
                body: Some(body.get_untracked()),
            },
        ));
    };
    let view_note = {
        let note = note.clone();
        move || {
            let delete_label = format!("Delete note {}", note.title);
            let edit_label = format!("Edit note {}", note.title);
            view! {
                <div class="note-head">
                    <h3 class="note-title">{note.title.clone()}</h3>
                    <span class="note-date">{format!("Updated {updated} UTC")}</span>
                </div>
                {(!note.body.is_empty()).then(|| view! { <p class="note-body">{note.body.clone()}</p> })}
                <div class="actions">
                    <button
                        type="button"
                        class="button secondary"
                        aria-label=edit_label
                        on:click=move |_| editing.set(true)
                    >
                        "Edit"
                    </button>
                    <button
                        type="button"
                        class="button danger"
                        aria-label=delete_label
                        disabled=move || busy.get()
                        on:click=move |_| on_delete.run(id)
                    >
                        "Delete"
                    </button>
                </div>
            }
        }
    };
    view! {
        <li class="note card" data-note-id=id>
            <Show when=move || editing.get() fallback=view_note.clone()>
                <form class="note-edit" novalidate on:submit=save>
                    <FormError message=errors.general() />
                    <Field
                        label="Title"
                        name="title"
                        id=format!("note-{id}-title")
                        value=title
                        errors=errors.field("title")
                        required=true
                    />
                    <TextArea
                        label="Note"
                        name="body"
                        id=format!("note-{id}-body")
                        value=body
                        errors=errors.field("body")
                    />
                    <div class="actions">
                        <button type="submit" class="button" disabled=move || busy.get()>
                            "Save"
                        </button>
                        <button
                            type="button"
                            class="button secondary"
                            on:click=move |_| editing.set(false)
                        >
                            "Cancel"
                        </button>
                    </div>
                </form>
            </Show>
        </li>
    }
}
