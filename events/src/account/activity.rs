//! "Recent activity": the account's own events as a person reads them.
//!
//! Pure mapping from the stream to entries, newest first. The account's
//! fold runs alongside, so an entry can say what the event meant at that
//! point (the name of a revoked app password, whether a failure started a
//! lock) by the very rules the decisions apply, not by a second copy of
//! them. What the log no longer holds (sign-in activity expires, see
//! `crate::retention`) is simply not shown.
//!
//! Events that only carry out another (the `SessionsEnded` of a factor
//! change, the caller's fresh `SessionStarted`, codes sent and accepted)
//! give no entry of their own: the entry of what the person did says it.

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::event::{AccountEvent, AppPasswordsRevokedReason, Method, SessionEndReason};
use super::state::{Account, AccountPolicy};
use crate::codec::Recorded;
use crate::sealed::Sealed;

/// What a lock held back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Locked {
    Password,
    SecondFactor,
}

/// One line of the activity, as the API gives it (`kind` plus details).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Activity {
    AccountCreated,
    /// Brought over from the portal's earlier sign-in (`portal import`).
    AccountImported,
    /// Support disabled the account (its reason is staff's note and is not
    /// shown here) or enabled it again.
    AccountDisabled,
    AccountEnabled,
    /// A sign-in completed; `method` is the second factor (none for the
    /// first login, which owes none).
    SignedIn {
        #[serde(skip_serializing_if = "Option::is_none")]
        method: Option<Method>,
    },
    SignedOut,
    /// "Sign out everywhere else": every other session ended.
    SignedOutEverywhereElse,
    PasswordFailed,
    SecondFactorFailed {
        method: Method,
    },
    /// The failure just before started a lock, which ends at `until`.
    LockedOut {
        locked: Locked,
        #[serde(with = "time::serde::rfc3339")]
        until: OffsetDateTime,
    },
    AppActivated,
    SmsActivated {
        masked_phone: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        replaced_masked_phone: Option<String>,
    },
    SmsRemoved {
        masked_phone: String,
    },
    RecoveryCodesIssued,
    PasswordResetRequested,
    PasswordReset,
    /// Names are sealed (`crate::sealed`): the handler opens them.
    AppPasswordCreated {
        app_password_id: Uuid,
        name: Sealed,
    },
    /// The last recorded use of an app password (kept beside the log, at
    /// most every few minutes: see `ports::state`).
    AppPasswordUsed {
        app_password_id: Uuid,
        name: Sealed,
    },
    AppPasswordRevoked {
        app_password_id: Uuid,
        /// `None` when its creation is no longer on record.
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<Sealed>,
    },
    AppPasswordsRevoked {
        reason: AppPasswordsRevokedReason,
    },
    /// The owner asked support to reset the second factor.
    ResetRequested,
    /// Support approved it: every second factor was removed.
    ResetApproved,
    ResetRejected,
    /// A user name was chosen (or changed) to sign in with. Sealed: the
    /// handler opens it.
    UsernameChosen {
        username: Sealed,
    },
    /// The password was changed in the settings (with the current one).
    PasswordChanged,
    /// A link to confirm a new email address was sent to it.
    EmailChangeRequested,
    /// The link was followed: the account has a new email address.
    EmailChanged,
    /// Passkey names are sealed too: the handler opens them.
    PasskeyAdded {
        name: Sealed,
    },
    PasskeyRemoved {
        name: Sealed,
    },
    /// A passkey's signature counter went backwards: the assertion was
    /// refused (a copy of the key may exist). `None` when the passkey is
    /// no longer on record.
    PasskeyCounterRegressed {
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<Sealed>,
    },
}

/// An entry: when, what, and the event it came from (`None` for what is
/// kept beside the log: an app password's last use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub at: OffsetDateTime,
    pub version: Option<u64>,
    pub activity: Activity,
}

/// The entries of a stream's events (in version order), newest first.
pub fn entries(events: &[Recorded<AccountEvent>], policy: &AccountPolicy) -> Vec<Entry> {
    let mut account = Account::default();
    let mut out = Vec::new();
    for recorded in events {
        let before = described(&account, &recorded.event);
        account.apply(recorded);
        let lock = locked(&account, &recorded.event, policy);
        for activity in before.into_iter().chain(lock) {
            out.push(Entry { at: recorded.at, version: Some(recorded.version), activity });
        }
    }
    out.reverse();
    out
}

/// Adds each app password's last use (`(id, when)`) as an entry, named as
/// its creation entry names it, keeping the order newest first. A use of
/// an app password whose creation is no longer among `entries` is left
/// out: nothing could name it.
pub fn with_app_password_uses(entries: Vec<Entry>, last_used: &[(Uuid, OffsetDateTime)]) -> Vec<Entry> {
    let name_of = |id: Uuid| {
        entries.iter().find_map(|e| match &e.activity {
            Activity::AppPasswordCreated { app_password_id, name } if *app_password_id == id => Some(name.clone()),
            _ => None,
        })
    };
    let uses: Vec<Entry> = last_used
        .iter()
        .filter_map(|&(id, at)| {
            let name = name_of(id)?;
            Some(Entry { at, version: None, activity: Activity::AppPasswordUsed { app_password_id: id, name } })
        })
        .collect();
    // Uses first, and a stable sort: a use at the very time of another
    // entry (its creation) shows above it, and the entries of one append
    // keep their order.
    let mut all = uses;
    all.extend(entries);
    all.sort_by_key(|e| std::cmp::Reverse(e.at));
    all
}

