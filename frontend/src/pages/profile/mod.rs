//! `/profile`: names and email, the password, the username, and deleting
//! the account.

mod delete;
mod details;
mod password;
mod username;

use leptos::prelude::*;

#[component]
pub fn ProfilePage() -> impl IntoView {
    view! {
        <details::ProfileForm />
        <password::PasswordForm />
        <username::UsernameForm />
        <delete::DeleteAccountForm />
    }
}
