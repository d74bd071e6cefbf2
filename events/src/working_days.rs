//! The support queue's deadline: 24 hours after submission, counted on
//! working days only.
//!
//! A working day is a whole local day, midnight to midnight, Monday to
//! Friday, that is not a public holiday of the configured calendar. Only
//! time that passes inside working days counts, measured as real elapsed
//! time: a working day on which the clocks change would count 23 or 25
//! hours (in Europe the change falls on a Sunday, so it never does there).
//! So Friday 15:00 gives Monday 15:00, and Saturday 10:00 gives Tuesday
//! 00:00, the end of the first working day.
//!
//! `time` knows no time zones; `jiff` brings the IANA database compiled in,
//! so the answer does not depend on the machine's /usr/share/zoneinfo.

use std::collections::BTreeSet;
use std::fmt;

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use time::OffsetDateTime;

/// How long support has to answer, in working time.
pub const SUPPORT_DEADLINE: SignedDuration = SignedDuration::from_hours(24);

/// A named set of public holidays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HolidaySet {
    /// Germany's nationwide holidays: New Year, Good Friday, Easter Monday,
    /// 1 May, Ascension, Whit Monday, 3 October, 25 and 26 December.
    /// Regional ones (Epiphany, Corpus Christi, ...) are not included; add
    /// them as extra dates.
    Germany,
    /// No named holidays; only the extra dates.
    None,
}

impl HolidaySet {
    /// Whether `date` is one of this set's holidays. Easter is computed, so
    /// every year is covered without a table to keep up to date.
    pub fn contains(self, date: Date) -> bool {
        match self {
            HolidaySet::None => false,
            HolidaySet::Germany => {
                let fixed = matches!((date.month(), date.day()), (1, 1) | (5, 1) | (10, 3) | (12, 25) | (12, 26));
                let Some(easter) = easter_sunday(date.year()) else { return fixed };
                // Days after Easter Sunday: Good Friday -2, Easter Monday +1,
                // Ascension +39, Whit Monday +50.
                let offset = date.since(easter).map(|s| s.get_days()).unwrap_or(i32::MAX);
                fixed || matches!(offset, -2 | 1 | 39 | 50)
            }
        }
    }
}

/// Easter Sunday of the Gregorian calendar (the anonymous algorithm of
/// Meeus, Jones and Butcher), `None` only for years jiff cannot represent.
pub fn easter_sunday(year: i16) -> Option<Date> {
    let y = i32::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date::new(year, month as i8, day as i8).ok()
}

/// Which days count and in which time zone. Default: Germany's nationwide
/// holidays in Europe/Berlin.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkCalendar {
    time_zone: TimeZone,
    holidays: HolidaySet,
    extra: BTreeSet<Date>,
}

/// A setting that does not describe a calendar. The text names the part
/// that is wrong, so a deploy with a typo fails at start-up, loudly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("unknown holiday set or date {0:?} (expected DE, none or YYYY-MM-DD)")]
    Holidays(String),
    #[error("more than one holiday set named: {0:?}")]
    TwoSets(String),
    #[error("unknown time zone {0:?} (expected an IANA name such as Europe/Berlin)")]
    TimeZone(String),
}

impl Default for WorkCalendar {
    fn default() -> Self {
        WorkCalendar::germany()
    }
}

impl WorkCalendar {
    /// Germany's nationwide holidays in Europe/Berlin.
    pub fn germany() -> Self {
        WorkCalendar {
            time_zone: TimeZone::get("Europe/Berlin").expect("the bundled tz database has Europe/Berlin"),
            holidays: HolidaySet::Germany,
            extra: BTreeSet::new(),
        }
    }

