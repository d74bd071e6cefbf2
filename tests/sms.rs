//! SMS as a second factor through the real router: setup, login, resend
//! spacing, the limits against SMS pumping, lockout, single use under
//! concurrency, changing and removing the number. Codes are read where a
//! phone would get them: the local outbox, or LocalStack's SNS capture.

use acceptance::conformance::futures_join_all;
use acceptance::harness::{PASSWORD, TestPortal, cheap_passwords, settings, unique_phone};
use serde_json::{Value, json};
use time::Duration;

/// Registers, uses the first login, and returns a fresh mfa token that owes
/// a setup.
async fn owing_setup(p: &TestPortal, email: &str) -> String {
    p.register(email).await;
    let (_, first) = p.login(email, PASSWORD).await;
    assert_eq!(first["status"], "authenticated");
    p.mfa_token(email).await
}

async fn setup(p: &TestPortal, token: &str, phone: &str) -> (u16, Value) {
    p.call("POST", "/api/mfa/sms/setup", Some(token), Some(json!({ "phone": phone }))).await
}

/// An account whose second factor is SMS to `phone`; returns the session.
async fn with_sms(p: &TestPortal, email: &str, phone: &str) -> String {
    let token = owing_setup(p, email).await;
    let (status, body) = setup(p, &token, phone).await;
    assert_eq!(status, 202, "{body}");
    let code = p.sms_code(phone).await;
    let (status, body) = p.call("POST", "/api/mfa/sms/confirm", Some(&token), Some(json!({ "code": code }))).await;
    assert_eq!(status, 200, "{body}");
    body["session_token"].as_str().unwrap().to_owned()
}

async fn send(p: &TestPortal, token: &str) -> (u16, Value) {
    p.call("POST", "/api/mfa/sms/send", Some(token), None).await
}

#[tokio::test]
async fn set_up_sms_then_log_in_with_a_code_by_sms() {
    let p = TestPortal::new().await;
    let phone = unique_phone();
    let token = owing_setup(&p, "sms@example.de").await;
    let (_, login) = p.login("sms@example.de", PASSWORD).await;
    assert_eq!(login["methods"], json!(["totp", "sms"]));
    let (status, sent) = setup(&p, &token, &format!("{} {}", &phone[..6], &phone[6..])).await;
    assert_eq!((status, sent["expires_in"].as_i64(), sent["resend_after"].as_i64()), (202, Some(300), Some(60)));
    assert_eq!(sent["masked_phone"], format!("+49 151 ••••{}", &phone[phone.len() - 4..]));
    let texts = p.sms_to(&phone).await;
    assert_eq!(texts.len(), 1);
    assert!(texts[0].starts_with("Your Acme Portal code: ") && texts[0].contains("Do not share it"), "{}", texts[0]);
    assert!(texts[0].ends_with(&format!("@portal.test #{}", p.sms_code(&phone).await)), "{}", texts[0]);
    let code = p.sms_code(&phone).await;
    let (status, confirmed) = p.call("POST", "/api/mfa/sms/confirm", Some(&token), Some(json!({ "code": code }))).await;
    assert_eq!(status, 200, "{confirmed}");
    assert_eq!(confirmed["recovery_codes"].as_array().unwrap().len(), 10);
    let session = confirmed["session_token"].as_str().unwrap();
    let (_, account) = p.call("GET", "/api/account", Some(session), None).await;
    assert_eq!(account["mfa"]["sms"], sent["masked_phone"]);
    assert_eq!(account["mfa"]["totp"], false);
    let mails = p.outbox().await;
    assert!(mails.iter().any(|m| m["subject"] == "Acme Portal: SMS set up as second factor"), "{mails:?}");

    p.clock.advance(Duration::minutes(2));
    let (status, login) = p.login("sms@example.de", PASSWORD).await;
    assert_eq!((status, login["status"].as_str()), (200, Some("mfa_required")));
    assert_eq!(login["methods"], json!(["sms", "recovery_code"]));
    let mfa = login["mfa_token"].as_str().unwrap();
    let (status, _) = send(&p, mfa).await;
    assert_eq!(status, 202);
    let code = p.sms_code(&phone).await;
    assert_eq!(p.verify(mfa, "sms", "000000").await.0, 401);
    let (status, verified) = p.verify(mfa, "sms", &format!("{} {}", &code[..3], &code[3..])).await;
    assert_eq!(status, 200, "{verified}");
    // Used once: another login cannot present it.
    let mfa2 = p.mfa_token("sms@example.de").await;
    assert_eq!(p.verify(&mfa2, "sms", &code).await.0, 401);
}

