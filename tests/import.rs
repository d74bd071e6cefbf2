//! `portal import`: bringing a portal's existing customers over, on the
//! embedded backend and, with `PORTAL_TEST_BACKEND=aws`, on LocalStack.
//! The hashes are the vectors the real libraries made
//! (`tests/fixtures/legacy_hashes`).

use std::collections::BTreeMap;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use acceptance::faulty::FaultyStore;
use acceptance::harness::{PASSWORD, TestPortal, aws_selected};
use events::Aggregate;
use events::account::{self, Account, AccountEvent};
use functions::import::{self, Options, Outcome, Summary};
use functions::ports::store::decode;
use serde_json::{Value, json};
use uuid::Uuid;

/// (source, password, hash) of every vector.
fn vectors() -> Vec<(String, String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/legacy_hashes/hashes.json");
    let all: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    all.as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap().to_owned();
            (s("source"), s("password"), s("hash"))
        })
        .collect()
}

/// An email of its own for vector `i` (tests share LocalStack's SES only).
fn email_of(tag: &str, i: usize) -> String {
    format!("legacy-{i}-{tag}@example.de")
}

/// A user name of this run (names are unique across the shared LocalStack
/// tables too, and at most 32 characters).
fn username_of(tag: &str, i: usize) -> String {
    format!("kunde-{i}-{}", &tag[..20])
}

/// One good line per vector.
fn good_lines(tag: &str) -> Vec<String> {
    vectors()
        .iter()
        .enumerate()
        .map(|(i, (source, _, hash))| {
            json!({
                "email": email_of(tag, i),
                "name": format!("Kunde {source}"),
                "username": username_of(tag, i),
                "password_hash": hash,
                "created_at": "2019-04-01T10:00:00+02:00",
                "language": if i % 2 == 0 { "de" } else { "en" },
            })
            .to_string()
        })
        .collect()
}

/// As `portal import` runs on the backend under test.
async fn run(p: &TestPortal, lines: &[String], options: Options) -> (Summary, BTreeMap<usize, Outcome>) {
    let options = if aws_selected() { options.for_dynamodb() } else { options.for_sqlite() };
    run_with(p, lines, options).await
}

async fn run_with(p: &TestPortal, lines: &[String], options: Options) -> (Summary, BTreeMap<usize, Outcome>) {
    let text = lines.join("\n");
    let mut outcomes = BTreeMap::new();
    let summary = import::run(&p.app, text.as_bytes(), options, |line, outcome| {
        assert!(outcomes.insert(line, outcome.clone()).is_none(), "line {line} reported twice");
    })
    .await
    .unwrap();
    (summary, outcomes)
}

fn refused(outcome: &Outcome) -> Option<&'static str> {
    match outcome {
        Outcome::Refused(r) => Some(r.code()),
        _ => None,
    }
}

/// The imported account's events, decoded.
async fn stream_of(p: &TestPortal, email: &str) -> Vec<AccountEvent> {
    let id = p.app.account_for_address(email).await.unwrap().unwrap_or_else(|| panic!("no account for {email}"));
    decode::<AccountEvent>(&p.app.store.load(&account::stream_id(id)).await.unwrap())
        .unwrap()
        .into_iter()
        .map(|r| r.event)
        .collect()
}

