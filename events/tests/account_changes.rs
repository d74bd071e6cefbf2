//! The owner's own changes while signed in: the mails' language, the
//! password, the email address. Given events, when a command, then new
//! events or a refusal; no I/O.

use events::Aggregate;
use events::Refusal;
use events::account::email_change::{EmailLink, EmailMoved, LINK_TTL};
use events::account::password_change::NewPassword;
use events::account::{
    Account, AccountEvent, AccountPolicy, Locale, Method, Owed, PasswordCheck, SecondFactorProof, SessionEndReason,
};
use events::codec::Recorded;
use events::totp::{self, DIGITS};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

const T0: OffsetDateTime = datetime!(2026-12-03 09:00:00 UTC);
const SECRET: &[u8] = b"01234567890123456789";
const SESSION: Uuid = Uuid::from_u128(40);
const OTHER_SESSION: Uuid = Uuid::from_u128(41);
const PENDING_LOGIN: Uuid = Uuid::from_u128(42);

fn policy() -> AccountPolicy {
    AccountPolicy::default()
}

struct Given(Vec<Recorded<AccountEvent>>);

impl Given {
    /// A customer (German) with an authenticator, two sessions (the
    /// caller's made with the app) and a login waiting for its code.
    fn signed_in_with_totp() -> Given {
        let mut g = Given(Vec::new());
        let setup_id = Uuid::from_u128(2);
        let expires_at = T0 + Duration::hours(8);
        g.then([
            AccountEvent::Registered {
                account_id: Uuid::from_u128(1),
                email: legacy("anna@example.de"),
                name: legacy("Anna"),
                password_hash: "$argon2id$old".into(),
                roles: vec![],
                locale: Locale::De,
                first_login_without_second_factor: true,
            },
            AccountEvent::TotpSetupStarted {
                setup_id,
                sealed_secret: "s".into(),
                expires_at: T0 + Duration::minutes(10),
            },
            AccountEvent::TotpActivated { setup_id, step: totp::step_at(T0) - 10, sealed_secret: Some("s".into()) },
            AccountEvent::SessionStarted {
                session_id: SESSION,
                login_id: None,
                expires_at,
                second_factor: Some(Method::Totp),
                passkey: None,
            },
            AccountEvent::SessionStarted {
                session_id: OTHER_SESSION,
                login_id: None,
                expires_at,
                second_factor: Some(Method::Totp),
                passkey: None,
            },
            AccountEvent::PasswordPassed {
                login_id: PENDING_LOGIN,
                owed: Owed::Verify,
                expires_at: T0 + Duration::minutes(5),
            },
        ]);
        g
    }

