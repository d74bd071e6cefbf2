//! The reset request (lost second factor) across its two streams: given
//! events, when a decision, then new events or a refusal; no I/O.

use events::Aggregate;
use events::Refusal;
use events::account::{Account, AccountEvent, Auth, Locale, Method, Owed, Role};
use events::codec::Recorded;
use events::factor_reset::{
    Approval, JointDecision, MatchFlags, OnFile, QueueStatus, ResetEvent, ResetPolicy, ResetRequest, Staff, Status,
    Submission, match_flags,
};
use events::working_days::WorkCalendar;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// Monday 2 November 2026, 10:00 in Berlin.
const T0: OffsetDateTime = datetime!(2026-11-02 09:00:00 UTC);
const OWNER: Uuid = Uuid::from_u128(1);
const LOGIN: Uuid = Uuid::from_u128(3);
const REQUEST: Uuid = Uuid::from_u128(50);
const ALICE: Uuid = Uuid::from_u128(100);
const BOB: Uuid = Uuid::from_u128(101);

fn recorded<E>(events: impl IntoIterator<Item = (OffsetDateTime, E)>) -> Vec<Recorded<E>> {
    events.into_iter().enumerate().map(|(i, (at, event))| Recorded { version: i as u64 + 1, at, event }).collect()
}

/// An account with TOTP, SMS, recovery codes, a pending TOTP setup, a
/// session, and a login (`LOGIN`) waiting at the second step.
fn owner_events() -> Vec<(OffsetDateTime, AccountEvent)> {
    let setup = Uuid::from_u128(2);
    vec![
        (
            T0,
            AccountEvent::Registered {
                account_id: OWNER,
                email: events::Sealed::from_ciphertext("anna.schmidt@example.de".into()),
                name: events::Sealed::from_ciphertext("Anna Maria Schmidt".into()),
                password_hash: "$argon2id$old".into(),
                roles: vec![],
                locale: Locale::De,
                first_login_without_second_factor: true,
            },
        ),
        (
            T0,
            AccountEvent::TotpSetupStarted {
                setup_id: setup,
                sealed_secret: "s".into(),
                expires_at: T0 + Duration::minutes(10),
            },
        ),
        (T0, AccountEvent::TotpActivated { setup_id: setup, step: 1, sealed_secret: None }),
        (T0, AccountEvent::RecoveryCodesIssued { set_id: Uuid::from_u128(9), hashes: vec!["h0".into(), "h1".into()] }),
        (
            T0,
            AccountEvent::SmsCodeIssued {
                code_id: Uuid::from_u128(4),
                code_hash: "c".into(),
                expires_at: T0 + Duration::minutes(5),
                masked_phone: "+49 151 ••••5678".into(),
                purpose: events::account::event::SmsPurpose::Setup { sealed_phone: "p".into() },
            },
        ),
        (
            T0,
            AccountEvent::SmsActivated {
                code_id: Uuid::from_u128(4),
                masked_phone: "+49 151 ••••5678".into(),
                replaced_masked_phone: None,
            },
        ),
        (
            T0,
            AccountEvent::SessionStarted {
                session_id: Uuid::from_u128(5),
                login_id: None,
                expires_at: T0 + Duration::hours(8),
                second_factor: None,
                passkey: None,
            },
        ),
        (
            T0,
            AccountEvent::TotpSetupStarted {
                setup_id: Uuid::from_u128(6),
                sealed_secret: "s2".into(),
                expires_at: T0 + Duration::minutes(10),
            },
        ),
        (
            T0,
            AccountEvent::PasswordPassed { login_id: LOGIN, owed: Owed::Verify, expires_at: T0 + Duration::minutes(5) },
        ),
    ]
}

fn owner() -> Account {
    Account::from_events(&recorded(owner_events()))
}

fn staff(id: Uuid, roles: Vec<Role>) -> Staff {
    let session_id = Uuid::from_u128(id.as_u128() + 1000);
    let account = Account::from_events(&recorded([
        (
            T0,
            AccountEvent::Registered {
                account_id: id,
                email: events::Sealed::from_ciphertext(format!("{id}@support.example")),
                name: events::Sealed::from_ciphertext("Staff".into()),
                password_hash: "x".into(),
                roles,
                locale: Locale::En,
                first_login_without_second_factor: false,
            },
        ),
        (
            T0,
            AccountEvent::SessionStarted {
                session_id,
                login_id: None,
                expires_at: T0 + Duration::hours(8),
                second_factor: None,
                passkey: None,
            },
        ),
    ]));
    Staff::authorize(&account, session_id, T0).unwrap()
}

