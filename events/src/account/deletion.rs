//! An account deleted for good, by its owner (the password and, with a
//! second factor, a proof of it) or by support. The event carries no
//! personal data; the fold ends every session, pending login, app password
//! and reset link, and the account no longer `exists`, so every later
//! decision on it answers as for an account that never was. The email
//! claim is released in the same append (`functions::handlers::deletion`),
//! so the address can register again as a new account.

use time::OffsetDateTime;
use uuid::Uuid;

use super::decide::SecondFactorProof;
use super::event::AccountEvent;
use super::state::{Account, AccountPolicy};
use crate::Refusal;
use crate::aggregate::Decision;
use crate::staff::Staff;

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

    /// Support deletes a customer's account (with the four-eyes rule, the
    /// second staff member's confirmation is this call).
    pub fn delete_by_staff(&self, staff: &Staff) -> Decision<()> {
        if !self.roles.is_empty() {
            return Decision::refuse(Refusal::Forbidden);
        }
        Decision::ok(vec![AccountEvent::AccountDeleted { staff_id: Some(staff.account_id()) }], ())
    }

    /// What the deletion ends: everything that lets anyone in, and what
    /// was pending.
    pub(super) fn apply_deletion(&mut self, at: OffsetDateTime) {
        self.end_all_sessions(at);
        self.app_passwords.clear();
        self.pending_password_reset = None;
        self.pending_sms = None;
        self.pending_totp = None;
        self.open_reset_request = None;
        self.deleted_at = Some(at);
    }
}
