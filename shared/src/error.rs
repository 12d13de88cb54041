//! The only two error shapes on the wire (API.md, "Errors").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `{"detail": "...", "code": "..."}`; `code` is present only for token errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub detail: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// `{"<field>": ["<message>", ...], ...}`: one key per invalid field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FieldErrors(pub BTreeMap<String, Vec<String>>);

/// The message of a required field that is missing or blank.
pub const REQUIRED: &str = "This field is required.";

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_default()
            .push(message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The messages for one field, empty if it has none.
    pub fn get(&self, field: &str) -> &[String] {
        self.0.get(field).map(Vec::as_slice).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn detail_without_code_omits_code() {
        let body = ErrorBody {
            detail: "Not found.".into(),
            code: None,
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"detail": "Not found."})
        );
    }

    #[test]
    fn token_errors_carry_their_code() {
        let value = json!({"detail": "Token is blacklisted", "code": "token_not_valid"});
        let body: ErrorBody = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(body.code.as_deref(), Some("token_not_valid"));
        assert_eq!(serde_json::to_value(&body).unwrap(), value);
    }

    #[test]
    fn field_errors_are_one_key_per_field() {
        let mut errors = FieldErrors::default();
        errors.add("username", REQUIRED);
        errors.add("password", "a");
        errors.add("password", "b");
        assert_eq!(
            serde_json::to_value(&errors).unwrap(),
            json!({"username": ["This field is required."], "password": ["a", "b"]})
        );
        assert_eq!(errors.get("password").len(), 2);
        assert!(errors.get("email").is_empty());
    }
}
