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

// --- email ------------------------------------------------------------------

const NEW_EMAIL: &str = "anna.neu@example.de";

async fn ask_email_change(p: &TestPortal, e: &Enrolled, new_email: &str) -> (u16, Value) {
    let body = json!({"new_email": new_email, "verification": p.step_up(&e.secret)});
    p.call("POST", "/api/account/email", Some(&e.session), Some(body)).await
}

/// The token of the newest email-change link mailed to `to`.
async fn email_token(p: &TestPortal, to: &str) -> String {
    let mails = mails_to(p, to).await;
    let body = mails
        .iter()
        .rev()
        .map(|m| m["body"].as_str().unwrap())
        .find(|b| b.contains("/confirm-email?token="))
        .unwrap_or_else(|| panic!("no email-change link to {to}: {mails:?}"));
    let link = body.split_whitespace().find(|w| w.contains("/confirm-email?token=")).unwrap();
    assert!(link.starts_with("http://portal.test/confirm-email?token="), "built from the public address: {link}");
    link.split_once("?token=").unwrap().1.to_owned()
}

async fn confirm_email(p: &TestPortal, token: &str) -> (u16, Value) {
    p.call("POST", "/api/account/email/confirm", None, Some(json!({ "token": token }))).await
}

#[tokio::test]
async fn a_new_address_is_confirmed_by_its_link_then_signs_in_while_the_old_one_is_told_and_does_not() {
    let p = TestPortal::new().await;
    let rp = Rp::register(&p, false).await;
    let e = p.enrolled(EMAIL).await;
    let (status, body) = ask_email_change(&p, &e, " Anna.Neu@Example.DE ").await;
    assert_eq!((status, body["expires_in"].as_i64()), (202, Some(3600)), "{body}");
    let token = email_token(&p, NEW_EMAIL).await;
    // Nothing changed yet: the old address still signs in, the new one not.
    assert_eq!(p.login(EMAIL, PASSWORD).await.0, 200);
    assert_eq!(p.login(NEW_EMAIL, PASSWORD).await.0, 401);

    let (status, body) = confirm_email(&p, &token).await;
    assert_eq!((status, body), (200, json!({"email": NEW_EMAIL})));
    let (status, login) = p.login(NEW_EMAIL, PASSWORD).await;
    assert_eq!((status, login["status"].as_str()), (200, Some("mfa_required")), "{login}");
    assert_eq!(p.login(EMAIL, PASSWORD).await.0, 401, "the old address no longer signs in");
    assert_eq!(confirm_email(&p, &token).await.0, 400, "the link works once");

    // The old address is told, in the account's language, and names the new one.
    let told: Vec<Value> =
        mails_to(&p, EMAIL).await.into_iter().filter(|m| subject(m).contains("email address was changed")).collect();
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0]["body"].as_str().unwrap().contains(NEW_EMAIL));
    // The session goes on, with the new address; apps see it too.
    let (_, account) = p.call("GET", "/api/account", Some(&e.session), None).await;
    assert_eq!(account["email"], NEW_EMAIL);
    let (to, _) = rp.sign_in(&p, &e.session, &[]).await;
    let (status, tokens) = rp.exchange(&p, &param(&to, "code").unwrap()).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(acceptance::oidc_rp::claims(tokens["id_token"].as_str().unwrap())["email"], NEW_EMAIL);
    let (status, info) = acceptance::oidc_rp::userinfo(&p, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!((status, &info["email"]), (200, &json!(NEW_EMAIL)));
    // The old address is free again: it registers a new account.
    p.register(EMAIL).await;
    let (_, activity) = p.call("GET", "/api/account/activity", Some(&e.session), None).await;
    let kinds: Vec<&str> = activity["items"].as_array().unwrap().iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"email_changed") && kinds.contains(&"email_change_requested"), "{kinds:?}");
    assert!(!p.event_log_text().await.contains(&token), "only the token's hash is stored");
}

