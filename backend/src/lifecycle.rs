//! The account lifecycle by email (API.md Part 2): requests that mail a
//! link, and the confirmations that use one. Requests answer alike whether
//! or not the email has an account; mail goes out after the answer (see
//! `mail`), at most once a minute per address and kind.

use shared::FieldErrors;

use crate::auth::links::{self, AccountState, Purpose};
use crate::auth::{password, rate_limit, session};
use crate::domain::{Email, NewPassword, Username, collect, required};
use crate::error::{ApiError, ApiResult};
use crate::extract::ClientAddr;
use crate::mail::messages::{self, Kind};
use crate::state::AppState;
use crate::store::users::{self, LinkRow, Renamed};

/// djoser's words for a link that names no account.
pub const INVALID_UID: &str = "Invalid user id or user doesn't exist.";
/// djoser's words for a link that is not (or no longer) valid.
pub const INVALID_TOKEN: &str = "Invalid token for given user.";

/// djoser's words for an activation link of an account already active.
pub const STALE_TOKEN: &str = "Stale token for given user.";

/// What a link of `purpose` is bound to. An activation link leaves the
/// active flag out, so that a used one is told apart (403, stale) from an
/// invalid one.
fn account_state(row: &LinkRow, purpose: Purpose) -> AccountState<'_> {
    AccountState {
        user_id: row.id,
        username: &row.username,
        email: &row.email,
        password_hash: &row.password_hash,
        active: purpose != Purpose::Activation && row.is_active != 0,
    }
}

/// The email of a request body: required, and an address.
pub fn requested_email(value: Option<String>) -> ApiResult<String> {
    let email = required(value)
        .and_then(Email::parse)
        .map_err(|e| ApiError::field("email", e))?;
    Ok(email.as_str().to_owned())
}

/// The throttle bucket of a kind of mail.
fn bucket_of(kind: Kind) -> &'static str {
    match kind {
        Kind::Activation => "mail_activation",
        Kind::PasswordReset => "mail_password_reset",
        Kind::UsernameReset => "mail_username_reset",
    }
}

/// Counts a mail of `kind` to `address` against the one-a-minute rule;
/// `false` if one went out in the last minute. Counted whether or not an
/// account has the address, so that a request costs the same either way.
async fn may_mail(state: &AppState, kind: Kind, address: &str) -> ApiResult<bool> {
    let bucket = bucket_of(kind);
    let allowed = rate_limit::reserve_mail(&state.db, bucket, address, state.clock.now()).await?;
    if !allowed {
        tracing::info!(bucket, "mail skipped: one went out in the last minute");
    }
    Ok(allowed)
}

/// Mails `row` a link of `kind`.
fn mail_link(state: &AppState, row: &LinkRow, kind: Kind) {
    let (purpose, path) = match kind {
        Kind::Activation => (Purpose::Activation, "/activate"),
        Kind::PasswordReset => (Purpose::PasswordReset, "/password/reset/confirm"),
        Kind::UsernameReset => (Purpose::UsernameReset, "/username/reset/confirm"),
    };
    let now = state.clock.now();
    let token = links::make(
        state.jwt.link_key(),
        purpose,
        &account_state(row, purpose),
        now.secs(),
    );
    let mail = &state.settings.mail;
    let link = format!(
        "{}{path}/{}/{token}",
        mail.public_url,
        links::encode_uid(row.id)
    );
    let message = messages::compose(kind, &row.email, &row.username, &link, mail.link_timeout);
    state.mailer.send_later(message);
}

/// Mails a link of `kind` to each account with `email` that `wanted`
/// picks, at most once a minute per address and kind.
async fn mail_accounts(
    state: &AppState,
    email: &str,
    kind: Kind,
    wanted: impl Fn(&LinkRow) -> bool,
) -> ApiResult<()> {
    if !may_mail(state, kind, email).await? {
        return Ok(());
    }
    for row in users::link_rows_by_email(&state.db.pool, email).await? {
        if wanted(&row) {
            mail_link(state, &row, kind);
        }
    }
    Ok(())
}

/// The activation mail of a new account (`SEND_ACTIVATION_EMAIL`), which
/// counts for the one-a-minute rule of its kind.
pub async fn send_activation(state: &AppState, user_id: i64) -> ApiResult<()> {
    if let Some(row) = users::link_row(&state.db.pool, user_id).await?
        && may_mail(state, Kind::Activation, &row.email).await?
    {
        mail_link(state, &row, Kind::Activation);
    }
    Ok(())
}

