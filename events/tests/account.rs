//! Given events, when a command, then new events or a refusal; no I/O.

use events::Aggregate;
use events::Refusal;
use events::account::{
    Account, AccountEvent, AccountPolicy, Activation, Auth, Decision, Locale, LoginOutcome, Method, NewRecoveryCodes,
    Owed, PasswordCheck, SecondFactorProof, SessionEndReason, Verified,
};
use events::codec::Recorded;
use events::totp::{self, DIGITS};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

const T0: OffsetDateTime = datetime!(2026-11-02 09:00:00 UTC);
const SECRET: &[u8] = b"01234567890123456789";
const POLICY: AccountPolicy = AccountPolicy {
    password_lockout: events::lockout::LockoutPolicy::STANDARD,
    second_factor_lockout: events::lockout::LockoutPolicy::STANDARD,
    mfa_token_ttl: Duration::minutes(5),
    session_ttl: Duration::hours(8),
    totp_setup_ttl: Duration::minutes(10),
    sms: events::account::sms::SmsPolicy::STANDARD,
    password_reset: events::account::password_reset::PasswordResetPolicy::STANDARD,
};

/// An account history being built up, event by event.
struct Given {
    events: Vec<Recorded<AccountEvent>>,
}

impl Given {
    fn registered(roles: Vec<events::account::Role>) -> Self {
        let mut g = Given { events: Vec::new() };
        g.push(
            T0,
            AccountEvent::Registered {
                account_id: Uuid::from_u128(1),
                email: events::Sealed::from_ciphertext("anna@example.de".into()),
                name: events::Sealed::from_ciphertext("Anna".into()),
                password_hash: "$argon2id$...".into(),
                first_login_without_second_factor: roles.is_empty(),
                roles,
                locale: Locale::De,
            },
        );
        g
    }

    fn customer() -> Self {
        Self::registered(Vec::new())
    }

    fn push(&mut self, at: OffsetDateTime, event: AccountEvent) {
        let version = self.events.len() as u64 + 1;
        self.events.push(Recorded { version, at, event });
    }

    fn then(&mut self, at: OffsetDateTime, events: Vec<AccountEvent>) -> &mut Self {
        for e in events {
            self.push(at, e);
        }
        self
    }

    fn state(&self) -> Account {
        Account::from_events(&self.events)
    }

    /// A customer with an active authenticator (activated at step of T0)
    /// and recovery codes hashed as "h0".."h9".
    fn with_totp() -> Self {
        let mut g = Self::customer();
        let setup_id = Uuid::from_u128(2);
        g.push(
            T0,
            AccountEvent::PasswordPassed {
                login_id: Uuid::from_u128(3),
                owed: Owed::Nothing,
                expires_at: T0 + Duration::minutes(5),
            },
        );
        g.push(
            T0,
            AccountEvent::TotpSetupStarted {
                setup_id,
                sealed_secret: "sealed".into(),
                expires_at: T0 + Duration::minutes(10),
            },
        );
        g.push(
            T0,
            AccountEvent::TotpActivated { setup_id, step: totp::step_at(T0), sealed_secret: Some("sealed".into()) },
        );
        g.push(T0, codes().issued_event());
        g
    }
}

fn codes() -> NewRecoveryCodes {
    NewRecoveryCodes { set_id: Uuid::from_u128(9), hashes: (0..10).map(|i| format!("h{i}")).collect() }
}

trait Issued {
    fn issued_event(self) -> AccountEvent;
}
impl Issued for NewRecoveryCodes {
    fn issued_event(self) -> AccountEvent {
        AccountEvent::RecoveryCodesIssued { set_id: self.set_id, hashes: self.hashes }
    }
}

fn correct() -> PasswordCheck {
    PasswordCheck { correct: true, rehashed: None }
}

fn wrong() -> PasswordCheck {
    PasswordCheck { correct: false, rehashed: None }
}

fn login(g: &mut Given, at: OffsetDateTime) -> Result<LoginOutcome, Refusal> {
    let d = g.state().login(correct(), Uuid::new_v4(), Uuid::new_v4(), at, &POLICY);
    g.then(at, d.events);
    d.outcome
}

fn verify(g: &Given, login_id: Uuid, proof: SecondFactorProof<'_>, at: OffsetDateTime) -> Decision<Verified> {
    g.state().verify(login_id, proof, Uuid::new_v4(), at, &POLICY)
}

fn pending_login_id(outcome: Result<LoginOutcome, Refusal>) -> Uuid {
    match outcome {
        Ok(LoginOutcome::Required { login_id, .. } | LoginOutcome::SetupRequired { login_id, .. }) => login_id,
        other => panic!("expected a pending login, got {other:?}"),
    }
}

#[test]
fn first_login_needs_no_second_factor_and_every_later_login_demands_setup() {
    let mut g = Given::customer();
    match login(&mut g, T0) {
        Ok(LoginOutcome::Authenticated { mfa_setup_due: true, .. }) => {}
        other => panic!("{other:?}"),
    }
    assert!(matches!(login(&mut g, T0 + Duration::minutes(1)), Ok(LoginOutcome::SetupRequired { .. })));
    assert!(matches!(login(&mut g, T0 + Duration::minutes(2)), Ok(LoginOutcome::SetupRequired { .. })));
}

#[test]
fn staff_must_set_up_a_second_factor_at_their_very_first_login() {
    let mut g = Given::registered(vec![events::account::Role::Support]);
    assert!(matches!(login(&mut g, T0), Ok(LoginOutcome::SetupRequired { .. })));
}

#[test]
fn a_wrong_password_is_recorded_and_ten_lock_the_account_even_for_the_right_password() {
    let mut g = Given::customer();
    for i in 0..10 {
        let d = g.state().login(wrong(), Uuid::new_v4(), Uuid::new_v4(), T0, &POLICY);
        assert_eq!(d.outcome, Err(Refusal::InvalidCredentials), "attempt {i}");
        assert_eq!(d.events, vec![AccountEvent::PasswordFailed {}]);
        g.then(T0, d.events);
    }
    let d = g.state().login(correct(), Uuid::new_v4(), Uuid::new_v4(), T0 + Duration::seconds(30), &POLICY);
    assert_eq!(d.outcome, Err(Refusal::TooManyAttempts { retry_after: 30 }));
    assert!(d.events.is_empty(), "attempts during a lock are not evaluated");
    // After the lock the right password works and resets the count.
    assert!(login(&mut g, T0 + Duration::minutes(1)).is_ok());
    assert_eq!(g.state().password_failures.count, 0);
}

#[test]
fn a_rehashed_password_is_recorded_with_the_login() {
    let g = Given::customer();
    let check = PasswordCheck { correct: true, rehashed: Some("$argon2id$new".into()) };
    let d = g.state().login(check, Uuid::new_v4(), Uuid::new_v4(), T0, &POLICY);
    assert_eq!(d.events[0], AccountEvent::PasswordRehashed { password_hash: "$argon2id$new".into() });
}

#[test]
fn an_mfa_token_of_a_login_that_owes_a_code_cannot_enrol_a_new_factor() {
    let mut g = Given::with_totp();
    let login_id = pending_login_id(login(&mut g, T0 + Duration::minutes(1)));
    let d = g.state().start_totp_setup(
        &Auth::Mfa { login_id },
        None,
        Uuid::new_v4(),
        "s".into(),
        T0 + Duration::minutes(1),
        &POLICY,
    );
    assert_eq!(d.outcome, Err(Refusal::Forbidden));
    assert!(d.events.is_empty());
}

#[test]
fn setup_then_confirm_activates_issues_codes_and_ends_other_sessions() {
    let mut g = Given::customer();
    login(&mut g, T0).unwrap();
    let at = T0 + Duration::minutes(1);
    let login_id = pending_login_id(login(&mut g, at));
    let auth = Auth::Mfa { login_id };
    let d = g.state().start_totp_setup(&auth, None, Uuid::new_v4(), "sealed".into(), at, &POLICY);
    g.then(at, d.events);
    let code = totp::code_at_step(SECRET, totp::step_at(at), DIGITS);
    let d = g.state().confirm_totp(
        Activation { auth: &auth, codes: codes(), session_id: Uuid::new_v4() },
        SECRET,
        &code,
        at,
        &POLICY,
    );
    assert!(d.outcome.is_ok());
    assert!(matches!(d.events[0], AccountEvent::TotpActivated { .. }));
    assert!(matches!(d.events[1], AccountEvent::RecoveryCodesIssued { .. }));
    assert_eq!(d.events[2], AccountEvent::SessionsEnded { reason: SessionEndReason::SecondFactorChanged });
    assert!(matches!(d.events[3], AccountEvent::SessionStarted { login_id: Some(id), .. } if id == login_id));
    g.then(at, d.events);
    let state = g.state();
    assert!(state.has_second_factor());
    assert_eq!(state.sessions.len(), 1, "the first login's session ended");
    assert_eq!(state.methods(), vec![Method::Totp, Method::RecoveryCode]);
    // The confirmation code's step is used: it cannot log in again.
    let login_id = pending_login_id(login(&mut g, at));
    let d = verify(&g, login_id, SecondFactorProof::Totp { secret: SECRET, code: &code }, at);
    assert_eq!(d.outcome.unwrap_err(), Refusal::CodeUsed);
}

