//! The root: the auth context, the refresh timer, the header and the routes.

use leptos::prelude::*;
use leptos_router::components::{ProtectedRoute, Route, Router, Routes};
use leptos_router::hooks::use_navigate;
use leptos_router::path;

use crate::auth::context::{Auth, AuthState, LogoutReason, provide_auth, use_auth};
use crate::auth::refresh::start_refresh_timer;
use crate::components::header::Header;
use crate::pages::{
    home::HomePage, login::LoginPage, not_found::NotFoundPage, profile::ProfilePage,
    register::RegisterPage,
};
use crate::routes::{Page, login_with_next};

#[component]
pub fn App() -> impl IntoView {
    let auth = provide_auth();
    start_refresh_timer(auth);

    // Memos, so that a token refresh (new claims, same user) re-renders
    // nothing: a private page stays mounted and keeps what the user typed.
    let logged_in = Memo::new(move |_| auth.logged_in());
    let guard = move || logged_in.get();
    let redirect = move || login_redirect(auth);

    view! {
        <Router>
            <AppHeader />
            <main id="main" class="container">
                <Routes fallback=|| view! { <NotFoundPage /> }>
                    <ProtectedRoute
                        path=path!("/")
                        view=HomePage
                        condition=guard
                        redirect_path=redirect
                        fallback=Loading
                    />
                    <ProtectedRoute
                        path=path!("/profile")
                        view=ProfilePage
                        condition=guard
                        redirect_path=redirect
                        fallback=Loading
                    />
                    <Route path=path!("/login") view=LoginPage />
                    <Route path=path!("/register") view=RegisterPage />
                </Routes>
            </main>
        </Router>
    }
}

/// Where a private route sends a logged-out user: the login page, with the
/// current path as `next` unless the user chose to log out.
fn login_redirect(auth: Auth) -> String {
    let reason = auth.state_untracked();
    if matches!(
        reason,
        AuthState::LoggedOut {
            reason: LogoutReason::LoggedOut | LogoutReason::PasswordChanged
        }
    ) {
        return Page::Login.path().to_owned();
    }
    let location = window().location();
    let path = location.pathname().unwrap_or_default() + &location.search().unwrap_or_default();
    login_with_next(&path)
}

#[component]
fn AppHeader() -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    let username = Memo::new(move |_| auth.username());
    let checking = Memo::new(move |_| auth.logged_in().is_none());
    let on_logout = move |()| {
        auth.logout();
        navigate(Page::Login.path(), Default::default());
    };
    view! { <Header username checking on_logout /> }
}

/// What a private page shows while the stored session is being checked.
#[component]
fn Loading() -> impl IntoView {
    view! {
        <p class="loading" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true"></span>
            "Loading…"
        </p>
    }
}
