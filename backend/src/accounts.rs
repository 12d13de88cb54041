//! Accounts: creating them (the register endpoint, the CLI, the demo
//! users), changing their profile fields, deleting them.

use crate::auth::hash_queue::Admitted;
use crate::auth::jwt::reason;
use crate::auth::{password, rate_limit};
use crate::clock::{Clock, Timestamp};
use crate::config::LoginField;
use crate::domain::{Email, NewUser, PersonName, collect};
use crate::error::{ApiError, is_unique_violation};
use crate::extract::ClientAddr;
use crate::state::AppState;
use crate::store::users::{self, NewUserRow, UserRow};
use crate::store::{Db, Tx};
use shared::FieldErrors;

/// A registration over HTTP from `client`, counted against the address's
/// hourly limit before anything else, a taken username included: each
/// answer tells whether a username exists, so asking is limited too. A
/// taken username is answered before the password is hashed.
///
/// With `LOGIN_FIELD=email` the email must be unused, ignoring case, and a
/// clash is reported on `email`, the only name the client sent.
pub async fn create_user_from(
    state: &AppState,
    client: &ClientAddr,
    user: NewUser,
) -> Result<UserRow, ApiError> {
    let by_email = state.settings.login_field == LoginField::Email;
    let key = client.key();
    let max = state.settings.register_max_per_address;
    rate_limit::reserve_registration(&state.db, max, &key, state.clock.now()).await?;
    let taken = if by_email {
        users::email_taken(&state.db.pool, user.email.as_str(), None).await?
            || users::exists(&state.db.pool, user.username.as_str()).await?
    } else {
        users::exists(&state.db.pool, user.username.as_str()).await?
    };
    let taken_error = || -> ApiError {
        if by_email {
            AccountError::EmailTaken.into()
        } else {
            AccountError::UsernameTaken.into()
        }
    };
    if taken {
        return Err(taken_error());
    }
    let place = crate::auth::session::admit(state, &key).await?;
    // SEND_ACTIVATION_EMAIL: inactive until the mailed link is used.
    let active = !state.settings.mail.send_activation;
    let now = state.clock.now();
    match insert_user(&state.db, user, Some(place), now, by_email, active).await {
        Err(AccountError::UsernameTaken | AccountError::EmailTaken) => Err(taken_error()),
        other => Ok(other?),
    }
}

pub const USERNAME_TAKEN: &str = "A user with that username already exists.";
/// Django's unique-field message for a user model whose email is unique.
pub const EMAIL_TAKEN: &str = "user with this email address already exists.";

/// Why an account was not created.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("A user with that username already exists.")]
    UsernameTaken,
    /// `LOGIN_FIELD=email`: another account has this email.
    #[error("user with this email address already exists.")]
    EmailTaken,
    /// Fields that are missing or invalid, each with djoser's words.
    #[error("{}", describe_fields(.0))]
    Invalid(FieldErrors),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AccountError {
    fn from(err: sqlx::Error) -> Self {
        AccountError::Internal(err.into())
    }
}

impl From<AccountError> for ApiError {
    fn from(err: AccountError) -> Self {
        match err {
            AccountError::UsernameTaken => ApiError::field("username", USERNAME_TAKEN),
            AccountError::EmailTaken => ApiError::field("email", EMAIL_TAKEN),
            AccountError::Invalid(errors) => ApiError::Fields(errors),
            AccountError::Internal(e) => ApiError::Internal(e),
        }
    }
}

/// `field: message message`, a line each, for the command line.
fn describe_fields(errors: &FieldErrors) -> String {
    let lines: Vec<String> = errors
        .0
        .iter()
        .map(|(field, messages)| format!("{field}: {}", messages.join(" ")))
        .collect();
    lines.join("\n")
}

/// Hashes the password and inserts the user. A taken username is a field
/// error, also when two registrations race for it (the unique index decides).
pub async fn create_user(db: &Db, user: NewUser) -> Result<UserRow, AccountError> {
    insert_user(db, user, None, Clock::system().now(), false, true).await
}

/// With `unique_email`, the email is claimed under its lock (`Db::lock_key`)
/// so that two registrations racing for one address cannot both win.
async fn insert_user(
    db: &Db,
    user: NewUser,
    place: Option<Admitted>,
    now: Timestamp,
    unique_email: bool,
    active: bool,
) -> Result<UserRow, AccountError> {
    let hash = password::hash_in(place, user.password.expose().to_owned()).await?;
    let row = NewUserRow {
        username: user.username.as_str(),
        email: user.email.as_str(),
        first_name: user.first_name.as_str(),
        last_name: user.last_name.as_str(),
        hash: &hash,
        active,
    };
    let mut tx = db.begin_write().await?;
    if unique_email {
        claim_email(db, &mut tx, row.email, None).await?;
    }
    match users::insert(&mut *tx, &row, now).await {
        Ok(created) => {
            tx.commit().await?;
            tracing::info!(user_id = created.id, "user registered");
            Ok(created)
        }
        Err(e) if is_unique_violation(&e) => Err(AccountError::UsernameTaken),
        Err(e) => Err(e.into()),
    }
}

/// Takes `email`'s lock for the rest of `tx` and checks that no account
/// but `owner` has it, ignoring case.
async fn claim_email(
    db: &Db,
    tx: &mut Tx,
    email: &str,
    owner: Option<i64>,
) -> Result<(), AccountError> {
    db.lock_key(tx, &format!("email:{}", email.to_lowercase()))
        .await?;
    if users::email_taken(&mut **tx, email, owner).await? {
        return Err(AccountError::EmailTaken);
    }
    Ok(())
}