/// A session of a customer with an authenticator, from a login verified
/// with the recovery code "h0"; the other codes stay unused.
fn signed_in_with_totp(at: OffsetDateTime) -> (Given, Auth) {
    let mut g = Given::with_totp();
    let login_id = pending_login_id(login(&mut g, at));
    let d = verify(&g, login_id, SecondFactorProof::RecoveryCode { hash: Some("h0") }, at);
    let session_id = d.outcome.as_ref().unwrap().session.session_id;
    g.then(at, d.events);
    (g, Auth::Session { session_id })
}

#[test]
fn a_session_replaces_or_adds_an_authenticator_only_with_proof_of_the_current_factor() {
    let at = T0 + Duration::minutes(2);
    let (mut g, session) = signed_in_with_totp(at);
    let start =
        |g: &Given, proof| g.state().start_totp_setup(&session, proof, Uuid::new_v4(), "new".into(), at, &POLICY);
    // No proof: refused, nothing recorded.
    let d = start(&g, None);
    assert_eq!(d.outcome, Err(Refusal::VerificationRequired));
    assert!(d.events.is_empty());
    // A wrong code is a failure that counts toward the lockout.
    let d = start(&g, Some(SecondFactorProof::Totp { secret: SECRET, code: "000000" }));
    assert_eq!(d.outcome, Err(Refusal::InvalidCode));
    assert_eq!(d.events, vec![AccountEvent::SecondFactorFailed { method: Method::Totp }]);
    g.then(at, d.events);
    // The current app's code starts the setup and is used up by it.
    let code = totp::code_at_step(SECRET, totp::step_at(at), DIGITS);
    let d = start(&g, Some(SecondFactorProof::Totp { secret: SECRET, code: &code }));
    assert!(d.outcome.is_ok(), "{:?}", d.outcome);
    assert!(matches!(d.events[..], [AccountEvent::TotpAccepted { .. }, AccountEvent::TotpSetupStarted { .. }]));
    g.then(at, d.events);
    let d = start(&g, Some(SecondFactorProof::Totp { secret: SECRET, code: &code }));
    assert_eq!(d.outcome, Err(Refusal::CodeUsed), "a step proves a change once");
    assert!(d.events.is_empty(), "a used code is no failure");
    // Until the new one is confirmed the old authenticator stays the factor.
    assert_eq!(g.state().totp.as_deref(), Some("sealed"));
    assert!(g.state().pending_totp(at).is_some());
    // The new app's code of the same step confirms it: another secret.
    let new_secret = b"another secret of twenty bytes!";
    let new_code = totp::code_at_step(new_secret, totp::step_at(at), DIGITS);
    let d = g.state().confirm_totp(
        Activation { auth: &session, codes: codes(), session_id: Uuid::new_v4() },
        new_secret,
        &new_code,
        at,
        &POLICY,
    );
    assert!(d.outcome.is_ok(), "{:?}", d.outcome);
    g.then(at, d.events);
    assert_eq!(g.state().totp.as_deref(), Some("new"));
    // ...and, accepted once, it is not accepted again.
    let login_id = pending_login_id(login(&mut g, at));
    let d = verify(&g, login_id, SecondFactorProof::Totp { secret: new_secret, code: &new_code }, at);
    assert_eq!(d.outcome.unwrap_err(), Refusal::CodeUsed);
}

#[test]
fn while_the_second_factor_is_locked_not_even_a_right_proof_starts_a_setup() {
    let at = T0 + Duration::minutes(2);
    let (mut g, session) = signed_in_with_totp(at);
    for _ in 0..10 {
        let wrong = Some(SecondFactorProof::RecoveryCode { hash: Some("nope") });
        let d = g.state().start_totp_setup(&session, wrong, Uuid::new_v4(), "new".into(), at, &POLICY);
        assert_eq!(d.outcome, Err(Refusal::InvalidCode));
        g.then(at, d.events);
    }
    let right = Some(SecondFactorProof::RecoveryCode { hash: Some("h1") });
    let d = g.state().start_totp_setup(&session, right, Uuid::new_v4(), "new".into(), at, &POLICY);
    assert!(matches!(d.outcome, Err(Refusal::TooManyAttempts { .. })), "{:?}", d.outcome);
    assert!(d.events.is_empty(), "the recovery code stays unused");
}

#[test]
fn the_first_session_sets_up_an_authenticator_without_a_proof() {
    let mut g = Given::customer();
    let Ok(LoginOutcome::Authenticated { session, .. }) = login(&mut g, T0) else { panic!("first login") };
    let auth = Auth::Session { session_id: session.session_id };
    let d = g.state().start_totp_setup(&auth, None, Uuid::new_v4(), "sealed".into(), T0, &POLICY);
    assert!(matches!(d.events[..], [AccountEvent::TotpSetupStarted { .. }]), "{:?}", d);
}

#[test]
fn an_unconfirmed_setup_expires_after_ten_minutes() {
    let mut g = Given::customer();
    login(&mut g, T0).unwrap();
    let login_id = pending_login_id(login(&mut g, T0));
    let auth = Auth::Mfa { login_id };
    let d = g.state().start_totp_setup(&auth, None, Uuid::new_v4(), "sealed".into(), T0, &POLICY);
    g.then(T0, d.events);
    assert!(g.state().pending_totp(T0 + Duration::minutes(9)).is_some());
    assert!(g.state().pending_totp(T0 + Duration::minutes(10)).is_none());
}

#[test]
fn the_pending_setup_keeps_its_key_across_sign_ins_until_it_expires() {
    let mut g = Given::customer();
    login(&mut g, T0).unwrap();
    let start = |g: &mut Given, sealed: &str, at: OffsetDateTime| {
        let login_id = pending_login_id(login(g, at));
        let d = g.state().start_totp_setup(&Auth::Mfa { login_id }, None, Uuid::new_v4(), sealed.into(), at, &POLICY);
        g.then(at, d.events.clone());
        d
    };
    let d = start(&mut g, "first", T0);
    let first = d.outcome.unwrap();
    assert_eq!((first.sealed_secret.as_str(), first.replaces_earlier_key), ("first", false));
    assert_eq!(first.expires_at, T0 + Duration::minutes(10));
    // Six minutes later, with a new sign-in (the first mfa token expired):
    // the same key and the same deadline, and nothing to record.
    let d = start(&mut g, "second", T0 + Duration::minutes(6));
    assert!(d.events.is_empty(), "{:?}", d.events);
    assert_eq!(d.outcome.unwrap(), first);
    // Once it has expired a new key is unavoidable, and it says so.
    let later = T0 + Duration::minutes(10);
    let d = start(&mut g, "third", later);
    assert!(matches!(d.events[..], [AccountEvent::TotpSetupStarted { .. }]));
    let third = d.outcome.unwrap();
    assert_eq!((third.sealed_secret.as_str(), third.replaces_earlier_key), ("third", true));
    assert_eq!(third.expires_at, later + Duration::minutes(10));
    // Shown again (a reload), the new key still carries the warning.
    let d = start(&mut g, "fourth", later + Duration::minutes(1));
    assert_eq!(d.outcome.unwrap(), third);
}

#[test]
fn a_session_proves_its_factor_again_to_see_the_pending_key() {
    let at = T0 + Duration::minutes(2);
    let (mut g, session) = signed_in_with_totp(at);
    let d = g.state().start_totp_setup(
        &session,
        Some(SecondFactorProof::RecoveryCode { hash: Some("h1") }),
        Uuid::new_v4(),
        "new".into(),
        at,
        &POLICY,
    );
    g.then(at, d.events);
    // The replacement is pending; without a proof (a stolen session) its
    // key is not shown, and a proof is used up even to see it again.
    let later = at + Duration::minutes(1);
    let d = g.state().start_totp_setup(&session, None, Uuid::new_v4(), "other".into(), later, &POLICY);
    assert_eq!(d.outcome, Err(Refusal::VerificationRequired));
    let proof = Some(SecondFactorProof::RecoveryCode { hash: Some("h2") });
    let d = g.state().start_totp_setup(&session, proof, Uuid::new_v4(), "other".into(), later, &POLICY);
    assert_eq!(d.outcome.unwrap().sealed_secret, "new");
    assert!(matches!(d.events[..], [AccountEvent::RecoveryCodeUsed { index: 2, .. }]), "{:?}", d.events);
}

