//! The token pair in `localStorage` (key `authTokens`), and beside it why
//! the last session ended (key `authEnded`): the one place that touches
//! browser storage.
//!
//! Storage, not a signal, is the source of truth for the tokens: every tab
//! reads the same pair, so a refresh or logout in one tab is seen by the next
//! request of any other.

use gloo_storage::{LocalStorage, Storage};
use leptos::ev;
use leptos::prelude::{WindowListenerHandle, window_event_listener};
use shared::TokenPair;

/// Stored as `{"access": "...", "refresh": "..."}`.
pub const KEY: &str = "authTokens";

pub fn load() -> Option<TokenPair> {
    LocalStorage::get(KEY).ok()
}

pub fn save(pair: &TokenPair) {
    // Storage can be full or disabled (some private modes); the session then
    // lives for this page only, which is the best that can be done.
    let _ = LocalStorage::set(KEY, pair);
}

/// Why the last session ended, for the other tabs: `"expired"`,
/// `"logged_out"` or `"password_changed"`. Written before the pair is
/// removed, so a tab that sees the pair go can read it; removed by a login.
pub const ENDED_KEY: &str = "authEnded";

/// Stores the pair of a new login, which starts a new session.
pub fn save_login(pair: &TokenPair) {
    LocalStorage::delete(ENDED_KEY);
    save(pair);
}

/// Removes the pair, saying `why` the session ended.
pub fn clear(why: &str) {
    let _ = LocalStorage::set(ENDED_KEY, why);
    LocalStorage::delete(KEY);
}

/// Why the session ended, if storage says so.
pub fn ended() -> Option<String> {
    LocalStorage::get(ENDED_KEY).ok()
}

/// Calls `on_change` with the stored pair whenever another tab changes it.
/// The browser fires `storage` only in the other tabs of the origin.
pub fn watch(on_change: impl Fn(Option<TokenPair>) + 'static) -> WindowListenerHandle {
    window_event_listener(ev::storage, move |event| {
        // `key` is None when another tab cleared all of localStorage.
        if event.key().is_none_or(|key| key == KEY) {
            on_change(load());
        }
    })
}
