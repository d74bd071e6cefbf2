//! An account deleted for good, by its owner (the password and, with a
//! second factor, a proof of it) or by support. The event carries no
//! personal data; the fold ends every session, pending login, app password
//! and reset link, and the account no longer `exists`, so every later
//! decision on it answers as for an account that never was. The email
//! claim and the user name's are released in the same append
//! (`functions::handlers::deletion`), so the address and the name can be
//! taken again by a new account. Support's deletion
//! takes two staff members where the four-eyes rule is configured
//! (`PORTAL_RESET_APPROVALS=2`, the rule of factor resets).

use time::OffsetDateTime;
use uuid::Uuid;

use super::decide::SecondFactorProof;
use super::event::AccountEvent;
use super::state::{Account, AccountPolicy};
use crate::Refusal;
use crate::aggregate::Decision;
use crate::staff::Staff;

/// What a staff member's deletion did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffDeletion {
    Deleted,
    /// Recorded as the first of two approvals (four eyes).
    AwaitingSecondApproval,
}

impl Account {
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// The owner deletes the account: signed in, with the right password
    /// (`password_correct`, checked by the caller) and, when the account
    /// has a second factor, a proof of it, consumed like a credential
    /// change's. A wrong password writes nothing. Staff accounts are the
    /// operator's (`portal staff`), not deleted here.
    pub fn delete_by_owner(
        &self,
        session_id: Uuid,
        password_correct: bool,
        proof: Option<SecondFactorProof<'_>>,
        now: OffsetDateTime,
        policy: &AccountPolicy,
    ) -> Decision<()> {
        if let Err(refusal) = self.authorize(&super::Auth::Session { session_id }, now) {
            return Decision::refuse(refusal);
        }
        if !self.roles.is_empty() {
            return Decision::refuse(Refusal::Forbidden);
        }
        if !password_correct {
            return Decision::refuse(Refusal::InvalidRequest("the password is not correct".into()));
        }
        match self.credential_step_up(session_id, proof, now, policy) {
            Ok(accepted) => {
                let mut events = Vec::from_iter(accepted);
                events.push(AccountEvent::AccountDeleted { staff_id: None });
                Decision::ok(events, ())
            }
            Err(decision) => decision,
        }
    }

    /// Support deletes a customer's account. Where deletions take two
    /// approvals (four eyes, `approvals_required` 2), the first staff
    /// member's is recorded and the account stays; another's deletes it.
    pub fn delete_by_staff(&self, staff: &Staff, approvals_required: usize) -> Decision<StaffDeletion> {
        if !self.roles.is_empty() {
            return Decision::refuse(Refusal::Forbidden);
        }
        let deleted = || AccountEvent::AccountDeleted { staff_id: Some(staff.account_id()) };
        match self.deletion_approved_by {
            Some(first) if first == staff.account_id() => {
                Decision::refuse(Refusal::Conflict("another staff member must approve the deletion".into()))
            }
            Some(_) => Decision::ok(vec![deleted()], StaffDeletion::Deleted),
            None if approvals_required >= 2 => Decision::ok(
                vec![AccountEvent::DeletionApproved { staff_id: staff.account_id() }],
                StaffDeletion::AwaitingSecondApproval,
            ),
            None => Decision::ok(vec![deleted()], StaffDeletion::Deleted),
        }
    }

    /// What the deletion ends: everything that lets anyone in, and what
    /// was pending.
    pub(super) fn apply_deletion(&mut self, at: OffsetDateTime) {
        self.deletion_approved_by = None;
        self.end_all_sessions(at);
        self.app_passwords.clear();
        // A deleted account's passkey must sign in no more: its sign-in is
        // refused as an unknown key's is (and its name no longer opens).
        self.passkeys.clear();
        self.pending_password_reset = None;
        self.pending_sms = None;
        self.pending_totp = None;
        self.open_reset_request = None;
        // Its link dies with the account (`confirm` finds no account); the
        // new address was never claimed, so nothing else holds it.
        self.pending_email_change = None;
        // Its claim was released with the event (`handlers::deletion`).
        self.username = None;
        self.deleted_at = Some(at);
    }
}
