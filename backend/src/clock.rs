//! Time: one `Timestamp` type and one `Clock`, held in `AppState`, that every
//! rule about expiry, grace, windows and stored times reads. Tests use a
//! clock they move, so expiry is tested without waiting for it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// Microseconds since the Unix epoch: the unit the database stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

const MICROS: i64 = 1_000_000;

impl Timestamp {
    pub const fn from_micros(micros: i64) -> Self {
        Timestamp(micros)
    }

    pub const fn from_secs(secs: i64) -> Self {
        Timestamp(secs * MICROS)
    }

    pub const fn micros(self) -> i64 {
        self.0
    }

    /// Whole seconds, as JWT claims count them (rounded down).
    pub const fn secs(self) -> i64 {
        self.0.div_euclid(MICROS)
    }

    /// ISO 8601 in UTC with microseconds, as API.md shows.
    pub fn iso8601(self) -> String {
        chrono::DateTime::from_timestamp_micros(self.0)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    }
}

/// A duration in the database's unit, saturating rather than wrapping.
pub fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

impl std::ops::Add<Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(micros(d)))
    }
}

impl std::ops::Sub<Duration> for Timestamp {
    type Output = Timestamp;
    fn sub(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_sub(micros(d)))
    }
}

impl std::ops::Sub for Timestamp {
    type Output = Duration;
    /// How long after `earlier` this is; zero if it is not after it.
    fn sub(self, earlier: Timestamp) -> Duration {
        Duration::from_micros(u64::try_from(self.0 - earlier.0).unwrap_or(0))
    }
}

/// Where "now" comes from: the system's clock, the system's clock moved
/// ahead by a test, or a clock that stands still until moved.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    moved: Option<Moved>,
}

#[derive(Debug, Clone)]
struct Moved {
    /// Frozen clocks stand at `offset`; others run at system time + `offset`.
    frozen: bool,
    offset: Arc<AtomicI64>,
}

impl Clock {
    /// The system's clock.
    pub fn system() -> Self {
        Clock { moved: None }
    }

    /// The system's clock, which a test can move ahead: time still passes,
    /// so order and "later than" hold, but an expiry need not be waited for.
    pub fn movable() -> Self {
        Clock {
            moved: Some(Moved {
                frozen: false,
                offset: Arc::new(AtomicI64::new(0)),
            }),
        }
    }

    /// A clock that stands at `start` until moved.
    pub fn frozen(start: Timestamp) -> Self {
        Clock {
            moved: Some(Moved {
                frozen: true,
                offset: Arc::new(AtomicI64::new(start.micros())),
            }),
        }
    }

    pub fn now(&self) -> Timestamp {
        let system = || chrono::Utc::now().timestamp_micros();
        match &self.moved {
            None => Timestamp(system()),
            Some(m) if m.frozen => Timestamp(m.offset.load(Ordering::SeqCst)),
            Some(m) => Timestamp(system() + m.offset.load(Ordering::SeqCst)),
        }
    }

    /// Moves the clock forward; the system's own cannot be moved.
    pub fn advance(&self, by: Duration) {
        let moved = self
            .moved
            .as_ref()
            .expect("only a movable or frozen clock can be moved");
        moved.offset.fetch_add(micros(by), Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frozen_clock_moves_only_when_told() {
        let clock = Clock::frozen(Timestamp::from_secs(1_800_000_000));
        assert_eq!(clock.now().secs(), 1_800_000_000);
        clock.advance(Duration::from_millis(1_500));
        assert_eq!(clock.now().micros(), 1_800_000_001_500_000);
        assert_eq!(clock.now().secs(), 1_800_000_001);
        // Clones share the time.
        let other = clock.clone();
        other.advance(Duration::from_secs(1));
        assert_eq!(clock.now().secs(), 1_800_000_002);
    }

    #[test]
    fn a_movable_clock_runs_and_jumps() {
        let clock = Clock::movable();
        let before = Clock::system().now();
        clock.advance(Duration::from_secs(3600));
        let after = clock.now();
        assert!(after - before >= Duration::from_secs(3600));
        assert!(after - before < Duration::from_secs(3660));
        assert!(clock.now() >= after, "time still passes");
    }

    #[test]
    fn timestamps_add_and_compare() {
        let t = Timestamp::from_secs(10);
        assert_eq!((t + Duration::from_secs(5)) - t, Duration::from_secs(5));
        assert_eq!(t - (t + Duration::from_secs(5)), Duration::ZERO);
        assert_eq!(Timestamp::from_micros(-1).secs(), -1);
        assert_eq!(
            Timestamp::from_micros(1_500_000).iso8601(),
            "1970-01-01T00:00:01.500000Z"
        );
    }
}
