//! The session rules of API.md ("Tokens", "Reuse detection", "Hardening
//! rules"): a password login, a rotation, and checking a password the
//! caller claims to know. Handlers parse their body, call one of these and
//! answer.

use shared::{RefreshClaims, TokenPair, TokenType};

use super::jwt::reason;
use super::rate_limit::{self, LoginBuckets};
use super::{password, random_id};
use crate::clock::Timestamp;
use crate::config::LoginField;
use crate::error::{ApiError, ApiResult, Limited};
use crate::extract::ClientAddr;
use crate::state::AppState;
use crate::store::Tx;
use crate::store::sessions::{self, NewSession, SessionRow};
use crate::store::tokens::{self, NewRefreshToken, TokenState};
use crate::store::users::UserRow;
use crate::store::users::{self, PasswordHash, TokenOwner};

/// A place in the hashing queue for `client`, or 429 at once: one address
/// cannot make everyone else's logins wait behind its flood.
pub async fn admit(state: &AppState, client: &str) -> ApiResult<super::hash_queue::Admitted> {
    state
        .hash_queue
        .admit(client)
        .await
        .ok_or(ApiError::Throttled {
            what: Limited::Busy,
            retry_after: 1,
        })
}

/// One attempt at `username`'s password from `client`: a place in the
/// hashing queue, then the attempt counted (see `rate_limit`), both before
/// any hash is checked.
async fn password_attempt(
    state: &AppState,
    client: &ClientAddr,
    username: &str,
) -> ApiResult<(super::hash_queue::Admitted, LoginBuckets)> {
    let key = client.key();
    let place = admit(state, &key).await?;
    let buckets = LoginBuckets::new(&key, username);
    let limit = &state.settings.login_limit;
    rate_limit::reserve_login(&state.db, limit, &buckets, state.clock.now()).await?;
    Ok((place, buckets))
}

/// The name a login gives, in the form accounts are looked up and
/// throttled by: a username NFKC-normalised and trimmed, as it was stored;
/// an email (`LOGIN_FIELD=email`) trimmed and in lower case, since it is
/// matched ignoring case.
pub fn account_name(state: &AppState, raw: &str) -> String {
    match state.settings.login_field {
        LoginField::Username => crate::domain::username::normalize(raw),
        LoginField::Email => raw.trim().to_lowercase(),
    }
}

/// What the login throttle counts a user's password checks under: the
/// name their logins give (see [`account_name`]).
pub fn throttle_name(state: &AppState, user: &UserRow) -> String {
    match state.settings.login_field {
        LoginField::Email if !user.email.is_empty() => user.email.to_lowercase(),
        _ => user.username.clone(),
    }
}

/// The account a login proved it may open a session of.
pub struct LoggedIn {
    pub user_id: i64,
    pub username: String,
    pub email: String,
}

/// What a protocol hands out for a new session: the id and expiry of the
/// refresh-token row that stands for the session, and the answer.
pub struct SessionTokens<T> {
    pub jti: String,
    pub expires_at: Timestamp,
    pub answer: T,
}

/// API.md `POST /api/token/`: a new session's token pair, for the account
/// `name` names (see [`account_name`]).
pub async fn login(
    state: &AppState,
    client: &ClientAddr,
    user_agent: &str,
    name: &str,
    pass: String,
) -> ApiResult<TokenPair> {
    login_with(
        state,
        client,
        user_agent,
        name,
        pass,
        |account, sid, now| {
            let now = now.secs();
            let (id, username) = (account.user_id, &account.username);
            let (refresh, claims) = state.jwt.issue_refresh(id, username, sid, now, now)?;
            let access = state.jwt.issue_access(id, username, sid, now)?;
            Ok(SessionTokens {
                jti: claims.jti,
                expires_at: Timestamp::from_secs(claims.exp),
                answer: TokenPair { access, refresh },
            })
        },
    )
    .await
}

