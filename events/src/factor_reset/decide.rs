//! The decisions on a reset request: the owner submits it, support staff
//! view, take, approve or reject it, the SLA watch marks it overdue and the
//! retention job anonymises it. A decision is final and exclusive: once
//! approved or rejected, every further decision is a `Refusal::Conflict`.

use crate::Aggregate;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::event::{MatchFlags, ResetEvent};
use super::state::ResetRequest;
use crate::Refusal;
use crate::account::{Account, AccountEvent, AppPasswordsRevokedReason, Auth, Decision, Owed};
use crate::working_days::{WorkCalendar, due_by};

/// Settings of the support queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResetPolicy {
    /// Approvals by different staff members that remove the factors
    /// (`PORTAL_RESET_APPROVALS`; 2 = four-eyes).
    pub approvals_required: usize,
    /// How long after the decision the form's data is kept.
    pub retention: Duration,
}

impl ResetPolicy {
    pub const STANDARD: ResetPolicy = ResetPolicy { approvals_required: 1, retention: Duration::days(90) };

    /// From `PORTAL_RESET_APPROVALS` (`None` or blank: 1). At least 1: a
    /// reset without any approval would be a password-only bypass of the
    /// second factor.
    pub fn from_setting(approvals: Option<&str>) -> Result<ResetPolicy, SettingError> {
        let mut policy = ResetPolicy::STANDARD;
        if let Some(raw) = approvals.map(str::trim).filter(|s| !s.is_empty()) {
            policy.approvals_required = match raw.parse::<usize>() {
                Ok(n @ 1..=5) => n,
                _ => return Err(SettingError(raw.to_owned())),
            };
        }
        Ok(policy)
    }
}

impl Default for ResetPolicy {
    fn default() -> Self {
        ResetPolicy::STANDARD
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("PORTAL_RESET_APPROVALS must be a number from 1 to 5, not {0:?}")]
pub struct SettingError(pub String);

pub use crate::staff::Staff;

/// Events for two streams that must be appended together in ONE store
/// transaction (each at the version its state was folded from), and the
/// answer, which holds only once they are stored.
#[derive(Debug, Clone, PartialEq)]
pub struct JointDecision<T> {
    /// For `account#<account_id>`.
    pub account_events: Vec<AccountEvent>,
    /// For `reset#<request_id>`.
    pub reset_events: Vec<ResetEvent>,
    pub outcome: Result<T, Refusal>,
}

impl<T> JointDecision<T> {
    fn refuse(refusal: Refusal) -> Self {
        JointDecision { account_events: Vec::new(), reset_events: Vec::new(), outcome: Err(refusal) }
    }
}

/// The reset form, after the caller checked the ALTCHA payload (and marked
/// its replay key used) and sealed the personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// A fresh id; also names the request's data key.
    pub request_id: Uuid,
    /// `{"first_name", "last_name", "phone", "email"}` encrypted under a
    /// new data key for this request.
    pub sealed_form: String,
    /// From `match_flags`, on the plain form before sealing.
    pub matches: MatchFlags,
    pub privacy_consent: bool,
}

/// The 202 answer: `{"request_id", "status": "pending", "due_by"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Submitted {
    pub request_id: Uuid,
    pub due_by: OffsetDateTime,
}

/// Whether the form's data agrees with the account. Names are compared
/// ignoring case and runs of spaces (accents do count: `Müller` is not
/// `Muller`): the first
/// name must begin the account's name and the last name end it (the
/// account has one `name` field). `phone` and `email` must already be
/// normalised (`phone::Phone::e164`, `email::normalize`);
/// `on_file` is what the account holds, opened by the caller.
pub fn match_flags(
    first_name: &str,
    last_name: &str,
    phone_e164: Option<&str>,
    email: Option<&str>,
    on_file: &OnFile<'_>,
) -> MatchFlags {
    let words = |s: &str| s.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>();
    let name = words(on_file.name);
    let (first, last) = (words(first_name), words(last_name));
    MatchFlags {
        first_name: !first.is_empty() && name.starts_with(&first),
        last_name: !last.is_empty() && name.ends_with(&last),
        phone: on_file.phone.map(|on_file| phone_e164 == Some(on_file)),
        email: email.is_some_and(|e| crate::email::normalize(on_file.email).as_deref() == Some(e)),
    }
}

