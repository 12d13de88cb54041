//! The three mails of the account lifecycle. Each names the product, says
//! what the link does and how long it works, and what to do if the person
//! did not ask for it; each has a plain-text and an HTML part.

use std::time::Duration;

use super::Mail;

/// The product's name, as the app's title shows it.
pub const PRODUCT: &str = "Notebook";

/// What a mail is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Activation,
    PasswordReset,
    UsernameReset,
}

/// `link` works for `valid`: "3 days", "2 hours", "10 minutes".
fn lifetime(valid: Duration) -> String {
    let secs = valid.as_secs();
    let (n, unit) = if secs >= 86_400 && secs.is_multiple_of(86_400) {
        (secs / 86_400, "day")
    } else if secs >= 3600 && secs.is_multiple_of(3600) {
        (secs / 3600, "hour")
    } else {
        (secs.div_ceil(60).max(1), "minute")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The mail of `kind` for the account `username` at `to`, with its `link`.
pub fn compose(kind: Kind, to: &str, username: &str, link: &str, valid: Duration) -> Mail {
    let valid = lifetime(valid);
    let (subject, asked, action, button, unasked) = match kind {
        Kind::Activation => (
            format!("Activate your {PRODUCT} account"),
            format!("An account {username} was registered at {PRODUCT} with this email address."),
            "To activate it, open this link",
            "Activate my account",
            "If you did not register, ignore this mail: the account stays inactive.",
        ),
        Kind::PasswordReset => (
            format!("Reset your {PRODUCT} password"),
            format!("Someone asked to reset the password of the {PRODUCT} account {username}."),
            "To choose a new password, open this link",
            "Choose a new password",
            "If you did not ask for this, ignore this mail: your password stays as it is.",
        ),
        Kind::UsernameReset => (
            format!("Change your {PRODUCT} username"),
            format!("Someone asked to change the username of the {PRODUCT} account {username}."),
            "To choose a new username, open this link",
            "Choose a new username",
            "If you did not ask for this, ignore this mail: your username stays as it is.",
        ),
    };
    let text =
        format!("{asked}\n\n{action} within {valid}:\n\n{link}\n\n{unasked}\n\n— {PRODUCT}\n");
    let html = format!(
        "<!doctype html>\n<html><body>\n<p>{}</p>\n<p>{action} within {valid}:</p>\n\
         <p><a href=\"{link}\">{button}</a></p>\n<p>{}</p>\n<p>{}</p>\n<p>— {PRODUCT}</p>\n\
         </body></html>\n",
        escape(&asked),
        escape(link),
        escape(unasked),
        link = escape(link),
    );
    Mail {
        to: to.to_owned(),
        subject,
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mail_names_the_product_the_link_and_what_to_do_if_unasked() {
        let link = "http://127.0.0.1:8000/password/reset/confirm/MQ/abc-123";
        let mail = compose(
            Kind::PasswordReset,
            "a@x.io",
            "<ann>",
            link,
            Duration::from_secs(259_200),
        );
        assert_eq!(mail.subject, "Reset your Notebook password");
        for part in [&mail.text, &mail.html] {
            assert!(part.contains(link), "{part}");
            assert!(part.contains("within 3 days"), "{part}");
            assert!(part.contains("If you did not ask for this"), "{part}");
            assert!(part.contains(PRODUCT));
        }
        assert!(mail.html.contains("&lt;ann&gt;") && !mail.html.contains("<ann>"));
        assert!(mail.text.contains("<ann>"));
    }

    #[test]
    fn lifetimes_read_naturally() {
        assert_eq!(lifetime(Duration::from_secs(86_400)), "1 day");
        assert_eq!(lifetime(Duration::from_secs(7200)), "2 hours");
        assert_eq!(lifetime(Duration::from_secs(90)), "2 minutes");
        assert_eq!(lifetime(Duration::from_secs(5)), "1 minute");
    }
}