fn alice() -> Staff {
    staff(ALICE, vec![Role::Support])
}

fn bob() -> Staff {
    staff(BOB, vec![Role::Support])
}

fn submission() -> Submission {
    Submission {
        request_id: REQUEST,
        sealed_form: "sealed-form".into(),
        matches: MatchFlags { first_name: true, last_name: true, phone: Some(true), email: true },
        privacy_consent: true,
    }
}

fn submit(account: &Account) -> JointDecision<events::factor_reset::Submitted> {
    events::factor_reset::decide::submit(
        account,
        &Auth::Mfa { login_id: LOGIN },
        submission(),
        T0,
        &WorkCalendar::default(),
    )
}

/// Both streams after a successful submission.
struct Given {
    account: Vec<(OffsetDateTime, AccountEvent)>,
    reset: Vec<(OffsetDateTime, ResetEvent)>,
}

impl Given {
    fn submitted() -> Given {
        let d = submit(&owner());
        assert!(d.outcome.is_ok());
        let mut account = owner_events();
        account.extend(d.account_events.into_iter().map(|e| (T0, e)));
        Given { account, reset: d.reset_events.into_iter().map(|e| (T0, e)).collect() }
    }

    fn then<T>(&mut self, at: OffsetDateTime, d: JointDecision<T>) -> Result<T, Refusal> {
        if d.outcome.is_ok() {
            self.account.extend(d.account_events.into_iter().map(|e| (at, e)));
            self.reset.extend(d.reset_events.into_iter().map(|e| (at, e)));
        }
        d.outcome
    }

    fn then_reset<T>(&mut self, at: OffsetDateTime, d: events::account::Decision<T, ResetEvent>) -> Result<T, Refusal> {
        self.reset.extend(d.events.into_iter().map(|e| (at, e)));
        d.outcome
    }

    fn account(&self) -> Account {
        Account::from_events(&recorded(self.account.clone()))
    }

    fn request(&self) -> ResetRequest {
        ResetRequest::from_events(&recorded(self.reset.clone()))
    }
}

const ONE: ResetPolicy = ResetPolicy::STANDARD;
const FOUR_EYES: ResetPolicy = ResetPolicy { approvals_required: 2, retention: Duration::days(90) };

#[test]
fn stream_ids_name_the_request() {
    assert_eq!(events::factor_reset::stream_id(REQUEST), format!("reset#{REQUEST}"));
}

#[test]
fn a_submission_opens_a_request_due_in_24_working_hours() {
    let d = submit(&owner());
    let submitted = d.outcome.unwrap();
    // Monday 10:00 Berlin -> Tuesday 10:00 Berlin = 09:00 UTC.
    assert_eq!(submitted.due_by, datetime!(2026-11-03 09:00 UTC));
    assert_eq!(d.account_events, vec![AccountEvent::ResetRequested { request_id: REQUEST }]);
    assert_eq!(
        d.reset_events,
        vec![ResetEvent::Submitted {
            request_id: REQUEST,
            account_id: OWNER,
            due_by: submitted.due_by,
            sealed_form: "sealed-form".into(),
            matches: submission().matches,
        }]
    );
    let request = ResetRequest::from_events(&recorded(d.reset_events.into_iter().map(|e| (T0, e))));
    assert_eq!(request.status, Status::Pending);
    assert_eq!(request.status.as_str(), "pending");
    assert_eq!(request.submitted_at, Some(T0));
    assert_eq!(request.sealed_form(), Some("sealed-form"));
}

#[test]
fn a_second_submission_while_one_is_open_names_the_first() {
    let g = Given::submitted();
    let mut again = submission();
    again.request_id = Uuid::from_u128(51);
    let d = events::factor_reset::decide::submit(
        &g.account(),
        &Auth::Mfa { login_id: LOGIN },
        again,
        T0,
        &WorkCalendar::default(),
    );
    assert_eq!(d.outcome, Err(Refusal::ResetRequestOpen { request_id: REQUEST }));
    assert!(d.account_events.is_empty() && d.reset_events.is_empty());
}