/// `POST users/resend_activation/`: every inactive account with this email
/// is mailed its link again (with `SEND_ACTIVATION_EMAIL` only); the answer
/// is the same for an unknown or active one.
pub async fn resend_activation(state: &AppState, email: &str) -> ApiResult<()> {
    if !state.settings.mail.send_activation {
        return Ok(());
    }
    mail_accounts(state, email, Kind::Activation, |row| row.is_active == 0).await
}

/// `POST users/activation/`: the link's account becomes active; 403 if it
/// already is (the link was used, or never needed).
pub async fn activate(state: &AppState, uid: &str, token: &str) -> ApiResult<()> {
    let row = account_of_link(state, uid, token, Purpose::Activation).await?;
    if row.is_active != 0 || !users::activate(state.db.writes(), row.id).await? {
        return Err(ApiError::Forbidden(STALE_TOKEN));
    }
    tracing::info!(user_id = row.id, "account activated");
    Ok(())
}

/// `POST users/reset_password/`: every active account with this email is
/// mailed a link; the answer is the same for an unknown email.
pub async fn request_password_reset(state: &AppState, email: &str) -> ApiResult<()> {
    mail_accounts(state, email, Kind::PasswordReset, |row| row.is_active != 0).await
}

/// `POST users/reset_username/`: every active account with this email is
/// mailed a link to choose a new username; the same answer for any email.
pub async fn request_username_reset(state: &AppState, email: &str) -> ApiResult<()> {
    mail_accounts(state, email, Kind::UsernameReset, |row| row.is_active != 0).await
}

/// Renames the account `user_id` from `old`; a taken name is the field
/// error, a rename that raced this one `stale`.
pub async fn rename(
    state: &AppState,
    user_id: i64,
    old: &str,
    new: &Username,
    stale: ApiError,
) -> ApiResult<()> {
    match users::rename_from(state.db.writes(), user_id, old, new.as_str()).await? {
        Renamed::Done => {
            tracing::info!(user_id, "username changed");
            Ok(())
        }
        Renamed::Taken => Err(ApiError::field(
            "new_username",
            crate::accounts::USERNAME_TAKEN,
        )),
        Renamed::Stale => Err(stale),
    }
}

/// `POST users/reset_username_confirm/`: the link's account gets the new
/// username (which kills the link: it was signed over the old one).
pub async fn confirm_username_reset(
    state: &AppState,
    uid: &str,
    token: &str,
    new_username: Username,
) -> ApiResult<()> {
    let row = account_of_link(state, uid, token, Purpose::UsernameReset).await?;
    let stale = ApiError::field("token", INVALID_TOKEN);
    rename(state, row.id, &row.username, &new_username, stale).await
}

/// The account a link's `uid` names, and its `token` checked for `purpose`.
async fn account_of_link(
    state: &AppState,
    uid: &str,
    token: &str,
    purpose: Purpose,
) -> ApiResult<LinkRow> {
    let row = match links::decode_uid(uid) {
        Some(id) => users::link_row(&state.db.pool, id).await?,
        None => None,
    };
    let Some(row) = row else {
        return Err(ApiError::field("uid", INVALID_UID));
    };
    let timeout = state.settings.mail.link_timeout.as_secs();
    let now = state.clock.now().secs();
    let bound = account_state(&row, purpose);
    if !links::check(state.jwt.link_key(), purpose, &bound, token, now, timeout) {
        return Err(ApiError::field("token", INVALID_TOKEN));
    }
    Ok(row)
}

/// The `uid` and `token` of a confirmation body, or their field errors
/// (beside `errors` of the other fields).
pub fn link_fields(
    errors: &mut FieldErrors,
    uid: Option<String>,
    token: Option<String>,
) -> Option<(String, String)> {
    let uid = collect(errors, "uid", required(uid));
    let token = collect(errors, "token", required(token));
    uid.zip(token)
}

/// `POST users/reset_password_confirm/`: the new password of the link's
/// account, and every session of it ends.
pub async fn confirm_password_reset(
    state: &AppState,
    client: &ClientAddr,
    uid: &str,
    token: &str,
    new_password: String,
) -> ApiResult<()> {
    let row = account_of_link(state, uid, token, Purpose::PasswordReset).await?;
    let new = NewPassword::parse(new_password, &row.username).map_err(|reasons| {
        let mut errors = FieldErrors::default();
        for r in reasons {
            errors.add("new_password", r);
        }
        ApiError::Fields(errors)
    })?;
    let place = session::admit(state, &client.key()).await?;
    let hash = password::hash_in(Some(place), new.expose().to_owned()).await?;
    if !session::reset_password(state, row.id, &row.password_hash, &hash).await? {
        // The same link was used a moment ago.
        return Err(ApiError::field("token", INVALID_TOKEN));
    }
    Ok(())
}
