//! SMS as a second factor: sending codes, confirming a number, using and
//! removing it. The codes themselves are made and hashed outside (random
//! numbers and keys are I/O); these rules decide whether a code may be sent
//! and whether a presented one counts.
//!
//! Limits against SMS pumping live in two places: what one account may
//! send (spacing and a daily cap) is decided here from its own events;
//! what one *number* and the whole service may receive spans accounts, so
//! the functions count it in the views with the same sliding windows
//! (`quota::admit`) before anything is sent.

use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::decide::{Activation, Auth, Decision, SecondFactorProof, SessionGrant};
use super::event::{AccountEvent, Method, Owed, SmsPurpose};
use super::state::{Account, AccountPolicy};
use crate::Refusal;
use crate::quota::{self, Window};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmsPolicy {
    /// How long a code works.
    pub code_ttl: Duration,
    /// One code per account per this interval (the page's countdown).
    pub resend_after: Duration,
    pub per_account_per_day: usize,
    /// Per number, across accounts: 5 an hour and 10 a day.
    pub per_number: [Window; 2],
    /// All SMS of the service in any hour (`PORTAL_SMS_HOURLY_LIMIT`).
    pub hourly_ceiling: usize,
}

impl Default for SmsPolicy {
    fn default() -> Self {
        SmsPolicy::STANDARD
    }
}

impl SmsPolicy {
    /// The limits: codes live 5 minutes, one a minute, 10 a day per
    /// account, 5 an hour and 10 a day per number, 1000 an hour in all.
    pub const STANDARD: SmsPolicy = SmsPolicy {
        code_ttl: Duration::minutes(5),
        resend_after: Duration::seconds(60),
        per_account_per_day: 10,
        per_number: [Window::new(Duration::HOUR, 5), Window::new(Duration::DAY, 10)],
        hourly_ceiling: 1000,
    };

    fn per_account(&self) -> [Window; 1] {
        [Window::new(Duration::DAY, self.per_account_per_day)]
    }

    pub fn global(&self) -> [Window; 1] {
        [Window::new(Duration::HOUR, self.hourly_ceiling)]
    }
}

/// A freshly made code, already hashed under its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSmsCode {
    pub code_id: Uuid,
    pub code_hash: String,
}

/// A number to set up, sealed for the events and masked for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNumber {
    pub sealed_phone: String,
    pub masked_phone: String,
}

/// What the caller may tell the user after a code was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsCodeSent {
    pub expires_at: OffsetDateTime,
    pub resend_after: Duration,
    pub masked_phone: String,
}

/// Where a code goes: a new number being set up, or the account's number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination<'a> {
    NewNumber(&'a NewNumber),
    Factor,
}

impl Account {
    /// Whether this account may send one more SMS now: not while the second
    /// step is locked, not more than the daily cap, and not sooner than
    /// `resend_after` after the last code *for the same kind of purpose*
    /// (a step-up code followed by the setup code it unlocks is no resend).
    pub fn sms_allowance(
        &self,
        purpose: &SmsPurpose,
        now: OffsetDateTime,
        policy: &AccountPolicy,
    ) -> Result<(), Refusal> {
        if let Some(locked) = self.locked_out(policy, now) {
            return Err(locked);
        }
        if let Some(last) = &self.pending_sms
            && std::mem::discriminant(&last.purpose) == std::mem::discriminant(purpose)
            && last.issued_at + policy.sms.resend_after > now
        {
            let retry_after = crate::refusal::retry_after_secs(last.issued_at + policy.sms.resend_after - now);
            return Err(Refusal::TooManyAttempts { retry_after });
        }
        quota::admit(&self.sms_sent, &policy.sms.per_account(), now)
            .map(|_| ())
            .map_err(|retry_after| Refusal::TooManyAttempts { retry_after })
    }

    /// A code to set up SMS on a new number. Like any enrolment it needs a
    /// session or the mfa token of a login that owes a setup; a signed-in
    /// user who already has a second factor must also prove it
    /// ([`Account::enrolment_step_up`]).
    pub fn send_sms_setup_code(
        &self,
        auth: &Auth,
        number: &NewNumber,
        step_up: Option<SecondFactorProof<'_>>,
        code: NewSmsCode,
        now: OffsetDateTime,
        policy: &AccountPolicy,
    ) -> Decision<SmsCodeSent> {
        if let Err(refusal) = self.authorize_enrolment(auth, now) {
            return Decision::refuse(refusal);
        }
        let purpose = SmsPurpose::Setup { sealed_phone: number.sealed_phone.clone() };
        if let Err(refusal) = self.sms_allowance(&purpose, now, policy) {
            return Decision::refuse(refusal);
        }
        let mut events = match self.enrolment_step_up(auth, step_up, now) {
            Ok(accepted) => Vec::from_iter(accepted),
            Err(decision) => return decision,
        };
        events.push(self.code_issued(code, &number.masked_phone, purpose, now, policy));
        let sent = SmsCodeSent {
            expires_at: now + policy.sms.code_ttl,
            resend_after: policy.sms.resend_after,
            masked_phone: number.masked_phone.clone(),
        };
        Decision { events, outcome: Ok(sent) }
    }

