//! Passkeys (WebAuthn credentials): a second factor that resists phishing,
//! and, as a discoverable credential with user verification, a sign-in on
//! its own (possession and a PIN or biometric in one gesture).
//!
//! The ceremonies' cryptography (signatures, origins, the RP ID hash, CBOR)
//! is checked outside, by the relying-party library in `functions`; what
//! reaches these decisions is its result: a new credential to keep, or an
//! assertion that verified against one of this account's public keys. What
//! stays here is what needs the account's state at the moment of the
//! append, so that two requests at once cannot both pass: that the
//! credential is this account's, that its signature counter went forward,
//! the lockout, and the session it starts.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::app_password::checked_name;
use super::decide::{Auth, Decision, Rejected, SecondFactorProof, SessionGrant};
use super::event::{AccountEvent, Method};
use super::state::{Account, AccountPolicy};
use crate::{Aggregate, Refusal};

/// Enough for a phone, a laptop and a couple of security keys with spares;
/// each second step and passkey sign-in lists them all.
pub const MAX_PER_ACCOUNT: usize = 10;

/// How the authenticator is attached, as the browser said at registration:
/// what tells a device-bound key (`hwk`) from a synced one (`swk`) together
/// with the backup flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attachment {
    /// Built into the device (Touch ID, Windows Hello, a phone's lock screen).
    Platform,
    /// A security key or a phone reached over USB, NFC or Bluetooth.
    CrossPlatform,
}

/// A passkey as the account keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Passkey {
    /// The credential id, base64url without padding.
    pub credential_id: String,
    /// Sealed under the account's data key (`crate::sealed`).
    pub name: crate::Sealed,
    /// The public key and the credential's static properties, encoded by
    /// the relying-party library, base64url. Not a secret.
    pub public_key: String,
    /// The last signature counter seen (0: the authenticator keeps none).
    pub counter: u32,
    /// The authenticator may sync it to other devices (a synced passkey).
    pub backup_eligible: bool,
    /// It is synced now.
    pub backed_up: bool,
    /// User verification (PIN, biometric) happened at registration.
    pub user_verified: bool,
    pub attachment: Option<Attachment>,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
}

impl Passkey {
    /// The OpenID Connect `amr` value for this key: `swk` (software-secured
    /// key) when it may leave the device it was made on (backup eligible:
    /// synced through a password manager or a platform account), else `hwk`
    /// (a key bound to the hardware it lives in). RFC 8176.
    pub fn amr(&self) -> &'static str {
        self.kind().amr()
    }

    pub fn kind(&self) -> KeyKind {
        if self.backup_eligible { KeyKind::Swk } else { KeyKind::Hwk }
    }
}

/// Which kind of key a passkey is, as RFC 8176 names them (`Passkey::kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// Bound to the hardware it was made in.
    Hwk,
    /// May be synced to other devices (backup eligible).
    Swk,
}

impl KeyKind {
    pub fn amr(self) -> &'static str {
        match self {
            KeyKind::Hwk => "hwk",
            KeyKind::Swk => "swk",
        }
    }
}

/// How a passkey proved the sign-in a session stands for, kept on the
/// session (`SessionStarted`) and carried into the apps' grants: what an
/// ID token's `amr` says beyond `mfa`. A session made otherwise has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeySignIn {
    pub key: KeyKind,
    /// The authenticator verified the user (PIN, biometric): `user`.
    pub user_verified: bool,
    /// Signed in with the passkey alone, no password (so no `pwd`).
    pub alone: bool,
}

/// A credential the registration ceremony verified, to be added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPasskey {
    pub credential_id: String,
    /// As typed (checked here).
    pub name: String,
    /// The checked name (`validate_name`) sealed by the caller under the
    /// account's data key: what the event keeps (as for app passwords).
    pub sealed_name: crate::Sealed,
    pub public_key: String,
    pub counter: u32,
    pub backup_eligible: bool,
    pub backed_up: bool,
    pub user_verified: bool,
    pub attachment: Option<Attachment>,
}

