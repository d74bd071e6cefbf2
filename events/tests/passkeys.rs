//! Passkeys: adding one (after a step-up), using it at the second step or
//! alone, the signature counter, lockouts, removal and the factor reset.
//! Given events, when a command, then new events or a refusal; no I/O.

use events::Aggregate;
use events::account::activity::{self, Activity};
use events::account::passkey::{
    Attachment, KeyKind, NewPasskey, PasskeyAssertion, PasskeySignIn, counter_went_forward,
};
use events::account::{Account, AccountEvent, AccountPolicy, Locale, Method, Owed, SecondFactorProof};
use events::codec::Recorded;
use events::notice::{Notice, notice_for_account_event};
use events::totp::{self, DIGITS};
use events::{Refusal, Sealed};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

const T0: OffsetDateTime = datetime!(2026-12-03 09:00:00 UTC);
const SECRET: &[u8] = b"01234567890123456789";
const SESSION: Uuid = Uuid::from_u128(40);
const LOGIN: Uuid = Uuid::from_u128(42);
const KEY: &str = "a2V5LW9uZQ";

/// "iPhone" as the handler seals it under the account's data key (the
/// domain never sees the plaintext of what it keeps).
fn sealed_name() -> Sealed {
    Sealed::from_ciphertext("aesgcm1:aVBob25l".into())
}

fn policy() -> AccountPolicy {
    AccountPolicy::default()
}

struct Given(Vec<Recorded<AccountEvent>>);

impl Given {
    /// A customer with the authenticator app, signed in with it, and a
    /// login waiting for its second step.
    fn with_app() -> Given {
        let mut g = Given(Vec::new());
        let setup_id = Uuid::from_u128(2);
        g.then([
            AccountEvent::Registered {
                account_id: Uuid::from_u128(1),
                email: Sealed::legacy("anna@example.de"),
                name: Sealed::legacy("Anna"),
                password_hash: "$argon2id$x".into(),
                roles: vec![],
                locale: Locale::De,
                first_login_without_second_factor: true,
            },
            AccountEvent::TotpActivated { setup_id, step: totp::step_at(T0) - 10, sealed_secret: Some("s".into()) },
            AccountEvent::SessionStarted {
                session_id: SESSION,
                login_id: None,
                expires_at: T0 + Duration::hours(8),
                second_factor: Some(Method::Totp),
                passkey: None,
            },
            AccountEvent::PasswordPassed { login_id: LOGIN, owed: Owed::Verify, expires_at: T0 + Duration::minutes(5) },
        ]);
        g
    }

    /// The same with the passkey `KEY` (counter 5) added.
    fn with_passkey() -> Given {
        let mut g = Given::with_app();
        let d = g.state().add_passkey(SESSION, new_passkey(KEY, 5), T0);
        g.then(d.events);
        g
    }

    fn then(&mut self, events: impl IntoIterator<Item = AccountEvent>) -> &mut Self {
        for event in events {
            let version = self.0.len() as u64 + 1;
            self.0.push(Recorded { version, at: T0, event });
        }
        self
    }

    fn state(&self) -> Account {
        Account::from_events(&self.0)
    }
}

fn new_passkey(id: &str, counter: u32) -> NewPasskey {
    NewPasskey {
        credential_id: id.into(),
        name: "  iPhone ".into(),
        sealed_name: sealed_name(),
        public_key: "cHVibGlj".into(),
        counter,
        backup_eligible: true,
        backed_up: true,
        user_verified: true,
        attachment: Some(Attachment::Platform),
    }
}

fn assertion(id: &str, counter: u32) -> PasskeyAssertion {
    PasskeyAssertion { credential_id: id.into(), counter, backed_up: true, user_verified: true }
}

fn code() -> String {
    totp::code_at_step(SECRET, totp::step_at(T0), DIGITS)
}

#[test]
fn adding_a_passkey_needs_a_session_with_a_factor_and_its_proof_which_it_uses() {
    let g = Given::with_app();
    let account = g.state();
    let d = account.begin_passkey_registration(SESSION, None, T0, &policy());
    assert_eq!((d.outcome, d.events), (Err(Refusal::VerificationRequired), vec![]));
    let code = code();
    let proof = Some(SecondFactorProof::Totp { secret: SECRET, code: &code });
    let d = account.begin_passkey_registration(SESSION, proof, T0, &policy());
    assert_eq!(d.outcome, Ok(()));
    assert!(matches!(d.events.as_slice(), [AccountEvent::TotpAccepted { .. }]), "the proof is used up");
    let d = account.begin_passkey_registration(Uuid::from_u128(99), None, T0, &policy());
    assert_eq!(d.outcome, Err(Refusal::Unauthorized), "no session, no passkey");
}

