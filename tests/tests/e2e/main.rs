//! The browser journeys of issue 4, one module per journey, in one binary.
//! Run with `cargo test -p e2e` after `scripts/tools.sh`.

mod activation;
mod back_button;
mod backoff;
mod csp;
mod delete_account;
mod expired_startup;
mod form_errors;
mod forms;
mod gallery;
mod keep_alive;
mod loading;
mod login_by_email;
mod logout;
mod logout_next;
mod no_rotation;
mod notes;
mod password_reset;
mod private_routes;
mod profile;
mod register_and_login;
mod reload;
mod reread_storage;
mod retry;
mod session_end;
mod session_expired_reload;
mod sessions_errors;
mod sessions_log_out_others;
mod sessions_two_browsers;
mod single_flight;
mod tabs;
mod tabs_expired;
mod tabs_login;
mod tabs_refresh_race;
mod username;
