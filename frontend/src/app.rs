//! The root: the auth context, the refresh timer, the header and the routes.

use leptos::either::EitherOf3;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::hooks::use_navigate;
use leptos_router::path;

use crate::auth::context::{Auth, AuthState, LogoutReason, provide_auth, use_auth};
use crate::auth::refresh::start_refresh_timer;
use crate::components::header::Header;
use crate::pages::{
    activate::ActivatePage,
    home::HomePage,
    login::LoginPage,
    not_found::NotFoundPage,
    password_reset::{PasswordResetConfirmPage, PasswordResetPage},
    profile::ProfilePage,
    register::RegisterPage,
    sessions::SessionsPage,
    username_reset::{UsernameResetConfirmPage, UsernameResetPage},
};
use crate::routes::{Page, login_after_expiry, login_with_next};

#[component]
pub fn App() -> impl IntoView {
    let auth = provide_auth();
    start_refresh_timer(auth);

    view! {
        <Router>
            <AppHeader />
            <main id="main" class="container">
                <Routes fallback=|| view! { <NotFoundPage /> }>
                    <Route path=path!("/") view=|| view! { <Private><HomePage /></Private> } />
                    <Route path=path!("/profile") view=|| view! { <Private><ProfilePage /></Private> } />
                    <Route path=path!("/sessions") view=|| view! { <Private><SessionsPage /></Private> } />
                    <Route path=path!("/login") view=LoginPage />
                    <Route path=path!("/register") view=RegisterPage />
                    // The pages of mailed links (djoser's paths, API.md Part 2):
                    // open to anyone, logged in or not.
                    <Route path=path!("/password/reset") view=PasswordResetPage />
                    <Route path=path!("/password/reset/confirm/:uid/:token") view=PasswordResetConfirmPage />
                    <Route path=path!("/activate/:uid/:token") view=ActivatePage />
                    <Route path=path!("/username/reset") view=UsernameResetPage />
                    <Route path=path!("/username/reset/confirm/:uid/:token") view=UsernameResetConfirmPage />
                </Routes>
            </main>
        </Router>
    }
}

/// A page for logged-in users only: the loading state while the stored
/// session is checked, then the page or the way to the login page.
///
/// Not leptos_router's `ProtectedRoute`: its `<Redirect>` takes no options and
/// so pushes the login page on top of the private path, and Back then lands
/// on the private path, which redirects to the login page again. Replacing
/// the entry lets Back leave as the user expects.
#[component]
fn Private(children: ChildrenFn) -> impl IntoView {
    let auth = use_auth();
    // A memo, so that a token refresh (new claims, same user) re-renders
    // nothing: the page stays mounted and keeps what the user typed.
    let logged_in = Memo::new(move |_| auth.logged_in());
    // Whether this page was shown to a logged-in user: a logout while it is
    // open goes to the bare login page, a visit while logged out keeps `next`.
    let was_shown = StoredValue::new(false);
    move || match logged_in.get() {
        Some(true) => {
            was_shown.set_value(true);
            EitherOf3::A(children())
        }
        Some(false) => {
            let options = NavigateOptions {
                replace: true,
                ..Default::default()
            };
            let path = login_redirect(auth, was_shown.get_value());
            EitherOf3::B(view! { <Redirect path options /> })
        }
        None => EitherOf3::C(view! { <Loading /> }),
    }
}

/// Where a private route sends a logged-out user: the login page with the
/// current path as `next` (and the expired flag when the server ended the
/// session), except when the page was open as the user logged out (here or
/// in another tab) or changed the password: that goes to the bare login page.
fn login_redirect(auth: Auth, was_shown: bool) -> String {
    let reason = match auth.state_untracked() {
        AuthState::LoggedOut { reason } => reason,
        _ => LogoutReason::NoSession,
    };
    if was_shown
        && matches!(
            reason,
            LogoutReason::LoggedOut
                | LogoutReason::PasswordChanged
                | LogoutReason::UsernameChanged
                | LogoutReason::AccountDeleted
        )
    {
        return Page::Login.path().to_owned();
    }
    let location = window().location();
    let path = location.pathname().unwrap_or_default() + &location.search().unwrap_or_default();
    if reason == LogoutReason::SessionExpired {
        login_after_expiry(&path)
    } else {
        login_with_next(&path)
    }
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
