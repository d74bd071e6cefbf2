//! App passwords for CalDAV/CardDAV clients through the real router (and,
//! with `PORTAL_TEST_BACKEND=aws`, on LocalStack), plus the `dav_authorizer`
//! Lambda's decision on recorded API Gateway authorizer events.

use acceptance::conformance::{futures_join_all, sorted_statuses};
use acceptance::harness::{Enrolled, PASSWORD, TestPortal, basic_auth};
use functions::dav::{self, AuthorizerRequest};
use serde_json::{Value, json};
use time::Duration;

async fn create(p: &TestPortal, e: &Enrolled, name: &str) -> Value {
    let body = json!({"name": name, "verification": p.step_up(&e.secret)});
    let (status, body) = p.call("POST", "/api/app-passwords", Some(&e.session), Some(body)).await;
    assert_eq!(status, 201, "{body}");
    body
}

async fn dav_auth(p: &TestPortal, authorization: &str) -> (u16, Value) {
    p.send("GET", "/api/dav/auth", &[("authorization", authorization)], Vec::new()).await
}

async fn list(p: &TestPortal, session: &str) -> Vec<Value> {
    let (status, body) = p.call("GET", "/api/app-passwords", Some(session), None).await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn create_use_list_and_revoke_an_app_password() {
    let p = TestPortal::new().await;
    let email = "anna@example.de";
    let e = p.enrolled(email).await;
    let created = create(&p, &e, "  Thunderbird calendar ").await;
    let password = created["password"].as_str().unwrap();
    assert_eq!(password.len(), 28);
    assert!(password.bytes().all(|b| b.is_ascii_lowercase()), "{password}");
    assert_eq!(created["password_grouped"].as_str().unwrap().replace(' ', ""), password);
    assert_eq!(
        (created["name"].as_str(), created["username"].as_str()),
        (Some("Thunderbird calendar"), Some(email)),
        "{created}"
    );
    let id = created["id"].as_str().unwrap().to_owned();

    let items = list(&p, &e.session).await;
    assert_eq!(items.len(), 1);
    assert_eq!((items[0]["id"].as_str(), items[0]["name"].as_str()), (Some(id.as_str()), Some("Thunderbird calendar")));
    assert!(items[0]["created_at"].is_string());
    assert!(items[0]["last_used_at"].is_null(), "not used yet");

    let (status, body) = dav_auth(&p, &basic_auth(email, password)).await;
    assert_eq!(status, 200, "{body}");
    let (_, account) = p.call("GET", "/api/account", Some(&e.session), None).await;
    assert_eq!(body["user_id"], account["user_id"]);
    assert_eq!(account["app_passwords"][0]["name"], "Thunderbird calendar");
    // As shown (groups), in capitals, with the email in another spelling.
    let shown = created["password_grouped"].as_str().unwrap().to_uppercase();
    assert_eq!(dav_auth(&p, &basic_auth(" ANNA@example.de", &shown)).await.0, 200);
    assert!(list(&p, &e.session).await[0]["last_used_at"].is_string(), "the use is recorded");

    let (status, _) = p.call("DELETE", &format!("/api/app-passwords/{id}"), Some(&e.session), None).await;
    assert_eq!(status, 204);
    let (status, body) = dav_auth(&p, &basic_auth(email, password)).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_credentials")), "revoked: stops at once");
    assert!(list(&p, &e.session).await.is_empty());
    let (status, _) = p.call("DELETE", &format!("/api/app-passwords/{id}"), Some(&e.session), None).await;
    assert_eq!(status, 404);
    let (status, _) = p.call("DELETE", "/api/app-passwords/not-a-uuid", Some(&e.session), None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn only_app_passwords_work_for_dav_and_never_at_login() {
    let p = TestPortal::new().await;
    let email = "anna@example.de";
    let e = p.enrolled(email).await;
    let password = create(&p, &e, "DAVx5").await["password"].as_str().unwrap().to_owned();
    let (status, headers, _) =
        p.send_full("GET", "/api/dav/auth", &[("authorization", &basic_auth(email, PASSWORD))], Vec::new()).await;
    assert_eq!(status, 401, "the account password does not work for DAV");
    let challenge = headers.get("www-authenticate").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(challenge.starts_with("Basic realm="), "a DAV client is asked for credentials: {challenge:?}");
    let (status, body) = p.login(email, &password).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_credentials")), "an app password never logs in");
    let other = p.enrolled("bert@example.de").await;
    let others = create(&p, &other, "Bert's phone").await["password"].as_str().unwrap().to_owned();
    assert_eq!(dav_auth(&p, &basic_auth(email, &others)).await.0, 401, "another account's app password");
    for bad in ["", "Basic", "Bearer x", "Basic !!", &basic_auth("nobody@example.de", &password)] {
        assert_eq!(dav_auth(&p, bad).await.0, 401, "{bad:?}");
    }
    assert_eq!(p.send("GET", "/api/dav/auth", &[], Vec::new()).await.0, 401);
}

#[tokio::test]
async fn creating_needs_a_session_and_a_sane_name() {
    let p = TestPortal::new().await;
    p.enrolled("anna@example.de").await;
    let mfa = p.mfa_token("anna@example.de").await;
    let e = p.enrolled("bert@example.de").await;
    let before = p.event_count().await;
    for token in [None, Some(mfa.as_str()), Some("v1.forged.token")] {
        let (status, _) = p.call("POST", "/api/app-passwords", token, Some(json!({"name": "x"}))).await;
        assert_eq!(status, 401, "{token:?}");
        assert_eq!(p.call("GET", "/api/app-passwords", token, None).await.0, 401);
    }
    for name in ["", "   ", &"x".repeat(65), "line\nbreak"] {
        let (status, body) = p.call("POST", "/api/app-passwords", Some(&e.session), Some(json!({"name": name}))).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")), "{name:?}");
    }
    assert_eq!(p.event_count().await, before, "nothing written");
}

#[tokio::test]
async fn a_session_alone_creates_no_app_password_and_one_proof_creates_one() {
    let p = TestPortal::new().await;
    let e = p.enrolled("anna@example.de").await;
    let before = p.event_count().await;
    let (status, body) =
        p.call("POST", "/api/app-passwords", Some(&e.session), Some(json!({"name": "Calendar"}))).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("verification_required")), "{body}");
    assert!(body.get("password").is_none());
    assert_eq!(p.event_count().await, before, "nothing written");
    // One proof, sent ten times at once, creates one app password.
    let body = json!({"name": "Calendar", "verification": p.step_up(&e.secret)});
    let results =
        futures_join_all((0..10).map(|_| p.call("POST", "/api/app-passwords", Some(&e.session), Some(body.clone()))))
            .await;
    let statuses: Vec<u16> = results.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 9, "{statuses:?}");
    assert_eq!(list(&p, &e.session).await.len(), 1);
}