#[test]
fn a_passkey_is_not_the_first_factor() {
    let mut g = Given::with_app();
    g.0.retain(|r| !matches!(r.event, AccountEvent::TotpActivated { .. }));
    let d = g.state().begin_passkey_registration(SESSION, None, T0, &policy());
    assert!(matches!(d.outcome, Err(Refusal::InvalidRequest(_))), "{:?}", d.outcome);
}

#[test]
fn an_added_passkey_is_kept_with_its_name_counter_and_flags_and_the_owner_is_told() {
    let g = Given::with_passkey();
    let account = g.state();
    let key = account.passkey(KEY).expect("added");
    assert_eq!((&key.name, key.counter, key.backup_eligible, key.created_at), (&sealed_name(), 5, true, T0));
    assert_eq!(key.amr(), "swk", "backup eligible: a synced passkey");
    assert!(account.methods().contains(&Method::Passkey));
    assert!(account.has_second_factor());
    let added = &g.0.last().unwrap().event;
    assert_eq!(notice_for_account_event(added), Some(Notice::PasskeyAdded { name: sealed_name() }));
    let d = account.add_passkey(SESSION, new_passkey(KEY, 0), T0);
    assert!(matches!(d.outcome, Err(Refusal::InvalidRequest(_))), "the same credential twice");
    let mut unnamed = new_passkey("b3RoZXI", 0);
    unnamed.name = " \n".into();
    assert!(matches!(account.add_passkey(SESSION, unnamed, T0).outcome, Err(Refusal::InvalidRequest(_))));
}

#[test]
fn a_passkey_completes_the_second_step_and_its_counter_moves_on() {
    let mut g = Given::with_passkey();
    let a = assertion(KEY, 6);
    let d = g.state().verify(LOGIN, SecondFactorProof::Passkey { assertion: Some(&a) }, SESSION, T0, &policy());
    assert!(d.outcome.is_ok(), "{:?}", d.outcome);
    assert_eq!(d.events[0], AccountEvent::PasskeyUsed { credential_id: KEY.into(), counter: 6, backed_up: true });
    assert!(matches!(d.events[1], AccountEvent::SessionStarted { second_factor: Some(Method::Passkey), .. }));
    // After the password: the synced key and its user verification are
    // kept on the session for the apps' `amr`.
    let how = PasskeySignIn { key: KeyKind::Swk, user_verified: true, alone: false };
    assert!(matches!(d.events[1], AccountEvent::SessionStarted { passkey: Some(p), .. } if p == how));
    g.then(d.events);
    assert_eq!(g.state().passkey(KEY).map(|p| (p.counter, p.last_used_at)), Some((6, Some(T0))));
    assert_eq!(g.state().session(SESSION, T0).and_then(|s| s.passkey), Some(how));
}

#[test]
fn a_counter_that_does_not_go_forward_is_refused_recorded_and_counted() {
    let mut g = Given::with_passkey();
    for presented in [5, 4] {
        let a = assertion(KEY, presented);
        let d = g.state().verify(LOGIN, SecondFactorProof::Passkey { assertion: Some(&a) }, SESSION, T0, &policy());
        assert_eq!(d.outcome.as_ref().err(), Some(&Refusal::InvalidCode));
        assert_eq!(
            d.events,
            vec![AccountEvent::PasskeyCounterRegressed { credential_id: KEY.into(), stored: 5, presented }]
        );
        g.then(d.events);
    }
    let account = g.state();
    assert_eq!(account.passkey(KEY).unwrap().counter, 5, "the counter stays where it was");
    assert_eq!(account.second_factor_failures.count, 2);
    let entries = activity::entries(&g.0, &policy());
    assert_eq!(entries[0].activity, Activity::PasskeyCounterRegressed { name: Some(sealed_name()) });
}

#[test]
fn the_counter_rule_allows_authenticators_without_one() {
    assert!(counter_went_forward(0, 0));
    assert!(counter_went_forward(0, 1));
    assert!(counter_went_forward(7, 8));
    assert!(!counter_went_forward(7, 7));
    assert!(!counter_went_forward(7, 0));
}

