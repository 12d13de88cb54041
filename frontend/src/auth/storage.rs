//! The token pair in `localStorage` (key `authTokens`), the one place that
//! touches browser storage.
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

pub fn clear() {
    LocalStorage::delete(KEY);
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