    /// A calendar from the settings `PORTAL_HOLIDAYS` and
    /// `PORTAL_TIME_ZONE` (`None` or blank: the default).
    ///
    /// `holidays` is a comma-separated list of a named set (`DE` or
    /// `none`, case-insensitive) and extra dates (`YYYY-MM-DD`), e.g.
    /// `DE,2026-12-24,2026-12-31`. Without a named set the dates are added
    /// to Germany's holidays; `none,2026-12-24` has that one date only.
    /// `time_zone` is an IANA name such as `Europe/Vienna`.
    pub fn from_settings(holidays: Option<&str>, time_zone: Option<&str>) -> Result<Self, CalendarError> {
        let mut calendar = WorkCalendar::germany();
        if let Some(name) = time_zone.map(str::trim).filter(|s| !s.is_empty()) {
            calendar.time_zone = TimeZone::get(name).map_err(|_| CalendarError::TimeZone(name.to_owned()))?;
        }
        let mut named = None;
        for item in holidays.unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let set = match item.to_ascii_lowercase().as_str() {
                "de" => Some(HolidaySet::Germany),
                "none" => Some(HolidaySet::None),
                _ => None,
            };
            match set {
                Some(_) if named.is_some() => return Err(CalendarError::TwoSets(item.to_owned())),
                Some(set) => named = Some(set),
                None => {
                    let date = parse_date(item).ok_or_else(|| CalendarError::Holidays(item.to_owned()))?;
                    calendar.extra.insert(date);
                }
            }
        }
        calendar.holidays = named.unwrap_or(HolidaySet::Germany);
        Ok(calendar)
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.time_zone
    }

    /// `2026-12-07 15:00 (Europe/Berlin)`: a deadline as the calendar's
    /// people read it, for emails (the page formats in the reader's zone).
    pub fn local_text(&self, at: OffsetDateTime) -> String {
        let Ok(ts) = Timestamp::from_nanosecond(at.unix_timestamp_nanos()) else { return at.to_string() };
        let local = ts.to_zoned_datetime(self.time_zone.clone());
        let zone = self.time_zone.iana_name().unwrap_or("UTC");
        format!("{} ({zone})", local.strftime("%Y-%m-%d %H:%M"))
    }

    pub fn is_working_day(&self, date: Date) -> bool {
        !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
            && !self.holidays.contains(date)
            && !self.extra.contains(&date)
    }

    /// The first instant of a local date (midnight, or the first instant
    /// after a gap at midnight in zones that change clocks then).
    fn start_of(&self, date: Date) -> Option<Timestamp> {
        date.to_zoned_datetime(self.time_zone.clone()).ok()?.start_of_day().ok().map(|z| z.timestamp())
    }
}

#[cfg(test)]
mod local_text_tests {
    use super::*;

    #[test]
    fn deadlines_read_in_the_calendars_zone() {
        let calendar = WorkCalendar::default();
        assert_eq!(
            calendar.local_text(time::macros::datetime!(2026-12-07 14:00 UTC)),
            "2026-12-07 15:00 (Europe/Berlin)"
        );
        assert_eq!(
            calendar.local_text(time::macros::datetime!(2026-07-01 22:30 UTC)),
            "2026-07-02 00:30 (Europe/Berlin)"
        );
    }
}

/// Only the strict form `YYYY-MM-DD`: jiff would accept more, and a
/// setting that is read loosely hides typos.
fn parse_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return None;
    }
    s.parse().ok()
}

/// When a request submitted at `submitted_at` is due: `SUPPORT_DEADLINE`
/// of elapsed time inside working days. The answer is in UTC.
pub fn due_by(submitted_at: OffsetDateTime, calendar: &WorkCalendar) -> OffsetDateTime {
    add_working_time(submitted_at, SUPPORT_DEADLINE, calendar)
}

/// `submitted_at` plus `amount` of time counted inside working days only.
pub fn add_working_time(start: OffsetDateTime, amount: SignedDuration, calendar: &WorkCalendar) -> OffsetDateTime {
    let mut now = Timestamp::from_nanosecond(start.unix_timestamp_nanos()).expect("OffsetDateTime fits a Timestamp");
    let mut left = amount.max(SignedDuration::ZERO);
    let tz = calendar.time_zone.clone();
    // Every week has five weekdays and a calendar names at most a few
    // holidays a year, so this ends; the bound only guards against a
    // date beyond jiff's range.
    for _ in 0..366 * 20 {
        let date = now.to_zoned_datetime(tz.clone()).date();
        let Some(next_day) = date.tomorrow().ok().and_then(|d| calendar.start_of(d)) else { break };
        if calendar.is_working_day(date) {
            let available = next_day.duration_since(now);
            if left <= available {
                now = now.checked_add(left).expect("inside the day");
                left = SignedDuration::ZERO;
                break;
            }
            left -= available;
        }
        now = next_day;
    }
    let end = now.checked_add(left).unwrap_or(now);
    OffsetDateTime::from_unix_timestamp_nanos(end.as_nanosecond()).expect("a Timestamp fits OffsetDateTime")
}