#[tokio::test]
async fn numbers_are_normalised_and_checked_before_anything_is_sent() {
    let p = TestPortal::new().await;
    let token = owing_setup(&p, "bad-phone@example.de").await;
    let before = p.event_count().await;
    for (phone, says) in [
        ("015112345678", "country code"),
        ("+49 abc", "not a valid"),
        ("+49 1", "not a valid"),
        ("+1 202 555 0143", "allowed: DE, AT, CH"),
        ("", "country code"),
    ] {
        let (status, body) = setup(&p, &token, phone).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")), "{phone}: {body}");
        assert!(body["message"].as_str().unwrap().contains(says), "{phone}: {body}");
    }
    let (status, _) =
        p.call("POST", "/api/mfa/sms/setup", Some(&token), Some(json!({ "phone": 4915112345678u64 }))).await;
    assert_eq!(status, 400);
    assert_eq!(p.event_count().await, before, "nothing written");
    let (_, outbox) = p.call("GET", "/dev/outbox", None, None).await;
    assert!(outbox["items"].as_array().is_none_or(|items| items.iter().all(|m| m["channel"] != "sms")));
    // The page's list follows PORTAL_SMS_COUNTRIES.
    let (status, list) = p.call("GET", "/api/mfa/sms/countries", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        list["countries"],
        json!([{"code": "DE", "dial_code": "+49"}, {"code": "AT", "dial_code": "+43"}, {"code": "CH", "dial_code": "+41"}])
    );
}

#[tokio::test]
async fn sending_needs_a_password_step_and_a_number() {
    let p = TestPortal::new().await;
    assert_eq!(send(&p, "nonsense").await.0, 401);
    assert_eq!(p.call("POST", "/api/mfa/sms/send", None, None).await.0, 401);
    // A login that owes a setup has no number to send to.
    let token = owing_setup(&p, "nosms@example.de").await;
    let (status, body) = send(&p, &token).await;
    assert_eq!((status, body["message"].as_str()), (400, Some("SMS is not set up for this account")));
    // An account with an authenticator only: nothing to send.
    let enrolled = p.enrolled("totp-only@example.de").await;
    let (status, body) = send(&p, &enrolled.session).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")));
}

#[tokio::test]
async fn a_resend_waits_sixty_seconds_and_a_new_code_voids_the_old() {
    let p = TestPortal::new().await;
    let phone = unique_phone();
    with_sms(&p, "resend@example.de", &phone).await;
    p.clock.advance(Duration::minutes(2));
    let mfa = p.mfa_token("resend@example.de").await;
    assert_eq!(send(&p, &mfa).await.0, 202);
    let first = p.sms_code(&phone).await;
    let sent = p.sms_to(&phone).await.len();
    p.clock.advance(Duration::seconds(40));
    let (status, body) = send(&p, &mfa).await;
    assert_eq!(
        (status, body["error"].as_str(), body["retry_after"].as_u64()),
        (429, Some("too_many_attempts"), Some(20))
    );
    assert_eq!(p.sms_to(&phone).await.len(), sent, "a refused resend sends nothing");
    p.clock.advance(Duration::seconds(20));
    assert_eq!(send(&p, &mfa).await.0, 202);
    let second = p.sms_code(&phone).await;
    if first != second {
        assert_eq!(p.verify(&mfa, "sms", &first).await.0, 401, "the older code is void");
    }
    assert_eq!(p.verify(&mfa, "sms", &second).await.0, 200);
}

#[tokio::test]
async fn a_number_gets_at_most_five_sms_an_hour_across_accounts() {
    let p = TestPortal::new().await;
    let phone = unique_phone();
    for i in 0..5 {
        let token = owing_setup(&p, &format!("pump{i}@example.de")).await;
        assert_eq!(setup(&p, &token, &phone).await.0, 202, "{i}");
        p.clock.advance(Duration::minutes(1));
    }
    let token = owing_setup(&p, "pump5@example.de").await;
    let (status, body) = setup(&p, &token, &phone).await;
    assert_eq!((status, body["retry_after"].as_u64()), (429, Some(55 * 60)), "{body}");
    assert_eq!(p.sms_to(&phone).await.len(), 5);
    // Another number is not affected; this one again after the hour.
    assert_eq!(setup(&p, &token, &unique_phone()).await.0, 202);
    p.clock.advance(Duration::minutes(56));
    let token = p.mfa_token("pump5@example.de").await;
    assert_eq!(setup(&p, &token, &phone).await.0, 202);
}