#[tokio::test]
async fn dav_failures_back_off_per_account_without_locking_the_web_login() {
    let p = TestPortal::new().await;
    let email = "anna@example.de";
    let e = p.enrolled(email).await;
    let password = create(&p, &e, "Calendar").await["password"].as_str().unwrap().to_owned();
    let wrong = "a".repeat(28);
    for i in 0..10 {
        assert_eq!(dav_auth(&p, &basic_auth(email, &wrong)).await.0, 401, "failure {i}");
    }
    // Ten failures earn the first lock (a minute), as for passwords.
    let (status, body) = dav_auth(&p, &basic_auth(email, &password)).await;
    assert_eq!((status, body["error"].as_str()), (429, Some("too_many_attempts")), "even the right one while locked");
    assert!(body["retry_after"].as_u64().unwrap() > 0);
    // The web login is counted apart and still works.
    let (status, login) = p.login(email, PASSWORD).await;
    assert_eq!((status, login["status"].as_str()), (200, Some("mfa_required")));
    p.clock.advance(Duration::seconds(61));
    assert_eq!(dav_auth(&p, &basic_auth(email, &password)).await.0, 200, "after the lock");
    // A success ends the run of failures: one more wrong one is not locked.
    assert_eq!(dav_auth(&p, &basic_auth(email, &wrong)).await.0, 401);
    assert_eq!(dav_auth(&p, &basic_auth(email, &password)).await.0, 200);
}

