//! Password forgotten: a link by email whose token sets a new password.
//!
//! The caller makes the token (at least 128 random bits) and its keyed hash
//! (HMAC-SHA256 with the key ring's pepper, bound to `token_id`, like SMS
//! codes); only the hash enters the event log, so a leaked log opens no
//! account. A token works once, for an hour, and only while it is the
//! newest: each link voids the ones before it. Links are limited per
//! account so the form cannot be used to flood someone's inbox; beyond the
//! limit nothing is sent, but the form answers the same 202, so it never
//! tells whether an address has an account.
//!
//! A new password ends every session and pending login, but never removes
//! a second factor: whoever reads the owner's email still needs it.

use crate::Aggregate;
use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::decide::Decision;
use super::event::{AccountEvent, AppPasswordsRevokedReason, SessionEndReason};
use super::state::{Account, AccountPolicy};
use crate::Refusal;
use crate::quota::{self, Window};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordResetPolicy {
    /// The contract: a token works for at most 1 hour.
    pub token_ttl: Duration,
    /// Links per account in any hour.
    pub per_hour: usize,
    /// `POST /api/password/forgot` answers no sooner than this after the
    /// request came, whether the address has an account or not: longer than
    /// either path takes (the account's append and its mail's delivery
    /// included), so the time tells nothing.
    pub answer_after: Duration,
}

impl PasswordResetPolicy {
    pub const STANDARD: PasswordResetPolicy =
        PasswordResetPolicy { token_ttl: Duration::HOUR, per_hour: 3, answer_after: Duration::milliseconds(150) };
}

impl Default for PasswordResetPolicy {
    fn default() -> Self {
        PasswordResetPolicy::STANDARD
    }
}

/// What the caller of `POST /api/password/forgot` does next. Either way it
/// answers 202 `{}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetLink {
    /// Email the link with the token the caller made; it works until then.
    Send { expires_at: OffsetDateTime },
    /// Send nothing: no such account, or the hourly limit is reached.
    SendNothing,
}

impl Account {
    /// A new password-reset token for this account. `token_hash` is the
    /// keyed hash of the token the caller made and will email. An account
    /// that does not exist (an empty state) gets no event and
    /// `SendNothing`, like an account over its limit.
    pub fn request_password_reset(
        &self,
        token_id: Uuid,
        token_hash: String,
        now: OffsetDateTime,
        policy: &AccountPolicy,
    ) -> Decision<ResetLink> {
        // A disabled account gets no link, answered like an unknown one.
        if !self.exists() || self.is_disabled() {
            return Decision::ok(Vec::new(), ResetLink::SendNothing);
        }
        let limit = [Window::new(Duration::HOUR, policy.password_reset.per_hour)];
        if quota::admit(&self.password_resets_sent, &limit, now).is_err() {
            return Decision::ok(Vec::new(), ResetLink::SendNothing);
        }
        let expires_at = now + policy.password_reset.token_ttl;
        Decision::ok(
            vec![AccountEvent::PasswordResetRequested { token_id, token_hash, expires_at }],
            ResetLink::Send { expires_at },
        )
    }

    /// Sets a new password with a token from the email. `token_hash` is the
    /// keyed hash of the presented token under `token_id` (the caller finds
    /// the account and `token_id` from the token), `new_password_hash` the
    /// argon2 hash of a password that passed `password_policy::check`.
    /// Anything but the newest, unused, unexpired token: `InvalidToken`.
    /// Whether the link of `token_id` would still set a password: the
    /// newest link, unused, within its hour. The page asks this when the
    /// link opens (without using it), so a dead link is said at once.
    pub fn reset_link_live(&self, token_id: Uuid, token_hash: &str, now: OffsetDateTime) -> bool {
        self.pending_password_reset.as_ref().is_some_and(|p| {
            let same_hash = bool::from(p.token_hash.as_bytes().ct_eq(token_hash.as_bytes()));
            same_hash & (p.token_id == token_id) & (p.expires_at > now)
        })
    }

    pub fn reset_password(
        &self,
        token_id: Uuid,
        token_hash: &str,
        new_password_hash: String,
        now: OffsetDateTime,
    ) -> Decision<()> {
        if !self.reset_link_live(token_id, token_hash, now) {
            return Decision::refuse(Refusal::InvalidToken);
        }
        // Whoever knew the old password may have made app passwords: they
        // end with it.
        let mut events = vec![
            AccountEvent::PasswordReset { token_id, password_hash: new_password_hash },
            AccountEvent::SessionsEnded { reason: SessionEndReason::PasswordChanged },
        ];
        events.extend(self.revoke_all_app_passwords(AppPasswordsRevokedReason::PasswordChanged));
        Decision::ok(events, ())
    }
}