/// A password login (see [`login`]) whose session `issue` hands out the
/// tokens of; what it returns is stored with the session.
///
/// The attempt is counted before the hash is checked (see `rate_limit`),
/// and an unknown account costs the same full hash as a wrong password.
/// The session is stored only if the password is still the one just
/// checked: a password change that committed meanwhile wins.
#[tracing::instrument(skip_all, fields(client = %client))]
pub async fn login_with<T>(
    state: &AppState,
    client: &ClientAddr,
    user_agent: &str,
    name: &str,
    pass: String,
    issue: impl FnOnce(&LoggedIn, &str, Timestamp) -> anyhow::Result<SessionTokens<T>>,
) -> ApiResult<T> {
    let (place, buckets) = password_attempt(state, client, name).await?;
    let found = match state.settings.login_field {
        LoginField::Username => users::credentials(&state.db.pool, name).await?,
        LoginField::Email => users::credentials_by_email(&state.db.pool, name).await?,
    };
    let (stored, account) = match found {
        Some(c) => (
            Some(c.hash),
            Some((c.id, c.username, c.email, c.active, c.version)),
        ),
        None => (None, None),
    };
    let verified = password::check_in(Some(place), pass, stored).await?;
    let Some((user_id, username, email, true, version)) = account.filter(|_| verified.matches())
    else {
        // No username here: people type passwords into the username box.
        tracing::info!("login failed");
        return Err(ApiError::BadCredentials);
    };

    let now = state.clock.now();
    let mut tx = state.db.begin_write().await?;
    let expected = TokenOwner {
        active: true,
        version,
    };
    if users::token_owner(&mut *tx, user_id, state.db.share_lock()).await? != Some(expected) {
        tracing::info!(user_id, "login lost a race with a password change");
        return Err(ApiError::BadCredentials);
    }
    let sid = random_id();
    let session = NewSession {
        sid: &sid,
        user_id,
        username: &username,
        auth_time: now.secs(),
        now,
        user_agent,
        ip: &client.to_string(),
    };
    sessions::insert(&mut *tx, &session).await?;
    let account = LoggedIn {
        user_id,
        username,
        email,
    };
    let issued = issue(&account, &sid, now)?;
    let row = NewRefreshToken {
        jti: &issued.jti,
        user_id,
        sid: &sid,
        created_at: now,
        expires_at: issued.expires_at,
    };
    tokens::insert(&mut *tx, &row).await?;
    rate_limit::login_succeeded(&mut tx, &buckets).await?;
    tx.commit().await?;
    store_rehash(state, user_id, verified).await;
    tracing::info!(user_id, "logged in");
    Ok(issued.answer)
}

/// After a password check that matched an imported (Django) hash: the
/// hash is replaced by this server's argon2id of the same password (API.md
/// "Moving a Django deployment over"), unless a password change got there
/// first. If that fails the old hash stays, and still verifies: the login
/// or check it follows stands.
async fn store_rehash(state: &AppState, user_id: i64, verified: password::Verified) {
    let password::Verified::Rehashed { old, new } = verified else {
        return;
    };
    match users::upgrade_password_hash(state.db.writes(), user_id, &old, &new).await {
        Ok(true) => tracing::info!(user_id, "imported password hash replaced by argon2id"),
        Ok(false) => tracing::info!(user_id, "imported password hash changed meanwhile; kept"),
        Err(e) => tracing::warn!(user_id, error = %e, "cannot replace an imported password hash"),
    }
}

fn new_row(claims: &RefreshClaims, now: Timestamp) -> NewRefreshToken<'_> {
    NewRefreshToken {
        jti: &claims.jti,
        user_id: claims.user_id,
        sid: &claims.sid,
        created_at: now,
        expires_at: Timestamp::from_secs(claims.exp),
    }
}

/// A refresh token presented by a client: signed by us, of the refresh
/// type, not expired by the state's clock.
pub fn decode_refresh(state: &AppState, token: &str) -> ApiResult<RefreshClaims> {
    state
        .jwt
        .decode_refresh(token, state.clock.now().secs())
        .map_err(ApiError::TokenInvalid)
}

/// The owner of a refresh token, read under the lock that orders token
/// writes against password changes (`users::token_owner`); an inactive or
/// deleted user's tokens stop working.
pub(super) async fn active_owner(state: &AppState, tx: &mut Tx, user_id: i64) -> ApiResult<()> {
    match users::token_owner(&mut **tx, user_id, state.db.share_lock()).await? {
        Some(owner) if owner.active => Ok(()),
        _ => Err(ApiError::TokenInvalid(reason::NO_ACTIVE_ACCOUNT)),
    }
}

