//! Password forgotten through the real router (and, with
//! `PORTAL_TEST_BACKEND=aws`, on LocalStack): the link by email, the reset
//! with its token, what a reset ends and what it keeps; and
//! `portal staff add`, whose accounts must set up a second factor at their
//! very first login.

use acceptance::harness::{PASSWORD, TestPortal};
use base64::Engine;
use events::Aggregate;
use events::account::Role;
use serde_json::{Value, json};
use time::Duration;

const NEW_PASSWORD: &str = "Ganz-neu-und-lang-77";

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

async fn dav(p: &TestPortal, email: &str, app_password: &str) -> u16 {
    p.send("GET", "/api/dav/auth", &[("authorization", &basic(email, app_password))], Vec::new()).await.0
}

async fn forgot(p: &TestPortal, email: &str) -> (u16, Value) {
    p.call("POST", "/api/password/forgot", None, Some(json!({ "email": email }))).await
}

async fn reset(p: &TestPortal, token: &str, new_password: &str) -> (u16, Value) {
    p.call("POST", "/api/password/reset", None, Some(json!({ "token": token, "new_password": new_password }))).await
}

/// The emails to `to` that hold a reset link, oldest first.
async fn link_mails(p: &TestPortal, to: &str) -> Vec<Value> {
    p.outbox()
        .await
        .into_iter()
        .filter(|m| m["channel"] == "email" && m["to"] == to)
        .filter(|m| m["body"].as_str().unwrap().contains("/reset-password?token="))
        .collect()
}

/// The link of the newest reset email to `to`.
async fn link_of(p: &TestPortal, to: &str) -> String {
    let mails = link_mails(p, to).await;
    let body = mails.last().unwrap_or_else(|| panic!("no reset link to {to}"))["body"].as_str().unwrap().to_owned();
    body.split_whitespace().find(|w| w.contains("/reset-password?token=")).unwrap().to_owned()
}

async fn token_of(p: &TestPortal, to: &str) -> String {
    link_of(p, to).await.split_once("?token=").unwrap().1.to_owned()
}

#[tokio::test]
async fn forgot_answers_alike_for_every_address_and_mails_a_link_built_from_the_public_url() {
    let p = TestPortal::new().await;
    let email = "anna@example.de";
    p.register(email).await;
    let body = json!({ "email": " ANNA@example.de" }).to_string().into_bytes();
    let forged = [
        ("content-type", "application/json"),
        ("host", "evil.example"),
        ("x-forwarded-host", "evil.example"),
        ("x-forwarded-proto", "http"),
        ("forwarded", "host=evil.example"),
    ];
    let known = p.send("POST", "/api/password/forgot", &forged, body).await;
    let unknown = forgot(&p, "nobody@example.de").await;
    let malformed = forgot(&p, "not an address").await;
    assert_eq!(known, (202, json!({})));
    assert_eq!(unknown, known, "unknown addresses answer the same");
    assert_eq!(malformed, known, "malformed addresses answer the same");

    let outbox = p.outbox().await;
    assert_eq!(outbox.len(), 1, "only the account's owner got mail: {outbox:?}");
    assert_eq!(outbox[0]["to"], email);
    let link = link_of(&p, email).await;
    assert!(link.starts_with("http://portal.test/reset-password?token="), "{link}");
    let body = outbox[0]["body"].as_str().unwrap();
    assert!(!body.contains("evil"), "{body}");
    assert!(body.contains("one hour") && body.contains("only once"), "{body}");
    let token = token_of(&p, email).await;
    assert!(token.len() >= 22 && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
}

#[tokio::test]
async fn the_link_is_in_the_accounts_language() {
    let p = TestPortal::new().await;
    let (status, _) = p
        .call(
            "POST",
            "/api/register",
            None,
            Some(json!({"email": "jonas@example.de", "password": PASSWORD, "name": "Jonas", "locale": "de"})),
        )
        .await;
    assert_eq!(status, 201);
    forgot(&p, "jonas@example.de").await;
    let mails = link_mails(&p, "jonas@example.de").await;
    let body = mails[0]["body"].as_str().unwrap();
    assert!(body.contains("eine Stunde") && body.contains("nur einmal"), "{body}");
}

#[tokio::test]
async fn a_reset_ends_sessions_and_app_passwords_keeps_the_second_factor_and_works_once() {
    let p = TestPortal::new().await;
    let email = "anna@example.de";
    let e = p.enrolled(email).await;
    let body = json!({"name": "DAVx5", "verification": p.step_up(&e.secret)});
    let (status, created) = p.call("POST", "/api/app-passwords", Some(&e.session), Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let app_password = created["password"].as_str().unwrap().to_owned();
    assert_eq!(dav(&p, email, &app_password).await, 200);

    assert_eq!(forgot(&p, email).await.0, 202);
    let token = token_of(&p, email).await;
    assert_eq!(reset(&p, &token, NEW_PASSWORD).await, (204, Value::Null));

    let (status, body) = p.call("GET", "/api/account", Some(&e.session), None).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("unauthorized")), "the old session ended");
    assert_eq!(dav(&p, email, &app_password).await, 401, "app passwords are revoked");
    let (status, body) = p.login(email, PASSWORD).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_credentials")), "the old password is gone");
    let (status, body) = p.login(email, NEW_PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "mfa_required", "the second factor stays: {body}");
    assert!(body["methods"].as_array().unwrap().contains(&json!("totp")));

    let (status, body) = reset(&p, &token, "Noch-ein-anderes-99").await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_token")), "the link works once");
    assert_eq!(p.login(email, "Noch-ein-anderes-99").await.0, 401);

    // The owner is told, without any secret.
    let outbox = p.outbox().await;
    let changed: Vec<_> = outbox
        .iter()
        .filter(|m| m["to"] == email && m["subject"].as_str().unwrap().contains("password was changed"))
        .collect();
    assert_eq!(changed.len(), 1, "{outbox:?}");
    let text = changed[0]["body"].as_str().unwrap();
    assert!(!text.contains(&token) && !text.contains(NEW_PASSWORD), "{text}");
    // The token is only in the link's email; nothing of it or of the new
    // password is in the event log or the views.
    let with_token: Vec<_> = outbox.iter().filter(|m| m.to_string().contains(&token)).collect();
    assert_eq!(with_token.len(), 1);
    assert!(with_token[0]["body"].as_str().unwrap().contains("/reset-password?token="));
    let log = p.event_log_text().await;
    assert!(log.contains("password_reset_requested") && log.contains("password_reset"), "{log}");
    assert!(!log.contains(&token), "the token is in the event log");
    assert!(!log.contains(NEW_PASSWORD), "the password is in the event log");
}

