//! The lost-second-factor process through the real router (embedded, and on
//! LocalStack with `PORTAL_TEST_BACKEND=aws`): the reset form with ALTCHA,
//! the support queue and console, the decisions and their mails, the SLA
//! watch and crypto-shredding.

use acceptance::conformance::futures_join_all;
use acceptance::harness::{Enrolled, PASSWORD, TestPortal, cheap_passwords, settings};
use functions::sla_watch;
use serde_json::{Value, json};
use time::Duration;

const EMAIL: &str = "anna@example.de";

fn form(p_phone: &str, altcha: &str) -> Value {
    json!({
        "first_name": "anna", "last_name": " Muster ", "phone": p_phone, "email": "Anna@Example.de",
        "privacy_consent": true, "altcha": altcha,
    })
}

/// A user with an authenticator, stuck at the second step: (enrolment, mfa token).
async fn stuck(p: &TestPortal) -> (Enrolled, String) {
    let e = p.enrolled(EMAIL).await;
    let token = p.mfa_token(EMAIL).await;
    (e, token)
}

async fn submit(p: &TestPortal, token: &str, phone: &str) -> (u16, Value) {
    let altcha = p.altcha().await;
    p.call("POST", "/api/reset-requests", Some(token), Some(form(phone, &altcha))).await
}

async fn submitted(p: &TestPortal, token: &str) -> String {
    let (status, body) = submit(p, token, "+49 151 2345 6789").await;
    assert_eq!(status, 202, "{body}");
    body["request_id"].as_str().unwrap().to_owned()
}

async fn post(p: &TestPortal, token: Option<&str>, body: Value) -> (u16, Value) {
    p.call("POST", "/api/reset-requests", token, Some(body)).await
}

async fn queue(p: &TestPortal, staff: &str) -> Vec<Value> {
    p.project().await;
    let (status, body) = p.call("GET", "/api/support/queue", Some(staff), None).await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_request_goes_to_the_queue_and_an_approval_resets_the_factor() {
    let p = TestPortal::new().await;
    let (e, token) = stuck(&p).await;
    let submitted_at = p.now();
    let (status, body) = submit(&p, &token, "+49 151 2345 6789").await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["status"], "pending");
    let due = events::working_days::due_by(submitted_at, &Default::default());
    assert_eq!(body["due_by"], functions::time_fmt::rfc3339(due), "24 working hours on");
    let id = body["request_id"].as_str().unwrap().to_owned();

    // One open request per account: the second names the first.
    let (status, again) = submit(&p, &token, "+49 151 2345 6789").await;
    assert_eq!(
        (status, again["error"].as_str(), again["request_id"].as_str()),
        (409, Some("conflict"), Some(id.as_str()))
    );

    let (staff, _) = p.staff("sam@support.example", "Sam Support").await;
    let items = queue(&p, &staff).await;
    assert_eq!(items.len(), 1, "{items:?}");
    let item = &items[0];
    assert_eq!((item["request_id"].as_str(), item["email"].as_str()), (Some(id.as_str()), Some(EMAIL)));
    assert_eq!((item["first_name"].as_str(), item["last_name"].as_str()), (Some("anna"), Some("Muster")));
    assert_eq!((item["status"].as_str(), item["overdue"].as_bool()), (Some("pending"), Some(false)));

    let (status, detail) = p.call("GET", &format!("/api/support/requests/{id}"), Some(&staff), None).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["form"]["phone"], "+4915123456789");
    // No number on file (the app is the factor): the phone is not known,
    // rather than a mismatch.
    assert_eq!(detail["matches"], json!({"first_name": true, "last_name": true, "phone": null, "email": true}));
    assert_eq!(detail["account"]["factors"]["totp"], true);
    assert_eq!(detail["account"]["email"], EMAIL);
    let whats: Vec<&str> = detail["history"].as_array().unwrap().iter().map(|h| h["what"].as_str().unwrap()).collect();
    assert_eq!(whats, ["submitted", "viewed"], "who looked is recorded");
    assert_eq!(detail["history"][1]["by"]["name"], "Sam Support");
    let text = detail.to_string();
    assert!(!text.contains("sealed") && !text.contains("hash") && !text.contains("$argon2"), "no secrets: {text}");

    let (status, taken) =
        p.call("POST", &format!("/api/support/requests/{id}/take"), Some(&staff), Some(json!({}))).await;
    assert_eq!((status, taken["status"].as_str()), (200, Some("taken")));
    assert_eq!(queue(&p, &staff).await[0]["taken_by"]["name"], "Sam Support");

    // An app password to see it revoked by the approval.
    let body = json!({"name": "cal", "verification": p.step_up(&e.secret)});
    let (_, apw) = p.call("POST", "/api/app-passwords", Some(&e.session), Some(body)).await;
    let (status, approved) = p
        .call("POST", &format!("/api/support/requests/{id}/approve"), Some(&staff), Some(json!({"note": "ID checked"})))
        .await;
    assert_eq!((status, approved["status"].as_str()), (200, Some("approved")), "{approved}");
    assert!(queue(&p, &staff).await.is_empty(), "decided requests leave the queue");
    assert_eq!(p.call("GET", "/api/account", Some(&e.session), None).await.0, 401, "sessions ended");
    let (_, login) = p.login(EMAIL, PASSWORD).await;
    assert_eq!(login["status"], "mfa_setup_required", "{login}");
    let basic = format!(
        "Basic {}",
        data_encoding::BASE64.encode(format!("{EMAIL}:{}", apw["password"].as_str().unwrap()).as_bytes())
    );
    assert_eq!(p.send("GET", "/api/dav/auth", &[("authorization", &basic)], Vec::new()).await.0, 401);

    // The owner heard of the submission and of the decision.
    let mails = p.outbox().await;
    let to_owner: Vec<&str> =
        mails.iter().filter(|m| m["to"] == EMAIL).map(|m| m["subject"].as_str().unwrap()).collect();
    let number = body_number(&id);
    assert!(to_owner.iter().any(|s| s.contains(&number)), "the number read out on the phone: {to_owner:?}");
    assert!(to_owner.iter().any(|s| s.contains("second factor was reset")), "{to_owner:?}");
    // Deciding again: someone else was faster.
    let (status, body) =
        p.call("POST", &format!("/api/support/requests/{id}/reject"), Some(&staff), Some(json!({"reason": "x"}))).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("conflict")));
}