/// API.md `POST /api/token/refresh/` with rotation: exactly one of any
/// number of concurrent refreshes with the same token wins; the others, and
/// any later use, are refused, and a use after the reuse grace revokes the
/// whole session (the token was probably stolen).
pub async fn rotate(state: &AppState, claims: &RefreshClaims) -> ApiResult<TokenPair> {
    let now = state.clock.now();
    let now_secs = now.secs();
    // The common case, a live token of an active user, in as few round
    // trips as the database allows; anything else takes the way below.
    let (refresh, next) = state.jwt.issue_refresh(
        claims.user_id,
        &claims.username,
        &claims.sid,
        claims.auth_time,
        now_secs,
    )?;
    if tokens::rotate(&state.db, &claims.jti, &new_row(&next, now), now).await? {
        let access =
            state
                .jwt
                .issue_access(claims.user_id, &claims.username, &claims.sid, now_secs)?;
        return Ok(TokenPair { access, refresh });
    }
    // Not rotated: the user is gone or inactive, or the token is not live
    // (a token never becomes live again, so there is nothing to claim
    // here). Say which, under the user row's lock: taken against token
    // writes, as ending a session does, since a reuse revokes the session
    // and must see a rotation of it that is being stored. (Taking it
    // `for share` first and then for writing could deadlock two of these.)
    let mut tx = state.db.begin_write().await?;
    users::hold_token_writes(&mut *tx, claims.user_id).await?;
    active_owner(state, &mut tx, claims.user_id).await?;
    let grace = state.jwt.settings().reuse_grace;
    let outcome = match tokens::state(&mut *tx, &claims.jti).await? {
        TokenState::Unknown => reason::INVALID,
        // A retry (a lost answer, or another tab that raced this one): the
        // same answer as the rotation that won, and nothing new.
        TokenState::Rotated(at) if now - at <= grace => {
            if let Some(refresh) = current_refresh(state, &mut tx, &claims.sid, now).await? {
                sessions::touch(&mut *tx, &claims.sid, now).await?;
                tx.commit().await?;
                let access = state.jwt.issue_access(
                    claims.user_id,
                    &claims.username,
                    &claims.sid,
                    now_secs,
                )?;
                return Ok(TokenPair { access, refresh });
            }
            reason::BLACKLISTED
        }
        TokenState::Rotated(at) if now - at > state.jwt.settings().reuse_grace => {
            let revoked = tokens::revoke_session(&mut *tx, &claims.sid, now).await?;
            tracing::warn!(
                user_id = claims.user_id,
                sid = %claims.sid,
                revoked,
                "refresh token reused after rotation: session revoked"
            );
            reason::BLACKLISTED
        }
        // Revoked, or a session that ended inside the grace.
        TokenState::Rotated(_) | TokenState::Revoked | TokenState::Live => reason::BLACKLISTED,
    };
    tx.commit().await?;
    Err(ApiError::TokenInvalid(outcome))
}

/// The session's current refresh token, signed again from what its rows
/// hold (see `Jwt::sign_refresh`); `None` if the session has no usable one.
async fn current_refresh(
    state: &AppState,
    tx: &mut Tx,
    sid: &str,
    now: Timestamp,
) -> ApiResult<Option<String>> {
    let Some(current) = sessions::current_token(&mut **tx, sid).await? else {
        return Ok(None);
    };
    if current.expires_at.secs() <= now.secs() {
        return Ok(None);
    }
    let claims = RefreshClaims {
        token_type: TokenType::Refresh,
        exp: current.expires_at.secs(),
        iat: current.issued_at.secs(),
        jti: current.jti,
        user_id: current.user_id,
        username: current.username,
        sid: sid.to_owned(),
        auth_time: current.auth_time,
    };
    Ok(Some(state.jwt.sign_refresh(&claims)?))
}

/// `POST /api/token/refresh/` without rotation: a new access token for a
/// refresh token that is still usable and whose user is still active.
pub async fn refresh_access(state: &AppState, claims: &RefreshClaims) -> ApiResult<String> {
    // It writes (`touch`): a transaction that reads first and writes later
    // is refused on SQLite if another write committed in between.
    let mut tx = state.db.begin_write().await?;
    active_owner(state, &mut tx, claims.user_id).await?;
    let token = tokens::state(&mut *tx, &claims.jti).await?;
    usable(token)?;
    sessions::touch(&mut *tx, &claims.sid, state.clock.now()).await?;
    tx.commit().await?;
    let now = state.clock.now().secs();
    Ok(state
        .jwt
        .issue_access(claims.user_id, &claims.username, &claims.sid, now)?)
}

/// `Ok` for a refresh token that can still be used, else why not.
fn usable(token: TokenState) -> ApiResult<()> {
    match token {
        TokenState::Live => Ok(()),
        TokenState::Rotated(_) | TokenState::Revoked => {
            Err(ApiError::TokenInvalid(reason::BLACKLISTED))
        }
        TokenState::Unknown => Err(ApiError::TokenInvalid(reason::INVALID)),
    }
}

/// API.md `POST /api/token/verify/`: a valid token of either type; a
/// refresh token must also still be usable.
pub async fn verify(state: &AppState, token: &str) -> ApiResult<()> {
    let head = state
        .jwt
        .decode_any(token, state.clock.now().secs())
        .map_err(ApiError::TokenInvalid)?;
    if head.token_type == TokenType::Refresh {
        usable(tokens::state(&state.db.pool, &head.jti).await?)?;
    }
    Ok(())
}

