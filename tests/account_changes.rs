//! The owner's own changes while signed in, through the real router
//! (embedded, and on LocalStack with `PORTAL_TEST_BACKEND=aws`): the mails'
//! language following the page's switch, a new password, a new email
//! address.

use acceptance::harness::{Enrolled, PASSWORD, TestPortal};
use acceptance::oidc_rp::{Rp, param};
use serde_json::{Value, json};

const EMAIL: &str = "anna@example.de";
const NEW_PASSWORD: &str = "Ganz-neu-und-lang-77";

async fn language(p: &TestPortal, session: Option<&str>, language: &str) -> (u16, Value) {
    p.call("PUT", "/api/account/language", session, Some(json!({ "language": language }))).await
}

/// The mails to `to`, oldest first.
async fn mails_to(p: &TestPortal, to: &str) -> Vec<Value> {
    p.outbox().await.into_iter().filter(|m| m["channel"] == "email" && m["to"] == to).collect()
}

fn subject(mail: &Value) -> &str {
    mail["subject"].as_str().unwrap()
}

/// Asks for a password-reset link and answers its mail's subject: the
/// mail the handler sends itself (the notices come from the projection).
async fn reset_mail_subject(p: &TestPortal) -> String {
    assert_eq!(p.call("POST", "/api/password/forgot", None, Some(json!({"email": EMAIL}))).await.0, 202);
    let mails = mails_to(p, EMAIL).await;
    let link = mails.iter().rfind(|m| m["body"].as_str().unwrap().contains("/reset-password?token="));
    subject(link.expect("a reset mail")).to_owned()
}

async fn event_types(p: &TestPortal) -> Vec<String> {
    p.events().await.into_iter().map(|e| e.record.event_type).collect()
}

// --- language ---------------------------------------------------------------

#[tokio::test]
async fn the_language_switch_sets_the_language_of_later_mails_once_and_idempotently() {
    let p = TestPortal::new().await;
    let e = p.enrolled(EMAIL).await;
    // Registered in English (no language given): the reset mail says so.
    assert!(reset_mail_subject(&p).await.ends_with(": Reset your password"));

    assert_eq!(language(&p, Some(&e.session), "de").await.0, 204);
    let written = event_types(&p).await;
    assert_eq!(written.iter().filter(|t| *t == "language_changed").count(), 1);
    assert_eq!(language(&p, Some(&e.session), "de").await.0, 204, "the same language again: the same answer");
    assert_eq!(event_types(&p).await, written, "and nothing written");
    let (_, account) = p.call("GET", "/api/account", Some(&e.session), None).await;
    assert_eq!(account["locale"], "de");

    assert!(reset_mail_subject(&p).await.ends_with(": Passwort zurücksetzen"));
    // A notice the projection sends follows it too.
    let body = json!({"name": "DAVx5", "verification": p.step_up(&e.secret)});
    assert_eq!(p.call("POST", "/api/app-passwords", Some(&e.session), Some(body)).await.0, 201);
    let mails = mails_to(&p, EMAIL).await;
    assert!(mails.iter().any(|m| subject(m).ends_with(": Neues App-Passwort „DAVx5“")), "{mails:?}");

    assert_eq!(language(&p, Some(&e.session), "en").await.0, 204);
    assert!(reset_mail_subject(&p).await.ends_with(": Reset your password"));
}

#[tokio::test]
async fn the_language_needs_a_session_and_a_known_language_and_a_refusal_writes_nothing() {
    let p = TestPortal::new().await;
    let e = p.enrolled(EMAIL).await;
    let before = event_types(&p).await;
    assert_eq!(language(&p, None, "de").await.0, 401);
    let mfa = p.mfa_token(EMAIL).await;
    let before = [before, vec!["password_passed".to_owned()]].concat();
    assert_eq!(language(&p, Some(&mfa), "de").await.0, 401, "an mfa token is no session");
    for bad in [json!({"language": "fr"}), json!({"language": 1}), json!({}), json!({"language": "de", "x": 1})] {
        let (status, body) = p.call("PUT", "/api/account/language", Some(&e.session), Some(bad.clone())).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")), "{bad}: {body}");
    }
    assert_eq!(event_types(&p).await, before);
}

// --- password ---------------------------------------------------------------

async fn change_password(p: &TestPortal, session: &str, body: Value) -> (u16, Value) {
    p.call("POST", "/api/account/password", Some(session), Some(body)).await
}

fn password_body(p: &TestPortal, e: &Enrolled, current: &str, new: &str) -> Value {
    json!({"current_password": current, "new_password": new, "verification": p.step_up(&e.secret)})
}

