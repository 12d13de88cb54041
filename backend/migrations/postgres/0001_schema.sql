-- Accounts. The profile (names, email) is part of the user record, so
-- PATCH /api/profile/ and GET /api/users/me/ always agree.
create table users (
    id bigint generated always as identity primary key,
    username text not null unique,
    email text not null default '',
    first_name text not null default '',
    last_name text not null default '',
    -- argon2id PHC string; never leaves the store layer.
    password_hash text not null,
    is_active bigint not null default 1,
    date_joined bigint not null
);

-- One row per refresh token ever issued, so that rotation, logout
-- (blacklist) and reuse detection can be decided by the database.
-- Times are microseconds since the epoch.
create table refresh_tokens (
    jti text primary key,
    user_id bigint not null references users (id) on delete cascade,
    -- The login session (rotation family): reuse revokes all of it.
    sid text not null,
    created_at bigint not null,
    expires_at bigint not null,
    -- Set once, by the one refresh that wins the race for this token.
    rotated_at bigint,
    -- Set by logout, password change or reuse detection.
    revoked_at bigint
);
create index refresh_tokens_sid on refresh_tokens (sid);
create index refresh_tokens_user on refresh_tokens (user_id);
create index refresh_tokens_expiry on refresh_tokens (expires_at);

-- Private per-user notes.
create table notes (
    id bigint generated always as identity primary key,
    user_id bigint not null references users (id) on delete cascade,
    title text not null,
    body text not null default '',
    created_at bigint not null,
    updated_at bigint not null
);
create index notes_owner on notes (user_id, created_at);

-- Failed logins per username and client address, kept in the database so
-- that every instance behind a load balancer shares the limit.
create table login_failures (
    id bigint generated always as identity primary key,
    username text not null,
    client text not null,
    failed_at bigint not null
);
create index login_failures_key on login_failures (username, client, failed_at);
create index login_failures_age on login_failures (failed_at);
