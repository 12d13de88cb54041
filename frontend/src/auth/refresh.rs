//! Keeps the session alive: a timer at the root refreshes the access token
//! before it expires, so the user never waits for (or sees) a refresh.

use gloo_timers::callback::Interval;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::context::Auth;

/// Often enough that the refresh window (a quarter of the lifetime: 0.75 s
/// for the tests' 3 s tokens) cannot fall between two ticks; a check is a
/// comparison of two numbers, with no network.
const CHECK_EVERY_MS: u32 = 250;

/// Starts the one refresh timer. It lives as long as the calling owner (the
/// root): dropping the `Interval` clears it.
pub fn start_refresh_timer(auth: Auth) {
    let interval = Interval::new(CHECK_EVERY_MS, move || {
        if auth.refresh_due() {
            spawn_local(async move {
                // A failure has already been handled: a refused refresh ended
                // the session, and after a network error the backoff says
                // when the timer tries again.
                let _ = auth.refresh().await;
            });
        }
    });
    let interval = StoredValue::new_local(Some(interval));
    on_cleanup(move || {
        if let Some(interval) = interval.try_update_value(Option::take).flatten() {
            interval.cancel();
        }
    });
}