#[test]
fn after_a_rejection_a_new_request_may_be_submitted() {
    let mut g = Given::submitted();
    g.then(T0, g.request().reject(&g.account(), &alice(), "no match".into())).unwrap();
    assert_eq!(g.account().open_reset_request, None);
    assert!(submit(&g.account()).outcome.is_ok());
}

#[test]
fn submitting_needs_the_mfa_token_of_a_login_that_owes_a_code() {
    let account = owner();
    let calendar = WorkCalendar::default();
    let with = |auth: Auth, at: OffsetDateTime| {
        events::factor_reset::decide::submit(&account, &auth, submission(), at, &calendar).outcome
    };
    assert_eq!(with(Auth::Session { session_id: Uuid::from_u128(5) }, T0), Err(Refusal::Unauthorized));
    assert_eq!(with(Auth::Mfa { login_id: Uuid::from_u128(77) }, T0), Err(Refusal::Unauthorized));
    assert_eq!(with(Auth::Mfa { login_id: LOGIN }, T0 + Duration::minutes(5)), Err(Refusal::Unauthorized), "expired");
    // A login that owes a setup has no factor to lose.
    let mut events = owner_events();
    events.truncate(1);
    events.push((
        T0,
        AccountEvent::PasswordPassed { login_id: LOGIN, owed: Owed::Setup, expires_at: T0 + Duration::minutes(5) },
    ));
    let d = events::factor_reset::decide::submit(
        &Account::from_events(&recorded(events)),
        &Auth::Mfa { login_id: LOGIN },
        submission(),
        T0,
        &calendar,
    );
    assert!(matches!(d.outcome, Err(Refusal::InvalidRequest(_))));
}

#[test]
fn submitting_needs_privacy_consent() {
    let no_consent = Submission { privacy_consent: false, ..submission() };
    let d = events::factor_reset::decide::submit(
        &owner(),
        &Auth::Mfa { login_id: LOGIN },
        no_consent,
        T0,
        &WorkCalendar::default(),
    );
    assert!(matches!(d.outcome, Err(Refusal::InvalidRequest(_))));
    assert!(d.account_events.is_empty() && d.reset_events.is_empty());
}

#[test]
fn match_flags_compare_the_form_with_the_account() {
    // What the account holds, opened (the account keeps it sealed).
    let on_file = |phone| OnFile { name: "Anna Maria Schmidt", email: "anna.schmidt@example.de", phone };
    let with_phone = on_file(Some("+4915112345678"));
    let all = match_flags("anna", "SCHMIDT", Some("+4915112345678"), Some("anna.schmidt@example.de"), &with_phone);
    assert_eq!(all, MatchFlags { first_name: true, last_name: true, phone: Some(true), email: true });
    let two_first_names = match_flags("Anna  Maria", "Schmidt", None, None, &with_phone);
    assert_eq!(two_first_names, MatchFlags { first_name: true, last_name: true, phone: Some(false), email: false });
    let other_phone = match_flags("Anna", "Schmidt", Some("+4915100000000"), None, &with_phone);
    assert_eq!(other_phone.phone, Some(false), "a number on file that differs");
    // Without a number on file nothing can match or differ: not known.
    let none = match_flags("Maria", "Anna", Some("+4915100000000"), Some("other@example.de"), &on_file(None));
    assert_eq!(none, MatchFlags::default());
    assert_eq!(none.phone, None);
    assert_eq!(match_flags("", "", None, None, &on_file(None)), MatchFlags::default());
}

#[test]
fn only_staff_with_a_live_session_may_act() {
    let customer = Account::from_events(&recorded(owner_events()));
    assert_eq!(Staff::authorize(&customer, Uuid::from_u128(5), T0), Err(Refusal::Forbidden));
    assert_eq!(Staff::authorize(&customer, Uuid::from_u128(99), T0), Err(Refusal::Unauthorized));
}

