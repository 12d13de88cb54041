//! What can go wrong with a request.

use std::fmt;

use shared::{ErrorBody, FieldErrors};

/// The message of UI.md "Session end", shown on the login page.
pub const SESSION_EXPIRED: &str = "Your session has expired. Please log in again.";

#[derive(Debug)]
pub enum Error {
    /// The request never got an answer (offline, server down), or the
    /// answer was not the JSON the API promises.
    Network(gloo_net::Error),
    /// The API answered with an error status and one of its error bodies.
    Api { status: u16, body: ApiErrorBody },
    /// The refresh token was refused: the user must log in again.
    SessionExpired,
}

/// The two error shapes of API.md, or neither (a proxy's HTML page, say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiErrorBody {
    Detail(ErrorBody),
    Fields(FieldErrors),
    Unreadable,
}

impl Error {
    /// Whether the server answered: the request may have changed something
    /// (or found it already changed), so what the page shows is worth
    /// reloading.
    pub fn reached_server(&self) -> bool {
        !matches!(self, Error::Network(_))
    }
}

impl From<gloo_net::Error> for Error {
    fn from(error: gloo_net::Error) -> Self {
        Error::Network(error)
    }
}

impl fmt::Display for Error {
    /// A sentence for the user; field errors are listed as `field: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Network(gloo_net::Error::SerdeError(_)) => {
                f.write_str("The server sent an answer this app could not read.")
            }
            Error::Network(_) => {
                f.write_str("The server could not be reached. Check your connection and try again.")
            }
            Error::SessionExpired => f.write_str(SESSION_EXPIRED),
            Error::Api {
                body: ApiErrorBody::Detail(body),
                ..
            } => f.write_str(&body.detail),
            Error::Api {
                body: ApiErrorBody::Fields(fields),
                ..
            } => {
                let lines: Vec<String> = fields
                    .0
                    .iter()
                    .flat_map(|(field, messages)| {
                        messages.iter().map(move |m| format!("{field}: {m}"))
                    })
                    .collect();
                f.write_str(&lines.join(" "))
            }
            Error::Api {
                status,
                body: ApiErrorBody::Unreadable,
            } => write!(
                f,
                "Something went wrong (error {status}). Please try again."
            ),
        }
    }
}