/// API.md `PATCH /api/profile/` and djoser's `PUT`/`PATCH users/me/`: any
/// of `first_name`, `last_name`, `email`; an invalid field changes nothing.
/// With `LOGIN_FIELD=email` an email another account has is refused.
pub async fn update_profile(
    state: &AppState,
    user_id: i64,
    patch: shared::ProfilePatch,
) -> Result<UserRow, ApiError> {
    let mut errors = FieldErrors::default();
    let first = patch
        .first_name
        .map(|v| collect(&mut errors, "first_name", PersonName::parse(v)));
    let last = patch
        .last_name
        .map(|v| collect(&mut errors, "last_name", PersonName::parse(v)));
    let email = patch
        .email
        .map(|v| collect(&mut errors, "email", Email::parse(v)));
    if !errors.is_empty() {
        return Err(ApiError::Fields(errors));
    }
    let email = email.flatten();
    let by_email = state.settings.login_field == LoginField::Email;
    let mut tx = state.db.begin_write().await?;
    if let (true, Some(email)) = (by_email, &email) {
        if email.as_str().is_empty() {
            return Err(ApiError::field("email", shared::error::REQUIRED));
        }
        claim_email(&state.db, &mut tx, email.as_str(), Some(user_id)).await?;
    }
    let user = users::update_profile(
        &mut *tx,
        user_id,
        first.flatten().as_ref().map(PersonName::as_str),
        last.flatten().as_ref().map(PersonName::as_str),
        email.as_ref().map(Email::as_str),
    )
    .await?
    .ok_or(ApiError::TokenInvalid(reason::USER_NOT_FOUND))?;
    tx.commit().await?;
    Ok(user)
}

/// djoser's `DELETE users/me/`: the account and, by the schema's cascades,
/// its notes, sessions and refresh tokens. Under the user row's lock, as a
/// password change: a rotation racing it either commits first (and its
/// token goes with the account) or finds no account.
pub async fn delete_account(state: &AppState, user_id: i64) -> Result<(), ApiError> {
    let mut tx = state.db.begin_write().await?;
    users::delete(&mut *tx, user_id).await?;
    tx.commit().await?;
    tracing::info!(user_id, "account deleted by its user");
    Ok(())
}

/// Brings usernames stored before they were NFKC-normalised (the old rules
/// let `ｓａｍ` register) into the form logins now look up, so that those
/// users can still log in and nobody can register `sam` beside them. A name
/// whose normal form another user already has is left alone and logged: an
/// operator must decide which of the two keeps it. Returns the renamed and
/// the left-alone counts. Scans the users once per start.
pub async fn normalize_stored_usernames(db: &Db) -> Result<(u64, u64), AccountError> {
    let (mut renamed, mut clashes) = (0, 0);
    for (id, stored) in users::usernames(&db.pool).await? {
        let normal = crate::domain::username::normalize(&stored);
        if normal == stored {
            continue;
        }
        if users::rename(db.writes(), id, &normal).await? {
            tracing::warn!(user_id = id, "stored username normalised to NFKC");
            renamed += 1;
        } else {
            tracing::warn!(
                user_id = id,
                "stored username is not in NFKC form, and its NFKC form belongs to another user"
            );
            clashes += 1;
        }
    }
    Ok((renamed, clashes))
}

/// The demo accounts that `serve --demo` makes sure exist.
pub const DEMO_USERS: [(&str, &str, &str, &str); 2] = [
    ("user1", "password1", "Sam", "Smith"),
    ("user2", "password2", "Tim", "Allen"),
];

/// Creates the missing demo users; returns the names of those created.
pub async fn ensure_demo_users(db: &Db) -> Result<Vec<&'static str>, AccountError> {
    let mut created = Vec::new();
    for (username, pass, first, last) in DEMO_USERS {
        if users::exists(&db.pool, username).await? {
            continue;
        }
        let body = shared::RegisterBody {
            username: Some(username.into()),
            password: Some(pass.into()),
            email: Some(format!("{username}@example.com")),
            first_name: Some(first.into()),
            last_name: Some(last.into()),
        };
        let user = NewUser::try_from(body).map_err(AccountError::Invalid)?;
        match create_user(db, user).await {
            Ok(_) => created.push(username),
            // Another instance created it in the meantime.
            Err(AccountError::UsernameTaken) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn insert_raw(db: &Db, username: &str) {
        sqlx::query("insert into users (username, password_hash, date_joined) values ($1, 'x', 0)")
            .bind(username)
            .execute(db.writes())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn usernames_stored_before_normalisation_are_normalised_unless_taken() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite://{}/app.db", dir.path().display()))
            .await
            .unwrap();
        insert_raw(&db, "\u{ff53}\u{ff41}\u{ff4d}").await; // ｓａｍ
        insert_raw(&db, "tim").await;
        insert_raw(&db, "\u{ff54}\u{ff49}\u{ff4d}").await; // ｔｉｍ, taken as tim

        assert_eq!(normalize_stored_usernames(&db).await.unwrap(), (1, 1));

        let names: Vec<String> = users::usernames(&db.pool)
            .await
            .unwrap()
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        assert_eq!(names, ["sam", "tim", "\u{ff54}\u{ff49}\u{ff4d}"]);
        assert_eq!(normalize_stored_usernames(&db).await.unwrap(), (0, 1));
    }
}
