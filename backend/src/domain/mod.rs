//! Parse, don't validate: each type here can only hold valid input, and
//! its `parse` says, in djoser's words, what is wrong.

mod email;
mod name;
mod note;
mod password;
pub mod username;

pub use email::Email;
pub use name::PersonName;
pub use note::{NewNote, NoteChange, NoteTitle};
pub use password::NewPassword;
pub use username::Username;

use shared::error::REQUIRED;
use shared::{FieldErrors, RegisterBody};

/// DRF's message for a string holding U+0000, which PostgreSQL's `text`
/// cannot store (it would be a 500 there).
pub const NULL_CHARACTERS: &str = "Null characters are not allowed.";

/// `value`, unless it holds a NUL character.
pub fn no_null_characters(value: &str) -> Result<(), String> {
    if value.contains('\0') {
        Err(NULL_CHARACTERS.to_owned())
    } else {
        Ok(())
    }
}

/// A field's value if it is present, not blank and free of NUL characters.
pub fn required(value: Option<String>) -> Result<String, String> {
    match value {
        Some(v) if !v.trim().is_empty() => no_null_characters(&v).map(|()| v),
        _ => Err(REQUIRED.to_owned()),
    }
}

/// Record `field`'s error, if any, and keep its value.
pub fn collect<T>(errors: &mut FieldErrors, field: &str, result: Result<T, String>) -> Option<T> {
    result.map_err(|e| errors.add(field, e)).ok()
}

/// A valid registration.
#[derive(Debug)]
pub struct NewUser {
    pub username: Username,
    pub password: NewPassword,
    pub email: Email,
    pub first_name: PersonName,
    pub last_name: PersonName,
}

impl TryFrom<RegisterBody> for NewUser {
    type Error = FieldErrors;

    /// A registration by username; every error at once.
    fn try_from(body: RegisterBody) -> Result<Self, FieldErrors> {
        NewUser::parse(body, false)
    }
}

impl NewUser {
    /// Checks every field and reports all errors at once. `by_email`
    /// (`LOGIN_FIELD=email`): the email is required and is the username;
    /// a `username` in the body is ignored.
    pub fn parse(body: RegisterBody, by_email: bool) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let email = if by_email {
            collect(
                &mut errors,
                "email",
                required(body.email).and_then(Email::parse),
            )
        } else {
            collect(
                &mut errors,
                "email",
                Email::parse(body.email.unwrap_or_default()),
            )
        };
        let username = if by_email {
            email.as_ref().map(Username::of_email)
        } else {
            collect(
                &mut errors,
                "username",
                required(body.username).and_then(Username::parse),
            )
        };
        let password = match (&username, required(body.password)) {
            (_, Err(e)) => collect(&mut errors, "password", Err(e)),
            (name, Ok(raw)) => {
                let name = name.as_ref().map(Username::as_str).unwrap_or("");
                NewPassword::parse(raw, name)
                    .map_err(|reasons| {
                        for r in reasons {
                            errors.add("password", r);
                        }
                    })
                    .ok()
            }
        };
        let first_name = collect(
            &mut errors,
            "first_name",
            PersonName::parse(body.first_name.unwrap_or_default()),
        );
        let last_name = collect(
            &mut errors,
            "last_name",
            PersonName::parse(body.last_name.unwrap_or_default()),
        );
        match (username, password, email, first_name, last_name) {
            (Some(username), Some(password), Some(email), Some(first_name), Some(last_name))
                if errors.is_empty() =>
            {
                Ok(NewUser {
                    username,
                    password,
                    email,
                    first_name,
                    last_name,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_missing_field_is_reported_at_once() {
        let errors = NewUser::try_from(RegisterBody::default()).unwrap_err();
        assert_eq!(errors.get("username"), [REQUIRED]);
        assert_eq!(errors.get("password"), [REQUIRED]);
        assert!(errors.get("email").is_empty());
    }

    #[test]
    fn by_email_the_email_is_required_and_is_the_username() {
        let errors = NewUser::parse(RegisterBody::default(), true).unwrap_err();
        assert_eq!(errors.get("email"), [REQUIRED]);
        assert!(errors.get("username").is_empty());
        let user = NewUser::parse(
            RegisterBody {
                username: Some("ignored".into()),
                email: Some("sam@example.com".into()),
                password: Some("correct horse".into()),
                ..RegisterBody::default()
            },
            true,
        )
        .unwrap();
        assert_eq!(user.username.as_str(), "sam@example.com");
        assert_eq!(user.email.as_str(), "sam@example.com");
        // The password may not be the email either.
        let same = NewUser::parse(
            RegisterBody {
                email: Some("sam.smith@example.com".into()),
                password: Some("sam.smith@example.com".into()),
                ..RegisterBody::default()
            },
            true,
        )
        .unwrap_err();
        assert!(!same.get("password").is_empty());
    }

    #[test]
    fn a_nul_character_is_refused_not_stored() {
        assert_eq!(required(Some("a\0b".into())).unwrap_err(), NULL_CHARACTERS);
        assert_eq!(required(Some("ab".into())).unwrap(), "ab");
    }

    #[test]
    fn a_complete_registration_parses() {
        let user = NewUser::try_from(RegisterBody {
            username: Some("sam".into()),
            password: Some("correct horse".into()),
            email: Some("sam@example.com".into()),
            first_name: Some("Sam".into()),
            last_name: None,
        })
        .unwrap();
        assert_eq!(user.username.as_str(), "sam");
        assert_eq!(user.last_name.as_str(), "");
    }
}
