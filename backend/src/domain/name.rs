/// A first or last name: optional, at most 150 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

const MAX_LEN: usize = 150;

impl PersonName {
    pub fn parse(raw: String) -> Result<Self, String> {
        let name = raw.trim();
        super::no_null_characters(name)?;
        if name.chars().count() > MAX_LEN {
            return Err(format!(
                "Ensure this field has no more than {MAX_LEN} characters."
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(PersonName::parse(" Sam ".into()).unwrap().as_str(), "Sam");
        assert!(PersonName::parse("x".repeat(151)).is_err());
        assert!(PersonName::parse("S\0m".into()).is_err());
    }
}