#[test]
fn views_and_takes_are_recorded_with_who() {
    let mut g = Given::submitted();
    g.then_reset(T0, g.request().view(&alice())).unwrap();
    g.then_reset(T0 + Duration::minutes(1), g.request().take(&alice())).unwrap();
    let request = g.request();
    assert_eq!(request.viewed_by, vec![(ALICE, T0)]);
    assert_eq!(request.taken_by, Some(ALICE));
    // Taking again is no change; a colleague may take it over.
    assert!(request.take(&alice()).events.is_empty());
    assert_eq!(request.take(&bob()).events, vec![ResetEvent::Taken { staff_id: BOB }]);
}

#[test]
fn an_unknown_request_is_not_found() {
    let none = ResetRequest::default();
    assert_eq!(none.view(&alice()).outcome, Err(Refusal::NotFound));
    assert_eq!(none.approve(&owner(), &alice(), "n".into(), &ONE).outcome, Err(Refusal::NotFound));
    assert_eq!(none.mark_overdue(T0).outcome, Err(Refusal::NotFound));
}

#[test]
fn approval_removes_every_factor_and_session_so_the_next_login_owes_setup() {
    let mut g = Given::submitted();
    let at = T0 + Duration::hours(2);
    let d = g.request().approve(&g.account(), &alice(), "ID checked".into(), &ONE);
    assert_eq!(d.outcome, Ok(Approval::Final));
    assert_eq!(
        d.reset_events,
        vec![ResetEvent::ApprovalGiven { staff_id: ALICE, note: "ID checked".into() }, ResetEvent::Approved {}]
    );
    assert_eq!(d.account_events, vec![AccountEvent::SecondFactorsReset { request_id: REQUEST }]);
    g.then(at, d).unwrap();
    let account = g.account();
    assert!(!account.has_second_factor());
    assert_eq!((account.totp.as_ref(), account.sms.as_ref()), (None, None));
    assert_eq!(account.pending_totp, None);
    assert_eq!(account.pending_sms, None);
    assert_eq!(account.recovery_codes_remaining(), 0);
    assert!(account.methods().is_empty());
    assert!(account.sessions.is_empty() && account.logins.is_empty());
    assert_eq!(account.authorize(&Auth::Mfa { login_id: LOGIN }, at), Err(Refusal::Unauthorized));
    assert_eq!(account.open_reset_request, None);
    let request = g.request();
    assert_eq!(request.status, Status::Approved);
    assert_eq!((request.decided_by, request.decided_at), (Some(ALICE), Some(at)));
    // The next login owes a setup.
    let login = account.login(
        events::account::PasswordCheck { correct: true, rehashed: None },
        Uuid::new_v4(),
        Uuid::new_v4(),
        at,
        &Default::default(),
    );
    assert!(matches!(login.outcome, Ok(events::account::LoginOutcome::SetupRequired { .. })));
}

#[test]
fn approval_revokes_every_app_password_of_the_account() {
    let g = Given::submitted();
    let d = g.request().approve(&g.account(), &alice(), "ok".into(), &ONE);
    assert!(!d.account_events.iter().any(|e| matches!(e, AccountEvent::AppPasswordsRevoked { .. })), "none to revoke");
    let mut g = Given::submitted();
    g.account.push((
        T0,
        AccountEvent::AppPasswordCreated {
            app_password_id: Uuid::from_u128(50),
            name: events::Sealed::from_ciphertext("cal".into()),
            hash: "hc".into(),
        },
    ));
    let d = g.request().approve(&g.account(), &alice(), "ok".into(), &ONE);
    assert_eq!(
        d.account_events,
        vec![
            AccountEvent::SecondFactorsReset { request_id: REQUEST },
            AccountEvent::AppPasswordsRevoked { reason: events::account::AppPasswordsRevokedReason::SecondFactorReset },
        ]
    );
    g.then(T0, d).unwrap();
    assert!(g.account().app_passwords.is_empty());
}

