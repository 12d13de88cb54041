//! Any path the app does not know.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::routes::Page;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <section class="card narrow center" aria-labelledby="not-found-heading">
            <h1 id="not-found-heading">"Page not found"</h1>
            <p>"There is nothing at this address."</p>
            <p>
                <A href=Page::Home.path()>"Go to the home page"</A>
            </p>
        </section>
    }
}