#[tokio::test]
async fn a_rejection_emails_the_reason_and_changes_nothing_else() {
    let p = TestPortal::new().await;
    let (e, token) = stuck(&p).await;
    let id = submitted(&p, &token).await;
    let (staff, _) = p.staff("sam@support.example", "Sam").await;
    let path = format!("/api/support/requests/{id}/reject");
    let (status, _) = p.call("POST", &path, Some(&staff), Some(json!({"reason": "  "}))).await;
    assert_eq!(status, 400, "a reason is required");
    let (status, _) = p.call("POST", &path, Some(&staff), Some(json!({"reason": "Name does not match"}))).await;
    assert_eq!(status, 200);
    assert_eq!(p.call("GET", "/api/account", Some(&e.session), None).await.0, 200, "the session lives on");
    let (_, login) = p.login(EMAIL, PASSWORD).await;
    assert_eq!(login["status"], "mfa_required");
    let mails = p.outbox().await;
    assert!(mails.iter().any(|m| m["to"] == EMAIL && m["body"].as_str().unwrap().contains("Name does not match")));
    // The request is closed: a new one may be filed.
    let token = login["mfa_token"].as_str().unwrap();
    assert_eq!(submit(&p, token, "+49 151 2345 6789").await.0, 202);
}

#[tokio::test]
async fn only_support_staff_reach_the_console() {
    let p = TestPortal::new().await;
    let (e, token) = stuck(&p).await;
    let id = submitted(&p, &token).await;
    let paths = [
        ("GET", "/api/support/queue".to_owned(), None),
        ("GET", format!("/api/support/requests/{id}"), None),
        ("GET", format!("/api/support/requests?number={}", body_number(&id)), None),
        ("POST", format!("/api/support/requests/{id}/take"), Some(json!({}))),
        ("POST", format!("/api/support/requests/{id}/approve"), Some(json!({"note": ""}))),
        ("POST", format!("/api/support/requests/{id}/reject"), Some(json!({"reason": "no"}))),
    ];
    let before = p.event_count().await;
    for (method, path, body) in &paths {
        assert_eq!(p.call(method, path, Some(&e.session), body.clone()).await.0, 403, "{method} {path}: a customer");
        assert_eq!(p.call(method, path, Some(&token), body.clone()).await.0, 401, "{method} {path}: an mfa token");
        assert_eq!(p.call(method, path, None, body.clone()).await.0, 401, "{method} {path}: no token");
    }
    assert_eq!(p.event_count().await, before, "nothing written");
    let (staff, _) = p.staff("sam@support.example", "Sam").await;
    let unknown = uuid::Uuid::new_v4();
    assert_eq!(p.call("GET", &format!("/api/support/requests/{unknown}"), Some(&staff), None).await.0, 404);
    assert_eq!(p.call("GET", "/api/support/requests/nope", Some(&staff), None).await.0, 404);
}

