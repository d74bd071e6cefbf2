//! The decisions: given the account's state, a command and the time, which
//! events to append and what to answer. A refusal may still carry events
//! (a wrong code is recorded so that lockouts count it).

use crate::Aggregate;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use uuid::Uuid;

use super::event::{AccountEvent, Locale, Method, Owed, Role, SessionEndReason, SmsPurpose};
use super::passkey::PasskeySignIn;
use super::state::{Account, AccountPolicy};
pub use crate::aggregate::Decision;
use crate::{Refusal, totp};

/// What activating a second factor needs besides its first code: who
/// asks, the recovery codes that come with the factor, and the id of the
/// session it starts.
pub struct Activation<'a> {
    pub auth: &'a Auth,
    pub codes: NewRecoveryCodes,
    pub session_id: Uuid,
}

/// Why `Account::accept` did not take a proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Rejected {
    /// Not a code of this factor: a failure, counted toward the lockout.
    Wrong,
    /// The real authenticator code of a step accepted already. Not counted:
    /// only someone who has the code (the owner, losing a race against their
    /// own request or signing in again within the same 30 seconds) can
    /// present it, and it can never be accepted again, so the answer helps
    /// nobody; counting it would lock the owner out after a good sign-in.
    Used,
    /// A passkey's signature counter that did not go forward: refused and
    /// recorded (a cloned authenticator?), and counted toward the lockout.
    CounterRegressed { credential_id: String, stored: u32, presented: u32 },
}

impl Rejected {
    /// The answer to a rejected proof, with the failure recorded when it
    /// counts toward the lockout.
    pub(super) fn decision<T>(self, method: Method) -> Decision<T> {
        match self {
            Rejected::Wrong => {
                Decision::record_and_refuse(AccountEvent::SecondFactorFailed { method }, Refusal::InvalidCode)
            }
            Rejected::Used => Decision::refuse(Refusal::CodeUsed),
            Rejected::CounterRegressed { credential_id, stored, presented } => Decision::record_and_refuse(
                AccountEvent::PasskeyCounterRegressed { credential_id, stored, presented },
                Refusal::InvalidCode,
            ),
        }
    }
}

/// The result of checking a password against the stored hash (argon2 runs
/// outside, it is CPU work with a random salt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordCheck {
    pub correct: bool,
    /// A new hash when the stored one used an older policy.
    pub rehashed: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionGrant {
    pub session_id: Uuid,
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    Authenticated { session: SessionGrant, mfa_setup_due: bool },
    SetupRequired { login_id: Uuid, expires_at: OffsetDateTime },
    Required { login_id: Uuid, expires_at: OffsetDateTime, methods: Vec<Method> },
}

/// Who is asking, as proven by a token whose signature was already checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// An mfa token: the password was correct, a second factor is owed.
    Mfa {
        login_id: Uuid,
    },
    Session {
        session_id: Uuid,
    },
}