    /// The same without a second factor (the first session after registration).
    fn signed_in_without_a_factor() -> Given {
        let mut g = Given::signed_in_with_totp();
        g.0.retain(|r| !matches!(r.event, AccountEvent::TotpSetupStarted { .. } | AccountEvent::TotpActivated { .. }));
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

fn code() -> String {
    totp::code_at_step(SECRET, totp::step_at(T0), DIGITS)
}

fn app_proof(code: &str) -> Option<SecondFactorProof<'_>> {
    Some(SecondFactorProof::Totp { secret: SECRET, code })
}

// --- language ---------------------------------------------------------------

#[test]
fn a_new_language_is_recorded_and_the_same_one_again_records_nothing() {
    let mut g = Given::signed_in_with_totp();
    let d = g.state().change_language(SESSION, Locale::En, T0);
    assert_eq!((d.outcome, &d.events), (Ok(()), &vec![AccountEvent::LanguageChanged { locale: Locale::En }]));
    g.then(d.events);
    assert_eq!(g.state().locale, Locale::En, "later mails follow it");
    let d = g.state().change_language(SESSION, Locale::En, T0);
    assert_eq!((d.outcome, d.events), (Ok(()), vec![]), "unchanged: no event, same answer");
}

#[test]
fn only_a_live_session_changes_the_language() {
    let g = Given::signed_in_with_totp();
    let d = g.state().change_language(Uuid::from_u128(99), Locale::En, T0);
    assert_eq!((d.outcome, d.events), (Err(Refusal::Unauthorized), vec![]));
    let d = g.state().change_language(SESSION, Locale::En, T0 + Duration::hours(9));
    assert_eq!(d.outcome, Err(Refusal::Unauthorized), "an expired session");
}

// --- password ---------------------------------------------------------------

fn new_password(correct: bool) -> NewPassword {
    NewPassword {
        check: PasswordCheck { correct, rehashed: None },
        hash: "$argon2id$new".into(),
        session_id: Uuid::from_u128(50),
    }
}

#[test]
fn a_new_password_with_the_current_one_and_a_proof_ends_every_other_session_and_keeps_the_caller() {
    let mut g = Given::signed_in_with_totp();
    let code = code();
    let d = g.state().change_password(SESSION, new_password(true), app_proof(&code), T0, &policy());
    let grant = d.outcome.clone().unwrap();
    assert_eq!(grant.session_id, Uuid::from_u128(50));
    assert!(
        matches!(
            &d.events[..],
            [
                AccountEvent::TotpAccepted { .. },
                AccountEvent::PasswordChanged { password_hash },
                AccountEvent::SessionsEnded { reason: SessionEndReason::PasswordChanged },
                AccountEvent::SessionStarted { login_id: None, second_factor: Some(Method::Totp), .. },
            ] if password_hash == "$argon2id$new"
        ),
        "{:?}",
        d.events
    );
    g.then(d.events);
    let state = g.state();
    assert_eq!(state.password_hash, "$argon2id$new");
    assert!(state.session_active(grant.session_id, T0), "the caller goes on");
    assert!(!state.session_active(SESSION, T0) && !state.session_active(OTHER_SESSION, T0));
    assert!(state.pending_login(PENDING_LOGIN, T0).is_none(), "a login waiting for its code ends too");
    assert!(state.session_was_ended(OTHER_SESSION, T0 - Duration::minutes(1)), "its apps' grants end");
}

#[test]
fn a_wrong_current_password_counts_toward_the_sign_in_lockout_and_changes_nothing() {
    let mut g = Given::signed_in_with_totp();
    let code = code();
    for attempt in 0..10 {
        let d = g.state().change_password(SESSION, new_password(false), app_proof(&code), T0, &policy());
        assert_eq!(d.outcome, Err(Refusal::InvalidCredentials), "attempt {attempt}");
        assert_eq!(d.events, vec![AccountEvent::PasswordFailed {}], "recorded as a wrong password at sign-in is");
        g.then(d.events);
    }
    // Locked, as the sign-in is: not even the right password is compared.
    let d = g.state().change_password(SESSION, new_password(true), app_proof(&code), T0, &policy());
    assert_eq!((d.outcome, d.events), (Err(Refusal::TooManyAttempts { retry_after: 60 }), vec![]));
    assert!(g.state().password_retry_after(&policy(), T0).is_some(), "and the sign-in is locked as well");
    assert_eq!(g.state().password_hash, "$argon2id$old");
}

#[test]
fn without_a_proof_or_with_a_wrong_one_the_password_stays() {
    let g = Given::signed_in_with_totp();
    let d = g.state().change_password(SESSION, new_password(true), None, T0, &policy());
    assert_eq!((d.outcome, d.events), (Err(Refusal::VerificationRequired), vec![]));
    let d = g.state().change_password(SESSION, new_password(true), app_proof("000000"), T0, &policy());
    assert_eq!(d.outcome, Err(Refusal::InvalidCode));
    assert_eq!(d.events, vec![AccountEvent::SecondFactorFailed { method: Method::Totp }], "counts toward its lockout");
}

#[test]
fn the_first_session_without_a_factor_changes_the_password_with_the_current_one_alone() {
    let g = Given::signed_in_without_a_factor();
    let d = g.state().change_password(SESSION, new_password(true), None, T0, &policy());
    assert!(d.outcome.is_ok());
    assert!(matches!(d.events[0], AccountEvent::PasswordChanged { .. }));
}

#[test]
fn an_ended_session_changes_no_password() {
    let mut g = Given::signed_in_with_totp();
    g.then([AccountEvent::SessionsEnded { reason: SessionEndReason::SignedOutEverywhereElse }]);
    let code = code();
    let d = g.state().change_password(SESSION, new_password(true), app_proof(&code), T0, &policy());
    assert_eq!((d.outcome, d.events), (Err(Refusal::Unauthorized), vec![]));
}

// --- email ------------------------------------------------------------------

/// Legacy values stand in for sealed ones: the decisions never open them.
fn legacy(value: &str) -> events::Sealed {
    events::Sealed::legacy(value)
}

fn link(n: u128) -> EmailLink {
    let new_email = legacy("anna.neu@example.de");
    EmailLink { new_email, is_current: false, token_id: Uuid::from_u128(n), token_hash: format!("hash{n}") }
}

/// The state after a link `link(1)` was sent.
fn link_sent() -> Given {
    let mut g = Given::signed_in_with_totp();
    let code = code();
    let d = g.state().request_email_change(SESSION, link(1), app_proof(&code), T0, &policy());
    assert_eq!(d.outcome, Ok(T0 + LINK_TTL));
    assert!(matches!(
        &d.events[..],
        [AccountEvent::TotpAccepted { .. }, AccountEvent::EmailChangeRequested { new_email, .. }]
            if *new_email == legacy("anna.neu@example.de")
    ));
    g.then(d.events);
    g
}

#[test]
fn a_link_changes_nothing_until_it_is_followed_once() {
    let mut g = link_sent();
    assert_eq!(g.state().email, legacy("anna@example.de"), "the old address still counts");
    let d = g.state().confirm_email_change(Uuid::from_u128(1), "hash1", T0 + Duration::minutes(59));
    assert_eq!(d.outcome, Ok(EmailMoved { old: legacy("anna@example.de"), new: legacy("anna.neu@example.de") }));
    g.then(d.events);
    assert_eq!(g.state().email, legacy("anna.neu@example.de"));
    let d = g.state().confirm_email_change(Uuid::from_u128(1), "hash1", T0 + Duration::minutes(59));
    assert_eq!((d.outcome, d.events), (Err(Refusal::InvalidToken), vec![]), "single-use");
}

#[test]
fn an_expired_replaced_or_wrong_link_is_refused() {
    let g = link_sent();
    let confirm = |g: &Given, id: u128, hash: &str, at| g.state().confirm_email_change(Uuid::from_u128(id), hash, at);
    assert_eq!(confirm(&g, 1, "hash1", T0 + LINK_TTL).outcome, Err(Refusal::InvalidToken), "expired");
    assert_eq!(confirm(&g, 1, "hash2", T0).outcome, Err(Refusal::InvalidToken), "wrong secret");
    assert_eq!(confirm(&g, 2, "hash1", T0).outcome, Err(Refusal::InvalidToken), "wrong id");
    let mut g = g;
    let d = g.state().request_email_change(
        SESSION,
        link(2),
        app_proof(&totp::code_at_step(SECRET, totp::step_at(T0) + 1, DIGITS)),
        T0 + Duration::seconds(30),
        &policy(),
    );
    assert!(d.outcome.is_ok(), "{:?}", d.outcome);
    g.then(d.events);
    assert_eq!(confirm(&g, 1, "hash1", T0).outcome, Err(Refusal::InvalidToken), "replaced by a newer link");
    assert!(confirm(&g, 2, "hash2", T0).outcome.is_ok());
}

#[test]
fn a_link_needs_a_proof_of_the_factor_and_a_different_address() {
    let g = Given::signed_in_with_totp();
    let d = g.state().request_email_change(SESSION, link(1), None, T0, &policy());
    assert_eq!((d.outcome, d.events), (Err(Refusal::VerificationRequired), vec![]));
    let d = g.state().request_email_change(SESSION, link(1), app_proof("000000"), T0, &policy());
    assert_eq!(d.outcome, Err(Refusal::InvalidCode));
    assert_eq!(d.events, vec![AccountEvent::SecondFactorFailed { method: Method::Totp }]);
    // The caller opened the account's address and found it the same.
    let same = EmailLink { new_email: legacy("anna@example.de"), is_current: true, ..link(1) };
    let code = code();
    let d = g.state().request_email_change(SESSION, same, app_proof(&code), T0, &policy());
    assert!(matches!(d.outcome, Err(Refusal::InvalidRequest(_))));
    assert!(d.events.is_empty());
}

#[test]
fn disabling_voids_a_pending_link() {
    let mut g = link_sent();
    g.then([AccountEvent::Disabled { staff_id: Uuid::from_u128(7), reason: "fraud".into() }]);
    let d = g.state().confirm_email_change(Uuid::from_u128(1), "hash1", T0);
    assert_eq!((d.outcome, d.events), (Err(Refusal::InvalidToken), vec![]));
}
