//! Login throttling (API.md, "Login rate limit"): after N failures for one
//! username from one client address within the window, every login for that
//! pair is refused, even with the right password, until the window passes.
//! The counts live in the database, so all instances share them.

use crate::config::LoginLimit;
use crate::error::ApiError;
use crate::store::attempts::Recent;

const MICROS: i64 = 1_000_000;

/// Failures at or before this time (µs) no longer count.
pub fn window_start(limit: &LoginLimit, now: i64) -> i64 {
    now - limit.window.as_micros() as i64
}

/// `Err(Throttled)` if the pair has used up its failures in the window
/// (`recent` counted since [`window_start`]); `now` in µs.
pub fn check(limit: &LoginLimit, recent: Recent, now: i64) -> Result<(), ApiError> {
    if recent.count < i64::from(limit.max_failures) {
        return Ok(());
    }
    // The limit lifts when the oldest counted failure leaves the window.
    let window = limit.window.as_micros() as i64;
    let lifts_at = recent.oldest.unwrap_or(now) + window;
    let retry_after = ((lifts_at - now + MICROS - 1) / MICROS).max(1) as u64;
    tracing::info!(failures = recent.count, "login throttled");
    Err(ApiError::Throttled { retry_after })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const LIMIT: LoginLimit = LoginLimit {
        max_failures: 3,
        window: Duration::from_secs(60),
    };
    const NOW: i64 = 1_000 * MICROS;

    fn retry_after(recent: Recent) -> Option<u64> {
        match check(&LIMIT, recent, NOW) {
            Ok(()) => None,
            Err(ApiError::Throttled { retry_after }) => Some(retry_after),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn below_the_limit_passes() {
        assert_eq!(
            retry_after(Recent {
                count: 0,
                oldest: None
            }),
            None
        );
        let two = Recent {
            count: 2,
            oldest: Some(NOW - MICROS),
        };
        assert_eq!(retry_after(two), None);
    }

    #[test]
    fn at_the_limit_waits_until_the_oldest_failure_leaves_the_window() {
        let oldest = NOW - 20 * MICROS;
        let three = Recent {
            count: 3,
            oldest: Some(oldest),
        };
        assert_eq!(retry_after(three), Some(40));
        // A part of a second still to wait is a whole second.
        let three = Recent {
            count: 3,
            oldest: Some(oldest + 1),
        };
        assert_eq!(retry_after(three), Some(41));
    }

    #[test]
    fn never_asks_for_less_than_a_second() {
        let edge = Recent {
            count: 5,
            oldest: Some(NOW - 60 * MICROS + 1),
        };
        assert_eq!(retry_after(edge), Some(1));
    }

    #[test]
    fn the_window_starts_its_length_before_now() {
        assert_eq!(window_start(&LIMIT, NOW), NOW - 60 * MICROS);
    }
}