#[tokio::test]
async fn a_link_works_for_at_most_an_hour() {
    let p = TestPortal::new().await;
    let email = "anna@example.de";
    p.register(email).await;
    forgot(&p, email).await;
    let token = token_of(&p, email).await;
    p.clock.advance(Duration::HOUR + Duration::seconds(1));
    let (status, body) = reset(&p, &token, NEW_PASSWORD).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_token")));
    assert_eq!(p.login(email, PASSWORD).await.0, 200, "the password is unchanged");

    forgot(&p, email).await;
    let token = token_of(&p, email).await;
    p.clock.advance(Duration::minutes(59));
    assert_eq!(reset(&p, &token, NEW_PASSWORD).await.0, 204, "59 minutes later it still works");
    assert_eq!(p.login(email, NEW_PASSWORD).await.0, 200);
}

#[tokio::test]
async fn a_newer_link_voids_the_older() {
    let p = TestPortal::new().await;
    let email = "anna@example.de";
    p.register(email).await;
    forgot(&p, email).await;
    let first = token_of(&p, email).await;
    p.clock.advance(Duration::minutes(1));
    forgot(&p, email).await;
    let second = token_of(&p, email).await;
    assert_ne!(first, second);
    let (status, body) = reset(&p, &first, NEW_PASSWORD).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_token")));
    assert_eq!(reset(&p, &second, NEW_PASSWORD).await.0, 204);
}

#[tokio::test]
async fn at_most_three_links_per_account_and_hour() {
    let p = TestPortal::new().await;
    let email = "anna@example.de";
    p.register(email).await;
    for _ in 0..4 {
        assert_eq!(forgot(&p, email).await, (202, json!({})));
        p.clock.advance(Duration::minutes(5));
    }
    assert_eq!(link_mails(&p, email).await.len(), 3, "the 4th request sent nothing");
    // The window slides: an hour after the first, one more may go.
    p.clock.advance(Duration::minutes(41));
    forgot(&p, email).await;
    assert_eq!(link_mails(&p, email).await.len(), 4);
}