/// An assertion whose signature verified against the stored public key of
/// `credential_id` (by the relying-party library, with the challenge,
/// origin and RP ID checked), with what its authenticator data said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyAssertion {
    pub credential_id: String,
    pub counter: u32,
    pub backed_up: bool,
    pub user_verified: bool,
}

/// A passkey name as typed, trimmed; refused when empty, too long or
/// holding control characters (it is shown in the page and in emails).
pub fn validate_name(name: &str) -> Result<String, Refusal> {
    checked_name(name, "give the passkey a name, e.g. \"iPhone\" or \"YubiKey\"")
}

/// The signature counter rule (WebAuthn § 6.1.1): an authenticator that
/// keeps no counter sends 0 every time; one that does must go forward. A
/// counter that does not is a sign of a cloned authenticator.
pub fn counter_went_forward(stored: u32, presented: u32) -> bool {
    (stored == 0 && presented == 0) || presented > stored
}

impl Account {
    /// The passkey with this credential id, if it is one of this account's.
    pub fn passkey(&self, credential_id: &str) -> Option<&Passkey> {
        self.passkeys.iter().find(|p| p.credential_id == credential_id)
    }

    /// Starting to add a passkey: a session, and a second factor already
    /// set up (the app or SMS), proven now (`credential_step_up`, consumed):
    /// a stolen session alone must not plant its own passkey. A passkey is
    /// not the first factor one sets up, because the recovery codes come
    /// with the app or SMS. The caller stores the ceremony's challenge only
    /// when this passes.
    pub fn begin_passkey_registration(
        &self,
        session_id: Uuid,
        proof: Option<SecondFactorProof<'_>>,
        now: OffsetDateTime,
        policy: &AccountPolicy,
    ) -> Decision<()> {
        if let Err(refusal) = self.authorize(&Auth::Session { session_id }, now) {
            return Decision::refuse(refusal);
        }
        if self.totp.is_none() && self.sms.is_none() {
            return Decision::refuse(Refusal::InvalidRequest(
                "set up the authenticator app or SMS first; the recovery codes come with it".into(),
            ));
        }
        if self.passkeys.len() >= MAX_PER_ACCOUNT {
            return Decision::refuse(Refusal::InvalidRequest(format!(
                "at most {MAX_PER_ACCOUNT} passkeys; remove one you no longer use first"
            )));
        }
        match self.credential_step_up(session_id, proof, now, policy) {
            Ok(accepted) => Decision { events: Vec::from_iter(accepted), outcome: Ok(()) },
            Err(decision) => decision,
        }
    }

    /// Adds the credential the registration ceremony (begun in the session
    /// `session_id`, with its step-up) verified. Answers the name as stored.
    pub fn add_passkey(&self, session_id: Uuid, new: NewPasskey, now: OffsetDateTime) -> Decision<String> {
        if let Err(refusal) = self.authorize(&Auth::Session { session_id }, now) {
            return Decision::refuse(refusal);
        }
        let name = match validate_name(&new.name) {
            Ok(name) => name,
            Err(refusal) => return Decision::refuse(refusal),
        };
        if self.passkey(&new.credential_id).is_some() {
            return Decision::refuse(Refusal::InvalidRequest("this passkey is added already".into()));
        }
        if self.passkeys.len() >= MAX_PER_ACCOUNT {
            return Decision::refuse(Refusal::InvalidRequest(format!(
                "at most {MAX_PER_ACCOUNT} passkeys; remove one you no longer use first"
            )));
        }
        Decision::ok(
            vec![AccountEvent::PasskeyAdded {
                credential_id: new.credential_id,
                name: new.sealed_name,
                public_key: new.public_key,
                counter: new.counter,
                backup_eligible: new.backup_eligible,
                backed_up: new.backed_up,
                user_verified: new.user_verified,
                attachment: new.attachment,
            }],
            name,
        )
    }

