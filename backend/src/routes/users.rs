//! API.md "Users" (djoser): register, me (read, change, delete),
//! set_password; at `/api/users/…` and where djoser mounts them,
//! `/auth/users/…`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use shared::{
    DeleteMeBody, EmailBody, FieldErrors, LinkBody, ProfilePatch, RegisterBody,
    ResetPasswordConfirmBody, ResetUsernameConfirmBody, SetPasswordBody, SetUsernameBody, User,
};

use super::Endpoint;
use crate::accounts::{self, create_user_from};
use crate::auth::{password, session};
use crate::config::LoginField;
use crate::domain::{NewPassword, NewUser, Username, collect, required};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, AuthUser, ClientAddr, JsonOrEmpty};
use crate::lifecycle;
use crate::state::AppState;

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(&["/api/users/", "/auth/users/"], post(register)),
        Endpoint::new(
            &["/api/users/me/", "/auth/users/me/"],
            get(me).put(update_me).patch(update_me).delete(delete_me),
        ),
        Endpoint::new(
            &["/api/users/set_password/", "/auth/users/set_password/"],
            post(set_password),
        ),
        Endpoint::new(
            &["/api/users/set_username/", "/auth/users/set_username/"],
            post(set_username),
        ),
        Endpoint::new(
            &["/api/users/reset_username/", "/auth/users/reset_username/"],
            post(reset_username),
        ),
        Endpoint::new(
            &[
                "/api/users/reset_username_confirm/",
                "/auth/users/reset_username_confirm/",
            ],
            post(reset_username_confirm),
        ),
        Endpoint::new(
            &["/api/users/activation/", "/auth/users/activation/"],
            post(activation),
        ),
        Endpoint::new(
            &[
                "/api/users/resend_activation/",
                "/auth/users/resend_activation/",
            ],
            post(resend_activation),
        ),
        Endpoint::new(
            &["/api/users/reset_password/", "/auth/users/reset_password/"],
            post(reset_password),
        ),
        Endpoint::new(
            &[
                "/api/users/reset_password_confirm/",
                "/auth/users/reset_password_confirm/",
            ],
            post(reset_password_confirm),
        ),
    ]
}