#[tokio::test]
async fn a_file_of_good_and_bad_lines_imports_exactly_the_good_ones_and_reports_each_bad_one() {
    let p = TestPortal::new().await;
    let tag = Uuid::new_v4().simple().to_string();
    p.register(&format!("here-{tag}@example.de")).await;
    let before = p.event_count().await;
    let good = good_lines(&tag);
    let bcrypt = &vectors()[0].2;
    let bad = |email: &str, fields: Value| {
        let mut line = json!({ "email": email, "name": "Berta", "password_hash": bcrypt });
        for (k, v) in fields.as_object().unwrap() {
            if v.is_null() {
                line.as_object_mut().unwrap().remove(k);
            } else {
                line[k] = v.clone();
            }
        }
        line.to_string()
    };
    let b = |n: u32| format!("bad-{n}-{tag}@example.de");
    let bad_lines: Vec<(String, &str)> = vec![
        ("{\"email\": ".to_owned(), "invalid_json"),
        (bad(&b(1), json!({ "role": "support" })), "invalid_json"),
        (bad("not-an-address", json!({})), "invalid_email"),
        (bad(&b(2), json!({ "name": null })), "missing_name"),
        (bad(&b(3), json!({ "name": "\u{7}Bell" })), "invalid_name"),
        (bad(&b(4), json!({ "username": "has space" })), "invalid_username"),
        (bad(&b(5), json!({ "password_hash": null })), "missing_password_hash"),
        (bad(&b(6), json!({ "password_hash": "5f4dcc3b5aa765d61d8327deb882cf99" })), "unknown_hash_format"),
        (bad(&b(7), json!({ "password_hash": bcrypt.replacen("$04$", "$15$", 1) })), "hash_too_expensive"),
        (bad(&b(8), json!({ "language": "fr" })), "unknown_language"),
        (bad(&b(9), json!({ "created_at": "1.4.2019" })), "invalid_created_at"),
        // The first good line's email in upper case, and its user name.
        (bad(&email_of(&tag, 0).to_uppercase(), json!({})), "duplicate_email_in_file"),
        (bad(&b(10), json!({ "username": username_of(&tag, 1).to_uppercase() })), "duplicate_username_in_file"),
        (bad(&format!("here-{tag}@example.de"), json!({})), "email_taken"),
    ];
    // Bad lines between the good ones, and an empty line (passed over).
    let mut lines = good.clone();
    lines.push(String::new());
    let first_bad = lines.len() + 1;
    lines.extend(bad_lines.iter().map(|(l, _)| l.clone()));
    let (summary, outcomes) = run(&p, &lines, Options::default()).await;
    assert_eq!(summary, Summary { imported: good.len(), refused: bad_lines.len(), already_there: 0 });
    for (i, (_, code)) in bad_lines.iter().enumerate() {
        assert_eq!(refused(&outcomes[&(first_bad + i)]), Some(*code), "line {}", first_bad + i);
    }
    let report = outcomes[&(first_bad + 11)].report_line(first_bad + 11).unwrap();
    assert_eq!(report["reason"], "duplicate_email_in_file");
    assert!(report["message"].as_str().unwrap().contains("line 1"), "{report}");
    assert!(!report.to_string().contains(bcrypt.as_str()), "no hash in the report");
    // Exactly one event per good line, nothing of the bad ones.
    assert_eq!(p.event_count().await, before + good.len());
    for i in 0..good.len() {
        assert!(matches!(outcomes[&(i + 1)], Outcome::Imported { .. }));
        let events = stream_of(&p, &email_of(&tag, i)).await;
        assert!(matches!(&events[..], [AccountEvent::Imported { .. }]), "{events:?}");
    }
    for n in 1..=10 {
        assert_eq!(p.app.account_for_address(&b(n)).await.unwrap(), None, "no claim for a refused line");
    }
    // The account's real age, its language and user name are kept.
    let id = p.app.account_for_address(&email_of(&tag, 0)).await.unwrap().unwrap();
    let account = Account::from_events(&decode(&p.app.store.load(&account::stream_id(id)).await.unwrap()).unwrap());
    assert_eq!(account.created_at, Some(time::macros::datetime!(2019-04-01 08:00 UTC)));
    assert_eq!(account.locale, events::account::Locale::De);
    let AccountEvent::Imported { account_id, username: Some(username), .. } =
        &stream_of(&p, &email_of(&tag, 1)).await[0]
    else {
        panic!("no user name")
    };
    assert!(!username.is_legacy(), "sealed");
    let opened = p.app.personal.open_value(*account_id, username).await.unwrap();
    assert_eq!(opened, Some(username_of(&tag, 1)));
}

