//! What can go wrong with a request, and how a form shows it.

use std::fmt;

use shared::{ErrorBody, FieldErrors};

/// The message of UI.md "Session end", shown on the login page.
pub const SESSION_EXPIRED: &str = "Your session has expired. Please log in again.";

#[derive(Debug)]
pub enum Error {
    /// The request never got an answer (offline, server down), or the
    /// answer was not the JSON the API promises.
    Network(gloo_net::Error),
    /// The API answered with an error status and one of its error bodies.
    Api { status: u16, body: ApiErrorBody },
    /// The refresh token was refused: the user must log in again.
    SessionExpired,
}

/// The two error shapes of API.md, or neither (a proxy's HTML page, say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiErrorBody {
    Detail(ErrorBody),
    Fields(FieldErrors),
    Unreadable,
}

impl From<gloo_net::Error> for Error {
    fn from(error: gloo_net::Error) -> Self {
        Error::Network(error)
    }
}

impl fmt::Display for Error {
    /// A sentence for the user; field errors are listed as `field: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Network(gloo_net::Error::SerdeError(_)) => {
                f.write_str("The server sent an answer this app could not read.")
            }
            Error::Network(_) => {
                f.write_str("The server could not be reached. Check your connection and try again.")
            }
            Error::SessionExpired => f.write_str(SESSION_EXPIRED),
            Error::Api {
                body: ApiErrorBody::Detail(body),
                ..
            } => f.write_str(&body.detail),
            Error::Api {
                body: ApiErrorBody::Fields(fields),
                ..
            } => {
                let lines: Vec<String> = fields
                    .0
                    .iter()
                    .flat_map(|(field, messages)| {
                        messages.iter().map(move |m| format!("{field}: {m}"))
                    })
                    .collect();
                f.write_str(&lines.join(" "))
            }
            Error::Api {
                status,
                body: ApiErrorBody::Unreadable,
            } => write!(
                f,
                "Something went wrong (error {status}). Please try again."
            ),
        }
    }
}

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

    /// The messages of one field, for a `Field`'s `errors`.
    pub fn of(errors: Option<&Result<(), FormErrors>>, field: &str) -> Vec<String> {
        match errors {
            Some(Err(errors)) => errors.fields.get(field).to_vec(),
            _ => Vec::new(),
        }
    }

    /// The message above the form, if any.
    pub fn general_of(errors: Option<&Result<(), FormErrors>>) -> Option<String> {
        match errors {
            Some(Err(errors)) => errors.general.clone(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
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
}