/// API.md `POST /api/token/blacklist/`: ends one session; its other
/// sessions, and the user's, stay.
pub async fn logout(state: &AppState, claims: &RefreshClaims) -> ApiResult<()> {
    if tokens::revoke(state.db.writes(), &claims.jti, state.clock.now()).await? {
        tracing::info!(user_id = claims.user_id, "logged out");
        return Ok(());
    }
    // Already spent (any way) or unknown: say which.
    match tokens::state(&state.db.pool, &claims.jti).await? {
        TokenState::Unknown => Err(ApiError::TokenInvalid(reason::INVALID)),
        _ => Err(ApiError::TokenInvalid(reason::BLACKLISTED)),
    }
}

/// Checks a password the caller claims to know (`current_password`),
/// counted with the logins of that username from that address, so that it
/// cannot be guessed faster than a login. `Ok(false)`: wrong.
pub async fn check_current_password(
    state: &AppState,
    client: &ClientAddr,
    user_id: i64,
    username: &str,
    pass: String,
) -> ApiResult<bool> {
    let (place, buckets) = password_attempt(state, client, username).await?;
    let stored = users::password_hash(&state.db.pool, user_id).await?;
    let verified = password::check_in(Some(place), pass, stored).await?;
    if !verified.matches() {
        tracing::info!(user_id, "current password refused");
        return Ok(false);
    }
    store_rehash(state, user_id, verified).await;
    let mut conn = state.db.writes().acquire().await?;
    rate_limit::login_succeeded(&mut conn, &buckets).await?;
    Ok(true)
}

/// A new password, and the end of every session of the user, including
/// those whose rotations or logins race this change (see
/// `users::token_owner` for the lock that orders them).
pub async fn change_password(state: &AppState, user_id: i64, hash: &PasswordHash) -> ApiResult<()> {
    let mut tx = state.db.begin_write().await?;
    users::set_password_hash(&mut *tx, user_id, hash).await?;
    let revoked = tokens::revoke_user(&mut *tx, user_id, state.clock.now()).await?;
    tx.commit().await?;
    tracing::info!(user_id, revoked, "password changed; sessions ended");
    Ok(())
}

/// A password reset through a mailed link: the new hash only if the stored
/// one is still `old` (the link's), and then, as a password change, the end
/// of every session. `false`: the link was used meanwhile.
pub async fn reset_password(
    state: &AppState,
    user_id: i64,
    old: &str,
    hash: &PasswordHash,
) -> ApiResult<bool> {
    let mut tx = state.db.begin_write().await?;
    if !users::replace_password_hash(&mut *tx, user_id, old, hash).await? {
        return Ok(false);
    }
    let revoked = tokens::revoke_user(&mut *tx, user_id, state.clock.now()).await?;
    tx.commit().await?;
    tracing::info!(user_id, revoked, "password reset; sessions ended");
    Ok(true)
}

/// API.md Part 2 `GET /api/sessions/`: the user's live sessions, newest
/// first.
pub async fn list(state: &AppState, user_id: i64) -> ApiResult<Vec<SessionRow>> {
    Ok(sessions::live(&state.db.pool, user_id, state.clock.now()).await?)
}

/// `DELETE /api/sessions/{id}/`: every refresh token of one of the user's
/// sessions is refused from now on; someone else's session is not found.
pub async fn end(state: &AppState, user_id: i64, sid: &str) -> ApiResult<()> {
    let mut tx = state.db.begin_write().await?;
    // As a password change does: a rotation of this session racing the end
    // either commits first (and its token is revoked below) or waits and
    // finds its token revoked.
    users::hold_token_writes(&mut *tx, user_id).await?;
    if !sessions::belongs_to(&mut *tx, sid, user_id).await? {
        return Err(ApiError::NotFound);
    }
    let revoked = tokens::revoke_session(&mut *tx, sid, state.clock.now()).await?;
    tx.commit().await?;
    tracing::info!(user_id, revoked, "session ended by its user");
    Ok(())
}

/// `DELETE /api/sessions/`: every session of the user but `current`.
pub async fn end_others(state: &AppState, user_id: i64, current: &str) -> ApiResult<()> {
    let mut tx = state.db.begin_write().await?;
    users::hold_token_writes(&mut *tx, user_id).await?;
    let now = state.clock.now();
    let revoked = tokens::revoke_user_except(&mut *tx, user_id, current, now).await?;
    tx.commit().await?;
    tracing::info!(user_id, revoked, "other sessions ended by their user");
    Ok(())
}
