//! "5 minutes ago": how long ago something happened, in the largest whole
//! unit, as the sessions page says when a session was last active.

const MINUTE: f64 = 60.0;
const HOUR: f64 = 60.0 * MINUTE;
const DAY: f64 = 24.0 * HOUR;
const MONTH: f64 = 30.0 * DAY;
const YEAR: f64 = 365.0 * DAY;

/// `seconds` ago, e.g. "just now", "1 minute ago", "3 hours ago". A moment
/// in the future (the two clocks differ a little) is "just now" too.
pub fn time_ago(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "at an unknown time".to_owned();
    }
    let (count, unit) = match seconds {
        s if s < MINUTE => return "just now".to_owned(),
        s if s < HOUR => (s / MINUTE, "minute"),
        s if s < DAY => (s / HOUR, "hour"),
        s if s < MONTH => (s / DAY, "day"),
        s if s < YEAR => (s / MONTH, "month"),
        s => (s / YEAR, "year"),
    };
    // Whole units, rounded down: 119 s is "1 minute ago", as people say it.
    let count = count.floor() as u64;
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} {unit}{plural} ago")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_a_minute_is_just_now() {
        assert_eq!(time_ago(0.0), "just now");
        assert_eq!(time_ago(59.9), "just now");
        assert_eq!(time_ago(-30.0), "just now");
    }

    #[test]
    fn the_largest_whole_unit_is_named_once() {
        assert_eq!(time_ago(60.0), "1 minute ago");
        assert_eq!(time_ago(119.0), "1 minute ago");
        assert_eq!(time_ago(5.0 * 60.0 + 10.0), "5 minutes ago");
        assert_eq!(time_ago(HOUR), "1 hour ago");
        assert_eq!(time_ago(23.0 * HOUR + 59.0 * MINUTE), "23 hours ago");
        assert_eq!(time_ago(DAY), "1 day ago");
        assert_eq!(time_ago(3.0 * DAY), "3 days ago");
        assert_eq!(time_ago(2.0 * MONTH), "2 months ago");
        assert_eq!(time_ago(YEAR), "1 year ago");
        assert_eq!(time_ago(3.5 * YEAR), "3 years ago");
    }

    #[test]
    fn an_unreadable_time_says_so() {
        assert_eq!(time_ago(f64::NAN), "at an unknown time");
    }
}