#[test]
fn a_decided_request_cannot_be_decided_again() {
    let mut g = Given::submitted();
    g.then(T0, g.request().approve(&g.account(), &alice(), "ok".into(), &ONE)).unwrap();
    let request = g.request();
    let conflict = |r: Result<(), Refusal>| assert!(matches!(r, Err(Refusal::Conflict(_))), "{r:?}");
    conflict(request.approve(&g.account(), &bob(), "ok".into(), &ONE).outcome.map(|_| ()));
    conflict(request.reject(&g.account(), &bob(), "no".into()).outcome);
    conflict(request.take(&bob()).outcome);
    conflict(request.mark_overdue(T0 + Duration::days(3)).outcome);
    // Looking stays possible and is still recorded.
    assert!(request.view(&bob()).outcome.is_ok());

    let mut g = Given::submitted();
    g.then(T0, g.request().reject(&g.account(), &alice(), "no".into())).unwrap();
    conflict(g.request().approve(&g.account(), &bob(), "ok".into(), &ONE).outcome.map(|_| ()));
}

#[test]
fn four_eyes_needs_two_different_staff_members() {
    let mut g = Given::submitted();
    let d = g.request().approve(&g.account(), &alice(), "looks right".into(), &FOUR_EYES);
    assert_eq!(d.outcome, Ok(Approval::Pending { approvals: 1, required: 2 }));
    assert!(d.account_events.is_empty(), "one approval removes nothing");
    g.then(T0, d).unwrap();
    assert!(g.account().has_second_factor());
    assert_eq!(g.request().status, Status::Pending);
    // The same staff member twice is refused.
    let twice = g.request().approve(&g.account(), &alice(), "really".into(), &FOUR_EYES);
    assert!(matches!(twice.outcome, Err(Refusal::Conflict(_))));
    assert!(twice.reset_events.is_empty() && twice.account_events.is_empty());
    // A second, different one completes it.
    let d = g.request().approve(&g.account(), &bob(), "agreed".into(), &FOUR_EYES);
    assert_eq!(d.outcome, Ok(Approval::Final));
    assert_eq!(d.account_events, vec![AccountEvent::SecondFactorsReset { request_id: REQUEST }]);
    g.then(T0, d).unwrap();
    assert_eq!(g.request().approvers(), vec![ALICE, BOB]);
    assert_eq!(g.request().decided_by, Some(BOB));
}

#[test]
fn the_approvals_setting_is_read_strictly() {
    assert_eq!(ResetPolicy::from_setting(None).unwrap(), ResetPolicy::STANDARD);
    assert_eq!(ResetPolicy::from_setting(Some(" 2 ")).unwrap().approvals_required, 2);
    for bad in ["0", "-1", "two", "6"] {
        assert!(ResetPolicy::from_setting(Some(bad)).is_err(), "{bad}");
    }
}

#[test]
fn staff_cannot_decide_their_own_request() {
    // A support account that lost its own factor.
    let mut events = owner_events();
    if let AccountEvent::Registered { roles, .. } = &mut events[0].1 {
        roles.push(Role::Support);
    }
    let account = Account::from_events(&recorded(events));
    let d = submit(&account);
    let request = ResetRequest::from_events(&recorded(d.reset_events.into_iter().map(|e| (T0, e))));
    let me = Staff::authorize(&account, Uuid::from_u128(5), T0).unwrap();
    assert_eq!(request.approve(&account, &me, "me".into(), &ONE).outcome, Err(Refusal::Forbidden));
    assert_eq!(request.reject(&account, &me, "me".into()).outcome, Err(Refusal::Forbidden));
}

#[test]
fn a_decision_against_another_account_is_refused() {
    let g = Given::submitted();
    let stranger = Account::from_events(&recorded([(
        T0,
        AccountEvent::Registered {
            account_id: Uuid::from_u128(2000),
            email: events::Sealed::from_ciphertext("x@example.de".into()),
            name: events::Sealed::from_ciphertext("X".into()),
            password_hash: "x".into(),
            roles: vec![],
            locale: Locale::En,
            first_login_without_second_factor: true,
        },
    )]));
    assert_eq!(g.request().approve(&stranger, &alice(), "n".into(), &ONE).outcome, Err(Refusal::NotFound));
    assert_eq!(g.request().reject(&stranger, &alice(), "n".into()).outcome, Err(Refusal::NotFound));
}