#[tokio::test]
async fn the_hourly_ceiling_protects_the_bill() {
    let mut s = settings();
    s.policy.sms.hourly_ceiling = 3;
    let p = TestPortal::with_settings(s, cheap_passwords()).await;
    let phones: Vec<String> = (0..4).map(|_| unique_phone()).collect();
    for (i, phone) in phones.iter().enumerate() {
        let token = owing_setup(&p, &format!("bill{i}@example.de")).await;
        let (status, _) = setup(&p, &token, phone).await;
        assert_eq!(status, if i < 3 { 202 } else { 429 }, "{i}");
    }
    assert!(p.sms_to(&phones[3]).await.is_empty());
}

#[tokio::test]
async fn wrong_sms_codes_lock_the_second_step_across_logins_and_resends() {
    let p = TestPortal::new().await;
    let phone = unique_phone();
    with_sms(&p, "lock@example.de", &phone).await;
    p.clock.advance(Duration::minutes(2));
    for round in 0..2 {
        let mfa = p.mfa_token("lock@example.de").await;
        assert_eq!(send(&p, &mfa).await.0, 202, "round {round}: a resend does not reset the count");
        for _ in 0..5 {
            assert_eq!(p.verify(&mfa, "sms", "000000").await.0, 401);
        }
        if round == 0 {
            p.clock.advance(Duration::seconds(61));
        }
    }
    let mfa = p.mfa_token("lock@example.de").await;
    let (status, body) = send(&p, &mfa).await;
    assert_eq!((status, body["error"].as_str()), (429, Some("too_many_attempts")), "locked: no SMS either");
    let before = p.sms_to(&phone).await.len();
    p.clock.advance(Duration::seconds(10));
    assert_eq!(send(&p, &mfa).await.0, 429);
    assert_eq!(p.sms_to(&phone).await.len(), before);
}

#[tokio::test]
async fn one_sms_code_logs_in_once_even_when_presented_twenty_times_at_once() {
    let p = TestPortal::new().await;
    let phone = unique_phone();
    with_sms(&p, "race@example.de", &phone).await;
    p.clock.advance(Duration::minutes(2));
    let mfa = p.mfa_token("race@example.de").await;
    // Ten sends at once: the spacing lets exactly one through.
    let sends = futures_join_all((0..10).map(|_| send(&p, &mfa))).await;
    assert_eq!(sends.iter().filter(|(s, _)| *s == 202).count(), 1, "{sends:?}");
    assert_eq!(sends.iter().filter(|(s, _)| *s == 429).count(), 9, "{sends:?}");
    let code = p.sms_code(&phone).await;
    let results = futures_join_all((0..20).map(|_| p.verify(&mfa, "sms", &code))).await;
    assert_eq!(results.iter().filter(|(s, _)| *s == 200).count(), 1, "{results:?}");
}

#[tokio::test]
async fn codes_and_numbers_never_appear_in_plaintext() {
    let p = TestPortal::new().await;
    let phone = unique_phone();
    with_sms(&p, "secret@example.de", &phone).await;
    p.clock.advance(Duration::minutes(2));
    let mfa = p.mfa_token("secret@example.de").await;
    send(&p, &mfa).await;
    let code = p.sms_code(&phone).await;
    let (_, verified) = p.verify(&mfa, "sms", &code).await;
    let log = p.event_log_text().await;
    assert!(!log.contains(&phone) && !log.contains(&phone[3..]), "the number is sealed");
    for text in p.sms_to(&phone).await {
        let code = text.rsplit_once(" #").unwrap().1;
        assert!(!log.contains(&format!("\"{code}\"")) && !log.contains(&format!(":{code}")), "code {code} in the log");
    }
    assert!(verified["session_token"].is_string());
}