/// What the event says, read against the state before it.
fn described(before: &Account, event: &AccountEvent) -> Option<Activity> {
    use AccountEvent as E;
    Some(match event {
        E::Registered { .. } => Activity::AccountCreated,
        E::Imported { .. } => Activity::AccountImported,
        E::Disabled { .. } => Activity::AccountDisabled,
        E::Enabled { .. } => Activity::AccountEnabled,
        // A fresh session after a factor change (`login_id: None`) is no
        // sign-in.
        E::SessionStarted { login_id: Some(_), second_factor, .. } => Activity::SignedIn { method: *second_factor },
        E::SessionEnded { .. } => Activity::SignedOut,
        E::SessionsEnded { reason: SessionEndReason::SignedOutEverywhereElse } => Activity::SignedOutEverywhereElse,
        E::PasswordFailed {} => Activity::PasswordFailed,
        E::SecondFactorFailed { method } => Activity::SecondFactorFailed { method: *method },
        E::TotpActivated { .. } => Activity::AppActivated,
        E::SmsActivated { masked_phone, replaced_masked_phone, .. } => Activity::SmsActivated {
            masked_phone: masked_phone.clone(),
            replaced_masked_phone: replaced_masked_phone.clone(),
        },
        E::SmsRemoved { masked_phone } => Activity::SmsRemoved { masked_phone: masked_phone.clone() },
        E::RecoveryCodesIssued { .. } => Activity::RecoveryCodesIssued,
        E::PasswordResetRequested { .. } => Activity::PasswordResetRequested,
        E::PasswordReset { .. } => Activity::PasswordReset,
        E::AppPasswordCreated { app_password_id, name, .. } => {
            Activity::AppPasswordCreated { app_password_id: *app_password_id, name: name.clone() }
        }
        E::AppPasswordRevoked { app_password_id } => Activity::AppPasswordRevoked {
            app_password_id: *app_password_id,
            name: before.app_passwords.iter().find(|p| p.id == *app_password_id).map(|p| p.name.clone()),
        },
        E::AppPasswordsRevoked { reason } => Activity::AppPasswordsRevoked { reason: *reason },
        E::ResetRequested { .. } => Activity::ResetRequested,
        E::SecondFactorsReset { .. } => Activity::ResetApproved,
        E::ResetRequestClosed { .. } => Activity::ResetRejected,
        E::PasswordChanged { .. } => Activity::PasswordChanged,
        E::EmailChangeRequested { .. } => Activity::EmailChangeRequested,
        E::EmailChanged { .. } => Activity::EmailChanged,
        E::SessionStarted { login_id: None, .. }
        | E::SessionsEnded { .. }
        | E::PasswordRehashed { .. }
        | E::PasswordPassed { .. }
        | E::TotpSetupStarted { .. }
        | E::TotpAccepted { .. }
        | E::RecoveryCodeUsed { .. }
        | E::SmsCodeIssued { .. }
        | E::SmsCodeAccepted { .. }
        // A sign-in left before its second step: nothing was signed in.
        | E::LoginCancelled { .. }
        // A preference, not a change to how the account signs in.
        | E::LanguageChanged { .. } => return None,
        E::UsernameChosen { username } => Activity::UsernameChosen { username: username.clone() },
        // Nobody sees the activity of a deleted account.
        E::AccountDeleted { .. }
        // Staff's business until it is done.
        | E::DeletionApproved { .. } => return None,
        E::PasskeyAdded { name, .. } => Activity::PasskeyAdded { name: name.clone() },
        E::PasskeyRemoved { name, .. } => Activity::PasskeyRemoved { name: name.clone() },
        E::PasskeyCounterRegressed { credential_id, .. } => {
            Activity::PasskeyCounterRegressed { name: before.passkey(credential_id).map(|p| p.name.clone()) }
        }
        // The session it started says it (`SignedIn` with `passkey`).
        E::PasskeyUsed { .. } => return None,
    })
}

/// A lockout entry when the failure just applied started a lock. While a
/// lock runs no failure is recorded (the decision refuses first), so every
/// failure that leaves the streak locked is one that started a lock.
fn locked(after: &Account, event: &AccountEvent, policy: &AccountPolicy) -> Option<Activity> {
    let (failures, lockout, locked) = match event {
        AccountEvent::PasswordFailed {} => (&after.password_failures, &policy.password_lockout, Locked::Password),
        AccountEvent::SecondFactorFailed { .. } | AccountEvent::PasskeyCounterRegressed { .. } => {
            (&after.second_factor_failures, &policy.second_factor_lockout, Locked::SecondFactor)
        }
        _ => return None,
    };
    failures.locked_until(lockout).map(|until| Activity::LockedOut { locked, until })
}

#[cfg(test)]
mod tests;