impl fmt::Display for HolidaySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HolidaySet::Germany => "DE",
            HolidaySet::None => "none",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn berlin() -> WorkCalendar {
        WorkCalendar::default()
    }

    /// Given a submission at a Berlin wall-clock time, the due time as Berlin
    /// wall-clock time.
    fn due_local(submitted: &str, calendar: &WorkCalendar) -> String {
        let local: jiff::civil::DateTime = submitted.parse().unwrap();
        let zoned = local.to_zoned_datetime(calendar.time_zone().clone()).unwrap();
        let at = OffsetDateTime::from_unix_timestamp(zoned.timestamp().as_second()).unwrap();
        let due = due_by(at, calendar);
        let due = Timestamp::from_second(due.unix_timestamp()).unwrap().to_zoned_datetime(calendar.time_zone().clone());
        due.datetime().strftime("%a %Y-%m-%d %H:%M").to_string()
    }

    #[test]
    fn the_contract_examples() {
        // Friday 2026-11-06 15:00 -> Monday 15:00.
        assert_eq!(due_local("2026-11-06T15:00", &berlin()), "Mon 2026-11-09 15:00");
        // Saturday 10:00 -> the whole Monday counts -> Tuesday 00:00.
        assert_eq!(due_local("2026-11-07T10:00", &berlin()), "Tue 2026-11-10 00:00");
    }

    #[test]
    fn within_the_week_it_is_one_day_later() {
        assert_eq!(due_local("2026-11-03T09:30", &berlin()), "Wed 2026-11-04 09:30");
        // Sunday 23:59 counts nothing until Monday 00:00.
        assert_eq!(due_local("2026-11-08T23:59", &berlin()), "Tue 2026-11-10 00:00");
    }

    #[test]
    fn easter_is_computed() {
        assert_eq!(easter_sunday(2024), Some(jiff::civil::date(2024, 3, 31)));
        assert_eq!(easter_sunday(2025), Some(jiff::civil::date(2025, 4, 20)));
        assert_eq!(easter_sunday(2026), Some(jiff::civil::date(2026, 4, 5)));
        assert_eq!(easter_sunday(2027), Some(jiff::civil::date(2027, 3, 28)));
        assert_eq!(easter_sunday(2038), Some(jiff::civil::date(2038, 4, 25)));
    }

    #[test]
    fn good_friday_and_easter_monday_do_not_count() {
        // Thursday 2 April 2026 15:00: 9 h on Thursday, then Good Friday,
        // the weekend and Easter Monday pass, 15 h on Tuesday.
        assert_eq!(due_local("2026-04-02T15:00", &berlin()), "Tue 2026-04-07 15:00");
    }

    #[test]
    fn ascension_on_a_thursday_does_not_count() {
        // Ascension 2026 is Thursday 14 May.
        assert_eq!(due_local("2026-05-13T15:00", &berlin()), "Fri 2026-05-15 15:00");
        // Whit Monday 2026 is 25 May.
        assert_eq!(due_local("2026-05-22T12:00", &berlin()), "Tue 2026-05-26 12:00");
    }

    #[test]
    fn christmas_and_new_year_do_not_count() {
        // Thursday 24 December counts, 25 and 26 do not.
        assert_eq!(due_local("2026-12-24T15:00", &berlin()), "Mon 2026-12-28 15:00");
        // Thursday 31 December counts, 1 January does not.
        assert_eq!(due_local("2026-12-31T15:00", &berlin()), "Mon 2027-01-04 15:00");
        // 1 May and 3 October 2024 (Wednesday and Thursday).
        assert_eq!(due_local("2024-04-30T08:00", &berlin()), "Thu 2024-05-02 08:00");
        assert_eq!(due_local("2024-10-02T08:00", &berlin()), "Fri 2024-10-04 08:00");
    }

    #[test]
    fn a_submission_on_a_holiday_starts_counting_the_next_working_day() {
        assert_eq!(due_local("2026-04-06T11:00", &berlin()), "Wed 2026-04-08 00:00");
    }

    #[test]
    fn spring_forward_keeps_the_local_time_and_shifts_utc() {
        // Summer time starts Sunday 29 March 2026. Friday 15:00 CET is
        // 14:00 UTC; Monday 15:00 CEST is 13:00 UTC.
        let due = due_by(datetime!(2026-03-27 14:00 UTC), &berlin());
        assert_eq!(due, datetime!(2026-03-30 13:00 UTC));
    }

    #[test]
    fn fall_back_keeps_the_local_time_and_shifts_utc() {
        // Winter time starts Sunday 25 October 2026. Friday 15:00 CEST is
        // 13:00 UTC; Monday 15:00 CET is 14:00 UTC.
        let due = due_by(datetime!(2026-10-23 13:00 UTC), &berlin());
        assert_eq!(due, datetime!(2026-10-26 14:00 UTC));
        // Saturday 24 October -> Tuesday 00:00 CET = Monday 23:00 UTC.
        assert_eq!(due_by(datetime!(2026-10-24 08:00 UTC), &berlin()), datetime!(2026-10-26 23:00 UTC));
    }

    #[test]
    fn extra_dates_and_another_zone_are_configurable() {
        let cal = WorkCalendar::from_settings(Some("DE,2026-12-23"), None).unwrap();
        // 23, 24? No: 23 is extra, 24 counts, 25/26 are holidays.
        assert_eq!(due_local("2026-12-22T15:00", &cal), "Thu 2026-12-24 15:00");
        let none = WorkCalendar::from_settings(Some("none"), Some("America/New_York")).unwrap();
        // Good Friday is a working day there: Thursday 15:00 -> Friday 15:00
        // New York time (19:00 UTC).
        assert_eq!(due_local("2026-04-02T15:00", &none), "Fri 2026-04-03 15:00");
        assert_eq!(due_by(datetime!(2026-04-02 19:00 UTC), &none), datetime!(2026-04-03 19:00 UTC));
        // Dates alone add to Germany's set.
        let added = WorkCalendar::from_settings(Some(" 2026-11-04 "), Some("")).unwrap();
        assert_eq!(due_local("2026-11-03T09:30", &added), "Thu 2026-11-05 09:30");
        assert!(!added.is_working_day(jiff::civil::date(2026, 12, 25)));
        let only = WorkCalendar::from_settings(Some("NONE,2026-11-04"), Some("Europe/Berlin")).unwrap();
        assert!(only.is_working_day(jiff::civil::date(2026, 12, 25)));
        assert!(!only.is_working_day(jiff::civil::date(2026, 11, 4)));
    }

    #[test]
    fn unset_settings_give_the_default() {
        assert_eq!(WorkCalendar::from_settings(None, None).unwrap(), WorkCalendar::default());
        assert_eq!(WorkCalendar::from_settings(Some(""), Some("  ")).unwrap(), WorkCalendar::default());
    }

    #[test]
    fn bad_settings_are_errors() {
        for bad in ["FR", "2026-12-32", "2026-2-01", "24.12.2026", "DE,,x", "2026-12-24T00:00"] {
            assert!(matches!(WorkCalendar::from_settings(Some(bad), None), Err(CalendarError::Holidays(_))), "{bad:?}");
        }
        assert!(matches!(WorkCalendar::from_settings(Some("DE,none"), None), Err(CalendarError::TwoSets(_))));
        assert!(matches!(WorkCalendar::from_settings(None, Some("Europe/Berln")), Err(CalendarError::TimeZone(_))));
    }
}