/// What a user presents at the second step.
#[derive(Debug, Clone, Copy)]
pub enum SecondFactorProof<'a> {
    /// The decrypted secret of the active authenticator and the typed code.
    Totp { secret: &'a [u8], code: &'a str },
    /// The keyed hash of the normalised code, `None` if it was malformed.
    RecoveryCode { hash: Option<&'a str> },
    /// The keyed hash of the typed code under the pending SMS code's id,
    /// `None` when no code is pending or the input was not six digits.
    Sms { hash: Option<&'a str> },
    /// An assertion the relying-party library verified against one of the
    /// account's passkeys (`passkey`), `None` when it did not verify.
    Passkey { assertion: Option<&'a super::passkey::PasskeyAssertion> },
}

impl SecondFactorProof<'_> {
    pub fn method(&self) -> Method {
        match self {
            SecondFactorProof::Totp { .. } => Method::Totp,
            SecondFactorProof::RecoveryCode { .. } => Method::RecoveryCode,
            SecondFactorProof::Sms { .. } => Method::Sms,
            SecondFactorProof::Passkey { .. } => Method::Passkey,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub session: SessionGrant,
    /// Set when a recovery code was used.
    pub recovery_codes_remaining: Option<usize>,
}

/// The authenticator setup a person is shown (`Account::start_totp_setup`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpSetup {
    pub sealed_secret: String,
    pub expires_at: OffsetDateTime,
    /// A new key although an earlier setup was started and never confirmed:
    /// the entry that one left in the app will never work and should go.
    pub replaces_earlier_key: bool,
}

/// A fresh set of recovery codes, already hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecoveryCodes {
    pub set_id: Uuid,
    pub hashes: Vec<String>,
}

impl NewRecoveryCodes {
    pub(super) fn issued(self) -> AccountEvent {
        AccountEvent::RecoveryCodesIssued { set_id: self.set_id, hashes: self.hashes }
    }
}

pub struct Registration {
    pub account_id: Uuid,
    /// Sealed by the caller under the new account's data key.
    pub email: crate::Sealed,
    pub name: crate::Sealed,
    pub password_hash: String,
    pub roles: Vec<Role>,
    pub locale: Locale,
}

/// A new account. Customers get one login without a second factor; staff
/// (any role) must set one up at their very first login.
pub fn register(r: Registration) -> Vec<AccountEvent> {
    let first_login_without_second_factor = r.roles.is_empty();
    vec![AccountEvent::Registered {
        account_id: r.account_id,
        email: r.email,
        name: r.name,
        password_hash: r.password_hash,
        roles: r.roles,
        locale: r.locale,
        first_login_without_second_factor,
    }]
}

impl Account {
    pub(super) fn start_session(
        &self,
        session_id: Uuid,
        login_id: Option<Uuid>,
        second_factor: Option<Method>,
        passkey: Option<PasskeySignIn>,
        now: OffsetDateTime,
        policy: &AccountPolicy,
    ) -> (AccountEvent, SessionGrant) {
        let expires_at = now + policy.session_ttl;
        (
            AccountEvent::SessionStarted { session_id, login_id, expires_at, second_factor, passkey },
            SessionGrant { session_id, expires_at },
        )
    }

    pub(super) fn locked_out(&self, policy: &AccountPolicy, now: OffsetDateTime) -> Option<Refusal> {
        self.second_factor_retry_after(policy, now).map(|retry_after| Refusal::TooManyAttempts { retry_after })
    }

    /// A login with email and password. `check` is the argon2 result; while
    /// the password is locked out it is not consulted at all, so a correct
    /// password gains nothing during the lock.
    pub fn login(
        &self,
        check: PasswordCheck,
        login_id: Uuid,
        session_id: Uuid,
        now: OffsetDateTime,
        policy: &AccountPolicy,
    ) -> Decision<LoginOutcome> {
        if !self.exists() {
            return Decision::refuse(Refusal::InvalidCredentials);
        }
        if let Some(retry_after) = self.password_retry_after(policy, now) {
            return Decision::refuse(Refusal::TooManyAttempts { retry_after });
        }
        // A disabled account's password gets the wrong password's answer,
        // counted like one, so the answer and the lockout tell nothing.
        if !check.correct || self.is_disabled() {
            return Decision::record_and_refuse(AccountEvent::PasswordFailed {}, Refusal::InvalidCredentials);
        }
        let mut events = Vec::new();
        if let Some(password_hash) = check.rehashed {
            events.push(AccountEvent::PasswordRehashed { password_hash });
        }
        let owed = if self.has_second_factor() {
            Owed::Verify
        } else if self.first_login_without_second_factor && !self.logged_in_before {
            Owed::Nothing
        } else {
            Owed::Setup
        };
        let expires_at = now + policy.mfa_token_ttl;
        events.push(AccountEvent::PasswordPassed { login_id, owed, expires_at });
        let outcome = match owed {
            Owed::Nothing => {
                let (started, session) = self.start_session(session_id, Some(login_id), None, None, now, policy);
                events.push(started);
                LoginOutcome::Authenticated { session, mfa_setup_due: true }
            }
            Owed::Setup => LoginOutcome::SetupRequired { login_id, expires_at },
            Owed::Verify => LoginOutcome::Required { login_id, expires_at, methods: self.methods() },
        };
        Decision { events, outcome: Ok(outcome) }
    }

    /// Whether a token (signature already checked) still stands for a live
    /// session or a pending login of this account.
    pub fn authorize(&self, auth: &Auth, now: OffsetDateTime) -> Result<(), Refusal> {
        let live = match *auth {
            Auth::Session { session_id } => self.session_active(session_id, now),
            Auth::Mfa { login_id } => self.pending_login(login_id, now).is_some(),
        };
        if live { Ok(()) } else { Err(Refusal::Unauthorized) }
    }

    /// Setting up a factor: with a session, or with the mfa token of a login
    /// that owes a *setup*. An mfa token of a login that owes a *code* must
    /// not enrol a new factor: that would let a password alone replace the
    /// owner's second factor.
    pub(super) fn authorize_enrolment(&self, auth: &Auth, now: OffsetDateTime) -> Result<(), Refusal> {
        self.authorize(auth, now)?;
        match *auth {
            Auth::Mfa { login_id } => match self.pending_login(login_id, now).map(|l| l.owed) {
                Some(Owed::Setup) => Ok(()),
                _ => Err(Refusal::Forbidden),
            },
            Auth::Session { .. } => Ok(()),
        }
    }

    /// A signed-in user who already has a second factor proves it before
    /// enrolling another one or replacing it: a stolen session alone must
    /// not be able to add its own authenticator or number, and then remove
    /// the owner's factor with it. A login that owes a setup has no factor
    /// to prove, and with an mfa token `authorize_enrolment` already
    /// refused the rest. The proof is consumed (`Some(event)`).
    pub(super) fn enrolment_step_up<T>(
        &self,
        auth: &Auth,
        proof: Option<SecondFactorProof<'_>>,
        now: OffsetDateTime,
    ) -> Result<Option<AccountEvent>, Decision<T>> {
        match *auth {
            Auth::Session { session_id } if self.has_second_factor() => self.step_up(session_id, proof, now).map(Some),
            _ => Ok(None),
        }
    }

    /// A signed-in user's proof of the current second factor, consumed by
    /// the change it allows. A wrong one counts toward the lockout.
    pub(super) fn step_up<T>(
        &self,
        session_id: Uuid,
        proof: Option<SecondFactorProof<'_>>,
        now: OffsetDateTime,
    ) -> Result<AccountEvent, Decision<T>> {
        let Some(proof) = proof else {
            return Err(Decision::refuse(Refusal::VerificationRequired));
        };
        let method = proof.method();
        self.accept(proof, &SmsPurpose::StepUp { session_id }, now).map_err(|rejected| rejected.decision(method))
    }

    /// The authenticator setup to show, pending until `confirm_totp`: the
    /// one already pending while it lasts (its key may be in the person's
    /// app already; a new sign-in or a reload must not change it), else a
    /// new one with `sealed_secret`. A signed-in user who already has a
    /// second factor proves it (`step_up`) every time, also to see the
    /// pending key: a stolen session must not read the owner's pending
    /// secret and confirm it. While the second factor is locked out nothing
    /// is shown, so the proof cannot be guessed here either.
    pub fn start_totp_setup(
        &self,
        auth: &Auth,
        step_up: Option<SecondFactorProof<'_>>,
        setup_id: Uuid,
        sealed_secret: String,
        now: OffsetDateTime,
        policy: &AccountPolicy,
    ) -> Decision<TotpSetup> {
        if let Err(refusal) = self.authorize_enrolment(auth, now) {
            return Decision::refuse(refusal);
        }
        if let Some(locked) = self.locked_out(policy, now) {
            return Decision::refuse(locked);
        }
        let mut events = match self.enrolment_step_up(auth, step_up, now) {
            Ok(accepted) => Vec::from_iter(accepted),
            Err(decision) => return decision,
        };
        if let Some(pending) = self.pending_totp(now) {
            let setup = TotpSetup {
                sealed_secret: pending.sealed_secret.clone(),
                expires_at: pending.expires_at,
                replaces_earlier_key: pending.replaces_earlier_key,
            };
            return Decision { events, outcome: Ok(setup) };
        }
        let setup = TotpSetup {
            sealed_secret,
            expires_at: now + policy.totp_setup_ttl,
            replaces_earlier_key: self.earlier_setup_remembered(now),
        };
        events.push(AccountEvent::TotpSetupStarted {
            setup_id,
            sealed_secret: setup.sealed_secret.clone(),
            expires_at: setup.expires_at,
        });
        Decision { events, outcome: Ok(setup) }
    }

    /// Confirms the pending authenticator with its first code. `secret` is
    /// the decrypted secret of `self.pending_totp(now)`.
    pub fn confirm_totp(
        &self,
        activation: Activation<'_>,
        secret: &[u8],
        code: &str,
        now: OffsetDateTime,
        policy: &AccountPolicy,
    ) -> Decision<SessionGrant> {
        if let Err(refusal) = self.activation_allowed(activation.auth, now, policy) {
            return Decision::refuse(refusal);
        }
        let Some(pending) = self.pending_totp(now) else {
            return Decision::refuse(Refusal::InvalidRequest(
                "no authenticator setup is in progress (it expires after 10 minutes); start again".into(),
            ));
        };
        // A new secret has never had a code accepted: the steps used with
        // the authenticator it replaces say nothing about its codes (the
        // proof that started a replacement may have used this very step).
        let Some(step) = totp::matching_step(secret, code, now, None) else {
            return Decision::record_and_refuse(
                AccountEvent::SecondFactorFailed { method: Method::Totp },
                Refusal::InvalidCode,
            );
        };
        self.activate_factor(
            AccountEvent::TotpActivated {
                setup_id: pending.setup_id,
                step,
                sealed_secret: Some(pending.sealed_secret.clone()),
            },
            activation,
            now,
            policy,
        )
    }

    /// What every activation asks first: may the caller enrol, and is the
    /// second step not locked.
    pub(super) fn activation_allowed(
        &self,
        auth: &Auth,
        now: OffsetDateTime,
        policy: &AccountPolicy,
    ) -> Result<(), Refusal> {
        self.authorize_enrolment(auth, now)?;
        match self.locked_out(policy, now) {
            Some(locked) => Err(locked),
            None => Ok(()),
        }
    }

    /// A factor proven by its first code becomes the factor, the one rule
    /// for the app and SMS: a fresh set of recovery codes, every other
    /// session ended (a factor changed), and the caller's session started.
    pub(super) fn activate_factor(
        &self,
        activated: AccountEvent,
        activation: Activation<'_>,
        now: OffsetDateTime,
        policy: &AccountPolicy,
    ) -> Decision<SessionGrant> {
        let login_id = match *activation.auth {
            Auth::Mfa { login_id } => Some(login_id),
            Auth::Session { .. } => None,
        };
        let method = match activated {
            AccountEvent::SmsActivated { .. } => Method::Sms,
            _ => Method::Totp,
        };
        let (started, session) = self.start_session(activation.session_id, login_id, Some(method), None, now, policy);
        Decision::ok(
            vec![
                activated,
                activation.codes.issued(),
                AccountEvent::SessionsEnded { reason: SessionEndReason::SecondFactorChanged },
                started,
            ],
            session,
        )
    }

    /// The second step of a login that owes a code.
    pub fn verify(
        &self,
        login_id: Uuid,
        proof: SecondFactorProof<'_>,
        session_id: Uuid,
        now: OffsetDateTime,
        policy: &AccountPolicy,
    ) -> Decision<Verified> {
        match self.pending_login(login_id, now) {
            Some(login) if login.owed == Owed::Verify => {}
            _ => return Decision::refuse(Refusal::Unauthorized),
        }
        if let Some(locked) = self.locked_out(policy, now) {
            return Decision::refuse(locked);
        }
        let method = proof.method();
        // After the password: the passkey's kind and user verification go
        // on the session for the apps' `amr`.
        let passkey = match proof {
            SecondFactorProof::Passkey { assertion: Some(a) } => self.passkey_sign_in(a, false),
            _ => None,
        };
        let accepted = match self.accept(proof, &SmsPurpose::Login { login_id }, now) {
            Ok(accepted) => accepted,
            Err(rejected) => return rejected.decision(method),
        };
        let remaining = (method == Method::RecoveryCode).then(|| self.recovery_codes_remaining().saturating_sub(1));
        let (started, session) = self.start_session(session_id, Some(login_id), Some(method), passkey, now, policy);
        Decision {
            events: vec![accepted, started],
            outcome: Ok(Verified { session, recovery_codes_remaining: remaining }),
        }
    }

    /// The event that consumes a correct proof, or why it is not accepted.
    /// An SMS code counts only for what it was sent for (`sms_purpose`).
    pub(super) fn accept(
        &self,
        proof: SecondFactorProof<'_>,
        sms_purpose: &SmsPurpose,
        now: OffsetDateTime,
    ) -> Result<AccountEvent, Rejected> {
        match proof {
            SecondFactorProof::Totp { secret, code } => {
                if self.totp.is_none() {
                    return Err(Rejected::Wrong);
                }
                match totp::check_code(secret, code, now, self.last_totp_step) {
                    totp::CodeCheck::Fresh(step) => Ok(AccountEvent::TotpAccepted { step }),
                    totp::CodeCheck::Used => Err(Rejected::Used),
                    totp::CodeCheck::Wrong => Err(Rejected::Wrong),
                }
            }
            SecondFactorProof::RecoveryCode { hash } => {
                hash.and_then(|hash| self.unused_recovery_code(hash)).ok_or(Rejected::Wrong)
            }
            SecondFactorProof::Sms { hash } => {
                let pending = self
                    .pending_sms(now)
                    .filter(|p| self.sms.is_some() && p.purpose == *sms_purpose)
                    .ok_or(Rejected::Wrong)?;
                let hash = hash.ok_or(Rejected::Wrong)?;
                bool::from(pending.code_hash.as_bytes().ct_eq(hash.as_bytes()))
                    .then_some(AccountEvent::SmsCodeAccepted { code_id: pending.code_id })
                    .ok_or(Rejected::Wrong)
            }
            SecondFactorProof::Passkey { assertion } => self.accept_passkey(assertion),
        }
    }

    /// The event that uses the unused recovery code with this hash, if any.
    /// Every stored hash is compared, in constant time, whatever matches.
    fn unused_recovery_code(&self, hash: &str) -> Option<AccountEvent> {
        let set = self.recovery.as_ref()?;
        let mut found = None;
        for (index, (stored, used)) in set.hashes.iter().zip(&set.used).enumerate() {
            if bool::from(stored.as_bytes().ct_eq(hash.as_bytes())) && !used && found.is_none() {
                found = Some(index);
            }
        }
        found.map(|index| AccountEvent::RecoveryCodeUsed { set_id: set.set_id, index })
    }

    /// A signed-in user's change of a credential that needs no factor of
    /// its own (new recovery codes, a new app password): when the account
    /// has a second factor, a proof of it (`step_up`), checked only while
    /// the second step is not locked. Without any factor (the first
    /// session after registration) there is nothing to prove.
    pub(super) fn credential_step_up<T>(
        &self,
        session_id: Uuid,
        proof: Option<SecondFactorProof<'_>>,
        now: OffsetDateTime,
        policy: &AccountPolicy,
    ) -> Result<Option<AccountEvent>, Decision<T>> {
        if !self.has_second_factor() {
            return Ok(None);
        }
        if let Some(locked) = self.locked_out(policy, now) {
            return Err(Decision::refuse(locked));
        }
        self.step_up(session_id, proof, now).map(Some)
    }

    /// A new set of recovery codes; the old set stops working. Needs a
    /// proof of a current factor: otherwise a stolen session could mint
    /// codes and then present one as the proof that replaces the factor.
    pub fn regenerate_recovery_codes(
        &self,
        session_id: Uuid,
        proof: Option<SecondFactorProof<'_>>,
        codes: NewRecoveryCodes,
        now: OffsetDateTime,
        policy: &AccountPolicy,
    ) -> Decision<()> {
        if let Err(refusal) = self.authorize(&Auth::Session { session_id }, now) {
            return Decision::refuse(refusal);
        }
        if !self.has_second_factor() {
            return Decision::refuse(Refusal::InvalidRequest(
                "set up a second factor first; recovery codes come with it".into(),
            ));
        }
        let mut events = match self.credential_step_up(session_id, proof, now, policy) {
            Ok(accepted) => Vec::from_iter(accepted),
            Err(decision) => return decision,
        };
        events.push(codes.issued());
        Decision { events, outcome: Ok(()) }
    }

    pub fn logout(&self, session_id: Uuid, now: OffsetDateTime) -> Decision<()> {
        if let Err(refusal) = self.authorize(&Auth::Session { session_id }, now) {
            return Decision::refuse(refusal);
        }
        Decision { events: vec![AccountEvent::SessionEnded { session_id }], outcome: Ok(()) }
    }

    /// "Cancel" at the second step or the forced setup: the pending login
    /// ends at once rather than when its mfa token expires, so a token left
    /// in the tab (or copied from it) is worthless afterwards. A login that
    /// is no longer pending (done, expired, cancelled) is refused like its
    /// token would be.
    pub fn cancel_login(&self, login_id: Uuid, now: OffsetDateTime) -> Decision<()> {
        if self.pending_login(login_id, now).is_none() {
            return Decision::refuse(Refusal::Unauthorized);
        }
        Decision { events: vec![AccountEvent::LoginCancelled { login_id }], outcome: Ok(()) }
    }

    /// Choosing or changing the user name, signed in. `username` has passed
    /// `username::check`; its claim (one account per name, whatever its
    /// case) is the store's, written in the same append by the caller. The
    /// very name again (same case) changes nothing; a change of case alone
    /// is a new choice under the same claim. `username` is sealed by the
    /// caller, who opened the current one to tell whether it is the same
    /// (`unchanged`).
    pub fn choose_username(
        &self,
        session_id: Uuid,
        username: crate::Sealed,
        unchanged: bool,
        now: OffsetDateTime,
    ) -> Decision<()> {
        if let Err(refusal) = self.authorize(&Auth::Session { session_id }, now) {
            return Decision::refuse(refusal);
        }
        if unchanged {
            return Decision::ok(vec![], ());
        }
        Decision::ok(vec![AccountEvent::UsernameChosen { username }], ())
    }

    /// "Sign out everywhere else": every session, pending login and app grant
    /// made in them ends (`SessionsEnded`, the rule a factor change uses,
    /// so `session_was_ended` ends the grants of sessions already expired
    /// too), and the caller goes on in a fresh session `new_session_id` made
    /// with the same second factor. Of two such requests from two sessions
    /// at once, the one appended second finds its session ended: exactly
    /// one survives.
    pub fn end_other_sessions(
        &self,
        session_id: Uuid,
        new_session_id: Uuid,
        now: OffsetDateTime,
        policy: &AccountPolicy,
    ) -> Decision<SessionGrant> {
        let Some(current) = self.session(session_id, now) else { return Decision::refuse(Refusal::Unauthorized) };
        let (started, grant) =
            self.start_session(new_session_id, None, current.second_factor, current.passkey, now, policy);
        Decision::ok(
            vec![AccountEvent::SessionsEnded { reason: SessionEndReason::SignedOutEverywhereElse }, started],
            grant,
        )
    }

    /// Reading out everything the account holds (the data export): with a
    /// second factor, a proof of it, consumed, as for a credential change.
    /// A stolen session alone must not carry the data away.
    pub fn prove_for_export(
        &self,
        session_id: Uuid,
        proof: Option<SecondFactorProof<'_>>,
        now: OffsetDateTime,
        policy: &AccountPolicy,
    ) -> Decision<()> {
        if let Err(refusal) = self.authorize(&Auth::Session { session_id }, now) {
            return Decision::refuse(refusal);
        }
        match self.credential_step_up(session_id, proof, now, policy) {
            Ok(accepted) => Decision { events: Vec::from_iter(accepted), outcome: Ok(()) },
            Err(decision) => decision,
        }
    }
}