#[tokio::test]
async fn changing_the_number_needs_the_current_factor_and_tells_the_owner() {
    let p = TestPortal::new().await;
    let (old, new) = (unique_phone(), unique_phone());
    let session = with_sms(&p, "move@example.de", &old).await;
    p.clock.advance(Duration::minutes(2));
    // A session alone cannot move the factor to another phone.
    let (status, body) = setup(&p, &session, &new).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("verification_required")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("current second factor"));
    assert!(p.sms_to(&new).await.is_empty());
    // A step-up code to the current number, then the new number right away.
    assert_eq!(send(&p, &session).await.0, 202);
    let step_up = p.sms_code(&old).await;
    let body = json!({ "phone": new, "verification": { "method": "sms", "code": step_up } });
    let (status, sent) = p.call("POST", "/api/mfa/sms/setup", Some(&session), Some(body)).await;
    assert_eq!(status, 202, "{sent}");
    let code = p.sms_code(&new).await;
    let (status, confirmed) =
        p.call("POST", "/api/mfa/sms/confirm", Some(&session), Some(json!({ "code": code }))).await;
    assert_eq!(status, 200, "{confirmed}");
    assert_eq!(p.call("GET", "/api/account", Some(&session), None).await.0, 401, "other sessions end");
    let session = confirmed["session_token"].as_str().unwrap();
    let (_, account) = p.call("GET", "/api/account", Some(session), None).await;
    assert_eq!(account["mfa"]["sms"], sent["masked_phone"]);
    let mails = p.outbox().await;
    let changed = mails.iter().find(|m| m["subject"] == "Acme Portal: Your phone number for SMS codes changed");
    let changed = changed.unwrap_or_else(|| panic!("{mails:?}"));
    assert!(changed["body"].as_str().unwrap().contains(&format!("••••{}", &old[old.len() - 4..])));
    // SMS is the only factor: it cannot be removed.
    let (status, body) =
        p.call("DELETE", "/api/mfa/sms", Some(session), Some(json!({"method": "recovery_code", "code": "x"}))).await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn sms_beside_an_authenticator_can_be_removed_with_its_code() {
    let p = TestPortal::new().await;
    let phone = unique_phone();
    let enrolled = p.enrolled("both@example.de").await;
    let verification = json!({ "method": "totp", "code": p.code(&enrolled.secret, 0) });
    let body = json!({ "phone": phone, "verification": verification });
    let (status, sent) = p.call("POST", "/api/mfa/sms/setup", Some(&enrolled.session), Some(body)).await;
    assert_eq!(status, 202, "{sent}");
    let code = p.sms_code(&phone).await;
    let (status, confirmed) =
        p.call("POST", "/api/mfa/sms/confirm", Some(&enrolled.session), Some(json!({ "code": code }))).await;
    assert_eq!(status, 200, "{confirmed}");
    let session = confirmed["session_token"].as_str().unwrap();
    p.next_step();
    let (_, login) = p.login("both@example.de", PASSWORD).await;
    assert_eq!(login["methods"], json!(["totp", "sms", "recovery_code"]));
    let (status, _) =
        p.call("DELETE", "/api/mfa/sms", Some(session), Some(json!({"method": "totp", "code": "000000"}))).await;
    assert_eq!(status, 401);
    // Without a proof: 401 verification_required (the step-up rule), SMS stays.
    let (status, body) = p.call("DELETE", "/api/mfa/sms", Some(session), None).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("verification_required")), "{body}");
    let code = p.code(&enrolled.secret, 0);
    let proof = json!({"verification": {"method": "totp", "code": code}});
    let (status, body) = p.call("DELETE", "/api/mfa/sms", Some(session), Some(proof)).await;
    assert_eq!(status, 204, "{body}");
    let (_, account) = p.call("GET", "/api/account", Some(session), None).await;
    assert_eq!(account["mfa"]["sms"], Value::Null);
    let mails = p.outbox().await;
    assert!(mails.iter().any(|m| m["subject"] == "Acme Portal: SMS removed as second factor"));
}

/// The attack the step-up stops: with only a stolen session, add an
/// authenticator of one's own, then remove the owner's SMS with its code.
#[tokio::test]
async fn a_stolen_session_cannot_add_its_own_authenticator_beside_sms() {
    let p = TestPortal::new().await;
    let phone = unique_phone();
    let session = with_sms(&p, "sms-only@example.de", &phone).await;
    let (status, body) = p.call("POST", "/api/mfa/totp/setup", Some(&session), None).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("verification_required")), "{body}");
    assert!(body.get("secret").is_none(), "no secret leaves without the proof");
    // The owner's code to the current number lets the owner add an app.
    p.clock.advance(Duration::minutes(2));
    assert_eq!(send(&p, &session).await.0, 202);
    let step_up = p.sms_code(&phone).await;
    let proof = json!({"verification": {"method": "sms", "code": step_up}});
    let (status, setup) = p.call("POST", "/api/mfa/totp/setup", Some(&session), Some(proof)).await;
    assert_eq!(status, 200, "{setup}");
    let secret = data_encoding::BASE32_NOPAD.decode(setup["secret"].as_str().unwrap().as_bytes()).unwrap();
    let (status, confirmed) =
        p.call("POST", "/api/mfa/totp/confirm", Some(&session), Some(json!({"code": p.code(&secret, 0)}))).await;
    assert_eq!(status, 200, "{confirmed}");
    p.next_step();
    let (_, login) = p.login("sms-only@example.de", PASSWORD).await;
    assert_eq!(login["methods"], json!(["totp", "sms", "recovery_code"]));
}
