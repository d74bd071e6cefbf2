//! What a reset request's events add up to. Nothing here is secret: the
//! form's personal data is sealed, and the account's factors live in the
//! account's stream, never here.

use crate::Aggregate;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::event::{MatchFlags, ResetEvent};
use crate::codec::Recorded;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    /// Waiting for support (the contract's `"pending"`).
    #[default]
    Pending,
    Approved,
    Rejected,
}

impl Status {
    /// The contract's word.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GivenApproval {
    pub staff_id: Uuid,
    pub note: String,
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetRequest {
    /// Version of the last applied event; 0 = no such request.
    pub version: u64,
    pub request_id: Uuid,
    pub account_id: Uuid,
    pub submitted_at: Option<OffsetDateTime>,
    pub due_by: Option<OffsetDateTime>,
    pub matches: MatchFlags,
    pub status: Status,
    /// Who opened it and when, oldest first.
    pub viewed_by: Vec<(Uuid, OffsetDateTime)>,
    /// Who works on it now (the last to take it).
    pub taken_by: Option<Uuid>,
    pub approvals: Vec<GivenApproval>,
    pub rejection_reason: Option<String>,
    /// Who made the final decision (the last approver, or the rejecter).
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<OffsetDateTime>,
    pub marked_overdue: bool,
    pub anonymised: bool,
    sealed_form: Option<String>,
}

impl ResetRequest {
    pub fn apply(&mut self, recorded: &Recorded<ResetEvent>) {
        let at = recorded.at;
        self.version = recorded.version;
        match &recorded.event {
            ResetEvent::Submitted { request_id, account_id, due_by, sealed_form, matches } => {
                self.request_id = *request_id;
                self.account_id = *account_id;
                self.submitted_at = Some(at);
                self.due_by = Some(*due_by);
                self.sealed_form = Some(sealed_form.clone());
                self.matches = *matches;
            }
            ResetEvent::Viewed { staff_id } => self.viewed_by.push((*staff_id, at)),
            ResetEvent::Taken { staff_id } => self.taken_by = Some(*staff_id),
            ResetEvent::ApprovalGiven { staff_id, note } => {
                self.approvals.push(GivenApproval { staff_id: *staff_id, note: note.clone(), at });
            }
            ResetEvent::Approved {} => {
                self.status = Status::Approved;
                self.decided_by = self.approvals.last().map(|a| a.staff_id);
                self.decided_at = Some(at);
            }
            ResetEvent::Rejected { staff_id, reason } => {
                self.status = Status::Rejected;
                self.rejection_reason = Some(reason.clone());
                self.decided_by = Some(*staff_id);
                self.decided_at = Some(at);
            }
            ResetEvent::MarkedOverdue {} => self.marked_overdue = true,
            ResetEvent::Anonymised {} => {
                self.anonymised = true;
                self.sealed_form = None;
            }
        }
    }

    pub fn is_open(&self) -> bool {
        self.exists() && self.status == Status::Pending
    }

    /// Open and past its deadline (whether or not the watch recorded it yet).
    pub fn is_overdue(&self, now: OffsetDateTime) -> bool {
        self.is_open() && self.due_by.is_some_and(|due| now >= due)
    }

    /// The form's personal data, sealed under this request's data key, for
    /// the caller to open for the support console. `None` once anonymised.
    pub fn sealed_form(&self) -> Option<&str> {
        self.sealed_form.as_deref()
    }

    /// The different staff members who approved so far.
    pub fn approvers(&self) -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = Vec::new();
        for a in &self.approvals {
            if !ids.contains(&a.staff_id) {
                ids.push(a.staff_id);
            }
        }
        ids
    }
}

impl crate::Aggregate for ResetRequest {
    type Event = ResetEvent;

    const FOLD_VERSION: u32 = 1;

    const MISSING: crate::Refusal = crate::Refusal::NotFound;

    fn stream_id(id: uuid::Uuid) -> String {
        super::stream_id(id)
    }

    fn apply(&mut self, recorded: &Recorded<ResetEvent>) {
        ResetRequest::apply(self, recorded)
    }

    fn version(&self) -> u64 {
        self.version
    }
}
