/// A username as Django accepts it: 1–150 of letters, digits and `@.+-_`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

pub const MAX_LEN: usize = 150;

impl Username {
    pub fn parse(raw: String) -> Result<Self, String> {
        let trimmed = raw.trim();
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
    fn overlong_names_are_refused() {
        assert!(Username::parse("a".repeat(151)).is_err());
        assert!(Username::parse("a".repeat(150)).is_ok());
    }
}
