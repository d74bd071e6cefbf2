//! Sliding-window quotas: "at most `max` in any `length`". Used for the SMS
//! limits that stop SMS pumping (per account, per number, and a global
//! ceiling that protects the bill). Sliding rather than per clock hour or
//! day, so a burst straddling 10:59 and 11:00 counts as one hour.

use time::{Duration, OffsetDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub length: Duration,
    pub max: usize,
}

impl Window {
    pub const fn new(length: Duration, max: usize) -> Window {
        Window { length, max }
    }
}

/// Whether one more use at `now` fits every window, given the times of the
/// earlier uses. `Ok` holds the times to remember (the old ones still
/// inside the longest window, plus `now`); `Err` holds the seconds until it
/// would fit (at least 1).
pub fn admit(used: &[OffsetDateTime], windows: &[Window], now: OffsetDateTime) -> Result<Vec<OffsetDateTime>, u64> {
    let mut retry_after: u64 = 0;
    for window in windows {
        let mut inside: Vec<_> = used.iter().copied().filter(|t| *t > now - window.length && *t <= now).collect();
        if inside.len() >= window.max {
            inside.sort_unstable();
            // The uses that must drop out before one more fits; the last of
            // those leaves the window at its time + length. A cap of zero
            // never fits: wait a whole window.
            let must_leave = inside.len() + 1 - window.max;
            let free_at = match window.max {
                0 => now + window.length,
                _ => inside[must_leave - 1] + window.length,
            };
            let wait = crate::refusal::retry_after_secs(free_at - now);
            retry_after = retry_after.max(wait);
        }
    }
    if retry_after > 0 {
        return Err(retry_after);
    }
    let longest = windows.iter().map(|w| w.length).max().unwrap_or(Duration::ZERO);
    let mut kept: Vec<_> = used.iter().copied().filter(|t| *t > now - longest && *t <= now).collect();
    kept.push(now);
    kept.sort_unstable();
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const HOURLY_5_DAILY_10: [Window; 2] = [Window::new(Duration::HOUR, 5), Window::new(Duration::DAY, 10)];

    /// Sends as many as admitted at each time, returning what was refused.
    fn run(times: &[OffsetDateTime], windows: &[Window]) -> (Vec<OffsetDateTime>, Vec<(OffsetDateTime, u64)>) {
        let mut used = Vec::new();
        let mut refused = Vec::new();
        for &t in times {
            match admit(&used, windows, t) {
                Ok(kept) => used = kept,
                Err(wait) => refused.push((t, wait)),
            }
        }
        (used, refused)
    }

    #[test]
    fn spacing_of_one_per_minute() {
        let spacing = [Window::new(Duration::seconds(60), 1)];
        let t0 = datetime!(2026-03-01 10:00:00 UTC);
        let used = admit(&[], &spacing, t0).unwrap();
        assert_eq!(admit(&used, &spacing, t0 + Duration::seconds(1)), Err(59));
        assert_eq!(admit(&used, &spacing, t0 + Duration::seconds(59)), Err(1));
        assert!(admit(&used, &spacing, t0 + Duration::seconds(60)).is_ok());
    }

    #[test]
    fn an_hourly_cap_slides_across_the_full_hour() {
        // Five at 10:58..10:59:20, then at 11:00 the clock hour changed but
        // the last hour still holds five: refused until 11:58.
        let t = datetime!(2026-03-01 10:58:00 UTC);
        let times: Vec<_> = (0..5).map(|i| t + Duration::seconds(20 * i)).collect();
        let (used, refused) = run(&times, &HOURLY_5_DAILY_10);
        assert!(refused.is_empty());
        assert_eq!(admit(&used, &HOURLY_5_DAILY_10, datetime!(2026-03-01 11:00:00 UTC)), Err(58 * 60));
        assert_eq!(admit(&used, &HOURLY_5_DAILY_10, datetime!(2026-03-01 11:57:59 UTC)), Err(1));
        assert!(admit(&used, &HOURLY_5_DAILY_10, datetime!(2026-03-01 11:58:00 UTC)).is_ok());
    }

    #[test]
    fn a_daily_cap_slides_across_midnight() {
        // Five an hour from 20:00 to 23:59 on day one: ten pass, then the
        // daily cap holds after midnight until 24 h after the first.
        let start = datetime!(2026-03-01 20:00:00 UTC);
        let times: Vec<_> = (0..20).map(|i| start + Duration::minutes(13 * i)).collect();
        let (used, refused) = run(&times, &HOURLY_5_DAILY_10);
        assert_eq!(used.len(), 10);
        assert_eq!(refused.len(), 10);
        let after_midnight = datetime!(2026-03-02 00:30:00 UTC);
        let first = used[0];
        assert_eq!(
            admit(&used, &HOURLY_5_DAILY_10, after_midnight),
            Err((first + Duration::DAY - after_midnight).whole_seconds() as u64)
        );
        assert!(admit(&used, &HOURLY_5_DAILY_10, first + Duration::DAY).is_ok());
    }

    #[test]
    fn a_wait_with_a_fraction_of_a_second_is_rounded_up_like_a_lockout() {
        let now = datetime!(2026-03-01 12:00:00 UTC);
        let used = [now - Duration::milliseconds(30_500)];
        // Free again at now + 29.5 s: 29 would send the client back too early.
        assert_eq!(admit(&used, &[Window::new(Duration::seconds(60), 1)], now), Err(30));
    }

    #[test]
    fn the_longest_wait_of_all_windows_counts() {
        let windows = [Window::new(Duration::seconds(60), 1), Window::new(Duration::HOUR, 2)];
        let t0 = datetime!(2026-03-01 10:00:00 UTC);
        let (used, _) = run(&[t0, t0 + Duration::minutes(2)], &windows);
        // Both windows are full at 10:02:30: the minute frees at 10:03:00,
        // the hour only at 11:00:00.
        assert_eq!(admit(&used, &windows, t0 + Duration::seconds(150)), Err(3450));
    }

    #[test]
    fn forgets_what_left_the_longest_window() {
        let windows = [Window::new(Duration::HOUR, 5)];
        let t0 = datetime!(2026-03-01 10:00:00 UTC);
        let kept = admit(&[t0, t0 + Duration::minutes(1)], &windows, t0 + Duration::minutes(61)).unwrap();
        assert_eq!(kept, vec![t0 + Duration::minutes(61)]);
    }

    #[test]
    fn a_zero_cap_admits_nothing() {
        let t0 = datetime!(2026-03-01 10:00:00 UTC);
        assert_eq!(admit(&[], &[Window::new(Duration::HOUR, 0)], t0), Err(3600));
    }
}
