/// A new password that passes djoser's default validators.
#[derive(Clone)]
pub struct NewPassword(String);

pub const MIN_LEN: usize = 8;

impl NewPassword {
    /// Every rule that fails is reported, as Django does.
    pub fn parse(raw: String, username: &str) -> Result<Self, Vec<String>> {
        let mut reasons = Vec::new();
        if raw.chars().count() < MIN_LEN {
            reasons.push(format!(
                "This password is too short. It must contain at least {MIN_LEN} characters."
            ));
        }
        if raw.chars().all(|c| c.is_ascii_digit()) {
            reasons.push("This password is entirely numeric.".to_owned());
        }
        if !username.is_empty() && raw.to_lowercase() == username.to_lowercase() {
            reasons.push("The password is too similar to the username.".to_owned());
        }
        // Login refuses NUL characters, so a password holding one could never be used.
        if let Err(e) = super::no_null_characters(&raw) {
            reasons.push(e);
        }
        if reasons.is_empty() {
            Ok(Self(raw))
        } else {
            Err(reasons)
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_passwords_are_refused() {
        let reasons = NewPassword::parse("abc".into(), "sam").unwrap_err();
        assert_eq!(reasons.len(), 1);
        assert!(reasons[0].contains("too short"));
    }

    #[test]
    fn numeric_passwords_are_refused() {
        let reasons = NewPassword::parse("12345678".into(), "sam").unwrap_err();
        assert_eq!(reasons, ["This password is entirely numeric."]);
    }

    #[test]
    fn the_username_is_not_a_password() {
        let reasons = NewPassword::parse("SamSmith1".into(), "samsmith1").unwrap_err();
        assert_eq!(reasons, ["The password is too similar to the username."]);
    }

    #[test]
    fn several_failures_are_all_reported() {
        assert_eq!(
            NewPassword::parse("123".into(), "sam").unwrap_err().len(),
            2
        );
    }

    #[test]
    fn a_good_password_is_kept_as_given() {
        let password = NewPassword::parse(" correct horse ".into(), "sam").unwrap();
        assert_eq!(password.expose(), " correct horse ");
        assert!(!format!("{password:?}").contains("horse"));
    }
}
