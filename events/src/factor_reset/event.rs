//! Everything that can happen to a reset request. Times come from the
//! event's metadata (`Recorded::at`). The form's personal data appears only
//! sealed; what staff need to judge it without reading it is the match
//! flags, computed once at submission.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::codec::EventCodec;

/// Whether what the form says agrees with the account, computed at
/// submission. Not secret: these are the facts support decides on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchFlags {
    pub first_name: bool,
    pub last_name: bool,
    /// Whether the form's number is the account's SMS number; `None` when
    /// the account has none (nothing to compare: "not known", not a
    /// mismatch). Events before December 2026 hold `false` there too.
    pub phone: Option<bool>,
    pub email: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum ResetEvent {
    /// The owner submitted the form (with an mfa token, so the password was
    /// right). Submission time is the event's time.
    Submitted {
        request_id: Uuid,
        account_id: Uuid,
        /// 24 working hours after submission (`working_days::due_by`).
        #[serde(with = "time::serde::rfc3339")]
        due_by: OffsetDateTime,
        /// The form's personal data (first and last name, phone, email),
        /// encrypted by the caller under this request's own data key, which
        /// is kept outside the event log and destroyed 90 days after the
        /// decision.
        sealed_form: String,
        matches: MatchFlags,
    },
    /// A staff member opened the request (an audit of who looked).
    Viewed { staff_id: Uuid },
    /// A staff member took the request to work on it.
    Taken { staff_id: Uuid },
    /// One staff member's approval. With four-eyes (two required) the
    /// request stays open until a different staff member gives the second.
    ApprovalGiven { staff_id: Uuid, note: String },
    /// Final: enough approvals; the account's second factors are removed.
    Approved {},
    /// Final: refused, with the reason the owner is emailed.
    Rejected { staff_id: Uuid, reason: String },
    /// The deadline passed while the request was open (recorded once, for
    /// the SLA watch and its alert).
    MarkedOverdue {},
    /// The request's data key was destroyed: the sealed form is unreadable
    /// from now on.
    Anonymised {},
}

impl EventCodec for ResetEvent {
    fn schema_version(_event_type: &str) -> u32 {
        1
    }
}