    /// Removes a passkey, with a proof of a current factor (as for every
    /// credential change). Answers its name, sealed. The proof is checked only for
    /// a passkey that exists, so a wrong id does not use it up.
    pub fn remove_passkey(
        &self,
        session_id: Uuid,
        credential_id: &str,
        proof: Option<SecondFactorProof<'_>>,
        now: OffsetDateTime,
        policy: &AccountPolicy,
    ) -> Decision<crate::Sealed> {
        if let Err(refusal) = self.authorize(&Auth::Session { session_id }, now) {
            return Decision::refuse(refusal);
        }
        let Some(passkey) = self.passkey(credential_id) else { return Decision::refuse(Refusal::NotFound) };
        let mut events = match self.credential_step_up(session_id, proof, now, policy) {
            Ok(accepted) => Vec::from_iter(accepted),
            Err(decision) => return decision,
        };
        events
            .push(AccountEvent::PasskeyRemoved { credential_id: credential_id.to_owned(), name: passkey.name.clone() });
        Decision { events, outcome: Ok(passkey.name.clone()) }
    }

    /// What a verified assertion of one of this account's passkeys says
    /// about the sign-in it completes; `None` when it names none.
    pub(super) fn passkey_sign_in(&self, assertion: &PasskeyAssertion, alone: bool) -> Option<PasskeySignIn> {
        let passkey = self.passkey(&assertion.credential_id)?;
        Some(PasskeySignIn { key: passkey.kind(), user_verified: assertion.user_verified, alone })
    }

    /// The event that consumes a verified assertion, or why it is refused:
    /// not a credential of this account (or no verified assertion at all)
    /// is a failure like a wrong code; a counter that did not go forward is
    /// refused and recorded as such (it counts toward the lockout too).
    pub(super) fn accept_passkey(&self, assertion: Option<&PasskeyAssertion>) -> Result<AccountEvent, Rejected> {
        let assertion = assertion.ok_or(Rejected::Wrong)?;
        let passkey = self.passkey(&assertion.credential_id).ok_or(Rejected::Wrong)?;
        if !counter_went_forward(passkey.counter, assertion.counter) {
            return Err(Rejected::CounterRegressed {
                credential_id: passkey.credential_id.clone(),
                stored: passkey.counter,
                presented: assertion.counter,
            });
        }
        Ok(AccountEvent::PasskeyUsed {
            credential_id: passkey.credential_id.clone(),
            counter: assertion.counter,
            backed_up: assertion.backed_up,
        })
    }

    /// Signing in with a passkey alone: a discoverable credential whose
    /// authenticator verified the user (PIN or biometric), so possession and
    /// knowledge or inherence in one. Without user verification it is one
    /// factor and refused here (it still serves as the second step after a
    /// password). A disabled account is refused like a wrong key, and the
    /// second step's lockout applies: failed assertions count as failed
    /// codes do. `None`: the assertion did not verify against a key of this
    /// account. `login_id` names the sign-in (its session's `login_id`, as
    /// a password's login has one), so the activity lists it as one.
    pub fn sign_in_with_passkey(
        &self,
        assertion: Option<&PasskeyAssertion>,
        login_id: Uuid,
        session_id: Uuid,
        now: OffsetDateTime,
        policy: &AccountPolicy,
    ) -> Decision<SessionGrant> {
        // Never made, or deleted (its passkeys went with it): refused as
        // an unknown key is, and nothing recorded.
        if !self.exists() {
            return Decision::refuse(Refusal::InvalidCode);
        }
        if let Some(locked) = self.locked_out(policy, now) {
            return Decision::refuse(locked);
        }
        if self.is_disabled() || assertion.is_some_and(|a| !a.user_verified) {
            return Decision::record_and_refuse(
                AccountEvent::SecondFactorFailed { method: Method::Passkey },
                Refusal::InvalidCode,
            );
        }
        let used = match self.accept_passkey(assertion) {
            Ok(used) => used,
            Err(rejected) => return rejected.decision(Method::Passkey),
        };
        let how = assertion.and_then(|a| self.passkey_sign_in(a, true));
        let (started, session) =
            self.start_session(session_id, Some(login_id), Some(Method::Passkey), how, now, policy);
        Decision::ok(vec![used, started], session)
    }
}
