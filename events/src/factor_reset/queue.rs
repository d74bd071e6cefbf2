//! Where an open request stands in the support queue at a given time: the
//! one rule for the queue list (read from its view) and for a single
//! request (read from its stream).

use time::OffsetDateTime;

use super::state::ResetRequest;

/// Whether someone works on an open request, and whether it is past its
/// deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueStatus {
    pub taken: bool,
    pub overdue: bool,
}

impl QueueStatus {
    /// An open request's status at `now` from what the queue keeps of it.
    /// Overdue from the deadline on (times compared as instants, whatever
    /// their offset or precision), or once the SLA watch recorded it so.
    pub fn of_open(taken: bool, due_by: Option<OffsetDateTime>, marked_overdue: bool, now: OffsetDateTime) -> Self {
        QueueStatus { taken, overdue: marked_overdue || due_by.is_some_and(|due| now >= due) }
    }

    /// The contract's word: `taken` while someone works on it, else `pending`.
    pub fn as_str(self) -> &'static str {
        if self.taken { "taken" } else { "pending" }
    }
}

impl ResetRequest {
    /// Its place in the support queue at `now`; `None` once decided (or
    /// for no such request).
    pub fn queue_status(&self, now: OffsetDateTime) -> Option<QueueStatus> {
        self.is_open().then(|| QueueStatus::of_open(self.taken_by.is_some(), self.due_by, self.marked_overdue, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const DUE: OffsetDateTime = datetime!(2026-12-02 10:00:00 UTC);

    fn at(due_by: OffsetDateTime, now: OffsetDateTime) -> bool {
        QueueStatus::of_open(false, Some(due_by), false, now).overdue
    }

    #[test]
    fn overdue_from_the_deadline_on() {
        assert!(!at(DUE, datetime!(2026-12-02 09:59:59.999 UTC)));
        assert!(at(DUE, DUE));
        assert!(at(DUE, datetime!(2026-12-03 00:00:00 UTC)));
        assert!(!QueueStatus::of_open(false, None, false, DUE).overdue);
    }

    /// As text, `2026-12-02T10:30:00+01:00` sorts after `2026-12-02T09:45:00Z`
    /// and `…10:00:00.5Z` before `…10:00:00Z`: a comparison of RFC 3339
    /// strings gets both wrong.
    #[test]
    fn deadlines_compare_as_instants_whatever_their_offset_or_fractions() {
        assert!(at(datetime!(2026-12-02 10:30:00 +01:00), datetime!(2026-12-02 09:45:00 UTC)));
        assert!(!at(datetime!(2026-12-02 09:30:00 -01:00), datetime!(2026-12-02 10:15:00 UTC)));
        assert!(!at(datetime!(2026-12-02 10:00:00.5 UTC), DUE));
        assert!(at(datetime!(2026-12-02 10:00:00.5 UTC), datetime!(2026-12-02 10:00:00.5 UTC)));
    }

    #[test]
    fn a_mark_by_the_watch_stays_overdue_and_taken_is_the_contracts_taken() {
        let before = datetime!(2026-12-01 10:00:00 UTC);
        assert!(QueueStatus::of_open(true, Some(DUE), true, before).overdue);
        assert_eq!(QueueStatus::of_open(true, Some(DUE), false, before).as_str(), "taken");
        assert_eq!(QueueStatus::of_open(false, Some(DUE), false, before).as_str(), "pending");
    }
}
