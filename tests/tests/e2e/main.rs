//! The browser journeys of issue 4, one module per journey, in one binary.
//! Run with `cargo test -p e2e` after `scripts/tools.sh`.

mod form_errors;
mod gallery;
mod keep_alive;
mod logout;
mod notes;
mod private_routes;
mod profile;
mod register_and_login;
mod reload;
mod retry;
mod session_end;
mod tabs;
