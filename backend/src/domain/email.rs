//! An email address, checked as Django's `EmailValidator` checks it (the
//! rules of Django 5.2, which djoser's serializers apply).

/// An email address, or the empty string (email is optional).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

const INVALID: &str = "Enter a valid email address.";
/// Django's `EmailField` column length.
const MAX_LEN: usize = 254;

impl Email {
    /// Accepts `""` (no email) or an address Django would accept.
    pub fn parse(raw: String) -> Result<Self, String> {
        let email = raw.trim();
        if email.is_empty() {
            return Ok(Self(String::new()));
        }
        if email.chars().count() > MAX_LEN || !is_valid(email) {
            return Err(INVALID.to_owned());
        }
        Ok(Self(email.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `EmailValidator.__call__`: the part before the last `@` is a dot-atom or
/// a quoted string; the part after it is a domain name, `localhost`, or an
/// address literal such as `[127.0.0.1]`.
fn is_valid(email: &str) -> bool {
    let Some((user, domain)) = email.rsplit_once('@') else {
        return false;
    };
    (is_dot_atom(user) || is_quoted_string(user))
        && (domain == "localhost" || is_domain(domain) || is_address_literal(domain))
}

/// `[-!#$%&'*+/=?^_`{}|~0-9A-Z]+(\.[…]+)*`, case-insensitive. Python's
/// case-insensitive `A-Z` also matches `ſ` (U+017F), the Kelvin sign
/// (U+212A), `ı` (U+0131) and `İ` (U+0130), whose case partners are ASCII.
fn is_dot_atom(user: &str) -> bool {
    let atext = |c: char| {
        c.is_ascii_alphanumeric()
            || "-!#$%&'*+/=?^_`{}|~".contains(c)
            || matches!(c, 'ſ' | 'K' | 'ı' | 'İ')
    };
    !user.is_empty()
        && user
            .split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(atext))
}

/// `"…"` holding printable ASCII but `"` and `\`, or backslash escapes.
fn is_quoted_string(user: &str) -> bool {
    let Some(inner) = user.strip_prefix('"').and_then(|u| u.strip_suffix('"')) else {
        return false;
    };
    let plain = |c: char| matches!(c, '\u{1}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '!' | '#'..='[' | ']'..='\u{7f}');
    let escaped = |c: char| matches!(c, '\u{1}'..='\u{9}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{7f}');
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        let ok = if c == '\\' {
            chars.next().is_some_and(escaped)
        } else {
            plain(c)
        };
        if !ok {
            return false;
        }
    }
    true
}

/// Django's `DomainNameValidator` parts: labels of 1–63 letters (any code
/// point from U+00A1 to U+FFFF counts as one), digits and inner hyphens, at
/// least two of them, and a top-level label of 2–63 letters without digits
/// or a punycode `xn--` label. No trailing dot.
fn is_domain(domain: &str) -> bool {
    let letter = |c: char| c.is_ascii_alphabetic() || ('\u{a1}'..='\u{ffff}').contains(&c);
    let label_ok = |label: &str, allowed: &dyn Fn(char) -> bool| {
        let count = label.chars().count();
        (1..=63).contains(&count)
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c == '-' || allowed(c))
    };
    let Some((rest, tld)) = domain.rsplit_once('.') else {
        return false;
    };
    let tld_ok = {
        let lower = tld.to_ascii_lowercase();
        let punycode = lower.strip_prefix("xn--").is_some_and(|p| {
            (1..=59).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric())
        });
        punycode || (tld.chars().count() >= 2 && label_ok(tld, &letter))
    };
    let alnum = |c: char| letter(c) || c.is_ascii_digit();
    tld_ok && rest.split('.').all(|label| label_ok(label, &alnum))
}

/// `[<IPv4 or IPv6 address>]` (SMTP's address literal).
fn is_address_literal(domain: &str) -> bool {
    domain
        .strip_prefix('[')
        .and_then(|d| d.strip_suffix(']'))
        // Django refuses IPv6 text longer than 39 characters (its
        // `is_valid_ipv6_address`), even where the address itself is valid.
        .filter(|ip| {
            !ip.is_empty()
                && (!ip.contains(':') || ip.len() <= 39)
                && ip
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        })
        .is_some_and(|ip| ip.parse::<std::net::IpAddr>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_means_no_email() {
        assert_eq!(Email::parse("  ".into()).unwrap().as_str(), "");
    }

    /// Each case with the verdict of Django 5.2's `validate_email`, run on
    /// these very strings.
    #[test]
    fn addresses_are_judged_as_django_judges_them() {
        let long_user = format!("{}@example.com", "a".repeat(64));
        let long_label = format!("sam@{}.com", "a".repeat(64));
        let longest_label = format!("sam@{}.com", "a".repeat(63));
        let accepted = [
            "sam.smith+tag@mail.example.com",
            "user1@example.com",
            "a@b.co",
            "a@localhost",
            r#""sam\"q"@example.com"#,
            "sam@[127.0.0.1]",
            "sam@[::1]",
            "sam@exämple.com",
            "sam@例え.テスト",
            "sam@xn--r8jz45g.xn--zckzah",
            "sam@example.xn--p1ai",
            &long_user,
            &longest_label,
            "!#$%&'*+/=?^_`{}|~-@example.com",
            "sam@sub.sub.example.museum",
            "SAM@EXAMPLE.COM",
            "ſam@example.com",
            "ı@example.com",
            "İ@example.com",
            "sam@[::ffff:255.255.255.255]",
            "sam@[1:2:3:4:5:6:7:8]",
        ];
        let refused = [
            r#""><script>@x.yz"#,
            "sam",
            "sam@",
            "@example.com",
            "sam@example",
            "s am@example.com",
            "a@b@c.d",
            "sam@exa mple.com",
            "sam@.com",
            "sam@example.c",
            "sam@example.c0m",
            "sam@ex_ample.com",
            "sam@-example.com",
            "sam@example-.com",
            "sam@example.com.",
            "sam..smith@example.com",
            ".sam@example.com",
            "sam.@example.com",
            r#""sam smith"@example.com"#,
            "sam@[300.1.1.1]",
            "sam@[IPv6:::1]",
            "josé@example.com",
            "sam@example.co1",
            "<sam>@example.com",
            "sam(comment)@example.com",
            &long_label,
            "sam@example.123",
            "s\tam@example.com",
            "sam@1.2.3.4",
            "sam@[1.2.3.4",
            "sam@localhost.",
            "sam@exa..mple.com",
            "sam@[0000:0000:0000:0000:0000:ffff:255.255.255.255]",
        ];
        for email in accepted {
            assert!(is_valid(email), "{email:?} was refused");
        }
        for email in refused {
            assert!(!is_valid(email), "{email:?} was accepted");
        }
    }

    #[test]
    fn overlong_addresses_are_refused() {
        let email = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(email).is_err());
    }
}