#[test]
fn a_totp_step_is_accepted_once_only() {
    let mut g = Given::with_totp();
    let at = T0 + Duration::minutes(2);
    let code = totp::code_at_step(SECRET, totp::step_at(at), DIGITS);
    let first = pending_login_id(login(&mut g, at));
    let d = verify(&g, first, SecondFactorProof::Totp { secret: SECRET, code: &code }, at);
    assert!(d.outcome.is_ok());
    g.then(at, d.events);
    let second = pending_login_id(login(&mut g, at));
    let d = verify(&g, second, SecondFactorProof::Totp { secret: SECRET, code: &code }, at);
    assert_eq!(d.outcome.unwrap_err(), Refusal::CodeUsed);
    assert!(d.events.is_empty(), "a used code is no failure");
}

#[test]
fn a_used_code_never_locks_the_owner_out_but_wrong_codes_still_count() {
    let mut g = Given::with_totp();
    let at = T0 + Duration::minutes(2);
    let code = totp::code_at_step(SECRET, totp::step_at(at), DIGITS);
    let first = pending_login_id(login(&mut g, at));
    let d = verify(&g, first, SecondFactorProof::Totp { secret: SECRET, code: &code }, at);
    g.then(at, d.events);
    // The same code twenty times (a race lost twenty times, or sign-ins
    // again within the step), and the previous step's code, which is below
    // the last accepted one: each says "used", none counts.
    let previous = totp::code_at_step(SECRET, totp::step_at(at) - 1, DIGITS);
    for used in std::iter::repeat_n(code.as_str(), 20).chain([previous.as_str()]) {
        let login_id = pending_login_id(login(&mut g, at));
        let d = verify(&g, login_id, SecondFactorProof::Totp { secret: SECRET, code: used }, at);
        assert_eq!(d.outcome.unwrap_err(), Refusal::CodeUsed);
        assert!(d.events.is_empty());
    }
    assert_eq!(g.state().second_factor_failures.count, 0);
    let next = at + Duration::seconds(30);
    let fresh = totp::code_at_step(SECRET, totp::step_at(next), DIGITS);
    let login_id = pending_login_id(login(&mut g, next));
    assert!(verify(&g, login_id, SecondFactorProof::Totp { secret: SECRET, code: &fresh }, next).outcome.is_ok());
    // A wrong code is still a failure, even in a step that was used.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let d = verify(&g, login_id, SecondFactorProof::Totp { secret: SECRET, code: wrong }, next);
    assert_eq!(d.outcome.unwrap_err(), Refusal::InvalidCode);
    assert_eq!(d.events, vec![AccountEvent::SecondFactorFailed { method: Method::Totp }]);
}

#[test]
fn second_factor_failures_count_across_logins_and_lock_even_a_correct_code() {
    let mut g = Given::with_totp();
    let at = T0 + Duration::minutes(2);
    for i in 0..10 {
        let login_id = pending_login_id(login(&mut g, at));
        let d = verify(&g, login_id, SecondFactorProof::Totp { secret: SECRET, code: "000000" }, at);
        assert_eq!(d.outcome.unwrap_err(), Refusal::InvalidCode, "attempt {i}");
        g.then(at, d.events);
    }
    let login_id = pending_login_id(login(&mut g, at));
    let good = totp::code_at_step(SECRET, totp::step_at(at), DIGITS);
    let d = verify(&g, login_id, SecondFactorProof::Totp { secret: SECRET, code: &good }, at);
    assert_eq!(d.outcome.unwrap_err(), Refusal::TooManyAttempts { retry_after: 60 });
    assert!(d.events.is_empty());
    // A correct password does not reset second-factor failures.
    assert_eq!(g.state().second_factor_failures.count, 10);
}

#[test]
fn a_recovery_code_works_once_and_reports_what_remains() {
    let mut g = Given::with_totp();
    let at = T0 + Duration::minutes(2);
    let login_id = pending_login_id(login(&mut g, at));
    let d = verify(&g, login_id, SecondFactorProof::RecoveryCode { hash: Some("h3") }, at);
    assert_eq!(d.outcome.as_ref().unwrap().recovery_codes_remaining, Some(9));
    g.then(at, d.events);
    let login_id = pending_login_id(login(&mut g, at));
    let d = verify(&g, login_id, SecondFactorProof::RecoveryCode { hash: Some("h3") }, at);
    assert_eq!(d.outcome.unwrap_err(), Refusal::InvalidCode);
    let d = verify(&g, login_id, SecondFactorProof::RecoveryCode { hash: None }, at);
    assert_eq!(d.outcome.unwrap_err(), Refusal::InvalidCode);
}

#[test]
fn regenerated_codes_replace_the_old_set() {
    let mut g = Given::with_totp();
    let at = T0 + Duration::minutes(2);
    let login_id = pending_login_id(login(&mut g, at));
    let d = verify(&g, login_id, SecondFactorProof::RecoveryCode { hash: Some("h0") }, at);
    let session_id = d.outcome.as_ref().unwrap().session.session_id;
    g.then(at, d.events);
    let new = NewRecoveryCodes { set_id: Uuid::from_u128(10), hashes: (0..10).map(|i| format!("n{i}")).collect() };
    let proof = Some(SecondFactorProof::RecoveryCode { hash: Some("h1") });
    let d = g.state().regenerate_recovery_codes(session_id, proof, new, at, &POLICY);
    g.then(at, d.events);
    assert_eq!(g.state().recovery_codes_remaining(), 10);
    let login_id = pending_login_id(login(&mut g, at));
    let d = verify(&g, login_id, SecondFactorProof::RecoveryCode { hash: Some("h1") }, at);
    assert_eq!(d.outcome.unwrap_err(), Refusal::InvalidCode);
}

/// A customer with an authenticator, signed in with a recovery code
/// ("h0" used): the session, and the set of codes to regenerate with.
fn signed_in_with_a_recovery_code(g: &mut Given, at: OffsetDateTime) -> Uuid {
    let login_id = pending_login_id(login(g, at));
    let d = verify(g, login_id, SecondFactorProof::RecoveryCode { hash: Some("h0") }, at);
    let session_id = d.outcome.as_ref().unwrap().session.session_id;
    g.then(at, d.events);
    session_id
}

#[test]
fn new_recovery_codes_need_a_proof_of_the_current_factor_which_they_use_up() {
    let mut g = Given::with_totp();
    let at = T0 + Duration::minutes(2);
    let session_id = signed_in_with_a_recovery_code(&mut g, at);
    let new = || NewRecoveryCodes { set_id: Uuid::from_u128(10), hashes: vec!["n0".into()] };
    let regenerate = |g: &Given, proof| g.state().regenerate_recovery_codes(session_id, proof, new(), at, &POLICY);
    // A session alone: refused, nothing recorded, the old set still works.
    let d = regenerate(&g, None);
    assert_eq!((d.outcome, d.events), (Err(Refusal::VerificationRequired), vec![]));
    // A wrong proof counts toward the lockout and issues nothing.
    let d = regenerate(&g, Some(SecondFactorProof::RecoveryCode { hash: Some("nope") }));
    assert_eq!(d.outcome, Err(Refusal::InvalidCode));
    assert_eq!(d.events, vec![AccountEvent::SecondFactorFailed { method: Method::RecoveryCode }]);
    // The app's current code issues the set and is used up by it.
    let code = totp::code_at_step(SECRET, totp::step_at(at), DIGITS);
    let d = regenerate(&g, Some(SecondFactorProof::Totp { secret: SECRET, code: &code }));
    assert!(matches!(d.events[..], [AccountEvent::TotpAccepted { .. }, AccountEvent::RecoveryCodesIssued { .. }]));
    g.then(at, d.events);
    let d = regenerate(&g, Some(SecondFactorProof::Totp { secret: SECRET, code: &code }));
    assert_eq!(d.outcome, Err(Refusal::CodeUsed), "a step proves one change");
    assert!(d.events.is_empty(), "a used code is no failure");
}

#[test]
fn while_the_second_factor_is_locked_no_recovery_codes_are_issued() {
    let mut g = Given::with_totp();
    let at = T0 + Duration::minutes(2);
    let session_id = signed_in_with_a_recovery_code(&mut g, at);
    let new = || NewRecoveryCodes { set_id: Uuid::from_u128(10), hashes: vec!["n0".into()] };
    for _ in 0..10 {
        let wrong = Some(SecondFactorProof::RecoveryCode { hash: Some("nope") });
        let d = g.state().regenerate_recovery_codes(session_id, wrong, new(), at, &POLICY);
        g.then(at, d.events);
    }
    let right = Some(SecondFactorProof::RecoveryCode { hash: Some("h1") });
    let d = g.state().regenerate_recovery_codes(session_id, right, new(), at, &POLICY);
    assert!(matches!(d.outcome, Err(Refusal::TooManyAttempts { .. })), "{:?}", d.outcome);
    assert!(d.events.is_empty(), "the recovery code stays unused");
}

