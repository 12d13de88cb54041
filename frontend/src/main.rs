//! The browser app of UI.md: a Leptos client-side-rendered SPA.
//!
//! `app` wires the router and the auth context together, `routes` names every
//! path, `auth` owns the session, `api` speaks API.md, and `pages` and
//! `components` are what the user sees.

mod app;
mod routes;

mod auth {
    pub mod context;
    pub mod refresh;
    pub mod session;
    pub mod storage;
    pub mod token;
}

mod api {
    pub mod client;
    pub mod error;
}

mod pages {
    pub mod activate;
    pub mod guest;
    pub mod home;
    pub mod login;
    pub mod not_found;
    pub mod password_reset;
    pub mod profile;
    pub mod register;
    pub mod sessions;
    pub mod username_reset;
}

mod components {
    pub mod field;
    pub mod form;
    pub mod header;
    pub mod mailed_link;
    pub mod note_list;
    pub mod session_table;
    pub mod time_ago;
    pub mod user_agent;
}

fn main() {
    leptos::mount::mount_to_body(app::App);
}
