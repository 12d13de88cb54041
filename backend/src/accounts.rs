//! Creating accounts, for the register endpoint, the CLI and the demo users.

use crate::auth::hash_queue::Admitted;
use crate::auth::{password, rate_limit};
use crate::domain::NewUser;
use crate::error::{ApiError, is_unique_violation};
use crate::extract::ClientAddr;
use crate::state::AppState;
use crate::store::users::{self, NewUserRow, UserRow};
use crate::store::{Db, now_micros};

/// A registration over HTTP from `client`, counted against the address's
/// hourly limit before anything else, a taken username included: each
/// answer tells whether a username exists, so asking is limited too. A
/// taken username is answered before the password is hashed.
pub async fn create_user_from(
    state: &AppState,
    client: &ClientAddr,
    user: NewUser,
) -> Result<UserRow, ApiError> {
    let key = client.key();
    let max = state.settings.register_max_per_address;
    rate_limit::reserve_registration(&state.db, max, &key, now_micros()).await?;
    if users::exists(&state.db.pool, user.username.as_str()).await? {
        return Err(ApiError::field("username", USERNAME_TAKEN));
    }
    let place = crate::auth::session::admit(state, &key).await?;
    insert_user(&state.db, user, Some(place)).await
}

pub const USERNAME_TAKEN: &str = "A user with that username already exists.";

/// Hashes the password and inserts the user. A taken username is a field
/// error, also when two registrations race for it (the unique index decides).
pub async fn create_user(db: &Db, user: NewUser) -> Result<UserRow, ApiError> {
    insert_user(db, user, None).await
}

async fn insert_user(db: &Db, user: NewUser, place: Option<Admitted>) -> Result<UserRow, ApiError> {
    let hash = password::hash_in(place, user.password.expose().to_owned()).await?;
    let row = NewUserRow {
        username: user.username.as_str(),
        email: user.email.as_str(),
        first_name: user.first_name.as_str(),
        last_name: user.last_name.as_str(),
        hash: &hash,
    };
    match users::insert(&db.pool, &row, now_micros()).await {
        Ok(created) => {
            tracing::info!(user_id = created.id, "user registered");
            Ok(created)
        }
        Err(e) if is_unique_violation(&e) => Err(ApiError::field("username", USERNAME_TAKEN)),
        Err(e) => Err(e.into()),
    }
}

/// The demo accounts that `serve --demo` makes sure exist.
pub const DEMO_USERS: [(&str, &str, &str, &str); 2] = [
    ("user1", "password1", "Sam", "Smith"),
    ("user2", "password2", "Tim", "Allen"),
];

/// Creates the missing demo users; returns the names of those created.
pub async fn ensure_demo_users(db: &Db) -> Result<Vec<&'static str>, ApiError> {
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
        let user = NewUser::try_from(body).map_err(ApiError::Fields)?;
        match create_user(db, user).await {
            Ok(_) => created.push(username),
            // Another instance created it in the meantime.
            Err(ApiError::Fields(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(created)
}