#[test]
fn mfa_tokens_expire_after_five_minutes_and_work_once() {
    let mut g = Given::with_totp();
    let at = T0 + Duration::minutes(2);
    let login_id = pending_login_id(login(&mut g, at));
    let late = at + Duration::minutes(5);
    let code = totp::code_at_step(SECRET, totp::step_at(late), DIGITS);
    let d = verify(&g, login_id, SecondFactorProof::Totp { secret: SECRET, code: &code }, late);
    assert_eq!(d.outcome.unwrap_err(), Refusal::Unauthorized);
    let code = totp::code_at_step(SECRET, totp::step_at(at), DIGITS);
    let d = verify(&g, login_id, SecondFactorProof::Totp { secret: SECRET, code: &code }, at);
    g.then(at, d.events);
    assert!(g.state().authorize(&Auth::Mfa { login_id }, at).is_err(), "a completed login's token is spent");
}

#[test]
fn logout_ends_only_that_session() {
    let mut g = Given::customer();
    let first = match login(&mut g, T0) {
        Ok(LoginOutcome::Authenticated { session, .. }) => session.session_id,
        other => panic!("{other:?}"),
    };
    let d = g.state().logout(first, T0);
    g.then(T0, d.events);
    assert!(g.state().authorize(&Auth::Session { session_id: first }, T0).is_err());
    assert_eq!(g.state().logout(first, T0).outcome, Err(Refusal::Unauthorized));
}

#[test]
fn a_cancelled_login_ends_its_mfa_token_and_nothing_else() {
    let mut g = Given::with_totp();
    let at = T0 + Duration::minutes(2);
    let other = pending_login_id(login(&mut g, at));
    let login_id = pending_login_id(login(&mut g, at));
    let d = g.state().cancel_login(login_id, at);
    assert_eq!(d.events, vec![AccountEvent::LoginCancelled { login_id }]);
    g.then(at, d.events);
    assert_eq!(g.state().authorize(&Auth::Mfa { login_id }, at), Err(Refusal::Unauthorized));
    let code = totp::code_at_step(SECRET, totp::step_at(at), DIGITS);
    let d = verify(&g, login_id, SecondFactorProof::Totp { secret: SECRET, code: &code }, at);
    assert_eq!(d.outcome.unwrap_err(), Refusal::Unauthorized, "a right code does not revive it");
    assert!(g.state().authorize(&Auth::Mfa { login_id: other }, at).is_ok(), "another tab's login goes on");
    let again = g.state().cancel_login(login_id, at);
    assert_eq!((again.events, again.outcome), (vec![], Err(Refusal::Unauthorized)));
}

#[test]
fn a_session_knows_when_it_started_and_with_which_factor() {
    let mut g = Given::customer();
    let first = match login(&mut g, T0) {
        Ok(LoginOutcome::Authenticated { session, .. }) => session.session_id,
        other => panic!("{other:?}"),
    };
    let s = *g.state().session(first, T0).unwrap();
    assert_eq!((s.started_at, s.second_factor), (T0, None), "the first login has no second factor");
    let (g, auth) = signed_in_with_totp(T0 + Duration::minutes(3));
    let Auth::Session { session_id } = auth else { unreachable!() };
    let s = *g.state().session(session_id, T0 + Duration::minutes(4)).unwrap();
    assert_eq!((s.started_at, s.second_factor), (T0 + Duration::minutes(3), Some(Method::RecoveryCode)));
}

#[test]
fn an_ended_session_is_told_apart_from_an_expired_one() {
    let at = T0 + Duration::minutes(2);
    let (mut g, auth) = signed_in_with_totp(at);
    let Auth::Session { session_id } = auth else { unreachable!() };
    let later = at + Duration::hours(9);
    assert!(!g.state().session_active(session_id, later), "expired");
    assert!(!g.state().session_was_ended(session_id, at), "expiry ends no grant");
    let d = g.state().logout(session_id, at);
    g.then(at, d.events);
    assert!(g.state().session_was_ended(session_id, at), "logout does");
    // Everything ending at once ends the live sessions and those before,
    // not one started right after in the same decision.
    let (mut g, auth) = signed_in_with_totp(at);
    let Auth::Session { session_id } = auth else { unreachable!() };
    let other = Uuid::new_v4();
    g.then(
        later,
        vec![
            AccountEvent::SessionsEnded { reason: SessionEndReason::PasswordChanged },
            AccountEvent::SessionStarted {
                session_id: other,
                login_id: None,
                expires_at: later + Duration::hours(8),
                second_factor: Some(Method::Totp),
                passkey: None,
            },
        ],
    );
    assert!(g.state().session_was_ended(session_id, at));
    assert!(!g.state().session_was_ended(other, later));
}

/// SMS: setting up a number, logging in with it, changing and removing it.
mod sms {
    use super::*;
    use events::account::sms::{NewNumber, NewSmsCode};

    fn number(n: u8) -> NewNumber {
        NewNumber { sealed_phone: format!("sealed-{n}"), masked_phone: format!("+49 151 ••••000{n}") }
    }

    /// Codes are hashed outside; here a code's "hash" is its text.
    fn code(text: &str) -> NewSmsCode {
        NewSmsCode { code_id: Uuid::new_v4(), code_hash: text.into() }
    }

    /// A customer owing setup, with a pending login: (history, login id).
    fn owing_setup(at: OffsetDateTime) -> (Given, Uuid) {
        let mut g = Given::customer();
        login(&mut g, at).unwrap();
        let login_id = pending_login_id(login(&mut g, at));
        (g, login_id)
    }

    /// A customer whose only factor is SMS to `number(1)`.
    fn with_sms() -> Given {
        let (mut g, login_id) = owing_setup(T0);
        let auth = Auth::Mfa { login_id };
        let d = g.state().send_sms_setup_code(&auth, &number(1), None, code("111111"), T0, &POLICY);
        g.then(T0, d.events);
        let d = g.state().confirm_sms(
            Activation { auth: &auth, codes: codes(), session_id: Uuid::new_v4() },
            Some("111111"),
            T0,
            &POLICY,
        );
        assert!(d.outcome.is_ok(), "{:?}", d.outcome);
        g.then(T0, d.events);
        g
    }

    fn send_login_code(g: &mut Given, login_id: Uuid, text: &str, at: OffsetDateTime) -> Result<(), Refusal> {
        let d = g.state().send_sms_code(&Auth::Mfa { login_id }, code(text), at, &POLICY);
        g.then(at, d.events);
        d.outcome.map(|_| ())
    }