/// A second browser signed in with the app: its session token.
async fn second_browser(p: &TestPortal, secret: &[u8]) -> String {
    let token = p.mfa_token(EMAIL).await;
    p.next_step();
    let (status, body) = p.verify(&token, "totp", &p.code(secret, 0)).await;
    assert_eq!(status, 200, "{body}");
    body["session_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_new_password_ends_every_other_session_login_and_app_grant_keeps_the_caller_and_mails_the_owner() {
    let p = TestPortal::new().await;
    let rp = Rp::register(&p, false).await;
    let e = p.enrolled(EMAIL).await;
    assert_eq!(language(&p, Some(&e.session), "de").await.0, 204);
    let other = second_browser(&p, &e.secret).await;
    let (to, _) = rp.sign_in(&p, &other, &[]).await;
    let (status, tokens) = rp.exchange(&p, &param(&to, "code").unwrap()).await;
    assert_eq!(status, 200, "{tokens}");
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();
    let pending = p.mfa_token(EMAIL).await;

    let (status, body) = change_password(&p, &e.session, password_body(&p, &e, PASSWORD, NEW_PASSWORD)).await;
    assert_eq!(status, 200, "{body}");
    let kept = body["session_token"].as_str().unwrap();
    assert_eq!(p.call("GET", "/api/account", Some(kept), None).await.0, 200, "the caller stays signed in");
    assert_eq!(p.call("GET", "/api/account", Some(&other), None).await.0, 401, "the other browser is out");
    assert_eq!(p.call("GET", "/api/account", Some(&e.session), None).await.0, 401, "the old token is spent");
    p.next_step();
    assert_eq!(p.verify(&pending, "totp", &p.code(&e.secret, 0)).await.0, 401, "the pending login ended");
    let (status, refreshed) = rp.refresh(&p, &refresh_token).await;
    assert_eq!((status, refreshed["error"].as_str()), (400, Some("invalid_grant")), "the app's grant ended");

    assert_eq!(p.login(EMAIL, PASSWORD).await.0, 401, "the old password no longer signs in");
    let (status, login) = p.login(EMAIL, NEW_PASSWORD).await;
    assert_eq!((status, login["status"].as_str()), (200, Some("mfa_required")), "{login}");

    let mails = mails_to(&p, EMAIL).await;
    let notice = mails.iter().find(|m| subject(m).contains("Passwort wurde geändert")).expect("the owner is told");
    let body = notice["body"].as_str().unwrap();
    assert!(body.contains("in den Einstellungen geändert"), "in the account's language: {body}");
    assert!(!body.contains(NEW_PASSWORD) && !body.contains(PASSWORD), "never the password");
    let log = p.event_log_text().await;
    assert!(!log.contains(NEW_PASSWORD), "only the hash is stored");
    let (_, activity) = p.call("GET", "/api/account/activity", Some(kept), None).await;
    let kinds: Vec<&str> = activity["items"].as_array().unwrap().iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds[..2], ["password_failed", "password_changed"], "the old password's try, then the change");
}

#[tokio::test]
async fn a_password_change_is_refused_without_the_right_password_or_proof_or_with_a_weak_one_writing_only_failures() {
    let p = TestPortal::new().await;
    let e = p.enrolled(EMAIL).await;
    let before = event_types(&p).await;
    // Malformed input and a weak new password: 400, nothing written.
    let bad = [
        json!({"current_password": PASSWORD}),
        json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD, "extra": true}),
        json!({"current_password": PASSWORD, "new_password": 7}),
    ];
    for body in bad {
        let (status, answer) = change_password(&p, &e.session, body.clone()).await;
        assert_eq!((status, answer["error"].as_str()), (400, Some("invalid_request")), "{body}: {answer}");
    }
    let (status, answer) = change_password(&p, &e.session, password_body(&p, &e, PASSWORD, "password123")).await;
    assert_eq!((status, answer["error"].as_str()), (400, Some("invalid_request")), "{answer}");
    assert_eq!(answer["reason"], "password_well_known", "the field's reason, as at registration: {answer}");
    let (status, answer) = change_password(&p, &e.session, password_body(&p, &e, PASSWORD, "kurz")).await;
    assert_eq!((status, answer["reason"].as_str()), (400, Some("password_too_short")), "{answer}");
    // Without a proof: 401 verification_required, nothing written.
    let body = json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD});
    let (status, answer) = change_password(&p, &e.session, body).await;
    assert_eq!((status, answer["error"].as_str()), (401, Some("verification_required")), "{answer}");
    let body = json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD});
    assert_eq!(p.call("POST", "/api/account/password", None, Some(body)).await.0, 401, "no session");
    assert_eq!(event_types(&p).await, before, "no refusal so far wrote anything");

    // A wrong current password: 401 invalid_credentials, counted as at sign-in.
    let (status, answer) =
        change_password(&p, &e.session, password_body(&p, &e, "not the password", NEW_PASSWORD)).await;
    assert_eq!((status, answer["error"].as_str()), (401, Some("invalid_credentials")), "{answer}");
    assert_eq!(event_types(&p).await, [before.clone(), vec!["password_failed".to_owned()]].concat());
    // A wrong proof: counted toward the second factor's lockout.
    let wrong = json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD,
        "verification": {"method": "totp", "code": p.code(&e.secret, 10)}});
    let (status, answer) = change_password(&p, &e.session, wrong).await;
    assert_eq!((status, answer["error"].as_str()), (401, Some("invalid_code")), "{answer}");
    assert_eq!(event_types(&p).await.last().unwrap(), "second_factor_failed");
    // The password is unchanged, the session still live.
    assert_eq!(p.login(EMAIL, PASSWORD).await.0, 200);
    assert_eq!(p.call("GET", "/api/account", Some(&e.session), None).await.0, 200);
}

#[tokio::test]
async fn wrong_current_passwords_lock_the_sign_in_as_wrong_sign_ins_do() {
    let p = TestPortal::new().await;
    let e = p.enrolled(EMAIL).await;
    for attempt in 0..10 {
        let (status, answer) = change_password(&p, &e.session, password_body(&p, &e, "wrong", NEW_PASSWORD)).await;
        assert_eq!(status, 401, "attempt {attempt}: {answer}");
    }
    let (status, answer) = change_password(&p, &e.session, password_body(&p, &e, PASSWORD, NEW_PASSWORD)).await;
    assert_eq!((status, answer["error"].as_str()), (429, Some("too_many_attempts")), "{answer}");
    let (status, _) = p.login(EMAIL, PASSWORD).await;
    assert_eq!(status, 429, "the sign-in shares the lock");
}
