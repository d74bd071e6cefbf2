//! Consecutive failures and the exponential backoff they earn.
//!
//! Used for password failures and for second-factor failures alike, each
//! counted per account (across sessions, tokens and IPs) because the count
//! lives in the account's event stream, not in a session.
//!
//! A streak ends with a success, or after `STREAK_FORGOTTEN` without a
//! failure. The longest lock is far shorter, so forgetting never cuts a lock
//! short, and an attacker who waits a day for ten fresh attempts gets fewer
//! tries than one who keeps going at the locked pace (about 24 a day). It
//! also lets failure events expire (`crate::retention`): a streak that
//! reaches back past the retention horizon is forgotten or saturated either
//! way, so dropping its old failures changes no lock.

use time::{Duration, OffsetDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures allowed before the first lock.
    pub free_attempts: u32,
    /// Length of the first lock; each further failure doubles it.
    pub base: Duration,
    /// Longest lock.
    pub max: Duration,
}

impl LockoutPolicy {
    /// Ten failures, then 1 minute, 2, 4, ... up to an hour: an attacker
    /// gets about 10 + 24 tries a day, a user who mistypes loses a minute.
    pub const STANDARD: LockoutPolicy =
        LockoutPolicy { free_attempts: 10, base: Duration::minutes(1), max: Duration::hours(1) };
}

/// A day without a failure ends a streak.
pub const STREAK_FORGOTTEN: Duration = Duration::DAY;

const _: () = assert!(
    LockoutPolicy::STANDARD.max.whole_seconds() < STREAK_FORGOTTEN.whole_seconds(),
    "forgetting a streak must never end a running lock"
);

/// Consecutive failures since the last success.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Failures {
    pub count: u32,
    pub last_at: Option<OffsetDateTime>,
}

impl Failures {
    pub fn record(&mut self, at: OffsetDateTime) {
        *self = self.current(at);
        self.count = self.count.saturating_add(1);
        self.last_at = Some(at);
    }

    /// Counts a failure at `at` unless the failures so far lock it then:
    /// `Err(retry_after)` and nothing counted, as an account's stream
    /// records no failure while it is locked. Counters outside an event
    /// stream apply this in one atomic step (read, decide, conditional
    /// write), so racing callers are counted as the stream would count them.
    pub fn try_record(&mut self, policy: &LockoutPolicy, at: OffsetDateTime) -> Result<(), u64> {
        if let Some(retry_after) = self.retry_after(policy, at) {
            return Err(retry_after);
        }
        self.record(at);
        Ok(())
    }

    /// The streak as it stands at `now`: none once a day has passed
    /// without a failure.
    pub fn current(&self, now: OffsetDateTime) -> Failures {
        match self.last_at {
            Some(last) if now - last >= STREAK_FORGOTTEN => Failures::default(),
            _ => *self,
        }
    }

    pub fn reset(&mut self) {
        *self = Failures::default();
    }

    /// When the lock ends, if the failures so far earn one.
    pub fn locked_until(&self, policy: &LockoutPolicy) -> Option<OffsetDateTime> {
        let last = self.last_at?;
        let over = self.count.checked_sub(policy.free_attempts)?;
        let lock = policy
            .base
            .checked_mul(1i32.checked_shl(over.min(30)).unwrap_or(i32::MAX))
            .map_or(policy.max, |d| d.min(policy.max));
        Some(last + lock)
    }

    /// Seconds to wait (rounded up, at least 1) while locked, else `None`.
    pub fn retry_after(&self, policy: &LockoutPolicy, now: OffsetDateTime) -> Option<u64> {
        let until = self.locked_until(policy)?;
        (until > now).then(|| crate::refusal::retry_after_secs(until - now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const P: LockoutPolicy = LockoutPolicy::STANDARD;

    fn failures(n: u32, at: OffsetDateTime) -> Failures {
        let mut f = Failures::default();
        for _ in 0..n {
            f.record(at);
        }
        f
    }

    #[test]
    fn nine_failures_do_not_lock() {
        let now = datetime!(2026-11-02 10:00 UTC);
        assert_eq!(failures(9, now).retry_after(&P, now), None);
    }

    #[test]
    fn the_tenth_failure_locks_for_a_minute() {
        let now = datetime!(2026-11-02 10:00 UTC);
        let f = failures(10, now);
        assert_eq!(f.retry_after(&P, now), Some(60));
        assert_eq!(f.retry_after(&P, now + Duration::seconds(59)), Some(1));
        assert_eq!(f.retry_after(&P, now + Duration::seconds(60)), None);
    }

    #[test]
    fn each_further_failure_doubles_the_lock_up_to_an_hour() {
        let now = datetime!(2026-11-02 10:00 UTC);
        assert_eq!(failures(11, now).retry_after(&P, now), Some(120));
        assert_eq!(failures(13, now).retry_after(&P, now), Some(480));
        assert_eq!(failures(16, now).retry_after(&P, now), Some(3600));
        assert_eq!(failures(200, now).retry_after(&P, now), Some(3600));
    }

    #[test]
    fn try_record_counts_until_locked_and_not_while_locked() {
        let now = datetime!(2026-11-02 10:00 UTC);
        let mut f = Failures::default();
        let answers: Vec<_> = (0..12).map(|_| f.try_record(&P, now)).collect();
        assert_eq!(answers[..10], [Ok(()); 10]);
        assert_eq!(answers[10..], [Err(60), Err(60)]);
        assert_eq!(f, failures(10, now), "refused attempts are not counted");
        assert_eq!(f.try_record(&P, now + Duration::minutes(1)), Ok(()));
        assert_eq!(f.count, 11);
    }

    #[test]
    fn a_day_without_a_failure_ends_the_streak() {
        let now = datetime!(2026-11-02 10:00 UTC);
        let mut f = failures(12, now);
        assert_eq!(f.current(now + Duration::hours(23)).count, 12);
        assert_eq!(f.current(now + Duration::DAY), Failures::default());
        f.record(now + Duration::hours(23));
        assert_eq!(f.count, 13, "a failure within the day continues the streak");
        f.record(now + Duration::hours(47));
        assert_eq!(f.count, 1, "a failure a day after the last starts a new one");
        assert_eq!(f.retry_after(&P, now + Duration::hours(47)), None);
    }

    #[test]
    fn reset_clears_the_lock() {
        let now = datetime!(2026-11-02 10:00 UTC);
        let mut f = failures(12, now);
        f.reset();
        assert_eq!(f.retry_after(&P, now), None);
    }
}