/// djoser's `POST users/set_username/`: 204 and the new username, if
/// `current_password` is right (counted as a login attempt) and the name
/// is free.
#[tracing::instrument(skip_all, fields(user_id = auth.user_id))]
async fn set_username(
    State(state): State<AppState>,
    client: ClientAddr,
    auth: AuthUser,
    ApiJson(body): ApiJson<SetUsernameBody>,
) -> ApiResult<StatusCode> {
    let mut errors = FieldErrors::default();
    let current = collect(
        &mut errors,
        "current_password",
        required(body.current_password),
    );
    let new = collect(
        &mut errors,
        "new_username",
        required(body.new_username).and_then(Username::parse),
    );
    let (Some(current), Some(new)) = (current, new) else {
        return Err(ApiError::Fields(errors));
    };
    confirm_password(&state, &client, &auth, current).await?;
    let stale = ApiError::field("current_password", "Invalid password.");
    lifecycle::rename(&state, auth.user_id, &auth.username, &new, stale).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// djoser's `POST users/reset_username/`: 204 for any email; a known one is
/// mailed a link.
async fn reset_username(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<EmailBody>,
) -> ApiResult<StatusCode> {
    let email = lifecycle::requested_email(body.email)?;
    lifecycle::request_username_reset(&state, &email).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// djoser's `POST users/reset_username_confirm/`: 204 and the new username,
/// for the `uid` and `token` of a mailed link.
async fn reset_username_confirm(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ResetUsernameConfirmBody>,
) -> ApiResult<StatusCode> {
    let mut errors = FieldErrors::default();
    let link = lifecycle::link_fields(&mut errors, body.uid, body.token);
    let new = collect(
        &mut errors,
        "new_username",
        required(body.new_username).and_then(Username::parse),
    );
    let (Some((uid, token)), Some(new)) = (link, new) else {
        return Err(ApiError::Fields(errors));
    };
    lifecycle::confirm_username_reset(&state, &uid, &token, new).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// djoser's `POST users/activation/`: 204, and the link's account is
/// active; 403 if it already was.
async fn activation(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<LinkBody>,
) -> ApiResult<StatusCode> {
    let mut errors = FieldErrors::default();
    let Some((uid, token)) = lifecycle::link_fields(&mut errors, body.uid, body.token) else {
        return Err(ApiError::Fields(errors));
    };
    lifecycle::activate(&state, &uid, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// djoser's `POST users/resend_activation/`: 204 for any email; an
/// inactive account's is mailed its link again.
async fn resend_activation(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<EmailBody>,
) -> ApiResult<StatusCode> {
    let email = lifecycle::requested_email(body.email)?;
    lifecycle::resend_activation(&state, &email).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// djoser's `POST users/reset_password/`: 204 whether or not the email has
/// an account; a known one is mailed a link.
async fn reset_password(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<EmailBody>,
) -> ApiResult<StatusCode> {
    let email = lifecycle::requested_email(body.email)?;
    lifecycle::request_password_reset(&state, &email).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// djoser's `POST users/reset_password_confirm/`: 204 and a new password
/// (every session ends), for the `uid` and `token` of a mailed link.
async fn reset_password_confirm(
    State(state): State<AppState>,
    client: ClientAddr,
    ApiJson(body): ApiJson<ResetPasswordConfirmBody>,
) -> ApiResult<StatusCode> {
    let mut errors = FieldErrors::default();
    let link = lifecycle::link_fields(&mut errors, body.uid, body.token);
    let new = collect(&mut errors, "new_password", required(body.new_password));
    let (Some((uid, token)), Some(new)) = (link, new) else {
        return Err(ApiError::Fields(errors));
    };
    lifecycle::confirm_password_reset(&state, &client, &uid, &token, new).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// API.md `POST /api/users/`: 201 with the new user; at most
/// `REGISTER_MAX_PER_ADDRESS` an hour from one client address. With
/// `LOGIN_FIELD=email` the email is required and becomes the username.
/// With `SEND_ACTIVATION_EMAIL` the answer carries `X-Activation-Required`.
async fn register(
    State(state): State<AppState>,
    client: ClientAddr,
    ApiJson(body): ApiJson<RegisterBody>,
) -> ApiResult<Response> {
    let by_email = state.settings.login_field == LoginField::Email;
    let user = NewUser::parse(body, by_email)?;
    let activation = state.settings.mail.send_activation;
    if activation && user.email.as_str().is_empty() {
        // The activation link needs somewhere to go.
        return Err(ApiError::field("email", shared::error::REQUIRED));
    }
    let created = create_user_from(&state, &client, user).await?;
    if activation {
        lifecycle::send_activation(&state, created.id).await?;
    }
    let mut response = (StatusCode::CREATED, Json(User::from(created))).into_response();
    if activation {
        response.headers_mut().insert(
            shared::ACTIVATION_HEADER,
            HeaderValue::from_static(shared::ACTIVATION_BY_EMAIL),
        );
    }
    Ok(response)
}

/// API.md `GET /api/users/me/`.
async fn me(auth: AuthUser) -> Json<User> {
    Json(auth.user.into())
}

/// djoser's `PUT` and `PATCH users/me/`: any of `email`, `first_name`,
/// `last_name`, on the same record as the profile.
async fn update_me(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(patch): ApiJson<ProfilePatch>,
) -> ApiResult<Json<User>> {
    let user = accounts::update_profile(&state, auth.user_id, patch).await?;
    Ok(Json(user.into()))
}

/// The one required string `field`, or its error.
fn required_field(field: &str, value: Option<String>) -> ApiResult<String> {
    required(value).map_err(|e| ApiError::field(field, e))
}

/// A `current_password` the caller must know, counted as a login attempt
/// of the user (API.md "Hardening rules").
async fn confirm_password(
    state: &AppState,
    client: &ClientAddr,
    auth: &AuthUser,
    current: String,
) -> ApiResult<()> {
    let name = session::throttle_name(state, &auth.user);
    if !session::check_current_password(state, client, auth.user_id, &name, current).await? {
        return Err(ApiError::field("current_password", "Invalid password."));
    }
    Ok(())
}

/// djoser's `DELETE users/me/` with `{"current_password"}`: 204, and the
/// account, its notes and its sessions are gone.
#[tracing::instrument(skip_all, fields(user_id = auth.user_id))]
async fn delete_me(
    State(state): State<AppState>,
    client: ClientAddr,
    auth: AuthUser,
    JsonOrEmpty(body): JsonOrEmpty<DeleteMeBody>,
) -> ApiResult<StatusCode> {
    let current = required_field("current_password", body.current_password)?;
    confirm_password(&state, &client, &auth, current).await?;
    accounts::delete_account(&state, auth.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// API.md `POST /api/users/set_password/`: 204, and every session of the
/// user ends (all their refresh tokens are blacklisted). A wrong
/// `current_password` counts as a failed login of the user.
#[tracing::instrument(skip_all, fields(user_id = auth.user_id))]
async fn set_password(
    State(state): State<AppState>,
    client: ClientAddr,
    auth: AuthUser,
    ApiJson(body): ApiJson<SetPasswordBody>,
) -> ApiResult<StatusCode> {
    let mut errors = FieldErrors::default();
    let current = collect(
        &mut errors,
        "current_password",
        required(body.current_password),
    );
    let new = collect(&mut errors, "new_password", required(body.new_password));
    let (Some(current), Some(new)) = (current, new) else {
        return Err(ApiError::Fields(errors));
    };
    confirm_password(&state, &client, &auth, current).await?;
    let new = NewPassword::parse(new, &auth.username).map_err(|reasons| {
        let mut errors = FieldErrors::default();
        for r in reasons {
            errors.add("new_password", r);
        }
        ApiError::Fields(errors)
    })?;
    // The new hash waits its turn in the caller's queue too.
    let place = session::admit(&state, &client.key()).await?;
    let hash = password::hash_in(Some(place), new.expose().to_owned()).await?;
    session::change_password(&state, auth.user_id, &hash).await?;
    Ok(StatusCode::NO_CONTENT)
}