#[test]
fn rejection_closes_the_request_and_changes_nothing_else() {
    let mut g = Given::submitted();
    let before = g.account();
    let blank = g.request().reject(&g.account(), &alice(), "  ".into());
    assert!(matches!(blank.outcome, Err(Refusal::InvalidRequest(_))), "the owner must be told a reason");
    let d = g.request().reject(&g.account(), &alice(), "The phone number does not match.".into());
    assert_eq!(d.account_events, vec![AccountEvent::ResetRequestClosed { request_id: REQUEST }]);
    assert_eq!(
        d.reset_events,
        vec![ResetEvent::Rejected { staff_id: ALICE, reason: "The phone number does not match.".into() }]
    );
    g.then(T0, d).unwrap();
    let after = g.account();
    assert_eq!(after.methods(), before.methods());
    assert_eq!(after.sessions, before.sessions);
    assert_eq!(after.logins, before.logins);
    assert_eq!(g.request().status, Status::Rejected);
    assert_eq!(g.request().rejection_reason.as_deref(), Some("The phone number does not match."));
}

#[test]
fn overdue_is_marked_once_and_only_after_the_deadline() {
    let mut g = Given::submitted();
    let due = g.request().due_by.unwrap();
    assert!(!g.request().is_overdue(due - Duration::seconds(1)));
    assert!(matches!(g.request().mark_overdue(due - Duration::seconds(1)).outcome, Err(Refusal::InvalidRequest(_))));
    assert!(g.request().is_overdue(due));
    assert_eq!(g.then_reset(due, g.request().mark_overdue(due)), Ok(()));
    assert!(g.request().marked_overdue);
    let again = g.request().mark_overdue(due + Duration::hours(1));
    assert!(matches!(again.outcome, Err(Refusal::Conflict(_))));
    assert!(again.events.is_empty());
}

#[test]
fn the_queue_shows_pending_taken_and_overdue_until_the_decision() {
    let mut g = Given::submitted();
    let due = g.request().due_by.unwrap();
    let before = due - Duration::seconds(1);
    assert_eq!(g.request().queue_status(before), Some(QueueStatus { taken: false, overdue: false }));
    g.then_reset(T0, g.request().take(&alice())).unwrap();
    assert_eq!(g.request().queue_status(before), Some(QueueStatus { taken: true, overdue: false }));
    assert_eq!(g.request().queue_status(due), Some(QueueStatus { taken: true, overdue: true }));
    g.then_reset(due, g.request().mark_overdue(due)).unwrap();
    assert_eq!(g.request().queue_status(before).map(|q| q.overdue), Some(true), "a recorded mark stays");
    let d = g.request().reject(&g.account(), &alice(), "The phone number does not match.".into());
    g.then(due, d).unwrap();
    assert_eq!(g.request().queue_status(due), None, "decided: out of the queue");
}

#[test]
fn anonymisation_waits_90_days_after_the_decision_and_forgets_the_form() {
    let mut g = Given::submitted();
    assert!(
        matches!(g.request().anonymise(T0 + Duration::days(365), &ONE).outcome, Err(Refusal::InvalidRequest(_))),
        "open"
    );
    let decided = T0 + Duration::days(1);
    g.then(decided, g.request().reject(&g.account(), &alice(), "no".into())).unwrap();
    let request = g.request();
    assert_eq!(request.anonymise_after(&ONE), Some(decided + Duration::days(90)));
    let early = request.anonymise(decided + Duration::days(90) - Duration::seconds(1), &ONE);
    assert!(matches!(early.outcome, Err(Refusal::InvalidRequest(_))));
    assert!(early.events.is_empty());
    assert_eq!(
        g.then_reset(decided + Duration::days(90), request.anonymise(decided + Duration::days(90), &ONE)),
        Ok(())
    );
    let request = g.request();
    assert!(request.anonymised);
    assert_eq!(request.sealed_form(), None);
    assert!(matches!(request.anonymise(decided + Duration::days(200), &ONE).outcome, Err(Refusal::Conflict(_))));
}

#[test]
fn second_factors_reset_leaves_the_password_and_other_history_alone() {
    let mut g = Given::submitted();
    g.then(T0, g.request().approve(&g.account(), &alice(), "ok".into(), &ONE)).unwrap();
    let account = g.account();
    assert_eq!(account.password_hash, "$argon2id$old");
    assert_eq!(account.email, events::Sealed::from_ciphertext("anna.schmidt@example.de".into()));
    assert_eq!(account.methods(), Vec::<Method>::new());
}