#[tokio::test]
async fn unknown_emails_answer_and_lock_like_known_ones() {
    let p = TestPortal::new().await;
    p.enrolled("anna@example.de").await;
    let wrong = "b".repeat(28);
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..12 {
        known.push(dav_auth(&p, &basic_auth("anna@example.de", &wrong)).await);
        unknown.push(dav_auth(&p, &basic_auth("nobody@example.de", &wrong)).await);
    }
    let shape = |r: &Vec<(u16, Value)>| {
        r.iter()
            .map(|(s, b)| (*s, b["error"].clone(), b["message"].clone(), b["retry_after"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(shape(&known), shape(&unknown));
    assert_eq!(known.last().unwrap().0, 429);
}

/// The statuses of `n` parallel DAV authentications, sorted.
async fn parallel_dav_auths(p: &TestPortal, authorization: &str, n: usize) -> Vec<u16> {
    sorted_statuses((0..n).map(|_| dav_auth(p, authorization))).await
}

#[tokio::test]
async fn parallel_failures_lock_alike_for_known_and_unknown_emails() {
    let p = TestPortal::new().await;
    let wrong = "c".repeat(28);
    for trial in 0..3 {
        let (known, unknown) = (format!("known{trial}@example.de"), format!("unknown{trial}@example.de"));
        p.register(&known).await;
        let known = parallel_dav_auths(&p, &basic_auth(&known, &wrong), 15).await;
        let unknown = parallel_dav_auths(&p, &basic_auth(&unknown, &wrong), 15).await;
        assert_eq!(known, unknown, "trial {trial}: a race must not reveal that an account exists");
        // Counted as the lock demands: ten failures, then refused.
        assert_eq!(known, [[401; 10].as_slice(), &[429; 5]].concat(), "trial {trial}");
    }
}

#[tokio::test]
async fn dav_use_writes_no_events_and_last_used_at_most_every_five_minutes() {
    let p = TestPortal::new().await;
    let email = "anna@example.de";
    let e = p.enrolled(email).await;
    let password = create(&p, &e, "Calendar").await["password"].as_str().unwrap().to_owned();
    let first_use = p.now();
    assert_eq!(dav_auth(&p, &basic_auth(email, &password)).await.0, 200);
    let events = p.event_count().await;
    let last_used = || async { list(&p, &e.session).await[0]["last_used_at"].as_str().unwrap().to_owned() };
    let recorded = last_used().await;
    assert_eq!(recorded, functions::time_fmt::rfc3339(first_use));
    // A client syncing every minute for four minutes: no event, no newer time.
    for _ in 0..4 {
        p.clock.advance(Duration::minutes(1));
        for _ in 0..5 {
            assert_eq!(dav_auth(&p, &basic_auth(email, &password)).await.0, 200);
        }
    }
    assert_eq!(p.event_count().await, events, "DAV requests do not grow the event log");
    assert_eq!(last_used().await, recorded, "within five minutes nothing is written");
    p.clock.advance(Duration::minutes(1));
    assert_eq!(dav_auth(&p, &basic_auth(email, &password)).await.0, 200);
    assert_eq!(last_used().await, functions::time_fmt::rfc3339(p.now()), "five minutes on, the time moves");
    assert_eq!(p.event_count().await, events);
}

#[tokio::test]
async fn the_owner_is_emailed_and_the_password_is_stored_nowhere_in_plaintext() {
    let p = TestPortal::new().await;
    let email = "anna@example.de";
    let e = p.enrolled(email).await;
    let created = create(&p, &e, "Thunderbird calendar").await;
    let password = created["password"].as_str().unwrap();
    let mails = p.outbox().await;
    let mail = mails
        .iter()
        .find(|m| m["to"] == email && m["subject"].as_str().unwrap().contains("Thunderbird calendar"))
        .unwrap_or_else(|| panic!("no mail about the app password: {mails:?}"));
    let text = format!("{mail}");
    assert!(!text.contains(password) && !text.contains(created["password_grouped"].as_str().unwrap()));
    let log = p.event_log_text().await;
    assert!(log.contains("app_password_created"));
    assert!(!log.contains(password), "no app password in events or views");
    // The mail goes out once, however often the projection runs.
    p.project().await;
    let again = p.outbox().await.iter().filter(|m| m["subject"] == mail["subject"]).count();
    assert_eq!(again, 1);
}

// --- the dav_authorizer Lambda ----------------------------------------------

fn recorded_authorizer_event(authorization: &str) -> AuthorizerRequest {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/apigw_authorizer_v2.json"))
        .unwrap()
        .replace("AUTHORIZATION", authorization);
    serde_json::from_str(&text).expect("the recorded event deserialises")
}

#[tokio::test]
async fn the_authorizer_allows_app_passwords_with_the_user_id_and_denies_the_rest() {
    let p = TestPortal::new().await;
    let email = "anna@example.de";
    let e = p.enrolled(email).await;
    let created = create(&p, &e, "DAVx5").await;
    let password = created["password"].as_str().unwrap();
    let (_, account) = p.call("GET", "/api/account", Some(&e.session), None).await;

    let allowed = dav::authorize(p.app(), &recorded_authorizer_event(&basic_auth(email, password)), p.now()).await;
    assert_eq!(
        serde_json::to_value(&allowed).unwrap(),
        json!({"isAuthorized": true, "context": {"user_id": account["user_id"], "app_password_id": created["id"]}}),
        "the HTTP API simple response format"
    );
    for denied in [basic_auth(email, PASSWORD), basic_auth(email, &"c".repeat(28)), "Bearer x".into(), String::new()] {
        let response = dav::authorize(p.app(), &recorded_authorizer_event(&denied), p.now()).await;
        assert_eq!(
            serde_json::to_value(&response).unwrap(),
            json!({"isAuthorized": false, "context": {}}),
            "{denied:?}"
        );
    }
    // Without the header, the identity source is used.
    let mut event = recorded_authorizer_event(&basic_auth(email, password));
    event.headers.remove("authorization");
    assert!(dav::authorize(p.app(), &event, p.now()).await.is_authorized);
    let id = created["id"].as_str().unwrap();
    assert_eq!(p.call("DELETE", &format!("/api/app-passwords/{id}"), Some(&e.session), None).await.0, 204);
    assert!(
        !dav::authorize(p.app(), &recorded_authorizer_event(&basic_auth(email, password)), p.now()).await.is_authorized
    );
}
