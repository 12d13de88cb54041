//! HTTP tests of every rule of API.md, against the real server on a random
//! port, each test on a fresh SQLite file and on a fresh PostgreSQL database.

mod helpers;
mod auth;
mod tokens;
