-- One row per login session (API.md's `sid`: a password login and every
-- refresh token rotated from it), for `GET /api/sessions/`, and so that a
-- refresh retried inside the reuse grace can be answered with the session's
-- current refresh token, rebuilt from its row and this one (the tokens
-- themselves are never stored). Times are microseconds, but `auth_time`,
-- which is the claim's seconds.
create table sessions (
    sid text primary key,
    user_id bigint not null references users (id) on delete cascade,
    -- The username its tokens carry: the claims are fixed at login.
    username text not null,
    auth_time bigint not null,
    created_at bigint not null,
    last_used_at bigint not null,
    -- The login request's User-Agent (at most 200 characters).
    user_agent text not null default '',
    -- The client address as the login throttle saw it.
    ip text not null default ''
);
create index sessions_user on sessions (user_id, created_at);

-- Sessions of the tokens issued before this table existed: started at
-- their first token, last used at their newest.
insert into sessions (sid, user_id, username, auth_time, created_at, last_used_at)
select t.sid, t.user_id, u.username, min(t.created_at) / 1000000, min(t.created_at),
       max(t.created_at)
from refresh_tokens t join users u on u.id = t.user_id
group by t.sid, t.user_id, u.username;
