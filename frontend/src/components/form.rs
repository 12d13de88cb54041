//! How every form shows what went wrong (UI.md "Forms"): an API error split
//! between the fields it names and one message above the form, and the
//! "password again" check that runs before anything is sent.

use leptos::prelude::*;
use shared::FieldErrors;

use crate::api::error::{ApiErrorBody, Error};

/// What a form shows: messages beside the fields it has, and one message
/// above the form for everything else.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormErrors {
    pub general: Option<String>,
    pub fields: FieldErrors,
}

impl FormErrors {
    /// Splits `error` between the form's `fields` and the message above it.
    pub fn from_error(error: &Error, fields: &[&str]) -> Self {
        let Error::Api {
            body: ApiErrorBody::Fields(all),
            ..
        } = error
        else {
            return Self::general(error.to_string());
        };
        let mut shown = FieldErrors::default();
        let mut other = Vec::new();
        for (field, messages) in &all.0 {
            for message in messages {
                if fields.contains(&field.as_str()) {
                    shown.add(field, message.clone());
                } else {
                    other.push(format!("{field}: {message}"));
                }
            }
        }
        Self {
            general: (!other.is_empty()).then(|| other.join(" ")),
            fields: shown,
        }
    }

    pub fn general(message: impl Into<String>) -> Self {
        Self {
            general: Some(message.into()),
            fields: FieldErrors::default(),
        }
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::default();
        errors.fields.add(field, message);
        errors
    }
}

/// The check of a "password again" field: its error is shown beside
/// `again_field`, and nothing is sent.
pub fn passwords_match(password: &str, again: &str, again_field: &str) -> Result<(), FormErrors> {
    if password == again {
        Ok(())
    } else {
        Err(FormErrors::field(
            again_field,
            "The two passwords do not match.",
        ))
    }
}

/// The errors a form is showing now, as the signals its `Field`s and its
/// `FormError` read.
#[derive(Clone, Copy)]
pub struct ShownErrors(Signal<Option<FormErrors>>);

impl ShownErrors {
    pub fn new(errors: Signal<Option<FormErrors>>) -> Self {
        Self(errors)
    }

    /// The errors of the last run of a form's `action`, until it runs again
    /// and succeeds.
    pub fn of<I, T>(action: Action<I, Result<T, FormErrors>>) -> Self
    where
        I: 'static,
        T: 'static,
    {
        Self(Signal::derive(move || {
            action.value().with(|value| {
                value
                    .as_ref()
                    .and_then(|result| result.as_ref().err().cloned())
            })
        }))
    }

    /// The messages of one field, for a `Field`'s `errors`.
    pub fn field(self, field: &'static str) -> Signal<Vec<String>> {
        let errors = self.0;
        Signal::derive(move || {
            errors.with(|errors| {
                errors
                    .as_ref()
                    .map(|errors| errors.fields.get(field).to_vec())
                    .unwrap_or_default()
            })
        })
    }

    /// The message above the form, for its `FormError`.
    pub fn general(self) -> Signal<Option<String>> {
        let errors = self.0;
        Signal::derive(move || errors.with(|errors| errors.as_ref()?.general.clone()))
    }
}

#[cfg(test)]
mod tests {
    use shared::ErrorBody;

    use super::*;

    #[test]
    fn field_errors_go_beside_their_fields_and_the_rest_above_the_form() {
        let mut fields = FieldErrors::default();
        fields.add("username", "A user with that username already exists.");
        fields.add("non_field_errors", "Something else.");
        let error = Error::Api {
            status: 400,
            body: ApiErrorBody::Fields(fields),
        };
        let form = FormErrors::from_error(&error, &["username", "password"]);
        assert_eq!(
            form.fields.get("username"),
            ["A user with that username already exists."]
        );
        assert_eq!(
            form.general.as_deref(),
            Some("non_field_errors: Something else.")
        );
    }

    #[test]
    fn detail_errors_go_above_the_form() {
        let error = Error::Api {
            status: 401,
            body: ApiErrorBody::Detail(ErrorBody {
                detail: "No active account found with the given credentials".into(),
                code: None,
            }),
        };
        let form = FormErrors::from_error(&error, &["username"]);
        assert!(form.fields.is_empty());
        assert_eq!(
            form.general.as_deref(),
            Some("No active account found with the given credentials")
        );
    }

    #[test]
    fn two_different_passwords_are_an_error_beside_the_second_field() {
        assert_eq!(passwords_match("hunter22", "hunter22", "password2"), Ok(()));
        let errors = passwords_match("hunter22", "hunter23", "password2").unwrap_err();
        assert_eq!(
            errors.fields.get("password2"),
            ["The two passwords do not match."]
        );
        assert_eq!(errors.general, None);
    }
}
