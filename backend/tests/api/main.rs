//! HTTP tests of every rule of API.md, against the real server on a random
//! port, each test on a fresh SQLite file and on a fresh PostgreSQL database.

mod account_mail;
mod aliases;
mod auth;
mod cli;
mod crash;
mod djoser;
mod drf_jwt;
mod hardening;
mod helpers;
mod hostile;
mod http;
mod import;
mod instances;
mod lifecycle;
mod notes;
mod profile;
mod seeds;
mod sessions;
mod tokens;
mod transport;
mod users;
