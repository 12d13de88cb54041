//! The HTTP client of API.md.
//!
//! Public endpoints are free functions; authenticated ones are methods of
//! [`AuthedApi`], which only the auth context hands out, so the types say who
//! may call what. This module knows nothing of sessions: every authenticated
//! call goes through the one [`Authorize::send`] it is given (the session's,
//! which adds the bearer token, refreshes on a 401 and retries once).

use gloo_net::http::{Method, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::{
    DeleteMeBody, EmailBody, Empty, ErrorBody, FieldErrors, LinkBody, LoginBody, Note, NoteBody,
    Profile, ProfilePatch, RefreshAnswer, RefreshBody, RegisterBody, ResetPasswordConfirmBody,
    ResetUsernameConfirmBody, SessionInfo, SetPasswordBody, SetUsernameBody, TokenPair, User,
};

use super::error::{ApiErrorBody, Error};

/// Same origin: the backend serves the app, and `trunk serve` proxies `/api/`.
const API: &str = "/api";

/// `POST /api/token/`.
pub async fn login(body: &LoginBody) -> Result<TokenPair, Error> {
    into_json(send(Method::POST, "/token/", Some(&to_json(body)?), None).await?).await
}

/// `POST /api/token/refresh/`: a new pair, or only a new access token when
/// the server does not rotate refresh tokens. Only the auth context calls
/// this, so that refreshes stay single-flight.
pub async fn refresh(refresh: &str) -> Result<RefreshAnswer, Error> {
    let body = RefreshBody {
        refresh: Some(refresh.to_owned()),
    };
    into_json(
        send(
            Method::POST,
            "/token/refresh/",
            Some(&to_json(&body)?),
            None,
        )
        .await?,
    )
    .await
}

/// `POST /api/token/blacklist/`: the server forgets this refresh token.
pub async fn blacklist(refresh: &str) -> Result<(), Error> {
    let body = RefreshBody {
        refresh: Some(refresh.to_owned()),
    };
    let response = send(
        Method::POST,
        "/token/blacklist/",
        Some(&to_json(&body)?),
        None,
    )
    .await?;
    into_json::<Empty>(response).await.map(|_| ())
}

/// What registration answered (beside the new user, which the app does
/// not show).
pub struct Registered {
    /// The account stays inactive until the link mailed to it is followed
    /// (the server runs with `SEND_ACTIVATION_EMAIL`).
    pub needs_activation: bool,
}

/// `POST /api/users/`.
pub async fn register(body: &RegisterBody) -> Result<Registered, Error> {
    let response = send(Method::POST, "/users/", Some(&to_json(body)?), None).await?;
    let needs_activation = response.headers().get(shared::ACTIVATION_HEADER).as_deref()
        == Some(shared::ACTIVATION_BY_EMAIL);
    into_json::<User>(response).await?;
    Ok(Registered { needs_activation })
}

/// What a mailed link can be asked for (djoser's `users/…` endpoints that
/// take an email and answer 204 whether or not an account has it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailRequest {
    PasswordReset,
    UsernameReset,
    Activation,
}

impl MailRequest {
    fn path(self) -> &'static str {
        match self {
            MailRequest::PasswordReset => "/users/reset_password/",
            MailRequest::UsernameReset => "/users/reset_username/",
            MailRequest::Activation => "/users/resend_activation/",
        }
    }
}

/// Asks the server to mail `email` a link of `kind`. Success says nothing
/// about whether an account has that address.
pub async fn request_mail(kind: MailRequest, email: &str) -> Result<(), Error> {
    let body = EmailBody {
        email: Some(email.to_owned()),
    };
    post_empty(kind.path(), &body).await
}

/// `POST /api/users/activation/` with a mailed link's `uid` and `token`.
pub async fn activate(body: &LinkBody) -> Result<(), Error> {
    post_empty("/users/activation/", body).await
}

/// `POST /api/users/reset_password_confirm/`: every session of the user
/// ends.
pub async fn confirm_password_reset(body: &ResetPasswordConfirmBody) -> Result<(), Error> {
    post_empty("/users/reset_password_confirm/", body).await
}

/// `POST /api/users/reset_username_confirm/`.
pub async fn confirm_username_reset(body: &ResetUsernameConfirmBody) -> Result<(), Error> {
    post_empty("/users/reset_username_confirm/", body).await
}

/// A public `POST` that answers 204 No Content.
async fn post_empty(path: &str, body: &impl Serialize) -> Result<(), Error> {
    into_empty(send(Method::POST, path, Some(&to_json(body)?), None).await?).await
}

/// Sends a request to an endpoint that needs `Authorization: Bearer
/// <access>`: the caller owns the token and what happens on a 401.
pub trait Authorize: Copy + 'static {
    fn send(
        self,
        method: Method,
        path: &str,
        body: Option<&str>,
    ) -> impl Future<Output = Result<Response, Error>>;
}

/// The endpoints that need `Authorization: Bearer <access>`.
#[derive(Clone, Copy)]
pub struct AuthedApi<A> {
    session: A,
}

impl<A: Authorize> AuthedApi<A> {
    /// Only `Auth::api` builds one.
    pub(crate) fn new(session: A) -> Self {
        Self { session }
    }