    #[test]
    fn setup_confirms_the_number_issues_recovery_codes_and_then_logins_offer_sms() {
        let mut g = with_sms();
        let state = g.state();
        assert_eq!(state.sms.as_ref().map(|f| f.sealed_phone.as_str()), Some("sealed-1"));
        assert_eq!(state.recovery_codes_remaining(), 10);
        match login(&mut g, T0 + Duration::minutes(1)) {
            Ok(LoginOutcome::Required { methods, .. }) => assert_eq!(methods, vec![Method::Sms, Method::RecoveryCode]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_login_code_works_once_for_its_own_login_within_five_minutes() {
        let mut g = with_sms();
        let at = T0 + Duration::minutes(2);
        let login_id = pending_login_id(login(&mut g, at));
        let other_login = pending_login_id(login(&mut g, at));
        send_login_code(&mut g, login_id, "222222", at).unwrap();
        // Another login's token cannot use it.
        let d = verify(&g, other_login, SecondFactorProof::Sms { hash: Some("222222") }, at);
        assert_eq!(d.outcome.unwrap_err(), Refusal::InvalidCode);
        let d = verify(&g, login_id, SecondFactorProof::Sms { hash: Some("222222") }, at + Duration::minutes(4));
        assert!(d.outcome.is_ok());
        g.then(at + Duration::minutes(4), d.events);
        // Single use: the next login cannot reuse it.
        let next = pending_login_id(login(&mut g, at + Duration::minutes(4)));
        let d = verify(&g, next, SecondFactorProof::Sms { hash: Some("222222") }, at + Duration::minutes(4));
        assert_eq!(d.outcome.unwrap_err(), Refusal::InvalidCode);
    }

    #[test]
    fn a_setup_code_expires_after_five_minutes() {
        // With the session of the first login, which outlives the code.
        let mut g = Given::customer();
        let auth = match login(&mut g, T0) {
            Ok(LoginOutcome::Authenticated { session, .. }) => Auth::Session { session_id: session.session_id },
            other => panic!("{other:?}"),
        };
        let d = g.state().send_sms_setup_code(&auth, &number(1), None, code("111111"), T0, &POLICY);
        assert_eq!(d.outcome.as_ref().unwrap().expires_at, T0 + Duration::minutes(5));
        g.then(T0, d.events);
        let late = T0 + Duration::minutes(5);
        let d = g.state().confirm_sms(
            Activation { auth: &auth, codes: codes(), session_id: Uuid::new_v4() },
            Some("111111"),
            late,
            &POLICY,
        );
        assert!(matches!(d.outcome, Err(Refusal::InvalidRequest(_))) && d.events.is_empty());
        let d = g.state().confirm_sms(
            Activation { auth: &auth, codes: codes(), session_id: Uuid::new_v4() },
            Some("111112"),
            late - Duration::SECOND,
            &POLICY,
        );
        assert_eq!(d.outcome, Err(Refusal::InvalidCode));
        let d = g.state().confirm_sms(
            Activation { auth: &auth, codes: codes(), session_id: Uuid::new_v4() },
            Some("111111"),
            late - Duration::SECOND,
            &POLICY,
        );
        assert!(d.outcome.is_ok());
    }

    #[test]
    fn a_new_code_voids_the_previous_one() {
        let mut g = with_sms();
        let at = T0 + Duration::minutes(2);
        let login_id = pending_login_id(login(&mut g, at));
        send_login_code(&mut g, login_id, "333333", at).unwrap();
        let later = at + Duration::seconds(61);
        send_login_code(&mut g, login_id, "444444", later).unwrap();
        let d = verify(&g, login_id, SecondFactorProof::Sms { hash: Some("333333") }, later);
        assert_eq!(d.outcome.unwrap_err(), Refusal::InvalidCode);
        assert!(verify(&g, login_id, SecondFactorProof::Sms { hash: Some("444444") }, later).outcome.is_ok());
    }

    #[test]
    fn resending_waits_sixty_seconds_and_sends_nothing_when_refused() {
        let mut g = with_sms();
        let at = T0 + Duration::minutes(2);
        let login_id = pending_login_id(login(&mut g, at));
        send_login_code(&mut g, login_id, "1", at).unwrap();
        let before = g.events.len();
        assert_eq!(
            send_login_code(&mut g, login_id, "2", at + Duration::seconds(45)),
            Err(Refusal::TooManyAttempts { retry_after: 15 })
        );
        assert_eq!(g.events.len(), before, "a refusal records nothing");
        assert!(send_login_code(&mut g, login_id, "3", at + Duration::seconds(60)).is_ok());
    }

    #[test]
    fn ten_codes_a_day_per_account_across_logins_and_midnight() {
        let mut g = with_sms();
        // Setup sent one at T0 (09:00); nine more, one every two hours,
        // spanning midnight.
        let mut at = T0;
        for _ in 0..9 {
            at += Duration::hours(2);
            let login_id = pending_login_id(login(&mut g, at));
            send_login_code(&mut g, login_id, "x", at).unwrap();
        }
        assert_eq!(at, datetime!(2026-11-03 03:00:00 UTC));
        let at = datetime!(2026-11-03 08:00:00 UTC);
        let login_id = pending_login_id(login(&mut g, at));
        assert_eq!(send_login_code(&mut g, login_id, "y", at), Err(Refusal::TooManyAttempts { retry_after: 3600 }));
        // 24 h after the setup code one fits again.
        let login_id = pending_login_id(login(&mut g, T0 + Duration::DAY));
        assert!(send_login_code(&mut g, login_id, "z", T0 + Duration::DAY).is_ok());
    }

    #[test]
    fn wrong_sms_codes_share_the_lockout_and_a_resend_does_not_reset_it() {
        let mut g = with_sms();
        let mut at = T0 + Duration::minutes(1);
        let login_id = pending_login_id(login(&mut g, at));
        send_login_code(&mut g, login_id, "555555", at).unwrap();
        for i in 0..10 {
            let d = verify(&g, login_id, SecondFactorProof::Sms { hash: Some("000000") }, at);
            assert_eq!(d.events, vec![AccountEvent::SecondFactorFailed { method: Method::Sms }], "{i}");
            g.then(at, d.events);
            if i == 4 {
                at += Duration::seconds(61);
                send_login_code(&mut g, login_id, "555555", at).unwrap();
            }
        }
        assert!(matches!(
            verify(&g, login_id, SecondFactorProof::Sms { hash: Some("555555") }, at).outcome,
            Err(Refusal::TooManyAttempts { .. })
        ));
        // While locked, not even a code is sent.
        assert!(matches!(
            send_login_code(&mut g, login_id, "6", at + Duration::seconds(30)),
            Err(Refusal::TooManyAttempts { .. })
        ));
    }

    #[test]
    fn a_login_token_cannot_set_up_sms_when_a_code_is_owed() {
        let mut g = with_sms();
        let login_id = pending_login_id(login(&mut g, T0 + Duration::minutes(1)));
        let d = g.state().send_sms_setup_code(
            &Auth::Mfa { login_id },
            &number(2),
            None,
            code("1"),
            T0 + Duration::minutes(3),
            &POLICY,
        );
        assert_eq!(d.outcome.unwrap_err(), Refusal::Forbidden);
        assert!(d.events.is_empty());
    }

    #[test]
    fn changing_the_number_needs_the_current_factor_and_tells_which_number_it_replaces() {
        let mut g = with_sms();
        let at = T0 + Duration::minutes(5);
        let login_id = pending_login_id(login(&mut g, at));
        send_login_code(&mut g, login_id, "777777", at).unwrap();
        let d = verify(&g, login_id, SecondFactorProof::Sms { hash: Some("777777") }, at);
        let session = Auth::Session { session_id: d.outcome.as_ref().unwrap().session.session_id };
        g.then(at, d.events);
        // Without proof: refused, nothing sent.
        let at = at + Duration::minutes(2);
        let d = g.state().send_sms_setup_code(&session, &number(2), None, code("888888"), at, &POLICY);
        assert!(d.outcome == Err(Refusal::VerificationRequired) && d.events.is_empty(), "{d:?}");
        // A step-up code to the current number, then the new number's code
        // right away (no resend spacing between different purposes).
        let d = g.state().send_sms_code(&session, code("999999"), at, &POLICY);
        g.then(at, d.events);
        let wrong = g.state().send_sms_setup_code(
            &session,
            &number(2),
            Some(SecondFactorProof::Sms { hash: Some("123456") }),
            code("888888"),
            at,
            &POLICY,
        );
        assert_eq!(wrong.events, vec![AccountEvent::SecondFactorFailed { method: Method::Sms }]);
        let d = g.state().send_sms_setup_code(
            &session,
            &number(2),
            Some(SecondFactorProof::Sms { hash: Some("999999") }),
            code("888888"),
            at,
            &POLICY,
        );
        assert!(d.outcome.is_ok(), "{:?}", d.outcome);
        g.then(at, d.events);
        // Until confirmed, the old number stays the factor.
        assert_eq!(g.state().sms.unwrap().sealed_phone, "sealed-1");
        let d = g.state().confirm_sms(
            Activation { auth: &session, codes: codes(), session_id: Uuid::new_v4() },
            Some("888888"),
            at,
            &POLICY,
        );
        assert!(matches!(
            &d.events[0],
            AccountEvent::SmsActivated { replaced_masked_phone: Some(old), .. } if old == "+49 151 ••••0001"
        ));
        g.then(at, d.events);
        assert_eq!(g.state().sms.unwrap().sealed_phone, "sealed-2");
    }

    #[test]
    fn sms_can_be_removed_only_while_the_authenticator_remains() {
        let mut g = with_sms();
        let at = T0 + Duration::minutes(2);
        let login_id = pending_login_id(login(&mut g, at));
        let d = verify(&g, login_id, SecondFactorProof::RecoveryCode { hash: Some("h0") }, at);
        let session_id = d.outcome.as_ref().unwrap().session.session_id;
        g.then(at, d.events);
        let proof = Some(SecondFactorProof::RecoveryCode { hash: Some("h1") });
        assert!(matches!(
            g.state().remove_sms(session_id, proof, at, &POLICY).outcome,
            Err(Refusal::InvalidRequest(_))
        ));
        // With an authenticator as well (added with a proof), removal works with a proof.
        let d =
            g.state().start_totp_setup(&Auth::Session { session_id }, proof, Uuid::new_v4(), "t".into(), at, &POLICY);
        assert!(d.outcome.is_ok(), "{:?}", d.outcome);
        g.then(at, d.events);
        let totp_code = totp::code_at_step(SECRET, totp::step_at(at), DIGITS);
        let d = g.state().confirm_totp(
            Activation { auth: &Auth::Session { session_id }, codes: codes(), session_id: Uuid::new_v4() },
            SECRET,
            &totp_code,
            at,
            &POLICY,
        );
        let session_id = d.outcome.unwrap().session_id;
        g.then(at, d.events);
        let later = at + Duration::minutes(1);
        assert_eq!(g.state().remove_sms(session_id, None, later, &POLICY).outcome, Err(Refusal::VerificationRequired));
        let next = totp::code_at_step(SECRET, totp::step_at(later) + 1, DIGITS);
        let d = g.state().remove_sms(
            session_id,
            Some(SecondFactorProof::Totp { secret: SECRET, code: &next }),
            later,
            &POLICY,
        );
        assert!(d.outcome.is_ok(), "{:?}", d.outcome);
        g.then(later, d.events);
        assert!(g.state().sms.is_none());
        assert_eq!(g.state().methods(), vec![Method::Totp, Method::RecoveryCode]);
    }
}

/// App passwords for CalDAV/CardDAV clients.
mod app_passwords {
    use super::*;
    use events::account::AppPasswordsRevokedReason;
    use events::account::app_password::{MAX_PER_ACCOUNT, NewAppPassword};

    /// A customer signed in with a session (after the first login).
    fn signed_in() -> (Given, Uuid) {
        let mut g = Given::customer();
        let session = match login(&mut g, T0) {
            Ok(LoginOutcome::Authenticated { session, .. }) => session.session_id,
            other => panic!("{other:?}"),
        };
        (g, session)
    }

    fn new<'a>(session_id: Uuid, id: Uuid, name: &'a str, hash: &str) -> NewAppPassword<'a> {
        // Stands in for the caller's sealing: the event keeps what it is given.
        let sealed_name = events::Sealed::from_ciphertext(format!("sealed:{}", name.trim()));
        NewAppPassword { session_id, id, name, sealed_name, hash: hash.into() }
    }

    fn create(g: &mut Given, session: Uuid, name: &str, hash: &str) -> Result<Uuid, Refusal> {
        let id = Uuid::new_v4();
        let d = g.state().create_app_password(new(session, id, name, hash), None, T0, &POLICY);
        g.then(T0, d.events);
        d.outcome.map(|stored_name| {
            assert_eq!(stored_name, name.trim());
            id
        })
    }

    #[test]
    fn created_ones_match_by_hash_and_revoked_ones_stop_at_once() {
        let (mut g, session) = signed_in();
        let cal = create(&mut g, session, " Thunderbird calendar ", "hash-cal").unwrap();
        let contacts = create(&mut g, session, "iPhone contacts", "hash-con").unwrap();
        let state = g.state();
        assert_eq!(
            state.app_password_matching("hash-cal").map(|p| (p.id, p.name.as_stored())),
            Some((cal, "sealed:Thunderbird calendar"))
        );
        assert_eq!(state.app_password_matching("hash-con").map(|p| p.id), Some(contacts));
        assert_eq!(state.app_password_matching("hash-other"), None);
        let d = state.revoke_app_password(session, cal, T0);
        assert_eq!(d.outcome, Ok(()));
        g.then(T0, d.events);
        assert_eq!(g.state().app_password_matching("hash-cal"), None);
        assert!(g.state().app_password_matching("hash-con").is_some());
        assert_eq!(g.state().revoke_app_password(session, cal, T0).outcome, Err(Refusal::NotFound));
    }

    #[test]
    fn creating_needs_a_live_session_not_an_mfa_token() {
        let (mut g, session) = signed_in();
        let login_id = pending_login_id(login(&mut g, T0));
        assert_eq!(
            g.state().create_app_password(new(login_id, Uuid::new_v4(), "x", "h"), None, T0, &POLICY).outcome,
            Err(Refusal::Unauthorized)
        );
        let d = g.state().logout(session, T0);
        g.then(T0, d.events);
        assert_eq!(create(&mut g, session, "x", "h"), Err(Refusal::Unauthorized));
        assert!(g.state().app_passwords.is_empty());
    }

    #[test]
    fn with_a_second_factor_a_new_app_password_needs_a_proof_which_it_uses_up() {
        let mut g = Given::with_totp();
        let at = T0 + Duration::minutes(2);
        let session = signed_in_with_a_recovery_code(&mut g, at);
        let attempt = |g: &Given, name, proof| {
            g.state().create_app_password(new(session, Uuid::new_v4(), name, "h"), proof, at, &POLICY)
        };
        // A stolen session alone gains no DAV login.
        let d = attempt(&g, "Calendar", None);
        assert_eq!((d.outcome, d.events), (Err(Refusal::VerificationRequired), vec![]));
        // A bad name is refused before the proof is looked at: nothing used up.
        let proof = Some(SecondFactorProof::RecoveryCode { hash: Some("h1") });
        let d = attempt(&g, " ", proof);
        assert!(matches!(d.outcome, Err(Refusal::InvalidRequest(_))) && d.events.is_empty(), "{d:?}");
        let d = attempt(&g, "Calendar", proof);
        assert!(
            matches!(d.events[..], [AccountEvent::RecoveryCodeUsed { .. }, AccountEvent::AppPasswordCreated { .. }]),
            "{d:?}"
        );
        g.then(at, d.events);
        assert_eq!(attempt(&g, "Contacts", proof).outcome, Err(Refusal::InvalidCode), "the code worked once");
        assert_eq!(g.state().app_passwords.len(), 1);
    }

    #[test]
    fn bad_names_and_too_many_are_refused_and_change_nothing() {
        let (mut g, session) = signed_in();
        for bad in ["", " ", "a\u{7}b"] {
            assert!(matches!(create(&mut g, session, bad, "h"), Err(Refusal::InvalidRequest(_))), "{bad:?}");
        }
        for i in 0..MAX_PER_ACCOUNT {
            create(&mut g, session, &format!("client {i}"), &format!("h{i}")).unwrap();
        }
        let before = g.events.len();
        assert!(matches!(create(&mut g, session, "one more", "hx"), Err(Refusal::InvalidRequest(_))));
        assert_eq!(g.events.len(), before);
    }

    #[test]
    fn revoking_all_ends_every_one_and_is_only_offered_when_there_are_some() {
        let (mut g, session) = signed_in();
        assert_eq!(g.state().revoke_all_app_passwords(AppPasswordsRevokedReason::PasswordChanged), None);
        create(&mut g, session, "a", "ha").unwrap();
        create(&mut g, session, "b", "hb").unwrap();
        let all = g.state().revoke_all_app_passwords(AppPasswordsRevokedReason::SecondFactorReset).unwrap();
        g.then(T0, vec![all]);
        assert!(g.state().app_passwords.is_empty());
        assert_eq!(g.state().app_password_matching("ha"), None);
    }
}

mod password_forgotten {
    use super::*;
    use events::account::password_reset::ResetLink;

