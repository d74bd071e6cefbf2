//! User names (issue 17): chosen at registration or in Settings, unique
//! without regard to case, signing in like the email (same enumeration and
//! lockout rules), and the OpenID Connect `preferred_username`. Runs on
//! both backends (LocalStack: `tests/run`).

use acceptance::conformance::futures_join_all;
use acceptance::harness::{PASSWORD, TestPortal};
use acceptance::oidc_rp::{REDIRECT, Rp, claims, param, userinfo};
use serde_json::{Value, json};
use time::Duration;

async fn register(p: &TestPortal, email: &str, username: &str) -> (u16, Value) {
    let body = json!({"email": email, "password": PASSWORD, "name": "Anna Muster", "username": username});
    p.call("POST", "/api/register", None, Some(body)).await
}

async fn choose(p: &TestPortal, session: &str, username: &str) -> (u16, Value) {
    p.call("PUT", "/api/account/username", Some(session), Some(json!({ "username": username }))).await
}

async fn session_of(p: &TestPortal, email: &str) -> String {
    let (status, body) = p.login(email, PASSWORD).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("authenticated")), "{body}");
    body["session_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_user_name_chosen_at_registration_signs_in_in_any_case() {
    let p = TestPortal::new().await;
    assert_eq!(register(&p, "anna@example.de", " Anna.M ").await.0, 201);
    let (status, body) = p.login("anna.m", PASSWORD).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("authenticated")), "{body}");
    let session = body["session_token"].as_str().unwrap();
    let (_, account) = p.call("GET", "/api/account", Some(session), None).await;
    assert_eq!(account["username"], "Anna.M", "kept as chosen, trimmed");
    assert_eq!(p.login("ANNA.M", PASSWORD).await.1["status"], "mfa_setup_required");
    // The email signs in as before.
    assert_eq!(p.login("anna@example.de", PASSWORD).await.0, 200);
}

#[tokio::test]
async fn a_taken_user_name_is_refused_in_any_case_and_nothing_is_written() {
    let p = TestPortal::new().await;
    assert_eq!(register(&p, "anna@example.de", "anna.m").await.0, 201);
    let before = p.event_count().await;
    let (status, body) = register(&p, "ben@example.de", "ANNA.M").await;
    assert_eq!((status, body["error"].as_str()), (409, Some("username_taken")), "{body}");
    assert_eq!(p.event_count().await, before, "no account made");
    assert_eq!(p.login("ben@example.de", PASSWORD).await.0, 401, "no account for ben");

    // In Settings too; the owner may change the case of their own.
    p.register("ben@example.de").await;
    let ben = session_of(&p, "ben@example.de").await;
    let (status, body) = choose(&p, &ben, "Anna.M").await;
    assert_eq!((status, body["error"].as_str()), (409, Some("username_taken")), "{body}");
    let anna = session_of(&p, "anna@example.de").await;
    assert_eq!(choose(&p, &anna, "Anna.M").await, (200, json!({"username": "Anna.M"})));
    assert_eq!(p.call("GET", "/api/account", Some(&anna), None).await.1["username"], "Anna.M");
}

#[tokio::test]
async fn bad_user_names_are_refused_with_the_rule_and_nothing_is_written() {
    let p = TestPortal::new().await;
    p.register("anna@example.de").await;
    let session = session_of(&p, "anna@example.de").await;
    let before = p.event_count().await;
    for bad in ["ab", "anna@example.de", "anna muster", "аnna", ".anna", &"x".repeat(33)] {
        let (status, body) = choose(&p, &session, bad).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")), "{bad:?}: {body}");
        assert!(body["message"].as_str().unwrap().contains("user name"), "{body}");
        let (status, _) = register(&p, &format!("new{}@example.de", bad.len()), bad).await;
        assert_eq!(status, 400, "{bad:?} at registration");
    }
    for body in [json!({}), json!({"username": 5}), json!({"username": "anna.m", "x": 1})] {
        let (status, reply) = p.call("PUT", "/api/account/username", Some(&session), Some(body.clone())).await;
        assert_eq!((status, reply["error"].as_str()), (400, Some("invalid_request")), "{body}");
    }
    assert_eq!(choose(&p, "garbage", "anna.m").await.0, 401);
    assert_eq!(p.event_count().await, before, "nothing written");
}

#[tokio::test]
async fn two_accounts_choosing_one_name_at_once_one_gets_it() {
    let p = TestPortal::new().await;
    let mut sessions = Vec::new();
    for i in 0..4 {
        let email = format!("racer{i}@example.de");
        p.register(&email).await;
        sessions.push(session_of(&p, &email).await);
    }
    let results = futures_join_all(sessions.iter().map(|s| choose(&p, s, "Winner"))).await;
    let mut statuses: Vec<u16> = results.iter().map(|(s, _)| *s).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, vec![200, 409, 409, 409], "{results:?}");
}