    /// `GET /api/profile/`.
    pub async fn profile(self) -> Result<Profile, Error> {
        into_json(self.request(Method::GET, "/profile/", None).await?).await
    }

    /// `PATCH /api/profile/`.
    pub async fn update_profile(self, patch: &ProfilePatch) -> Result<Profile, Error> {
        let body = to_json(patch)?;
        into_json(self.request(Method::PATCH, "/profile/", Some(body)).await?).await
    }

    /// `POST /api/users/set_password/`. On success every session of the user
    /// has ended, this one included.
    pub async fn set_password(self, body: &SetPasswordBody) -> Result<(), Error> {
        let body = to_json(body)?;
        into_empty(
            self.request(Method::POST, "/users/set_password/", Some(body))
                .await?,
        )
        .await
    }

    /// `POST /api/users/set_username/`. Sessions go on, but their tokens
    /// still name the old username.
    pub async fn set_username(self, body: &SetUsernameBody) -> Result<(), Error> {
        let body = to_json(body)?;
        into_empty(
            self.request(Method::POST, "/users/set_username/", Some(body))
                .await?,
        )
        .await
    }

    /// `DELETE /api/users/me/`: the account, its notes and its sessions are
    /// gone.
    pub async fn delete_account(self, body: &DeleteMeBody) -> Result<(), Error> {
        let body = to_json(body)?;
        into_empty(
            self.request(Method::DELETE, "/users/me/", Some(body))
                .await?,
        )
        .await
    }

    /// `GET /api/notes/`, newest first.
    pub async fn notes(self) -> Result<Vec<Note>, Error> {
        into_json(self.request(Method::GET, "/notes/", None).await?).await
    }

    /// `POST /api/notes/`.
    pub async fn create_note(self, note: &NoteBody) -> Result<Note, Error> {
        let body = to_json(note)?;
        into_json(self.request(Method::POST, "/notes/", Some(body)).await?).await
    }

    /// `PATCH /api/notes/{id}/`.
    pub async fn update_note(self, id: i64, note: &NoteBody) -> Result<Note, Error> {
        let body = to_json(note)?;
        let path = format!("/notes/{id}/");
        into_json(self.request(Method::PATCH, &path, Some(body)).await?).await
    }

    /// `DELETE /api/notes/{id}/`.
    pub async fn delete_note(self, id: i64) -> Result<(), Error> {
        let path = format!("/notes/{id}/");
        into_empty(self.request(Method::DELETE, &path, None).await?).await
    }

    /// `GET /api/sessions/`: the user's live sessions, newest first.
    pub async fn sessions(self) -> Result<Vec<SessionInfo>, Error> {
        into_json(self.request(Method::GET, "/sessions/", None).await?).await
    }

    /// `DELETE /api/sessions/{id}/`: that session's refresh token is refused
    /// from now on.
    pub async fn end_session(self, id: &str) -> Result<(), Error> {
        let id: String = js_sys::encode_uri_component(id).into();
        let path = format!("/sessions/{id}/");
        into_empty(self.request(Method::DELETE, &path, None).await?).await
    }

    /// `DELETE /api/sessions/`: every session but this one ends.
    pub async fn end_other_sessions(self) -> Result<(), Error> {
        into_empty(self.request(Method::DELETE, "/sessions/", None).await?).await
    }

    async fn request(
        self,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<Response, Error> {
        self.session.send(method, path, body.as_deref()).await
    }
}

/// Sends one request, with `access` as its bearer token if given.
pub async fn send(
    method: Method,
    path: &str,
    body: Option<&str>,
    access: Option<&str>,
) -> Result<Response, Error> {
    let mut builder = RequestBuilder::new(&format!("{API}{path}"))
        .method(method)
        .header("Accept", "application/json");
    if let Some(access) = access {
        builder = builder.header("Authorization", &format!("Bearer {access}"));
    }
    let request = match body {
        Some(body) => builder
            .header("Content-Type", "application/json")
            .body(body)?,
        None => builder.build()?,
    };
    Ok(request.send().await?)
}

fn to_json(body: &impl Serialize) -> Result<String, Error> {
    serde_json::to_string(body).map_err(|e| Error::Network(e.into()))
}

/// Decodes a success into `T`, and a failure into the API's error body.
async fn into_json<T: DeserializeOwned>(response: Response) -> Result<T, Error> {
    if response.ok() {
        Ok(response.json().await?)
    } else {
        Err(api_error(response).await)
    }
}

/// For the endpoints that answer 204 No Content.
async fn into_empty(response: Response) -> Result<(), Error> {
    if response.ok() {
        Ok(())
    } else {
        Err(api_error(response).await)
    }
}

async fn api_error(response: Response) -> Error {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let body = if let Ok(body) = serde_json::from_str::<ErrorBody>(&text) {
        ApiErrorBody::Detail(body)
    } else if let Ok(fields) = serde_json::from_str::<FieldErrors>(&text) {
        ApiErrorBody::Fields(fields)
    } else {
        ApiErrorBody::Unreadable
    };
    Error::Api { status, body }
}
