//! The header on every page: `Home`, and `Login` or `Hello <username>!` with
//! `Profile`, `Sessions` and `Logout`.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::routes::Page;

#[component]
pub fn Header(
    /// The logged-in user's name; `None` when logged out.
    #[prop(into)]
    username: Signal<Option<String>>,
    /// True while the stored session is being checked: show neither link.
    #[prop(into)]
    checking: Signal<bool>,
    #[prop(into)] on_logout: Callback<()>,
) -> impl IntoView {
    let user_menu = move || match username.get() {
        Some(name) => view! {
            <span class="user-menu">
                <span class="greeting">{format!("Hello {name}!")}</span>
                <A href=Page::Profile.path()>"Profile"</A>
                <A href=Page::Sessions.path()>"Sessions"</A>
                <button type="button" class="button secondary" on:click=move |_| on_logout.run(())>
                    "Logout"
                </button>
            </span>
        }
        .into_any(),
        None if checking.get() => ().into_any(),
        None => view! {
            <span class="user-menu">
                <A href=Page::Login.path()>"Login"</A>
            </span>
        }
        .into_any(),
    };
    view! {
        <header class="site-header">
            <nav class="nav" aria-label="Main">
                <span class="brand" aria-hidden="true">
                    "Notebook"
                </span>
                <A href=Page::Home.path() exact=true>
                    "Home"
                </A>
                {user_menu}
            </nav>
        </header>
    }
}
