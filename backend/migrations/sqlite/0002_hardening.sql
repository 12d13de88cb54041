-- Throttle buckets replace login_failures. Each row counts the attempts of
-- one bucket in its current window: a username from one client address
-- ('login'), a client address across all usernames ('login_address'),
-- registrations from a client address ('register'). An attempt is counted
-- before its password is hashed, by one conditional upsert that the
-- database serialises, so that concurrent guesses cannot all slip in under
-- the limit (on every instance at once).
drop table login_failures;
create table throttle (
    kind text not null,
    -- The client's address (an IPv6 client's /64 network).
    client text not null,
    -- '' for the buckets that count an address across all usernames.
    username text not null default '',
    hits bigint not null,
    -- Microseconds since the epoch; the window ends its length later.
    window_start bigint not null,
    primary key (kind, client, username)
);
create index throttle_age on throttle (window_start);

-- Bumped by every password change, in the same transaction that revokes
-- the user's refresh tokens. A login checks, in the transaction that stores
-- its refresh token, that the version is still the one whose password it
-- verified, so a login racing a password change cannot outlive it.
alter table users add column credentials_version bigint not null default 0;