    fn request(g: &mut Given, token: u128, at: OffsetDateTime) -> ResetLink {
        let d = g.state().request_password_reset(Uuid::from_u128(token), format!("hash{token}"), at, &POLICY);
        g.then(at, d.events);
        d.outcome.unwrap()
    }

    fn reset(g: &Given, token: u128, hash: &str, at: OffsetDateTime) -> Decision<()> {
        g.state().reset_password(Uuid::from_u128(token), hash, "$argon2id$new".into(), at)
    }

    #[test]
    fn a_token_sets_a_new_password_ends_sessions_and_keeps_the_second_factor() {
        let mut g = Given::with_totp();
        let at = T0 + Duration::minutes(2);
        let login_id = pending_login_id(login(&mut g, at));
        g.then(at, vec![AccountEvent::PasswordFailed {}]);
        assert_eq!(request(&mut g, 100, at), ResetLink::Send { expires_at: at + Duration::HOUR });
        let d = reset(&g, 100, "hash100", at + Duration::minutes(59));
        assert_eq!(d.outcome, Ok(()));
        assert_eq!(
            d.events,
            vec![
                AccountEvent::PasswordReset { token_id: Uuid::from_u128(100), password_hash: "$argon2id$new".into() },
                AccountEvent::SessionsEnded { reason: SessionEndReason::PasswordChanged },
            ]
        );
        g.then(at, d.events);
        let state = g.state();
        assert_eq!(state.password_hash, "$argon2id$new");
        assert_eq!(state.password_failures.count, 0);
        assert!(state.logins.is_empty() && state.sessions.is_empty());
        assert_eq!(state.authorize(&Auth::Mfa { login_id }, at), Err(Refusal::Unauthorized));
        assert!(state.has_second_factor(), "a password reset never removes a second factor");
        assert_eq!(state.methods(), vec![Method::Totp, Method::RecoveryCode]);
        assert!(matches!(login(&mut g, at), Ok(LoginOutcome::Required { .. })));
    }

    #[test]
    fn a_password_reset_revokes_every_app_password() {
        let mut g = Given::with_totp();
        g.then(
            T0,
            vec![AccountEvent::AppPasswordCreated {
                app_password_id: Uuid::from_u128(50),
                name: events::Sealed::from_ciphertext("cal".into()),
                hash: "hc".into(),
            }],
        );
        request(&mut g, 100, T0);
        let d = reset(&g, 100, "hash100", T0);
        assert_eq!(
            d.events.last(),
            Some(&AccountEvent::AppPasswordsRevoked {
                reason: events::account::AppPasswordsRevokedReason::PasswordChanged
            })
        );
        g.then(T0, d.events);
        assert!(g.state().app_passwords.is_empty());
        assert_eq!(g.state().app_password_matching("hc"), None);
    }

