/// An email address, or the empty string (email is optional).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

const INVALID: &str = "Enter a valid email address.";
const MAX_LEN: usize = 254;

impl Email {
    /// Accepts `""` (no email) or `local@domain.tld` without spaces.
    pub fn parse(raw: String) -> Result<Self, String> {
        let email = raw.trim();
        if email.is_empty() {
            return Ok(Self(String::new()));
        }
        if email.len() > MAX_LEN {
            return Err(INVALID.to_owned());
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return Err(INVALID.to_owned());
        };
        let domain_ok = domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        let local_ok = !local.is_empty()
            && !local.contains('@')
            && !local.chars().any(|c| c.is_whitespace() || c.is_control());
        if domain_ok && local_ok {
            Ok(Self(email.to_owned()))
        } else {
            Err(INVALID.to_owned())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_means_no_email() {
        assert_eq!(Email::parse("  ".into()).unwrap().as_str(), "");
    }

    #[test]
    fn ordinary_addresses_are_accepted() {
        assert!(Email::parse("sam.smith+tag@mail.example.com".into()).is_ok());
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "sam",
            "sam@",
            "@example.com",
            "sam@example",
            "s am@example.com",
            "a@b@c.d",
            "sam@exa mple.com",
            "sam@.com",
        ] {
            assert!(Email::parse(bad.into()).is_err(), "{bad} was accepted");
        }
    }
}