    /// A code to the account's own number: for the second step of a login
    /// (mfa token), or for a signed-in user confirming a change (session).
    pub fn send_sms_code(
        &self,
        auth: &Auth,
        code: NewSmsCode,
        now: OffsetDateTime,
        policy: &AccountPolicy,
    ) -> Decision<SmsCodeSent> {
        if let Err(refusal) = self.authorize(auth, now) {
            return Decision::refuse(refusal);
        }
        let purpose = match *auth {
            Auth::Mfa { login_id } => match self.pending_login(login_id, now).map(|l| l.owed) {
                Some(Owed::Verify) => SmsPurpose::Login { login_id },
                _ => return Decision::refuse(Refusal::Forbidden),
            },
            Auth::Session { session_id } => SmsPurpose::StepUp { session_id },
        };
        let Some(factor) = &self.sms else {
            return Decision::refuse(Refusal::InvalidRequest("SMS is not set up for this account".into()));
        };
        if let Err(refusal) = self.sms_allowance(&purpose, now, policy) {
            return Decision::refuse(refusal);
        }
        let sent = SmsCodeSent {
            expires_at: now + policy.sms.code_ttl,
            resend_after: policy.sms.resend_after,
            masked_phone: factor.masked_phone.clone(),
        };
        Decision { events: vec![self.code_issued(code, &factor.masked_phone, purpose, now, policy)], outcome: Ok(sent) }
    }

    fn code_issued(
        &self,
        code: NewSmsCode,
        masked_phone: &str,
        purpose: SmsPurpose,
        now: OffsetDateTime,
        policy: &AccountPolicy,
    ) -> AccountEvent {
        AccountEvent::SmsCodeIssued {
            code_id: code.code_id,
            code_hash: code.code_hash,
            expires_at: now + policy.sms.code_ttl,
            masked_phone: masked_phone.to_owned(),
            purpose,
        }
    }

    /// Confirms a new number with the code sent to it; activated like a
    /// new authenticator (`activate_factor`).
    pub fn confirm_sms(
        &self,
        activation: Activation<'_>,
        code_hash: Option<&str>,
        now: OffsetDateTime,
        policy: &AccountPolicy,
    ) -> Decision<SessionGrant> {
        if let Err(refusal) = self.activation_allowed(activation.auth, now, policy) {
            return Decision::refuse(refusal);
        }
        let Some(pending) = self.pending_sms(now).filter(|p| matches!(p.purpose, SmsPurpose::Setup { .. })) else {
            return Decision::refuse(Refusal::InvalidRequest(
                "no SMS setup is in progress (its code expires after 5 minutes); start again".into(),
            ));
        };
        let matches = code_hash
            .is_some_and(|h| bool::from(subtle::ConstantTimeEq::ct_eq(h.as_bytes(), pending.code_hash.as_bytes())));
        if !matches {
            return Decision::record_and_refuse(
                AccountEvent::SecondFactorFailed { method: Method::Sms },
                Refusal::InvalidCode,
            );
        }
        let activated = AccountEvent::SmsActivated {
            code_id: pending.code_id,
            masked_phone: pending.masked_phone.clone(),
            replaced_masked_phone: self.sms.as_ref().map(|f| f.masked_phone.clone()),
        };
        self.activate_factor(activated, activation, now, policy)
    }

    /// Removes SMS, with a proof of a current factor, and only while an
    /// authenticator app remains: an account never drops to no factor.
    pub fn remove_sms(
        &self,
        session_id: Uuid,
        proof: Option<SecondFactorProof<'_>>,
        now: OffsetDateTime,
        policy: &AccountPolicy,
    ) -> Decision<()> {
        if let Err(refusal) = self.authorize(&Auth::Session { session_id }, now) {
            return Decision::refuse(refusal);
        }
        let Some(factor) = &self.sms else {
            return Decision::refuse(Refusal::InvalidRequest("SMS is not set up for this account".into()));
        };
        if self.totp.is_none() {
            return Decision::refuse(Refusal::InvalidRequest(
                "SMS is the only second factor; set up the authenticator app before removing it".into(),
            ));
        }
        if let Some(locked) = self.locked_out(policy, now) {
            return Decision::refuse(locked);
        }
        match self.step_up(session_id, proof, now) {
            Ok(accepted) => Decision {
                events: vec![accepted, AccountEvent::SmsRemoved { masked_phone: factor.masked_phone.clone() }],
                outcome: Ok(()),
            },
            Err(decision) => decision,
        }
    }
}
