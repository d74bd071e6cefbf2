//! Support staff, as the decisions know them.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::Refusal;
use crate::account::{Account, Auth, Role};

/// A support staff member, as proven by a live session of an account with
/// the `support` role. Only `Staff::authorize` makes one, so every staff
/// decision (on reset requests, disabling an account) has passed that check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Staff {
    account_id: Uuid,
}

impl Staff {
    /// `Unauthorized` without a live session, `Forbidden` without the role.
    pub fn authorize(account: &Account, session_id: Uuid, now: OffsetDateTime) -> Result<Staff, Refusal> {
        account.authorize(&Auth::Session { session_id }, now)?;
        if !account.has_role(Role::Support) {
            return Err(Refusal::Forbidden);
        }
        Ok(Staff { account_id: account.id })
    }

    pub fn account_id(&self) -> Uuid {
        self.account_id
    }
}