/// What the account holds of its owner, opened by the caller (the account
/// keeps it sealed, `crate::sealed`): what the form is compared against.
#[derive(Debug, Clone, Copy)]
pub struct OnFile<'a> {
    pub name: &'a str,
    pub email: &'a str,
    /// The SMS factor's number, if any.
    pub phone: Option<&'a str>,
}

/// The owner, holding the mfa token of a login stuck at the second step,
/// submits the reset form. One open request per account: a second one is
/// refused with the first's id.
pub fn submit(
    account: &Account,
    auth: &Auth,
    submission: Submission,
    now: OffsetDateTime,
    calendar: &WorkCalendar,
) -> JointDecision<Submitted> {
    // Only the mfa token: a signed-in user can change factors without
    // support, and the contract allows nothing else here.
    let Auth::Mfa { login_id } = *auth else { return JointDecision::refuse(Refusal::Unauthorized) };
    let Some(login) = account.pending_login(login_id, now) else {
        return JointDecision::refuse(Refusal::Unauthorized);
    };
    if login.owed != Owed::Verify {
        return JointDecision::refuse(Refusal::InvalidRequest(
            "this account has no second factor to reset; set one up instead".into(),
        ));
    }
    if !submission.privacy_consent {
        return JointDecision::refuse(Refusal::InvalidRequest("consent to the privacy notice is required".into()));
    }
    if let Some(request_id) = account.open_reset_request {
        return JointDecision::refuse(Refusal::ResetRequestOpen { request_id });
    }
    let request_id = submission.request_id;
    let due_by = due_by(now, calendar);
    JointDecision {
        account_events: vec![AccountEvent::ResetRequested { request_id }],
        reset_events: vec![ResetEvent::Submitted {
            request_id,
            account_id: account.id,
            due_by,
            sealed_form: submission.sealed_form,
            matches: submission.matches,
        }],
        outcome: Ok(Submitted { request_id, due_by }),
    }
}

/// Where an approval leaves the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    /// Recorded; more approvals by other staff members are needed.
    Pending { approvals: usize, required: usize },
    /// Approved: the factors are removed. Email the owner.
    Final,
}

impl ResetRequest {
    fn found(&self) -> Result<(), Refusal> {
        if self.exists() { Ok(()) } else { Err(Refusal::NotFound) }
    }

    /// Open, and not the staff member's own account: nobody resets their
    /// own second factor.
    fn decidable_by(&self, staff: &Staff) -> Result<(), Refusal> {
        self.found()?;
        if !self.is_open() {
            return Err(Refusal::Conflict(format!("this request was already {}", self.status.as_str())));
        }
        if staff.account_id() == self.account_id {
            return Err(Refusal::Forbidden);
        }
        Ok(())
    }

    /// The account must be the request's: a caller that loaded the wrong
    /// stream must not reset someone else's factors.
    fn owned_by(&self, account: &Account) -> Result<(), Refusal> {
        if account.exists() && account.id == self.account_id { Ok(()) } else { Err(Refusal::NotFound) }
    }

    /// A staff member opens the request; recorded, also after the
    /// decision, so the log tells who saw the owner's data.
    pub fn view(&self, staff: &Staff) -> Decision<(), ResetEvent> {
        if let Err(refusal) = self.found() {
            return Decision::refuse(refusal);
        }
        Decision::ok(vec![ResetEvent::Viewed { staff_id: staff.account_id() }], ())
    }

    /// A staff member takes an open request (or takes it over from a
    /// colleague). Taking it again is no change.
    pub fn take(&self, staff: &Staff) -> Decision<(), ResetEvent> {
        if let Err(refusal) = self.decidable_by(staff) {
            return Decision::refuse(refusal);
        }
        if self.taken_by == Some(staff.account_id()) {
            return Decision::ok(Vec::new(), ());
        }
        Decision::ok(vec![ResetEvent::Taken { staff_id: staff.account_id() }], ())
    }

