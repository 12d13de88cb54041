//! A labelled input with its errors, and the message above a form.

use leptos::prelude::*;

/// One `<label>` + `<input>` pair. The errors sit right under the input in a
/// `role="alert"` element that the input names in `aria-describedby`.
#[component]
pub fn Field(
    label: &'static str,
    /// The `name` attribute; also the `id` unless `id` is given.
    name: &'static str,
    value: RwSignal<String>,
    #[prop(into)] errors: Signal<Vec<String>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional, into)] id: Option<String>,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let id = id.unwrap_or_else(|| name.to_owned());
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = {
        let (error_id, hint_id) = (error_id.clone(), hint_id.clone());
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if !errors.read().is_empty() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            {hint.map(|hint| view! { <p class="hint" id=hint_id>{hint}</p> })}
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                required=required
                bind:value=value
                aria-invalid=move || (!errors.read().is_empty()).then_some("true")
                aria-describedby=described_by
            />
            <FieldErrors id=error_id errors />
        </div>
    }
}

/// A labelled `<textarea>`, for the body of a note.
#[component]
pub fn TextArea(
    label: &'static str,
    name: &'static str,
    value: RwSignal<String>,
    #[prop(into)] errors: Signal<Vec<String>>,
    #[prop(optional, into)] id: Option<String>,
) -> impl IntoView {
    let id = id.unwrap_or_else(|| name.to_owned());
    let error_id = format!("{id}-error");
    let described_by = {
        let error_id = error_id.clone();
        move || (!errors.read().is_empty()).then(|| error_id.clone())
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <textarea
                id=id
                name=name
                rows="2"
                bind:value=value
                aria-invalid=move || (!errors.read().is_empty()).then_some("true")
                aria-describedby=described_by
            ></textarea>
            <FieldErrors id=error_id errors />
        </div>
    }
}

#[component]
fn FieldErrors(id: String, errors: Signal<Vec<String>>) -> impl IntoView {
    move || {
        let errors = errors.get();
        (!errors.is_empty()).then(|| {
            view! {
                <p class="field-error" id=id.clone() role="alert">
                    {errors.join(" ")}
                </p>
            }
        })
    }
}

/// The error above a form (`detail` errors, network trouble).
#[component]
pub fn FormError(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message.get().map(|message| {
            view! {
                <p class="form-error" role="alert">
                    {message}
                </p>
            }
        })
    }
}

/// A short message that is not an error (`role="status"`, so screen readers
/// announce it); `success` for a confirmation.
#[component]
pub fn Notice(
    #[prop(into)] message: Signal<Option<String>>,
    #[prop(optional)] success: bool,
) -> impl IntoView {
    let class = if success { "notice success" } else { "notice" };
    move || {
        message.get().map(|message| {
            view! {
                <p class=class role="status">
                    {message}
                </p>
            }
        })
    }
}