#[tokio::test]
async fn the_form_needs_the_mfa_token_consent_valid_data_and_a_fresh_altcha() {
    let p = TestPortal::new().await;
    let (e, token) = stuck(&p).await;
    let before = p.event_count().await;
    let altcha = p.altcha().await;

    assert_eq!(
        post(&p, Some(&e.session), form("+4915123456789", &altcha)).await.0,
        401,
        "a session is not an mfa token"
    );
    assert_eq!(post(&p, None, form("+4915123456789", &altcha)).await.0, 401);
    let mut no_consent = form("+4915123456789", &altcha);
    no_consent["privacy_consent"] = json!(false);
    assert_eq!(post(&p, Some(&token), no_consent).await.0, 400);
    assert_eq!(post(&p, Some(&token), form("0151 2345", &altcha)).await.0, 400, "no country code");
    let mut bad_email = form("+4915123456789", &altcha);
    bad_email["email"] = json!("nope");
    assert_eq!(post(&p, Some(&token), bad_email).await.0, 400);
    for bad in ["", "bm90IGpzb24=", "eyJhbGdvcml0aG0iOiJTSEEtMjU2In0="] {
        assert_eq!(post(&p, Some(&token), form("+4915123456789", bad)).await.0, 400, "altcha {bad:?}");
    }
    // A solution for another number, or a forged signature.
    let mut payload: Value = serde_json::from_slice(&data_encoding::BASE64.decode(altcha.as_bytes()).unwrap()).unwrap();
    payload["number"] = json!(payload["number"].as_u64().unwrap() + 1);
    let wrong = data_encoding::BASE64.encode(payload.to_string().as_bytes());
    assert_eq!(post(&p, Some(&token), form("+4915123456789", &wrong)).await.0, 400);
    assert_eq!(p.event_count().await, before, "nothing written by refused forms");
    // Expired after ten minutes.
    p.clock.advance(Duration::minutes(11));
    let token = p.mfa_token(EMAIL).await;
    let before = p.event_count().await;
    assert_eq!(post(&p, Some(&token), form("+4915123456789", &altcha)).await.0, 400, "expired");
    assert_eq!(p.event_count().await, before);
}

#[tokio::test]
async fn a_solved_altcha_works_once_even_when_posted_twice_at_once() {
    let p = TestPortal::new().await;
    let (_, token) = stuck(&p).await;
    let altcha = p.altcha().await;
    let body = form("+4915123456789", &altcha);
    let results =
        futures_join_all((0..5).map(|_| p.call("POST", "/api/reset-requests", Some(&token), Some(body.clone())))).await;
    let statuses: Vec<u16> = results.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 202).count(), 1, "{results:?}");
    assert!(statuses.iter().all(|s| *s == 202 || *s == 400), "{statuses:?}");
}

#[tokio::test]
async fn four_eyes_needs_two_different_staff_and_racing_decisions_have_one_winner() {
    let mut four_eyes = settings();
    four_eyes.reset_policy.approvals_required = 2;
    let p = TestPortal::with_settings(four_eyes, cheap_passwords()).await;
    let (_, token) = stuck(&p).await;
    let id = submitted(&p, &token).await;
    let (alice, _) = p.staff("alice@support.example", "Alice").await;
    let (bob, _) = p.staff("bob@support.example", "Bob").await;
    let approve = format!("/api/support/requests/{id}/approve");
    let (status, first) = p.call("POST", &approve, Some(&alice), Some(json!({"note": "looks right"}))).await;
    assert_eq!((status, first["status"].as_str()), (200, Some("pending")), "{first}");
    assert_eq!(first["approvals"], json!({"given": 1, "required": 2}));
    let (status, twice) = p.call("POST", &approve, Some(&alice), Some(json!({"note": "again"}))).await;
    assert_eq!((status, twice["error"].as_str()), (409, Some("conflict")), "the same one twice: {twice}");
    assert_eq!(p.login(EMAIL, PASSWORD).await.1["status"], "mfa_required", "not reset yet");
    // Bob approves while Carol rejects: exactly one decision stands.
    let (carol, _) = p.staff("carol@support.example", "Carol").await;
    let reject = format!("/api/support/requests/{id}/reject");
    let results = futures_join_all([
        p.call("POST", &approve, Some(&bob), Some(json!({"note": "ok"}))),
        p.call("POST", &reject, Some(&carol), Some(json!({"reason": "no"}))),
    ])
    .await;
    let ok: Vec<&Value> = results.iter().filter(|(s, _)| *s == 200).map(|(_, b)| b).collect();
    assert_eq!(ok.len(), 1, "{results:?}");
    assert!(results.iter().any(|(s, b)| *s == 409 && b["error"] == "conflict"), "{results:?}");
    let (_, detail) = p.call("GET", &format!("/api/support/requests/{id}"), Some(&alice), None).await;
    assert_eq!(detail["status"], ok[0]["status"]);
}

