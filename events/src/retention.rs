//! How long an event is kept.
//!
//! Most of an account's events are sign-in activity: passwords tried,
//! sessions started and ended, codes sent and accepted. Each of them
//! matters to the account's state for a bounded time only (a pending login
//! five minutes, a session eight hours, a failure streak a day, a logout 30
//! days: `account::ENDED_SESSIONS_KEPT`). After that they are history, and
//! the GDPR's storage limitation says history with an IP address in it is
//! not kept without a reason. The reasons here are support's (was the
//! account in use, and how, when someone asks to reset its second factor)
//! and the owner's (their recent activity): both look back weeks, not
//! years.
//!
//! So sign-in activity expires `sign_in_activity` after it was recorded
//! (90 days unless the operator sets otherwise, never less than
//! `MIN_DAYS`), and everything else is kept: registration, password and
//! factor changes, recovery codes, app passwords, reset requests and
//! support's decisions. Because an expiring event's effect on the state has
//! ended long before it expires, a fold of what is left gives the same
//! answers as a fold of everything (`events/tests/retention.rs`); answers
//! about sign-in history (the last login) reach back to the horizon only.

use time::{Duration, OffsetDateTime};

/// Whether an event expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retention {
    /// Kept for the account's life.
    Kept,
    /// Sign-in activity: kept `RetentionPolicy::sign_in_activity`.
    SignInActivity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// How long sign-in activity is kept; `None` keeps it for ever.
    pub sign_in_activity: Option<Duration>,
}

impl RetentionPolicy {
    pub const DEFAULT_DAYS: i64 = 90;

    /// The shortest allowed: longer than the longest effect of any expiring
    /// event (a logout is remembered 30 days, for the apps' grants).
    pub const MIN_DAYS: i64 = 31;

    /// A policy of `days` (`None`: kept for ever); fewer than `MIN_DAYS`
    /// is refused with the reason.
    pub fn sign_in_activity_days(days: Option<i64>) -> Result<RetentionPolicy, String> {
        match days {
            Some(d) if d < Self::MIN_DAYS => Err(format!(
                "sign-in activity must be kept at least {} days (a logout ends the apps' grants for 30), not {d}",
                Self::MIN_DAYS
            )),
            _ => Ok(RetentionPolicy { sign_in_activity: days.map(Duration::days) }),
        }
    }

    /// When an event of `retention` recorded at `at` may be deleted.
    pub fn expires_at(&self, retention: Retention, at: OffsetDateTime) -> Option<OffsetDateTime> {
        match retention {
            Retention::Kept => None,
            Retention::SignInActivity => self.sign_in_activity.map(|kept| at + kept),
        }
    }

    /// The oldest sign-in activity still on record at `now`: answers about
    /// it (the last login) reach back this far, whether or not older
    /// events have been deleted yet.
    pub fn horizon(&self, now: OffsetDateTime) -> Option<OffsetDateTime> {
        self.sign_in_activity.map(|kept| now - kept)
    }
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy { sign_in_activity: Some(Duration::days(Self::DEFAULT_DAYS)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn sign_in_activity_expires_after_the_policy_and_the_rest_never() {
        let at = datetime!(2026-12-03 10:00 UTC);
        let policy = RetentionPolicy::default();
        assert_eq!(policy.expires_at(Retention::SignInActivity, at), Some(datetime!(2027-03-03 10:00 UTC)));
        assert_eq!(policy.expires_at(Retention::Kept, at), None);
        let forever = RetentionPolicy::sign_in_activity_days(None).unwrap();
        assert_eq!(forever.expires_at(Retention::SignInActivity, at), None);
        assert_eq!(forever.horizon(at), None);
    }

    #[test]
    fn fewer_than_31_days_are_refused_with_the_reason() {
        let refused = RetentionPolicy::sign_in_activity_days(Some(30)).unwrap_err();
        assert!(refused.contains("at least 31 days"), "{refused}");
        assert_eq!(
            RetentionPolicy::sign_in_activity_days(Some(31)).unwrap().sign_in_activity,
            Some(Duration::days(31))
        );
    }
}