#[tokio::test]
async fn each_format_signs_in_owing_a_second_factor_and_is_rehashed_to_argon2id_in_the_same_append() {
    let p = TestPortal::new().await;
    let tag = Uuid::new_v4().simple().to_string();
    let (summary, _) = run(&p, &good_lines(&tag), Options::default()).await;
    assert_eq!(summary.refused, 0);
    for (i, (source, password, _)) in vectors().into_iter().enumerate() {
        let email = email_of(&tag, i);
        let legacy_before = p.app.passwords.legacy_verifications();
        let (status, body) = p.login(&email, &password).await;
        assert_eq!((status, body["status"].as_str()), (200, Some("mfa_setup_required")), "{source}: {body}");
        let events = stream_of(&p, &email).await;
        let [
            AccountEvent::Imported { .. },
            AccountEvent::PasswordRehashed { password_hash },
            AccountEvent::PasswordPassed { .. },
        ] = &events[..]
        else {
            panic!("{source}: {events:?}")
        };
        assert!(password_hash.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{source}: {password_hash}");
        let legacy = !source.contains("argon2");
        assert_eq!(p.app.passwords.legacy_verifications() - legacy_before, u64::from(legacy), "{source}");
        // The next sign-in verifies the argon2id hash, and owes the setup still.
        let (argon2_before, legacy_before) = (p.app.passwords.verifications(), p.app.passwords.legacy_verifications());
        let (status, body) = p.login(&email, &password).await;
        assert_eq!((status, body["status"].as_str()), (200, Some("mfa_setup_required")), "{source}: {body}");
        assert_eq!(p.app.passwords.verifications() - argon2_before, 1, "{source}");
        assert_eq!(p.app.passwords.legacy_verifications(), legacy_before, "{source}");
        assert_eq!(stream_of(&p, &email).await.len(), 4, "{source}: no second rehash");
    }
}

#[tokio::test]
async fn with_grace_login_the_first_sign_in_is_authenticated_and_the_second_owes_the_setup() {
    let p = TestPortal::new().await;
    let tag = Uuid::new_v4().simple().to_string();
    let lines = good_lines(&tag);
    let (summary, _) = run(&p, &lines[..3], Options { grace_login: true, ..Options::default() }).await;
    assert_eq!(summary.imported, 3);
    let (_, password, _) = &vectors()[0];
    let (status, first) = p.login(&email_of(&tag, 0), password).await;
    assert_eq!((status, first["status"].as_str()), (200, Some("authenticated")), "{first}");
    let (_, second) = p.login(&email_of(&tag, 0), password).await;
    assert_eq!(second["status"], "mfa_setup_required", "{second}");
}

#[tokio::test]
async fn a_re_run_of_the_same_file_imports_nothing_twice_and_writes_nothing() {
    let p = TestPortal::new().await;
    let tag = Uuid::new_v4().simple().to_string();
    let lines = good_lines(&tag);
    let (first, _) = run(&p, &lines, Options::default()).await;
    assert_eq!(first.imported, lines.len());
    // One of them has signed in since (its hash is argon2id now).
    let (_, password, _) = &vectors()[0];
    assert_eq!(p.login(&email_of(&tag, 0), password).await.0, 200);
    let before = p.event_count().await;
    let (again, outcomes) = run(&p, &lines, Options::default()).await;
    assert_eq!(again, Summary { imported: 0, refused: 0, already_there: lines.len() });
    assert!(outcomes.values().all(|o| matches!(o, Outcome::AlreadyThere { .. })));
    assert_eq!(outcomes[&1].report_line(1).unwrap(), json!({ "line": 1, "outcome": "already_there" }));
    assert_eq!(p.event_count().await, before, "nothing new is written");
}

#[tokio::test]
async fn two_imports_of_one_file_at_once_give_each_email_one_account() {
    let p = TestPortal::new().await;
    let tag = Uuid::new_v4().simple().to_string();
    let lines = good_lines(&tag);
    let (a, b) = tokio::join!(run(&p, &lines, Options::default()), run(&p, &lines, Options::default()));
    assert_eq!(a.0.imported + b.0.imported, lines.len(), "{a:?} {b:?}");
    assert_eq!(a.0.already_there + b.0.already_there, lines.len());
    assert_eq!(p.event_count().await, lines.len(), "one Imported event per email, no orphan stream");
}

#[tokio::test]
async fn an_import_and_a_registration_of_one_email_at_once_give_one_account() {
    let p = TestPortal::new().await;
    let tag = Uuid::new_v4().simple().to_string();
    let lines = good_lines(&tag);
    let email = email_of(&tag, 0);
    let register =
        p.call("POST", "/api/register", None, Some(json!({"email": email, "password": PASSWORD, "name": "Anna"})));
    let ((status, _), (summary, outcomes)) = tokio::join!(register, run(&p, &lines[..1], Options::default()));
    match status {
        201 => assert_eq!(refused(&outcomes[&1]), Some("email_taken"), "{summary:?}"),
        409 => assert!(matches!(outcomes[&1], Outcome::Imported { .. })),
        other => panic!("registration answered {other}"),
    }
    assert_eq!(p.event_count().await, 1);
}

#[tokio::test]
async fn registering_an_imported_email_is_refused_as_any_taken_email() {
    let p = TestPortal::new().await;
    let tag = Uuid::new_v4().simple().to_string();
    run(&p, &good_lines(&tag)[..1], Options::default()).await;
    let registered = format!("registered-{tag}@example.de");
    p.register(&registered).await;
    let register = |email: String| {
        p.call("POST", "/api/register", None, Some(json!({"email": email, "password": PASSWORD, "name": "Anna"})))
    };
    let imported = register(email_of(&tag, 0).to_uppercase()).await;
    assert_eq!(imported.0, 409, "{}", imported.1);
    assert_eq!(imported, register(registered).await, "the same answer");
}

#[tokio::test]
async fn a_wrong_password_of_an_imported_account_is_401_like_any_other_and_counts_toward_the_lockout() {
    let p = TestPortal::new().await;
    let tag = Uuid::new_v4().simple().to_string();
    run(&p, &good_lines(&tag)[..1], Options::default()).await;
    let (email, unknown) = (email_of(&tag, 0), format!("nobody-{tag}@example.de"));
    let mut known_answers = Vec::new();
    let mut unknown_answers = Vec::new();
    for _ in 0..11 {
        known_answers.push(p.login(&email, "Wrong-password-1").await);
        unknown_answers.push(p.login(&unknown, "Wrong-password-1").await);
    }
    assert_eq!(known_answers, unknown_answers, "nothing tells that the account exists");
    assert!(known_answers[..10].iter().all(|(s, _)| *s == 401), "{:?}", known_answers[0]);
    assert_eq!(known_answers[10].0, 429);
    // Locked: even the right password is refused, and the legacy hash stays.
    let (_, password, _) = &vectors()[0];
    assert_eq!(p.login(&email, password).await.0, 429);
    assert!(!stream_of(&p, &email).await.iter().any(|e| matches!(e, AccountEvent::PasswordRehashed { .. })));
    assert_eq!(
        stream_of(&p, &email).await.iter().filter(|e| matches!(e, AccountEvent::PasswordFailed {})).count(),
        10,
        "each wrong password is a failure of the account"
    );
}

#[tokio::test]
async fn writes_that_time_out_are_tried_again_and_one_that_landed_counts_as_imported() {
    let base = TestPortal::new().await;
    let faulty = Arc::new(FaultyStore::new(base.app.store.clone(), 3));
    let p = base.with_store(faulty.clone());
    let tag = Uuid::new_v4().simple().to_string();
    let lines: Vec<String> = (0..5)
        .flat_map(|_| good_lines(&tag))
        .enumerate()
        .map(|(i, l)| l.replace("legacy-", &format!("x{i}-")).replace("kunde-", &format!("k{i}-")))
        .collect();
    faulty.enabled.store(true, Ordering::Relaxed);
    // Batches (SQLite's way) and one account a write (DynamoDB's).
    let (half, rest) = lines.split_at(lines.len() / 2);
    let (a, _) = run_with(&p, half, Options::default().for_sqlite()).await;
    let (b, _) = run_with(&p, rest, Options::default().for_dynamodb()).await;
    faulty.enabled.store(false, Ordering::Relaxed);
    assert!(faulty.injected.load(Ordering::Relaxed) > 5, "faults were injected");
    assert_eq!((a.imported, a.already_there, a.refused), (half.len(), 0, 0), "{a:?}");
    assert_eq!((b.imported, b.already_there, b.refused), (rest.len(), 0, 0), "{b:?}");
    assert_eq!(p.event_count().await, lines.len(), "each account once, none half");
}

#[tokio::test]
async fn an_imported_user_name_signs_in_and_one_held_by_another_account_is_refused() {
    let p = TestPortal::new().await;
    let tag = Uuid::new_v4().simple().to_string();
    let taken = format!("taken-{}", &tag[..20]);
    let (status, body) = p
        .call(
            "POST",
            "/api/register",
            None,
            Some(json!({"email": format!("here-{tag}@example.de"), "password": PASSWORD, "name": "Anna", "username": taken})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let mut lines = good_lines(&tag)[..2].to_vec();
    let bcrypt = &vectors()[0].2;
    let clash = json!({"email": format!("clash-{tag}@example.de"), "name": "Berta", "password_hash": bcrypt, "username": taken.to_uppercase()});
    lines.push(clash.to_string());
    let (summary, outcomes) = run(&p, &lines, Options::default()).await;
    assert_eq!(summary, Summary { imported: 2, refused: 1, already_there: 0 });
    assert_eq!(refused(&outcomes[&3]), Some("username_taken"));
    assert_eq!(
        p.app.account_for_address(&format!("clash-{tag}@example.de")).await.unwrap(),
        None,
        "no account, no claim"
    );
    // The imported name signs in (any case), as the email does.
    let (_, password, _) = &vectors()[0];
    let (status, first) = p.login(&username_of(&tag, 0).to_uppercase(), password).await;
    assert_eq!(status, 200, "{first}");
    // A re-run: the lines are there (the clash stays refused).
    let (again, _) = run(&p, &lines, Options::default()).await;
    assert_eq!(again, Summary { imported: 0, refused: 1, already_there: 2 });
    // Registering with an imported name is refused like any taken name.
    let (status, body) = p
        .call(
            "POST",
            "/api/register",
            None,
            Some(json!({"email": format!("late-{tag}@example.de"), "password": PASSWORD, "name": "L", "username": username_of(&tag, 1)})),
        )
        .await;
    assert_eq!((status, body["error"].as_str()), (409, Some("username_taken")));
}