#[tokio::test]
async fn a_changed_user_name_is_released_at_once_and_no_longer_signs_in() {
    let p = TestPortal::new().await;
    assert_eq!(register(&p, "anna@example.de", "anna.old").await.0, 201);
    let session = session_of(&p, "anna@example.de").await;
    assert_eq!(choose(&p, &session, "anna.new").await.0, 200);
    assert_eq!(p.login("anna.new", PASSWORD).await.0, 200);
    let old = p.login("anna.old", PASSWORD).await;
    let unknown = p.login("never.was", PASSWORD).await;
    assert_eq!(old, unknown, "the old name answers as an unknown one");
    // Released in the same append: another account may take it now, and
    // then it signs in there.
    assert_eq!(register(&p, "ben@example.de", "Anna.Old").await.0, 201);
    assert_eq!(p.login("anna.old", PASSWORD).await.1["status"], "authenticated", "ben's first sign-in");
    let (_, ben) = p.login("anna.old", PASSWORD).await;
    assert_eq!(ben["status"], "mfa_setup_required");
    let (status, body) = choose(&p, &session, "anna.old").await;
    assert_eq!((status, body["error"].as_str()), (409, Some("username_taken")), "anna cannot take it back");
    // The claim is under a keyed key: no store keeps a name as a key.
    let keyed = p.app.username_claim("anna.old");
    assert!(!keyed.contains("anna"), "{keyed}");
    let ben_id = p.app.account_for_address("ben@example.de").await.unwrap().unwrap();
    assert_eq!(p.app.store.claim_owner(&keyed).await.unwrap(), Some(format!("account#{ben_id}")));
    assert_eq!(p.app.store.claim_owner("username#anna.old").await.unwrap(), None);
}

#[tokio::test]
async fn an_unknown_user_name_answers_exactly_like_an_unknown_email_and_a_wrong_password() {
    let p = TestPortal::new().await;
    assert_eq!(register(&p, "known@example.de", "known.one").await.0, 201);
    let before = p.app.passwords.verifications();
    let unknown_name = p.login("nobody.here", "Whatever-123").await;
    let after_name = p.app.passwords.verifications();
    let unknown_email = p.login("nobody@example.de", "Whatever-123").await;
    let wrong = p.login("known.one", "Whatever-123").await;
    assert_eq!(unknown_name, unknown_email);
    assert_eq!(unknown_name, wrong);
    assert_eq!(unknown_name.0, 401);
    assert_eq!(after_name - before, 1, "one argon2 verification for an unknown user name");
    // Ten failures lock an unknown name as they lock an account.
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..11 {
        known.push(p.login("KNOWN.ONE", "Wrong-password-1").await);
        unknown.push(p.login("NOBODY.HERE", "Wrong-password-1").await);
    }
    // "nobody.here" failed once above, "known.one" once too: the 10th locks both.
    assert_eq!(known, unknown, "a lockout must not tell a user name that exists");
    assert!(known[9..].iter().all(|(s, b)| *s == 429 && b["retry_after"].is_i64()), "{:?}", known[9]);
}

#[tokio::test]
async fn failures_by_user_name_and_by_email_count_toward_one_lockout() {
    let p = TestPortal::new().await;
    assert_eq!(register(&p, "anna@example.de", "anna.m").await.0, 201);
    for i in 0..10 {
        let who = if i % 2 == 0 { "anna.m" } else { "ANNA@example.de" };
        assert_eq!(p.login(who, "Wrong-password-1").await.0, 401, "failure {i} by {who}");
    }
    for who in ["anna.m", "anna@example.de"] {
        let (status, body) = p.login(who, PASSWORD).await;
        assert_eq!((status, body["error"].as_str()), (429, Some("too_many_attempts")), "{who}: {body}");
    }
    p.clock.advance(Duration::seconds(61));
    assert_eq!(p.login("anna.m", PASSWORD).await.0, 200);
}

#[tokio::test]
async fn the_user_name_is_the_preferred_username_of_the_id_token_and_userinfo() {
    let p = TestPortal::new().await;
    let rp = Rp::register(&p, false).await;
    let (status, discovery) = p.call("GET", "/.well-known/openid-configuration", None, None).await;
    assert_eq!(status, 200);
    assert!(discovery["claims_supported"].as_array().unwrap().contains(&json!("preferred_username")), "{discovery}");

    let e = p.enrolled("anna@example.de").await;
    assert_eq!(choose(&p, &e.session, "Anna.M").await.0, 200);
    let (to, _) = rp.sign_in(&p, &e.session, &[]).await;
    assert!(to.starts_with(&format!("{REDIRECT}?code=")), "{to}");
    let (status, tokens) = rp.exchange(&p, &param(&to, "code").unwrap()).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(claims(tokens["id_token"].as_str().unwrap())["preferred_username"], "Anna.M");
    let (status, info) = userinfo(&p, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!((status, &info["preferred_username"]), (200, &json!("Anna.M")), "{info}");

    // Without a user name there is no such claim.
    let other = p.enrolled("ben@example.de").await;
    let (to, _) = rp.sign_in(&p, &other.session, &[]).await;
    let (_, tokens) = rp.exchange(&p, &param(&to, "code").unwrap()).await;
    let (_, info) = userinfo(&p, tokens["access_token"].as_str().unwrap()).await;
    assert!(info.get("preferred_username").is_none(), "{info}");
}