    #[test]
    fn a_token_works_once() {
        let mut g = Given::customer();
        request(&mut g, 100, T0);
        let d = reset(&g, 100, "hash100", T0);
        g.then(T0, d.events);
        let again = reset(&g, 100, "hash100", T0);
        assert_eq!(again.outcome, Err(Refusal::InvalidToken));
        assert!(again.events.is_empty());
    }

    #[test]
    fn a_token_expires_after_an_hour() {
        let mut g = Given::customer();
        request(&mut g, 100, T0);
        assert_eq!(reset(&g, 100, "hash100", T0 + Duration::HOUR).outcome, Err(Refusal::InvalidToken));
    }

    #[test]
    fn a_wrong_hash_or_id_is_an_invalid_token() {
        let mut g = Given::customer();
        assert_eq!(reset(&g, 100, "hash100", T0).outcome, Err(Refusal::InvalidToken), "none requested");
        request(&mut g, 100, T0);
        assert_eq!(reset(&g, 100, "hash101", T0).outcome, Err(Refusal::InvalidToken));
        assert_eq!(reset(&g, 101, "hash100", T0).outcome, Err(Refusal::InvalidToken));
        assert_eq!(reset(&g, 100, "", T0).outcome, Err(Refusal::InvalidToken));
    }

    #[test]
    fn a_newer_token_voids_the_older_one() {
        let mut g = Given::customer();
        request(&mut g, 100, T0);
        request(&mut g, 101, T0 + Duration::minutes(1));
        assert_eq!(reset(&g, 100, "hash100", T0 + Duration::minutes(2)).outcome, Err(Refusal::InvalidToken));
        assert_eq!(reset(&g, 101, "hash101", T0 + Duration::minutes(2)).outcome, Ok(()));
    }

    #[test]
    fn at_most_three_links_an_hour_then_nothing_is_sent() {
        let mut g = Given::customer();
        for i in 0..3 {
            assert!(matches!(request(&mut g, 100 + i, T0 + Duration::minutes(i as i64 * 10)), ResetLink::Send { .. }));
        }
        let d = g.state().request_password_reset(
            Uuid::from_u128(200),
            "hash200".into(),
            T0 + Duration::minutes(59),
            &POLICY,
        );
        assert_eq!(d.outcome, Ok(ResetLink::SendNothing));
        assert!(d.events.is_empty(), "nothing recorded, so the last sent token stays valid");
        assert_eq!(reset(&g, 102, "hash102", T0 + Duration::minutes(59)).outcome, Ok(()));
        // The window slides: an hour after the first, one more fits.
        assert!(matches!(request(&mut g, 201, T0 + Duration::HOUR), ResetLink::Send { .. }));
    }

    #[test]
    fn an_unknown_account_gets_nothing_sent() {
        let d = Account::default().request_password_reset(Uuid::from_u128(1), "h".into(), T0, &POLICY);
        assert_eq!(d.outcome, Ok(ResetLink::SendNothing));
        assert!(d.events.is_empty());
    }
}

mod disabling {
    use super::*;
    use events::account::Role;
    use events::staff::Staff;

    /// A session made with the app, from T0 for eight hours.
    fn signed_in(g: &mut Given, session_id: Uuid) {
        g.push(
            T0,
            AccountEvent::SessionStarted {
                session_id,
                login_id: None,
                expires_at: T0 + Duration::hours(8),
                second_factor: Some(Method::Totp),
                passkey: None,
            },
        );
    }

    /// A support staff member with a live session.
    fn staff() -> Staff {
        let mut g = Given::registered(vec![Role::Support]);
        signed_in(&mut g, Uuid::from_u128(77));
        Staff::authorize(&g.state(), Uuid::from_u128(77), T0).unwrap()
    }

    /// A customer with an authenticator, a live session (from T0 for eight
    /// hours) and an app password; the deletion tests start from it too.
    pub(super) fn customer() -> (Given, Uuid) {
        let mut g = Given::with_totp();
        let session_id = Uuid::from_u128(55);
        signed_in(&mut g, session_id);
        g.push(
            T0,
            AccountEvent::AppPasswordCreated {
                app_password_id: Uuid::from_u128(56),
                name: events::Sealed::from_ciphertext("Cal".into()),
                hash: "ap".into(),
            },
        );
        (g, session_id)
    }

    #[test]
    fn a_disabled_account_gets_the_wrong_passwords_answer_counted_like_one() {
        let (mut g, session_id) = customer();
        let later = T0 + Duration::minutes(1);
        let d = g.state().disable(&staff(), "  chargeback fraud  ");
        assert_eq!(
            d.events,
            vec![AccountEvent::Disabled { staff_id: staff().account_id(), reason: "chargeback fraud".into() }]
        );
        g.then(later, d.events);
        let a = g.state();
        assert!(!a.session_active(session_id, later), "every session ended");
        assert!(a.session_was_ended(session_id, T0), "and the apps' grants made in it with them");
        assert_eq!(a.app_password_matching("ap"), None, "app passwords are refused");
        let right = a.login(correct(), Uuid::new_v4(), Uuid::new_v4(), later, &POLICY);
        let wrong = a.login(wrong(), Uuid::new_v4(), Uuid::new_v4(), later, &POLICY);
        assert_eq!(right, wrong, "the right password is answered and recorded as a wrong one");
        assert_eq!(right.outcome, Err(Refusal::InvalidCredentials));
        let link = a.request_password_reset(Uuid::new_v4(), "h".into(), later, &POLICY);
        assert!(link.events.is_empty(), "no reset link");
        // Ten such attempts lock it like ten wrong passwords would.
        for _ in 0..10 {
            let d = g.state().login(correct(), Uuid::new_v4(), Uuid::new_v4(), later, &POLICY);
            g.then(later, d.events);
        }
        assert!(matches!(
            g.state().login(correct(), Uuid::new_v4(), Uuid::new_v4(), later, &POLICY).outcome,
            Err(Refusal::TooManyAttempts { .. })
        ));
    }

    #[test]
    fn enabled_again_it_signs_in_with_its_factor_but_old_sessions_stay_ended() {
        let (mut g, session_id) = customer();
        let d = g.state().disable(&staff(), "dispute");
        g.then(T0, d.events);
        let d = g.state().enable(&staff());
        assert_eq!(d.events, vec![AccountEvent::Enabled { staff_id: staff().account_id() }]);
        g.then(T0, d.events);
        let a = g.state();
        assert!(!a.is_disabled() && !a.session_active(session_id, T0));
        assert_eq!(a.app_password_matching("ap").map(|p| p.name.as_stored()), Some("Cal"));
        assert!(matches!(login(&mut g, T0), Ok(LoginOutcome::Required { .. })), "the second factor is still owed");
    }

    #[test]
    fn refused_without_a_reason_twice_or_for_staff_and_nothing_recorded() {
        let (g, _) = customer();
        for reason in ["", "   ", &"x".repeat(501)] {
            let d = g.state().disable(&staff(), reason);
            assert!(d.events.is_empty() && matches!(d.outcome, Err(Refusal::InvalidRequest(_))), "{reason:?}");
        }
        assert!(g.state().disable(&staff(), &"x".repeat(500)).outcome.is_ok());
        assert!(matches!(g.state().enable(&staff()).outcome, Err(Refusal::Conflict(_))), "not disabled");
        let mut disabled = Given { events: g.events.clone() };
        let d = disabled.state().disable(&staff(), "fraud");
        disabled.then(T0, d.events);
        let twice = disabled.state().disable(&staff(), "again");
        assert!(twice.events.is_empty() && matches!(twice.outcome, Err(Refusal::Conflict(_))));
        let colleague = Given::registered(vec![Role::Support]).state();
        let d = colleague.disable(&staff(), "no");
        assert_eq!((d.events.len(), d.outcome), (0, Err(Refusal::Forbidden)));
    }
}

#[test]
fn signing_out_everywhere_else_ends_every_other_session_and_login_and_keeps_the_caller_in_a_fresh_one() {
    let (mut g, Auth::Session { session_id }) = signed_in_with_totp(T0) else { unreachable!() };
    let later = T0 + Duration::minutes(5);
    let login_id = pending_login_id(login(&mut g, T0));
    let d = verify(&g, login_id, SecondFactorProof::RecoveryCode { hash: Some("h1") }, T0);
    let second = d.outcome.as_ref().unwrap().session.session_id;
    g.then(T0, d.events);
    let pending = pending_login_id(login(&mut g, T0));
    let fresh = Uuid::new_v4();
    let d = g.state().end_other_sessions(session_id, fresh, later, &POLICY);
    let grant = d.outcome.clone().unwrap();
    assert_eq!(grant.session_id, fresh);
    assert_eq!(d.events[0], AccountEvent::SessionsEnded { reason: SessionEndReason::SignedOutEverywhereElse });
    g.then(later, d.events);
    let state = g.state();
    assert!(state.session_active(fresh, later));
    assert_eq!(
        state.session(fresh, later).unwrap().second_factor,
        Some(Method::RecoveryCode),
        "made with the same factor"
    );
    assert!(!state.session_active(session_id, later) && !state.session_active(second, later));
    assert!(state.pending_login(pending, later).is_none());
    assert!(state.session_was_ended(second, T0), "the other session's app grants end");
    assert!(!state.session_was_ended(fresh, later));
    // The other session, racing, now finds itself ended: only one survives.
    let d = g.state().end_other_sessions(second, Uuid::new_v4(), later, &POLICY);
    assert_eq!(d.outcome.unwrap_err(), Refusal::Unauthorized);
    assert!(d.events.is_empty());
}

mod usernames {
    use super::*;

