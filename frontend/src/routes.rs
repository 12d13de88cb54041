//! Every path of the app in one place, and the rule for where a login may
//! send the user next.

/// The app's pages. Route definitions and links both take their paths from
/// here, so a path is spelled once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Home,
    Login,
    Register,
    Profile,
    Sessions,
    /// Asks for a mailed link to set a new password.
    PasswordReset,
    /// Asks for a mailed link to choose a new username.
    UsernameReset,
}

impl Page {
    pub const fn path(self) -> &'static str {
        match self {
            Page::Home => "/",
            Page::Login => "/login",
            Page::Register => "/register",
            Page::Profile => "/profile",
            Page::Sessions => "/sessions",
            Page::PasswordReset => "/password/reset",
            Page::UsernameReset => "/username/reset",
        }
    }
}

/// Where to go after a login: `next` when it is a same-origin relative path,
/// otherwise Home.
///
/// `next` comes from the URL, so anyone can craft it: an unchecked value turns
/// the login page into an open redirect to a phishing site. Browsers read
/// `//host` and `/\host` as protocol-relative URLs to another origin, and they
/// drop tabs and newlines inside URLs (so `/\t/host` becomes `//host`): hence
/// the second character and every control or space character are checked.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(next)
            if next.starts_with('/')
                && !next.starts_with("//")
                && !next.starts_with("/\\")
                && !next.chars().any(|c| c.is_control() || c.is_whitespace()) =>
        {
            next.to_owned()
        }
        _ => Page::Home.path().to_owned(),
    }
}

/// `/login?next=<path>`, with `path` percent-encoded for the query string.
pub fn login_with_next(path: &str) -> String {
    if path == Page::Home.path() || path.is_empty() {
        // `/` is where a login goes anyway; keep the URL short but explicit.
        return format!("{}?next=%2F", Page::Login.path());
    }
    let encoded: String = js_sys::encode_uri_component(path).into();
    format!("{}?next={encoded}", Page::Login.path())
}

/// The query flag that makes the login page say the session has expired.
/// The message lives in the URL, not only in memory, so that it survives a
/// reload of the login page; an ordinary visit to `/login` has no flag.
pub const EXPIRED_FLAG: &str = "expired";

/// `/login?next=<path>&expired=1`: where a session that the server ended
/// sends the user.
pub fn login_after_expiry(path: &str) -> String {
    format!("{}&{EXPIRED_FLAG}=1", login_with_next(path))
}

/// What a mailed link's page did before sending the user to log in: the
/// login page says so (`/login?done=<flag>`). In the URL, like the expired
/// flag, so that it survives a reload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    PasswordReset,
    Activated,
    UsernameReset,
}

impl Done {
    pub const QUERY: &str = "done";

    const ALL: [Done; 3] = [Done::PasswordReset, Done::Activated, Done::UsernameReset];

    fn flag(self) -> &'static str {
        match self {
            Done::PasswordReset => "password_reset",
            Done::Activated => "activated",
            Done::UsernameReset => "username_reset",
        }
    }

    pub fn from_flag(flag: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|done| done.flag() == flag)
    }

    /// What the login page says.
    pub fn message(self) -> &'static str {
        match self {
            Done::PasswordReset => "Your password has been changed. Please log in.",
            Done::Activated => "Your account is active. Please log in.",
            Done::UsernameReset => "Your username has been changed. Please log in.",
        }
    }

    /// `/login?done=<flag>`.
    pub fn login_path(self) -> String {
        format!("{}?{}={}", Page::Login.path(), Self::QUERY, self.flag())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_are_kept() {
        assert_eq!(safe_next(Some("/profile")), "/profile");
        assert_eq!(safe_next(Some("/notes?id=3#x")), "/notes?id=3#x");
        assert_eq!(safe_next(Some("/")), "/");
    }

    #[test]
    fn anything_that_can_leave_the_origin_goes_home() {
        for next in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "",
        ] {
            assert_eq!(safe_next(Some(next)), "/", "{next:?}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn each_done_flag_reads_back_as_itself() {
        for done in Done::ALL {
            let path = done.login_path();
            let flag = path.rsplit_once('=').unwrap().1;
            assert_eq!(Done::from_flag(flag), Some(done));
        }
        assert_eq!(Done::from_flag("anything else"), None);
    }
}
