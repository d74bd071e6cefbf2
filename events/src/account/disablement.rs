//! Staff disable an account (fraud, a dispute) with a reason, and enable it
//! again. A disabled account cannot sign in: its password gets exactly the
//! answer a wrong one gets (and counts as one, so the lockout and the time
//! taken are the same), so nothing tells that it exists but is disabled.
//! Disabling ends every session, pending login and reset link, and so the
//! apps' grants made in them; app passwords are refused while disabled.
//! Staff accounts are the operator's (`portal staff add`) and cannot be
//! disabled here.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::event::AccountEvent;
use super::state::Account;
use crate::Refusal;
use crate::aggregate::Decision;
use crate::staff::Staff;

/// Why and since when an account is disabled, and by whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disablement {
    pub at: OffsetDateTime,
    pub reason: String,
    pub by: Uuid,
}

/// The longest reason, in characters: a note, not a file.
pub const REASON_MAX_CHARS: usize = 500;

impl Account {
    pub fn is_disabled(&self) -> bool {
        self.disabled.is_some()
    }

    /// Disables the account with `reason` (trimmed, 1 to 500 characters).
    pub fn disable(&self, staff: &Staff, reason: &str) -> Decision<()> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > REASON_MAX_CHARS {
            return Decision::refuse(Refusal::InvalidRequest(format!(
                "a reason of 1 to {REASON_MAX_CHARS} characters is required"
            )));
        }
        if let Err(refusal) = self.staff_may_change() {
            return Decision::refuse(refusal);
        }
        if self.is_disabled() {
            return Decision::refuse(Refusal::Conflict("the account is disabled already".into()));
        }
        let event = AccountEvent::Disabled { staff_id: staff.account_id(), reason: reason.to_owned() };
        Decision::ok(vec![event], ())
    }

    pub fn enable(&self, staff: &Staff) -> Decision<()> {
        if let Err(refusal) = self.staff_may_change() {
            return Decision::refuse(refusal);
        }
        if !self.is_disabled() {
            return Decision::refuse(Refusal::Conflict("the account is not disabled".into()));
        }
        Decision::ok(vec![AccountEvent::Enabled { staff_id: staff.account_id() }], ())
    }

    /// Customers' accounts only: a staff member's account (their own
    /// included) is the operator's to manage.
    fn staff_may_change(&self) -> Result<(), Refusal> {
        if !self.roles.is_empty() {
            return Err(Refusal::Forbidden);
        }
        Ok(())
    }
}