#[tokio::test]
async fn an_email_change_is_refused_for_a_taken_or_bad_address_or_without_a_proof_and_writes_nothing() {
    let p = TestPortal::new().await;
    let e = p.enrolled(EMAIL).await;
    p.register(NEW_EMAIL).await;
    let before = event_types(&p).await;
    // Taken: registration's answer, no more.
    let (status, body) = ask_email_change(&p, &e, NEW_EMAIL).await;
    let (reg_status, registered) = p
        .call("POST", "/api/register", None, Some(json!({"email": NEW_EMAIL, "password": PASSWORD, "name": "X"})))
        .await;
    assert_eq!((status, &body["error"]), (reg_status, &registered["error"]), "{body} / {registered}");
    assert_eq!(status, 409);
    for bad in ["not an address", ""] {
        let (status, body) = ask_email_change(&p, &e, bad).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")), "{body}");
    }
    let (status, body) = ask_email_change(&p, &e, EMAIL).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")), "its own address: {body}");
    let no_proof = json!({"new_email": "frei@example.de"});
    let (status, body) = p.call("POST", "/api/account/email", Some(&e.session), Some(no_proof.clone())).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("verification_required")), "{body}");
    assert_eq!(p.call("POST", "/api/account/email", None, Some(no_proof)).await.0, 401, "no session");
    let extra = json!({"new_email": "frei@example.de", "verification": p.step_up(&e.secret), "x": 1});
    assert_eq!(p.call("POST", "/api/account/email", Some(&e.session), Some(extra)).await.0, 400);
    // Links that are no links.
    for token in [String::new(), "abc".into(), "A".repeat(64), "A".repeat(300)] {
        let (status, body) = confirm_email(&p, &token).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_token")), "{token}: {body}");
    }
    assert_eq!(p.call("POST", "/api/account/email/confirm", None, Some(json!({}))).await.0, 400);
    assert_eq!(event_types(&p).await, before, "no refusal wrote anything");
    assert!(mails_to(&p, "frei@example.de").await.is_empty());
}

#[tokio::test]
async fn a_newer_link_voids_the_older_and_an_expired_one_is_refused() {
    let p = TestPortal::new().await;
    let e = p.enrolled(EMAIL).await;
    assert_eq!(ask_email_change(&p, &e, NEW_EMAIL).await.0, 202);
    let first = email_token(&p, NEW_EMAIL).await;
    assert_eq!(ask_email_change(&p, &e, "anna.drei@example.de").await.0, 202);
    let second = email_token(&p, "anna.drei@example.de").await;
    assert_eq!(confirm_email(&p, &first).await.0, 400, "replaced by the newer link");
    p.clock.advance(time::Duration::minutes(61));
    assert_eq!(confirm_email(&p, &second).await.0, 400, "expired after an hour");
    let (_, account) = p.call("GET", "/api/account", Some(&e.session), None).await;
    assert_eq!(account["email"], EMAIL);
}

#[tokio::test]
async fn of_two_accounts_confirming_one_new_address_at_once_exactly_one_gets_it() {
    let p = TestPortal::new().await;
    let a = p.enrolled(EMAIL).await;
    let b = p.enrolled("berta@example.de").await;
    assert_eq!(ask_email_change(&p, &a, NEW_EMAIL).await.0, 202);
    let token_a = email_token(&p, NEW_EMAIL).await;
    assert_eq!(ask_email_change(&p, &b, NEW_EMAIL).await.0, 202);
    let token_b = email_token(&p, NEW_EMAIL).await;
    assert_ne!(token_a, token_b);
    let (ra, rb) = tokio::join!(confirm_email(&p, &token_a), confirm_email(&p, &token_b));
    let statuses = [ra.0, rb.0];
    assert!(
        statuses.contains(&200) && statuses.contains(&409),
        "one wins, the other is told it is taken: {ra:?} {rb:?}"
    );
    let (winner, loser) = if ra.0 == 200 { (EMAIL, "berta@example.de") } else { ("berta@example.de", EMAIL) };
    // The address signs in to the winner only; each old address is where it should be.
    let (_, login) = p.login(NEW_EMAIL, PASSWORD).await;
    assert_eq!(login["status"], "mfa_required");
    assert_eq!(p.login(winner, PASSWORD).await.0, 401, "the winner's old address is released");
    assert_eq!(p.login(loser, PASSWORD).await.0, 200, "the loser keeps its address");
    let changed = p.events().await.iter().filter(|ev| ev.record.event_type == "email_changed").count();
    assert_eq!(changed, 1, "the loser wrote nothing");
}

#[tokio::test]
async fn of_two_confirmations_of_one_link_at_once_exactly_one_counts() {
    let p = TestPortal::new().await;
    let e = p.enrolled(EMAIL).await;
    assert_eq!(ask_email_change(&p, &e, NEW_EMAIL).await.0, 202);
    let token = email_token(&p, NEW_EMAIL).await;
    let (first, second) = tokio::join!(confirm_email(&p, &token), confirm_email(&p, &token));
    let mut statuses = [first.0, second.0];
    statuses.sort();
    assert_eq!(statuses, [200, 400], "{first:?} {second:?}");
    let changed = p.events().await.iter().filter(|ev| ev.record.event_type == "email_changed").count();
    assert_eq!(changed, 1);
    assert_eq!(p.login(NEW_EMAIL, PASSWORD).await.0, 200);
}