#[test]
fn a_credential_of_another_account_or_a_failed_assertion_counts_like_a_wrong_code() {
    let mut g = Given::with_passkey();
    let foreign = assertion("c29tZW9uZS1lbHNl", 9);
    for proof in [Some(&foreign), None] {
        let d = g.state().verify(LOGIN, SecondFactorProof::Passkey { assertion: proof }, SESSION, T0, &policy());
        assert_eq!(d.outcome.as_ref().err(), Some(&Refusal::InvalidCode));
        assert_eq!(d.events, vec![AccountEvent::SecondFactorFailed { method: Method::Passkey }]);
        g.then(d.events);
    }
    // Failed codes and failed assertions share one counter: enough of
    // either locks even a right passkey out.
    let lockout = policy().second_factor_lockout;
    while g.state().second_factor_retry_after(&policy(), T0).is_none() {
        g.then([AccountEvent::SecondFactorFailed { method: Method::Totp }]);
        assert!(g.0.len() < 100, "{lockout:?} never locks");
    }
    let right = assertion(KEY, 6);
    let d = g.state().verify(LOGIN, SecondFactorProof::Passkey { assertion: Some(&right) }, SESSION, T0, &policy());
    assert!(matches!(d.outcome, Err(Refusal::TooManyAttempts { .. })), "{:?}", d.outcome);
    assert!(d.events.is_empty());
}

#[test]
fn a_passkey_alone_signs_in_with_user_verification_only() {
    let g = Given::with_passkey();
    let login = Uuid::from_u128(77);
    let d = g.state().sign_in_with_passkey(Some(&assertion(KEY, 6)), login, SESSION, T0, &policy());
    assert!(d.outcome.is_ok(), "{:?}", d.outcome);
    assert!(matches!(
        d.events.as_slice(),
        [
            AccountEvent::PasskeyUsed { counter: 6, .. },
            AccountEvent::SessionStarted {
                login_id: Some(l),
                second_factor: Some(Method::Passkey),
                passkey: Some(PasskeySignIn { key: KeyKind::Swk, user_verified: true, alone: true }),
                ..
            }
        ] if *l == login
    ));
    let mut unverified = assertion(KEY, 6);
    unverified.user_verified = false;
    let d = g.state().sign_in_with_passkey(Some(&unverified), login, SESSION, T0, &policy());
    assert_eq!(d.outcome.err(), Some(Refusal::InvalidCode));
    assert_eq!(d.events, vec![AccountEvent::SecondFactorFailed { method: Method::Passkey }]);
}

#[test]
fn removing_a_passkey_needs_a_proof_and_tells_the_owner() {
    let mut g = Given::with_passkey();
    let d = g.state().remove_passkey(SESSION, KEY, None, T0, &policy());
    assert_eq!((d.outcome, d.events), (Err(Refusal::VerificationRequired), vec![]));
    let d = g.state().remove_passkey(SESSION, "bm90LWEta2V5", None, T0, &policy());
    assert_eq!(d.outcome, Err(Refusal::NotFound), "an unknown id uses no proof");
    let code = code();
    let proof = Some(SecondFactorProof::Totp { secret: SECRET, code: &code });
    let d = g.state().remove_passkey(SESSION, KEY, proof, T0, &policy());
    assert_eq!(d.outcome, Ok(sealed_name()));
    let removed = d.events.last().unwrap().clone();
    assert_eq!(notice_for_account_event(&removed), Some(Notice::PasskeyRemoved { name: sealed_name() }));
    g.then(d.events);
    assert!(g.state().passkeys.is_empty());
    assert!(!g.state().methods().contains(&Method::Passkey));
}

#[test]
fn an_approved_factor_reset_removes_every_passkey() {
    let mut g = Given::with_passkey();
    g.then([AccountEvent::SecondFactorsReset { request_id: Uuid::from_u128(5) }]);
    assert!(g.state().passkeys.is_empty());
    assert!(!g.state().has_second_factor());
}

#[test]
fn a_deleted_accounts_passkeys_are_gone_and_sign_in_as_an_unknown_key_would_not() {
    let mut g = Given::with_passkey();
    g.then([AccountEvent::AccountDeleted { staff_id: None }]);
    let account = g.state();
    assert!(account.passkeys.is_empty());
    assert!(account.passkey(KEY).is_none(), "no credential to verify an assertion against");
    let d = account.sign_in_with_passkey(Some(&assertion(KEY, 6)), Uuid::from_u128(77), SESSION, T0, &policy());
    assert_eq!((d.outcome.err(), d.events), (Some(Refusal::InvalidCode), vec![]), "refused, nothing recorded");
}
