//! Locators: the things on the page a user looks for, by what they see
//! (texts, labels) or by the stable selectors of UI.md.

use fantoccini::Locator;

/// Something to look for, with a description for failure messages.
#[derive(Debug, Clone)]
pub struct Target {
    query: Query,
    pub what: String,
}

#[derive(Debug, Clone)]
enum Query {
    Css(String),
    XPath(String),
}

impl Target {
    pub fn locator(&self) -> Locator<'_> {
        match &self.query {
            Query::Css(css) => Locator::Css(css),
            Query::XPath(xpath) => Locator::XPath(xpath),
        }
    }
}

pub fn css(css: impl Into<String>, what: impl Into<String>) -> Target {
    Target {
        query: Query::Css(css.into()),
        what: what.into(),
    }
}

pub fn xpath(xpath: impl Into<String>, what: impl Into<String>) -> Target {
    Target {
        query: Query::XPath(xpath.into()),
        what: what.into(),
    }
}

/// `input[name=<name>]`.
pub fn input(name: &str) -> Target {
    css(format!("input[name={name}]"), format!("the {name} input"))
}

/// The submit button of the form that has the input `field`.
pub fn submit_of(field: &str) -> Target {
    xpath(
        format!(
            "//form[.//*[@name={}]]//button[@type='submit']",
            literal(field)
        ),
        format!("the submit button of the form with {field}"),
    )
}

/// `Hello <username>!` in the header.
pub fn greeting(username: &str) -> Target {
    xpath(
        format!(
            "//header//*[normalize-space(.)={}]",
            literal(&format!("Hello {username}!"))
        ),
        format!("the header greeting `Hello {username}!`"),
    )
}

/// Any `Hello …!` in the header: someone is logged in.
pub fn any_greeting() -> Target {
    xpath(
        "//header//*[starts-with(normalize-space(.), 'Hello ')]",
        "a header greeting",
    )
}

pub fn header_link(label: &str) -> Target {
    xpath(
        format!("//header//a[normalize-space(.)={}]", literal(label)),
        format!("the `{label}` link in the header"),
    )
}

pub fn logout_button() -> Target {
    xpath(
        "//header//button[normalize-space(.)='Logout']",
        "the Logout button",
    )
}

/// A link in the page (not the header) by its text.
pub fn link(label: &str) -> Target {
    xpath(
        format!("//main//a[normalize-space(.)={}]", literal(label)),
        format!("the `{label}` link"),
    )
}

/// The input `name` of the form with class `form` (for a page with two
/// forms that both have the field, such as the profile's current password).
pub fn input_in(form: &str, name: &str) -> Target {
    css(
        format!("form.{form} input[name={name}]"),
        format!("the {name} input of the {form}"),
    )
}

/// The submit button of the form with class `form`.
pub fn submit_in(form: &str) -> Target {
    css(
        format!("form.{form} button[type=submit]"),
        format!("the submit button of the {form}"),
    )
}

/// An element of the page whose whole text is `text`.
pub fn text(text: &str) -> Target {
    xpath(
        format!("//main//*[normalize-space(.)={}]", literal(text)),
        format!("the text `{text}`"),
    )
}

/// The short loading state a page shows while it waits (`role="status"`).
pub fn loading() -> Target {
    xpath(
        "//main//*[@role='status'][starts-with(normalize-space(.), 'Loading')]",
        "the loading state",
    )
}

/// A `role="alert"` element that says `text`.
pub fn alert(text: &str) -> Target {
    xpath(
        format!(
            "//*[@role='alert'][contains(normalize-space(.), {})]",
            literal(text)
        ),
        format!("an alert saying `{text}`"),
    )
}

pub fn any_alert() -> Target {
    css("[role=alert]", "an alert")
}

/// The list item of the note titled `title`.
pub fn note(title: &str) -> Target {
    xpath(
        format!(
            "//li[contains(@class, 'note')][.//h3[normalize-space(.)={}]]",
            literal(title)
        ),
        format!("the note `{title}`"),
    )
}

/// A button by its accessible name (`aria-label`, else its text).
pub fn button(name: &str) -> Target {
    let name = literal(name);
    xpath(
        format!("//button[@aria-label={name} or (not(@aria-label) and normalize-space(.)={name})]"),
        format!("the button {name}"),
    )
}

/// Every row of the sessions table (`<tr data-session-id>`).
pub fn session_rows() -> Target {
    css("tr[data-session-id]", "a session row")
}

/// The row of the session `id`.
pub fn session_row(id: &str) -> Target {
    css(
        format!("tr[data-session-id='{id}']"),
        format!("the row of session {id}"),
    )
}

/// The row marked `This device`.
pub fn this_device_row() -> Target {
    xpath(
        "//tr[@data-session-id][.//*[normalize-space(.)='This device']]",
        "the row marked `This device`",
    )
}

/// The `Log out` button in the row of the session `id`.
pub fn session_log_out(id: &str) -> Target {
    xpath(
        format!(
            "//tr[@data-session-id={}]//button[normalize-space(.)='Log out']",
            literal(id)
        ),
        format!("the Log out button of session {id}"),
    )
}

/// `text` as an XPath string literal, whatever quotes it holds.
fn literal(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else if !text.contains('"') {
        format!("\"{text}\"")
    } else {
        let parts: Vec<String> = text.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}
