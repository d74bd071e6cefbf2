//! Changing the password while signed in: the current password, a proof
//! of the second factor (when there is one), and a new password that
//! passed `password_policy::check` (the handler checks it before hashing).
//!
//! A wrong current password is recorded as `PasswordFailed`, the event a
//! wrong password at sign-in records: it counts toward the same lockout
//! (`crate::lockout`), so a stolen session cannot guess the password here
//! at a faster pace than the sign-in allows, and while that lock runs the
//! current password is not even compared. A wrong proof counts toward the
//! second factor's lockout, as for every other step-up.
//!
//! The new password ends every other session, pending login and the apps'
//! grants made in them (`SessionsEnded`, as "Sign out everywhere else"),
//! and the caller goes on in a fresh session. App passwords stay: each was
//! made with a second-factor proof, not with the password, and the owner
//! sees and revokes them in the same settings (a reset by link, which may
//! follow a stolen mailbox, ends them).

use time::OffsetDateTime;
use uuid::Uuid;

use super::decide::{Decision, PasswordCheck, SecondFactorProof, SessionGrant};
use super::event::{AccountEvent, SessionEndReason};
use super::state::{Account, AccountPolicy};
use crate::Refusal;

/// What the handler prepared: argon2's work is done outside the decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPassword {
    /// The current password presented, checked against the stored hash.
    pub check: PasswordCheck,
    /// argon2id hash of the new password.
    pub hash: String,
    /// The caller's fresh session.
    pub session_id: Uuid,
}

impl Account {
    pub fn change_password(
        &self,
        session_id: Uuid,
        new: NewPassword,
        proof: Option<SecondFactorProof<'_>>,
        now: OffsetDateTime,
        policy: &AccountPolicy,
    ) -> Decision<SessionGrant> {
        let Some(current) = self.session(session_id, now).copied() else {
            return Decision::refuse(Refusal::Unauthorized);
        };
        if let Some(retry_after) = self.password_retry_after(policy, now) {
            return Decision::refuse(Refusal::TooManyAttempts { retry_after });
        }
        if !new.check.correct {
            return Decision::record_and_refuse(AccountEvent::PasswordFailed {}, Refusal::InvalidCredentials);
        }
        let mut events = match self.credential_step_up(session_id, proof, now, policy) {
            Ok(accepted) => Vec::from_iter(accepted),
            Err(decision) => return decision,
        };
        let (started, grant) =
            self.start_session(new.session_id, None, current.second_factor, current.passkey, now, policy);
        events.extend([
            AccountEvent::PasswordChanged { password_hash: new.hash },
            AccountEvent::SessionsEnded { reason: SessionEndReason::PasswordChanged },
            started,
        ]);
        Decision::ok(events, grant)
    }
}
