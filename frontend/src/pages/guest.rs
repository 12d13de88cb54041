//! What the pages for logged-out visitors (`/login`, `/register`) share:
//! UI.md "Already logged in".

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

use crate::auth::context::use_auth;
use crate::routes::Page;

/// The loading state while the stored session is checked, the page while
/// nobody is logged in, and once someone is (when the page opens, or later)
/// on to `destination`: Home unless the page says otherwise. The page's
/// history entry is replaced, so Back does not return to it.
#[component]
pub fn GuestOnly(
    /// Where a logged-in user goes, asked at the moment of leaving.
    #[prop(optional, into)]
    destination: Option<Callback<(), String>>,
    children: ChildrenFn,
) -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if auth.logged_in() == Some(true) {
            let path = destination.map_or_else(|| Page::Home.path().to_owned(), |d| d.run(()));
            navigate(
                &path,
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });
    view! {
        <Show
            when=move || auth.logged_in() == Some(false)
            fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }
        >
            {children()}
        </Show>
    }
}