#[tokio::test]
async fn the_watch_marks_overdue_requests_once_and_tells_support() {
    let mut with_support = settings();
    with_support.support_email = Some("support@portal.test".into());
    let p = TestPortal::with_settings(with_support, cheap_passwords()).await;
    let (_, token) = stuck(&p).await;
    let id = submitted(&p, &token).await;
    p.project().await;
    assert_eq!(sla_watch::run(p.app(), p.now()).await.unwrap(), sla_watch::Report::default(), "not due yet");
    // START is a Monday morning: due Tuesday, same time.
    p.clock.advance(Duration::hours(24) + Duration::minutes(1));
    let report = sla_watch::run(p.app(), p.now()).await.unwrap();
    assert_eq!(report.marked_overdue, 1);
    let (staff, _) = p.staff("sam@support.example", "Sam").await;
    let items = queue(&p, &staff).await;
    assert_eq!(items[0]["overdue"], true);
    assert_eq!(sla_watch::run(p.app(), p.now()).await.unwrap().marked_overdue, 0, "once");
    let mails = p.outbox().await;
    let alerts: Vec<&Value> = mails.iter().filter(|m| m["to"] == "support@portal.test").collect();
    assert_eq!(alerts.len(), 1, "{mails:?}");
    assert!(alerts[0]["subject"].as_str().unwrap().contains(&body_number(&id)));
}

/// The number of a request, as the owner reads it out.
fn body_number(id: &str) -> String {
    events::factor_reset::RequestNumber::of(id.parse().unwrap()).to_string()
}

#[tokio::test]
async fn staff_find_a_request_by_the_number_read_out_on_the_phone() {
    let p = TestPortal::new().await;
    let (_, token) = stuck(&p).await;
    let (status, body) = submit(&p, &token, "+49 151 2345 6789").await;
    assert_eq!(status, 202, "{body}");
    let (id, number) = (body["request_id"].as_str().unwrap().to_owned(), body["request_number"].as_str().unwrap());
    assert_eq!(number, body_number(&id));
    assert!(number.len() == 9 && number.chars().all(|c| c == '-' || c.is_ascii_alphanumeric()), "{number}");
    let (_, again) = submit(&p, &token, "+49 151 2345 6789").await;
    assert_eq!(again["request_number"], number, "the open request is named by its number too: {again}");
    assert!(again["message"].as_str().unwrap().contains(number), "{again}");

    let (staff, _) = p.staff("sam@support.example", "Sam").await;
    assert_eq!(queue(&p, &staff).await[0]["request_number"], number);
    let search = |typed: String| {
        let (p, staff) = (&p, &staff);
        async move {
            let query = format!("/api/support/requests?number={}", typed.replace(' ', "%20"));
            p.call("GET", &query, Some(staff), None).await
        }
    };
    // As it might be typed after a phone call: lower case, a space.
    let (status, found) = search(number.to_lowercase().replace('-', " ")).await;
    assert_eq!(status, 200, "{found}");
    let ids: Vec<&str> = found["items"].as_array().unwrap().iter().map(|i| i["request_id"].as_str().unwrap()).collect();
    assert_eq!(ids, [id.as_str()]);
    assert_eq!(found["items"][0]["status"], "pending");

    // Another number finds nothing; what is not a number is a clear 400.
    let other = if number.starts_with('Z') { "Y" } else { "Z" };
    assert_eq!(search(format!("{other}{}", &number[1..])).await.1["items"], json!([]));
    for typed in ["", "ABC", "UUUU-UUUU", &id] {
        let (status, body) = search(typed.to_owned()).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")), "{typed}: {body}");
    }
    // A decided request is still found, with its decision.
    p.call("POST", &format!("/api/support/requests/{id}/reject"), Some(&staff), Some(json!({"reason": "unclear"})))
        .await;
    p.project().await;
    let (_, found) = search(number.to_owned()).await;
    let items = found["items"].as_array().unwrap();
    // Once: a decided request is both a queue row and in the retention index.
    assert_eq!(items.len(), 1, "{found}");
    assert_eq!((items[0]["request_id"].as_str(), items[0]["status"].as_str()), (Some(id.as_str()), Some("rejected")));
    // A new request of the same account lists the decided one once, by number.
    let second = submitted(&p, &p.mfa_token(EMAIL).await).await;
    p.project().await;
    let (_, detail) = p.call("GET", &format!("/api/support/requests/{second}"), Some(&staff), None).await;
    assert_eq!(detail["request_number"], body_number(&second));
    let earlier = detail["earlier_requests"].as_array().unwrap();
    assert_eq!(earlier.len(), 1, "{detail}");
    assert_eq!(
        (earlier[0]["request_id"].as_str(), earlier[0]["request_number"].as_str()),
        (Some(id.as_str()), Some(number))
    );

    // The owner's mails carry the number, never the 36-character id.
    let mails = p.outbox().await;
    let to_owner: Vec<String> = mails.iter().filter(|m| m["to"] == EMAIL).map(|m| m.to_string()).collect();
    assert!(to_owner.iter().filter(|m| m.contains(number)).count() >= 2, "submitted and rejected: {to_owner:?}");
    assert!(to_owner.iter().all(|m| !m.contains(&id)), "{to_owner:?}");
}