    #[test]
    fn a_signed_in_owner_chooses_a_user_name_and_the_same_one_again_changes_nothing() {
        let mut g = Given::customer();
        let session_id = match login(&mut g, T0) {
            Ok(LoginOutcome::Authenticated { session, .. }) => session.session_id,
            other => panic!("{other:?}"),
        };
        // Legacy values stand in for sealed ones: the decision never opens them.
        let name = |n: &str| events::Sealed::legacy(n);
        let d = g.state().choose_username(session_id, name("Anna.M"), false, T0);
        assert_eq!(d.events, vec![AccountEvent::UsernameChosen { username: name("Anna.M") }]);
        g.then(T0, d.events);
        assert_eq!(g.state().username, Some(name("Anna.M")));
        assert_eq!(g.state().choose_username(session_id, name("Anna.M"), true, T0).events, vec![]);
        let d = g.state().choose_username(session_id, name("anna.m"), false, T0);
        assert_eq!(d.events.len(), 1, "a change of case is kept");
        let ended = g.state().logout(session_id, T0);
        g.then(T0, ended.events);
        let d = g.state().choose_username(session_id, name("other"), false, T0);
        assert_eq!((d.events, d.outcome), (vec![], Err(Refusal::Unauthorized)));
    }

    #[test]
    fn an_imported_account_has_the_user_name_of_the_old_system() {
        let mut g = Given { events: Vec::new() };
        g.push(
            T0,
            AccountEvent::Imported {
                account_id: Uuid::from_u128(1),
                email: events::Sealed::legacy("anna@example.de"),
                name: events::Sealed::legacy("Anna"),
                username: Some(events::Sealed::legacy("anna.b")),
                password_hash: "$2b$04$x".into(),
                locale: Locale::De,
                created_at: None,
                first_login_without_second_factor: false,
            },
        );
        assert_eq!(g.state().username, Some(events::Sealed::legacy("anna.b")));
    }
}

mod deletion {
    use super::*;
    use events::account::Role;
    use events::account::deletion::StaffDeletion;
    use events::staff::Staff;

    use super::disabling::customer;

    fn code(at: OffsetDateTime) -> String {
        totp::code_at_step(SECRET, totp::step_at(at), DIGITS)
    }

    #[test]
    fn the_owner_deletes_with_the_password_and_a_proof_and_everything_ends() {
        let (mut g, session_id) = customer();
        let at = T0 + Duration::minutes(3);
        let code = code(at);
        let d = g.state().delete_by_owner(
            session_id,
            true,
            Some(SecondFactorProof::Totp { secret: SECRET, code: &code }),
            at,
            &POLICY,
        );
        assert_eq!(d.outcome, Ok(()));
        assert!(matches!(
            d.events[..],
            [AccountEvent::TotpAccepted { .. }, AccountEvent::AccountDeleted { staff_id: None }]
        ));
        g.then(at, d.events);
        let a = g.state();
        assert!(a.is_deleted() && !a.exists(), "a deleted account exists no more");
        assert!(!a.session_active(session_id, at) && a.session_was_ended(session_id, at));
        assert_eq!(a.app_password_matching("ap"), None);
        assert!(a.app_passwords.is_empty() && a.logins.is_empty() && a.pending_password_reset.is_none());
        // What would decide anything now refuses (the runner answers
        // `MISSING` for `!exists()`, and the session is gone anyway).
        let again = a.delete_by_owner(session_id, true, None, at, &POLICY);
        assert_eq!((again.outcome, again.events), (Err(Refusal::Unauthorized), vec![]));
        assert_eq!(a.authorize(&Auth::Session { session_id }, at), Err(Refusal::Unauthorized));
    }

    #[test]
    fn a_wrong_password_or_a_missing_or_wrong_proof_deletes_nothing() {
        let (g, session_id) = customer();
        let at = T0 + Duration::minutes(3);
        let code = code(at);
        let proof = || Some(SecondFactorProof::Totp { secret: SECRET, code: &code });
        let d = g.state().delete_by_owner(session_id, false, proof(), at, &POLICY);
        assert!(d.events.is_empty() && matches!(d.outcome, Err(Refusal::InvalidRequest(_))), "{d:?}");
        let d = g.state().delete_by_owner(session_id, true, None, at, &POLICY);
        assert_eq!((d.outcome, d.events), (Err(Refusal::VerificationRequired), vec![]));
        let d = g.state().delete_by_owner(
            session_id,
            true,
            Some(SecondFactorProof::Totp { secret: SECRET, code: "000000" }),
            at,
            &POLICY,
        );
        assert_eq!(d.outcome, Err(Refusal::InvalidCode));
        assert_eq!(d.events, vec![AccountEvent::SecondFactorFailed { method: Method::Totp }], "counted, not deleted");
        let d = g.state().delete_by_owner(Uuid::from_u128(99), true, proof(), at, &POLICY);
        assert_eq!((d.outcome, d.events), (Err(Refusal::Unauthorized), vec![]), "another session's id");
    }

    #[test]
    fn support_deletes_a_customer_but_no_staff_account() {
        let (mut g, session_id) = customer();
        let mut s = Given::registered(vec![Role::Support]);
        s.push(
            T0,
            AccountEvent::SessionStarted {
                session_id: Uuid::from_u128(77),
                login_id: None,
                expires_at: T0 + Duration::hours(8),
                second_factor: Some(Method::Totp),
                passkey: None,
            },
        );
        let staff = Staff::authorize(&s.state(), Uuid::from_u128(77), T0).unwrap();
        let d = s.state().delete_by_staff(&staff, 1);
        assert_eq!((d.outcome, d.events), (Err(Refusal::Forbidden), vec![]), "a staff account");
        let d = g.state().delete_by_staff(&staff, 1);
        assert_eq!(d.outcome, Ok(StaffDeletion::Deleted));
        assert_eq!(d.events, vec![AccountEvent::AccountDeleted { staff_id: Some(staff.account_id()) }]);
        g.then(T0, d.events);
        assert!(!g.state().exists() && !g.state().session_active(session_id, T0));
    }

    #[test]
    fn with_four_eyes_a_second_staff_member_deletes_and_the_first_cannot_twice() {
        let (mut g, session_id) = customer();
        let staff = |id: u128| {
            let mut s = Given::registered(vec![Role::Support]);
            let session_id = Uuid::from_u128(id);
            let expires_at = T0 + Duration::hours(8);
            s.push(
                T0,
                AccountEvent::SessionStarted {
                    session_id,
                    login_id: None,
                    expires_at,
                    second_factor: Some(Method::Totp),
                    passkey: None,
                },
            );
            // Each staff member an account of their own.
            let mut state = s.state();
            state.id = Uuid::from_u128(id + 1000);
            Staff::authorize(&state, session_id, T0).unwrap()
        };
        let (alice, bob) = (staff(1), staff(2));
        assert_ne!(alice.account_id(), bob.account_id());
        let d = g.state().delete_by_staff(&alice, 2);
        assert_eq!(d.outcome, Ok(StaffDeletion::AwaitingSecondApproval));
        assert_eq!(d.events, vec![AccountEvent::DeletionApproved { staff_id: alice.account_id() }]);
        g.then(T0, d.events);
        assert!(g.state().exists() && g.state().session_active(session_id, T0), "nothing deleted yet");
        let d = g.state().delete_by_staff(&alice, 2);
        assert!(d.events.is_empty() && matches!(d.outcome, Err(Refusal::Conflict(_))), "the same one twice");
        let d = g.state().delete_by_staff(&bob, 2);
        assert_eq!(
            (d.outcome, &d.events[..]),
            (Ok(StaffDeletion::Deleted), &[AccountEvent::AccountDeleted { staff_id: Some(bob.account_id()) }][..])
        );
        g.then(T0, d.events);
        assert!(!g.state().exists() && g.state().deletion_approved_by.is_none());
    }
}