#[tokio::test]
async fn a_weak_new_password_is_refused_and_changes_nothing() {
    let p = TestPortal::new().await;
    let email = "anna@example.de";
    p.register(email).await;
    forgot(&p, email).await;
    let token = token_of(&p, email).await;
    let before = p.event_count().await;
    for weak in ["short1!", "password123", email] {
        let (status, body) = reset(&p, &token, weak).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")), "{weak}: {body}");
        assert!(body["message"].as_str().unwrap().contains("password"), "{body}");
    }
    assert_eq!(p.event_count().await, before, "nothing written");
    assert_eq!(p.login(email, PASSWORD).await.0, 200, "the password is unchanged");
    assert_eq!(reset(&p, &token, NEW_PASSWORD).await.0, 204, "the link still works");
}

#[tokio::test]
async fn bad_input_is_refused_and_writes_nothing() {
    let p = TestPortal::new().await;
    let email = "anna@example.de";
    p.register(email).await;
    forgot(&p, email).await;
    let token = token_of(&p, email).await;
    let before = p.event_count().await;
    let json_headers = [("content-type", "application/json")];
    for (path, body) in [
        ("/api/password/forgot", "{"),
        ("/api/password/forgot", "{}"),
        ("/api/password/forgot", r#"{"email": 5}"#),
        ("/api/password/forgot", r#"{"email": "anna@example.de", "admin": true}"#),
        ("/api/password/reset", r#"{"token": "x"}"#),
        ("/api/password/reset", r#"{"token": 1, "new_password": "Ganz-neu-und-lang-77"}"#),
        ("/api/password/reset", &format!(r#"{{"token": "{token}", "new_password": "Ganz-neu-und-lang-77", "x": 1}}"#)),
    ] {
        let (status, reply) = p.send("POST", path, &json_headers, body.as_bytes().to_vec()).await;
        assert_eq!((status, reply["error"].as_str()), (400, Some("invalid_request")), "{path} {body}");
    }
    let big = format!(r#"{{"email": "{}@example.de"}}"#, "a".repeat(17 * 1024));
    assert_eq!(p.send("POST", "/api/password/forgot", &json_headers, big.into_bytes()).await.0, 400);
    // Tokens that are not ours in shape, or altered.
    let mut altered = token.clone().into_bytes();
    let last = altered.len() - 1;
    altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    for bad in ["", "nope", "%%%", &"A".repeat(64), &altered, &token[..token.len() - 4], &format!("{token}AAAA")] {
        let (status, reply) = reset(&p, bad, NEW_PASSWORD).await;
        assert_eq!((status, reply["error"].as_str()), (400, Some("invalid_token")), "{bad:?}");
    }
    assert_eq!(p.event_count().await, before, "nothing written");
    assert_eq!(reset(&p, &token, NEW_PASSWORD).await.0, 204);
}

#[tokio::test]
async fn the_check_tells_a_live_link_from_a_dead_one_without_using_it_or_naming_the_account() {
    let p = TestPortal::new().await;
    let email = "anna@example.de";
    p.register(email).await;
    let check = |token: String| {
        let p = &p;
        async move { p.call("POST", "/api/password/reset/check", None, Some(json!({ "token": token }))).await }
    };
    forgot(&p, email).await;
    let first = token_of(&p, email).await;
    let before = p.event_count().await;
    assert_eq!(check(first.clone()).await, (200, json!({"valid": true})));
    assert_eq!(check(first.clone()).await, (200, json!({"valid": true})), "checking uses nothing up");
    assert_eq!(p.event_count().await, before, "nothing written");

    // Replaced by a newer link, used, expired, garbled, of no account: all
    // the same answer.
    p.clock.advance(Duration::minutes(1));
    forgot(&p, email).await;
    let second = token_of(&p, email).await;
    assert_eq!(check(first.clone()).await, (200, json!({"valid": false})), "replaced");
    let mut garbled = second.clone().into_bytes();
    garbled[60] = if garbled[60] == b'A' { b'B' } else { b'A' };
    let garbled = String::from_utf8(garbled).unwrap();
    let no_account = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([7u8; 48]);
    for dead in [garbled, no_account, "nope".into(), String::new(), "A".repeat(200)] {
        assert_eq!(check(dead.clone()).await, (200, json!({"valid": false})), "{dead:?}");
    }
    assert_eq!(reset(&p, &second, NEW_PASSWORD).await.0, 204, "the check left the link usable");
    assert_eq!(check(second.clone()).await, (200, json!({"valid": false})), "used");

    forgot(&p, email).await;
    let third = token_of(&p, email).await;
    p.clock.advance(Duration::HOUR + Duration::seconds(1));
    assert_eq!(check(third).await, (200, json!({"valid": false})), "expired");

    let json_headers = [("content-type", "application/json")];
    for bad in ["{", "{}", r#"{"token": 1}"#, r#"{"token": "x", "email": "anna@example.de"}"#] {
        let (status, reply) = p.send("POST", "/api/password/reset/check", &json_headers, bad.as_bytes().to_vec()).await;
        assert_eq!((status, reply["error"].as_str()), (400, Some("invalid_request")), "{bad}");
    }
}

// --- portal staff add -------------------------------------------------------

#[tokio::test]
async fn staff_add_creates_a_support_account_that_must_set_up_a_factor_at_its_first_login() {
    let p = TestPortal::new().await;
    let email = "sam@portal.example";
    let id = functions::staff::add(p.app(), " Sam@Portal.example", "Sam Support", PASSWORD).await.unwrap();
    let account = p.app().load_account(id).await.unwrap();
    assert!(account.exists());
    assert!(account.has_role(Role::Support));
    let person = p.app().personal.person(&account).await.unwrap().expect("the key opens it");
    assert_eq!((person.email.as_str(), person.name.as_str()), (email, "Sam Support"));
    assert!(!account.email.is_legacy() && !account.name.is_legacy(), "sealed from the start");
    let (status, first) = p.login(email, PASSWORD).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["status"], "mfa_setup_required", "no login without a second factor: {first}");
    assert!(first["session_token"].is_null());

    // The same checks as at registration, with a message for the operator.
    let taken = functions::staff::add(p.app(), email, "Sam Again", PASSWORD).await.unwrap_err();
    assert!(taken.contains("already exists"), "{taken}");
    let weak = functions::staff::add(p.app(), "kim@portal.example", "Kim", "password123").await.unwrap_err();
    assert!(weak.contains("password"), "{weak}");
    let short = functions::staff::add(p.app(), "kim@portal.example", "Kim", "kurz").await.unwrap_err();
    assert!(short.contains("at least 8"), "{short}");
    let bad_email = functions::staff::add(p.app(), "kim", "Kim", PASSWORD).await.unwrap_err();
    assert!(bad_email.contains("email"), "{bad_email}");
    assert_eq!(p.app().account_for_email("kim@portal.example").await.unwrap(), None);
}

/// Mann-Whitney: the chance that a request of `a` took longer than one of
/// `b` (ties count half). 0.5 when neither is slower; 1 or 0 when every
/// request of one is slower than every request of the other.
fn chance_slower(a: &[f64], b: &[f64]) -> f64 {
    let wins: f64 = a
        .iter()
        .flat_map(|x| b.iter().map(move |y| f64::from(u8::from(x > y)) + 0.5 * f64::from(u8::from(x == y))))
        .sum();
    wins / (a.len() * b.len()) as f64
}

#[tokio::test]
async fn forgot_takes_as_long_for_unknown_emails_as_for_accounts() {
    if acceptance::harness::aws_selected() {
        // LocalStack's latencies say nothing of AWS's; the floor is the
        // same code on both backends.
        return;
    }
    let p = TestPortal::new().await;
    // Three links an hour per account (each request below sends one) and
    // fresh unknown addresses: both paths do all their work every time.
    const ACCOUNTS: usize = 60;
    for n in 0..ACCOUNTS {
        p.register(&format!("timing{n}@example.de")).await;
    }
    let timed = |email: String| {
        let p = &p;
        async move {
            let started = std::time::Instant::now();
            let (status, _) = forgot(p, &email).await;
            assert_eq!(status, 202);
            started.elapsed().as_secs_f64()
        }
    };
    for n in 0..10 {
        timed(format!("warm{n}@example.de")).await;
    }
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for round in 0..3 {
        for n in 0..ACCOUNTS {
            // Alternating, so load on the machine falls on both alike.
            known.push(timed(format!("timing{n}@example.de")).await);
            unknown.push(timed(format!("nobody{round}-{n}@example.de")).await);
        }
    }
    assert_eq!(link_mails(&p, "timing0@example.de").await.len(), 3, "every known request did send");
    // How well one request's time tells the two apart: 0.5 is a coin toss.
    // The bound is generous; before, a difference of 0.03 to 0.05 ms in the
    // medians gave 0.73 to 0.81, and without the answer floor (same work
    // only) still 0.58 to 0.81.
    let slower = chance_slower(&known, &unknown);
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2] * 1e3
    };
    let (k, u) = (median(&mut known), median(&mut unknown));
    println!("forgot: known slower in {slower:.2} of pairs; medians {k:.3} ms (known) vs {u:.3} ms (unknown)");
    assert!((0.3..=0.7).contains(&slower), "known slower in {slower:.2} of pairs; medians {k:.3} ms vs {u:.3} ms");
}