#[tokio::test]
async fn ninety_days_after_the_decision_the_form_is_shredded() {
    let p = TestPortal::new().await;
    let (_, token) = stuck(&p).await;
    let phone = acceptance::harness::unique_phone();
    let (status, body) = submit(&p, &token, &phone).await;
    assert_eq!(status, 202, "{body}");
    let id = body["request_id"].as_str().unwrap().to_owned();
    let (staff, _) = p.staff("sam@support.example", "Sam").await;
    p.call("POST", &format!("/api/support/requests/{id}/reject"), Some(&staff), Some(json!({"reason": "unclear"})))
        .await;
    p.project().await;
    assert!(!p.event_log_text().await.contains(&phone[1..]), "the form is sealed in the log");
    p.clock.advance(Duration::days(89));
    assert_eq!(sla_watch::run(p.app(), p.now()).await.unwrap().anonymised, 0, "kept 90 days");
    // Sessions last hours: a colleague of today looks.
    let (staff, _) = p.staff("kim@support.example", "Kim").await;
    let (_, detail) = p.call("GET", &format!("/api/support/requests/{id}"), Some(&staff), None).await;
    assert_eq!(detail["form"]["phone"].as_str(), Some(phone.as_str()));
    p.clock.advance(Duration::days(1));
    p.project().await;
    assert_eq!(sla_watch::run(p.app(), p.now()).await.unwrap().anonymised, 1);
    let (staff, _) = p.staff("lee@support.example", "Lee").await;
    let (_, detail) = p.call("GET", &format!("/api/support/requests/{id}"), Some(&staff), None).await;
    assert_eq!((detail["anonymised"].as_bool(), &detail["form"]), (Some(true), &Value::Null), "{detail}");
    assert!(detail["history"].as_array().unwrap().iter().any(|h| h["what"] == "anonymised"));
    let key = p.app().state.doc(functions::reset_requests::DATA_KEYS, &id, p.now()).await.unwrap();
    assert_eq!(key, None, "the data key is gone");
    p.project().await;
    assert_eq!(sla_watch::run(p.app(), p.now()).await.unwrap().anonymised, 0, "once");
}

#[tokio::test]
async fn the_queue_rebuilt_from_the_log_is_the_same() {
    let p = TestPortal::new().await;
    let (_, token) = stuck(&p).await;
    let first = submitted(&p, &token).await;
    p.enrolled("bert@example.de").await;
    let bert = p.mfa_token("bert@example.de").await;
    let altcha = p.altcha().await;
    let mut bert_form = form("+4915187654321", &altcha);
    bert_form["email"] = json!("bert@example.de");
    assert_eq!(p.call("POST", "/api/reset-requests", Some(&bert), Some(bert_form)).await.0, 202);
    let (staff, _) = p.staff("sam@support.example", "Sam").await;
    p.call("POST", &format!("/api/support/requests/{first}/take"), Some(&staff), Some(json!({}))).await;
    let before = queue(&p, &staff).await;
    assert_eq!(before.len(), 2);
    for item in &before {
        p.app()
            .state
            .delete_doc(functions::projector::support_queue::QUEUE, item["request_id"].as_str().unwrap())
            .await
            .unwrap();
    }
    let left = p.app().state.docs(functions::projector::support_queue::QUEUE, p.now()).await.unwrap();
    assert!(left.is_empty(), "{left:?}");
    for event in p.events().await {
        p.projector.project(&event).await.unwrap();
    }
    assert_eq!(queue(&p, &staff).await, before);
}
