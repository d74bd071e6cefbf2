//! Changing the account's email address: a signed-in owner proves the
//! second factor, a link goes to the new address, and following it moves
//! the address. Until then nothing changes: the old address still signs in
//! and still gets the mails, so a typo cannot lock anyone out.
//!
//! The link's token works like a password-reset token (see
//! `password_reset`): made by the caller, only its keyed hash in the log,
//! once, for an hour, and only while it is the newest. The new address's
//! uniqueness claim is taken and the old one's released in the same atomic
//! append as `EmailChanged` (the handler's), so an address is never held by
//! two accounts and never by none; whether it is free is answered as
//! registration answers it.

use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::decide::{Decision, SecondFactorProof};
use super::event::AccountEvent;
use super::state::{Account, AccountPolicy};
use crate::Refusal;

/// The contract of the link, as the password-reset link's: one hour.
pub const LINK_TTL: Duration = Duration::HOUR;

/// A new link for the new address (normalised, sealed by the caller): its
/// id and the keyed hash of the token the caller made and will email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailLink {
    pub new_email: crate::Sealed,
    /// The caller opened the account's address: the new one is the same.
    pub is_current: bool,
    pub token_id: Uuid,
    pub token_hash: String,
}

/// The address change that the link carried out (sealed: the caller
/// opens them to move the claims).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailMoved {
    pub old: crate::Sealed,
    pub new: crate::Sealed,
}

impl Account {
    /// Asks to move the account to `link.new_email`. With a second
    /// factor, a proof of it, consumed: a stolen session alone must not
    /// take the account over by moving its address (and with it the
    /// password-reset link).
    pub fn request_email_change(
        &self,
        session_id: Uuid,
        link: EmailLink,
        proof: Option<SecondFactorProof<'_>>,
        now: OffsetDateTime,
        policy: &AccountPolicy,
    ) -> Decision<OffsetDateTime> {
        if let Err(refusal) = self.authorize(&super::Auth::Session { session_id }, now) {
            return Decision::refuse(refusal);
        }
        if link.is_current {
            return Decision::refuse(Refusal::InvalidRequest("This is already the account's email address.".into()));
        }
        let mut events = match self.credential_step_up(session_id, proof, now, policy) {
            Ok(accepted) => Vec::from_iter(accepted),
            Err(decision) => return decision,
        };
        let expires_at = now + LINK_TTL;
        events.push(AccountEvent::EmailChangeRequested {
            token_id: link.token_id,
            token_hash: link.token_hash,
            new_email: link.new_email,
            expires_at,
        });
        Decision::ok(events, expires_at)
    }

    /// The link was followed: `token_hash` is the keyed hash of the
    /// presented token under `token_id`. Anything but the newest, unused,
    /// unexpired link of a usable account: `InvalidToken`. The caller
    /// appends this with the claims moved (`EmailMoved` says which).
    pub fn confirm_email_change(&self, token_id: Uuid, token_hash: &str, now: OffsetDateTime) -> Decision<EmailMoved> {
        let pending = self.pending_email_change.as_ref().filter(|p| {
            let same_hash = bool::from(p.token_hash.as_bytes().ct_eq(token_hash.as_bytes()));
            same_hash & (p.token_id == token_id) & (p.expires_at > now)
        });
        let Some(pending) = pending.filter(|_| !self.is_disabled()) else {
            return Decision::refuse(Refusal::InvalidToken);
        };
        let moved = EmailMoved { old: self.email.clone(), new: pending.new_email.clone() };
        Decision::ok(vec![AccountEvent::EmailChanged { token_id, email: pending.new_email.clone() }], moved)
    }
}