    /// A staff member approves. With `approvals_required` reached (counting
    /// different staff members only) the request is approved and the
    /// account's factors, recovery codes, sessions and pending logins go.
    /// `account` is the owner's account (`self.account_id`).
    pub fn approve(
        &self,
        account: &Account,
        staff: &Staff,
        note: String,
        policy: &ResetPolicy,
    ) -> JointDecision<Approval> {
        if let Err(refusal) = self.decidable_by(staff).and_then(|()| self.owned_by(account)) {
            return JointDecision::refuse(refusal);
        }
        let mut approvers = self.approvers();
        if approvers.contains(&staff.account_id()) {
            return JointDecision::refuse(Refusal::Conflict(
                "you approved this request already; another staff member must give the next approval".into(),
            ));
        }
        approvers.push(staff.account_id());
        let required = policy.approvals_required.max(1);
        let mut reset_events = vec![ResetEvent::ApprovalGiven { staff_id: staff.account_id(), note }];
        if approvers.len() < required {
            return JointDecision {
                account_events: Vec::new(),
                reset_events,
                outcome: Ok(Approval::Pending { approvals: approvers.len(), required }),
            };
        }
        reset_events.push(ResetEvent::Approved {});
        JointDecision {
            account_events: std::iter::once(AccountEvent::SecondFactorsReset { request_id: self.request_id })
                .chain(account.revoke_all_app_passwords(AppPasswordsRevokedReason::SecondFactorReset))
                .collect(),
            reset_events,
            outcome: Ok(Approval::Final),
        }
    }

    /// A staff member rejects, with the reason the owner is emailed. The
    /// account's factors stay; only its open request closes.
    pub fn reject(&self, account: &Account, staff: &Staff, reason: String) -> JointDecision<()> {
        if let Err(refusal) = self.decidable_by(staff).and_then(|()| self.owned_by(account)) {
            return JointDecision::refuse(refusal);
        }
        if reason.trim().is_empty() {
            return JointDecision::refuse(Refusal::InvalidRequest("give the reason the owner will be told".into()));
        }
        JointDecision {
            account_events: vec![AccountEvent::ResetRequestClosed { request_id: self.request_id }],
            reset_events: vec![ResetEvent::Rejected { staff_id: staff.account_id(), reason }],
            outcome: Ok(()),
        }
    }

    /// The SLA watch: once, when the deadline has passed on an open request.
    pub fn mark_overdue(&self, now: OffsetDateTime) -> Decision<(), ResetEvent> {
        if let Err(refusal) = self.found() {
            return Decision::refuse(refusal);
        }
        if !self.is_open() {
            return Decision::refuse(Refusal::Conflict(format!("this request was already {}", self.status.as_str())));
        }
        if self.marked_overdue {
            return Decision::refuse(Refusal::Conflict("this request is already marked overdue".into()));
        }
        if !self.is_overdue(now) {
            return Decision::refuse(Refusal::InvalidRequest("this request is not due yet".into()));
        }
        Decision::ok(vec![ResetEvent::MarkedOverdue {}], ())
    }

    /// When the retention job may destroy the data key: `retention` after
    /// the decision. `None` while open.
    pub fn anonymise_after(&self, policy: &ResetPolicy) -> Option<OffsetDateTime> {
        self.decided_at.map(|at| at + policy.retention)
    }

    /// The retention job: records that the data key was destroyed. The
    /// caller destroys the key first, then appends; if the append fails the
    /// job runs again and the key is simply gone already.
    pub fn anonymise(&self, now: OffsetDateTime, policy: &ResetPolicy) -> Decision<(), ResetEvent> {
        if let Err(refusal) = self.found() {
            return Decision::refuse(refusal);
        }
        if self.anonymised {
            return Decision::refuse(Refusal::Conflict("this request is already anonymised".into()));
        }
        match self.anonymise_after(policy) {
            Some(after) if now >= after => Decision::ok(vec![ResetEvent::Anonymised {}], ()),
            Some(_) => Decision::refuse(Refusal::InvalidRequest("the retention period has not ended yet".into())),
            None => Decision::refuse(Refusal::InvalidRequest("an open request keeps its data".into())),
        }
    }
}
