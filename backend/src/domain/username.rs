use unicode_normalization::UnicodeNormalization;

/// A username as Django accepts it: 1–150 of letters, digits and `@.+-_`,
/// in NFKC form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

pub const MAX_LEN: usize = 150;

/// The form a username is stored and looked up in: NFKC, as Django's
/// `normalize_username`, so that `ｕｓｅｒ1` (fullwidth) and `user1` are one
/// name and nobody can register a look-alike of someone else's; then
/// trimmed, at login as at registration.
pub fn normalize(raw: &str) -> String {
    let normalized: String = raw.nfkc().collect();
    normalized.trim().to_owned()
}

impl Username {
    pub fn parse(raw: String) -> Result<Self, String> {
        let normalized = normalize(&raw);
        let trimmed = normalized.as_str();
        if trimmed.is_empty() {
            return Err(shared::error::REQUIRED.to_owned());
        }
        if trimmed.chars().count() > MAX_LEN {
            return Err(format!(
                "Ensure this field has no more than {MAX_LEN} characters."
            ));
        }
        if !trimmed
            .chars()
            .all(|c| c.is_alphanumeric() || "@.+-_".contains(c))
        {
            return Err("Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.".to_owned());
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// With `LOGIN_FIELD=email` the account's email is its username, as in
    /// a Django project whose user model logs in by email. An email is
    /// checked by `Email::parse`, and may hold characters a username may not.
    pub fn of_email(email: &super::Email) -> Self {
        Self(email.as_str().to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_digits_and_symbols_are_accepted() {
        assert_eq!(
            Username::parse("sam.smith+1@x_y-z".into())
                .unwrap()
                .as_str(),
            "sam.smith+1@x_y-z"
        );
    }

    #[test]
    fn surrounding_space_is_trimmed() {
        assert_eq!(Username::parse("  sam ".into()).unwrap().as_str(), "sam");
    }

    #[test]
    fn spaces_and_slashes_are_refused() {
        assert!(Username::parse("sam smith".into()).is_err());
        assert!(Username::parse("a/b".into()).is_err());
    }

    #[test]
    fn compatibility_forms_are_one_name() {
        // Expected values from Python's unicodedata.normalize("NFKC", …),
        // which Django's normalize_username applies.
        for (raw, stored) in [
            ("\u{ff55}\u{ff53}\u{ff45}\u{ff52}\u{ff11}", "user1"),
            ("\u{2167}", "VIII"),
            ("\u{fb01}x", "fix"),
            ("e\u{301}", "\u{e9}"),
            ("\u{3000}sam\u{3000}", "sam"),
        ] {
            assert_eq!(Username::parse(raw.into()).unwrap().as_str(), stored);
            assert_eq!(normalize(raw), stored);
        }
    }

    #[test]
    fn overlong_names_are_refused() {
        assert!(Username::parse("a".repeat(151)).is_err());
        assert!(Username::parse("a".repeat(150)).is_ok());
    }
}
