//! Recent activity and "Sign out everywhere else" through the real router
//! (embedded, and on LocalStack with `PORTAL_TEST_BACKEND=aws`): what a
//! person did, from which client and network, newest first; and every
//! other session, pending login and app grant ending at once.

use acceptance::conformance::futures_join_all;
use acceptance::harness::{Device, PASSWORD, TestPortal, basic_auth, unique_phone};
use acceptance::oidc_rp::{Rp, param};
use serde_json::{Value, json};

const EMAIL: &str = "anna@example.de";
const FIREFOX_ON_LINUX: Device = Device {
    user_agent: Some("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"),
    ip: Some("203.0.113.77"),
};
const SAFARI_ON_IPHONE: Device = Device {
    user_agent: Some(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    ),
    ip: Some("2001:db8:abcd:12::7"),
};

async fn activity(p: &TestPortal, session: &str) -> Vec<Value> {
    let (status, body) = p.call("GET", "/api/account/activity", Some(session), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["more"], false);
    body["items"].as_array().unwrap().clone()
}

fn kinds(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| match i["method"].as_str() {
            Some(method) => format!("{}:{method}", i["kind"].as_str().unwrap()),
            None => i["kind"].as_str().unwrap().to_owned(),
        })
        .collect()
}

/// Logs in from `device` and returns the mfa token.
async fn mfa_token_from(p: &TestPortal, device: &Device<'_>) -> String {
    let body = json!({"email": EMAIL, "password": PASSWORD});
    let (status, login) = p.call_from(device, "POST", "/api/login", None, Some(body)).await;
    assert_eq!((status, login["status"].as_str()), (200, Some("mfa_required")), "{login}");
    login["mfa_token"].as_str().unwrap().to_owned()
}

async fn verify_from(p: &TestPortal, device: &Device<'_>, token: &str, method: &str, code: &str) -> (u16, Value) {
    p.call_from(device, "POST", "/api/mfa/verify", Some(token), Some(json!({"method": method, "code": code}))).await
}

async fn wrong_password_from(p: &TestPortal, device: &Device<'_>) -> u16 {
    let body = json!({"email": EMAIL, "password": "not the password"});
    p.call_from(device, "POST", "/api/login", None, Some(body)).await.0
}

#[tokio::test]
async fn the_activity_lists_sign_ins_failures_lockouts_and_changes_newest_first_with_client_and_network() {
    let p = TestPortal::new().await;
    let home = &FIREFOX_ON_LINUX;
    let phone_device = &SAFARI_ON_IPHONE;
    let e = p.enrolled(EMAIL).await;

    // SMS beside the app, from Firefox.
    let phone = unique_phone();
    let body = json!({"phone": phone, "verification": p.step_up(&e.secret)});
    let (status, sent) = p.call_from(home, "POST", "/api/mfa/sms/setup", Some(&e.session), Some(body)).await;
    assert_eq!(status, 202, "{sent}");
    let code = p.sms_code(&phone).await;
    let (status, confirmed) =
        p.call_from(home, "POST", "/api/mfa/sms/confirm", Some(&e.session), Some(json!({"code": code}))).await;
    assert_eq!(status, 200, "{confirmed}");
    let session = confirmed["session_token"].as_str().unwrap().to_owned();
    let recovery_code = confirmed["recovery_codes"][0].as_str().unwrap().to_owned();

    // A wrong password, then a wrong app code and the right one.
    assert_eq!(wrong_password_from(&p, home).await, 401);
    let token = mfa_token_from(&p, home).await;
    p.next_step();
    let wrong = p.code(&e.secret, 10);
    assert_eq!(verify_from(&p, home, &token, "totp", &wrong).await.0, 401);
    let right = p.code(&e.secret, 0);
    assert_eq!(verify_from(&p, home, &token, "totp", &right).await.0, 200);
    // A recovery code from the iPhone, then a code by SMS.
    let token = mfa_token_from(&p, phone_device).await;
    assert_eq!(verify_from(&p, phone_device, &token, "recovery_code", &recovery_code).await.0, 200);
    let token = mfa_token_from(&p, home).await;
    assert_eq!(p.call_from(home, "POST", "/api/mfa/sms/send", Some(&token), None).await.0, 202);
    let sms_code = p.sms_code(&phone).await;
    assert_eq!(verify_from(&p, home, &token, "sms", &sms_code).await.0, 200);

    // An app password, created and then used by a DAV client.
    let body = json!({"name": "Thunderbird", "verification": p.step_up(&e.secret)});
    let (status, created) = p.call_from(home, "POST", "/api/app-passwords", Some(&session), Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let app_password = created["password"].as_str().unwrap().to_owned();
    p.next_step();
    let dav = [("authorization", basic_auth(EMAIL, &app_password)), ("user-agent", "DAVx5/4.4.3-ose".into())];
    let dav: Vec<(&str, &str)> = dav.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(p.send("GET", "/api/dav/auth", &dav, Vec::new()).await.0, 200);
    p.next_step();

    // Ten wrong passwords from the iPhone lock the password for a minute.
    for _ in 0..10 {
        assert_eq!(wrong_password_from(&p, phone_device).await, 401);
    }
    assert_eq!(wrong_password_from(&p, phone_device).await, 429, "locked: not recorded");
    p.next_step();
    p.next_step();
    p.next_step();

    // A reset request, which support rejects.
    let token = mfa_token_from(&p, home).await;
    let altcha = p.altcha().await;
    let form = json!({
        "first_name": "Anna", "last_name": "Muster", "phone": "+49 151 2345 6789", "email": EMAIL,
        "privacy_consent": true, "altcha": altcha,
    });
    let (status, request) = p.call_from(home, "POST", "/api/reset-requests", Some(&token), Some(form)).await;
    assert_eq!(status, 202, "{request}");
    let (staff, _) = p.staff("sam@support.example", "Sam").await;
    let path = format!("/api/support/requests/{}/reject", request["request_id"].as_str().unwrap());
    assert_eq!(p.call("POST", &path, Some(&staff), Some(json!({"reason": "Name does not match"}))).await.0, 200);

    // Someone else's account, with its own failure.
    let bob = p.enrolled("bob@example.de").await;
    let body = json!({"email": "bob@example.de", "password": "not the password"});
    assert_eq!(p.call_from(home, "POST", "/api/login", None, Some(body)).await.0, 401);

    let items = activity(&p, &session).await;
    let mut expected = vec!["reset_rejected", "reset_requested", "locked_out"];
    expected.extend(["password_failed"; 10]);
    expected.extend([
        "app_password_used",
        "app_password_created",
        "signed_in:sms",
        "signed_in:recovery_code",
        "signed_in:totp",
        "second_factor_failed:totp",
        "password_failed",
        "recovery_codes_issued",
        "sms_activated",
        "signed_in:totp",
        "recovery_codes_issued",
        "app_activated",
        "signed_in",
        "account_created",
    ]);
    assert_eq!(kinds(&items), expected);
    let times: Vec<&str> = items.iter().map(|i| i["at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first: {times:?}");

    let by_kind = |kind: &str| items.iter().find(|i| kinds(std::slice::from_ref(i))[0] == kind).unwrap();
    let firefox = json!({"browser": "Firefox", "os": "Linux"});
    let safari = json!({"browser": "Safari", "os": "iPhone"});
    for (kind, client, network) in [
        ("signed_in:totp", &firefox, "203.0.113.0/24"),
        ("signed_in:sms", &firefox, "203.0.113.0/24"),
        ("second_factor_failed:totp", &firefox, "203.0.113.0/24"),
        ("signed_in:recovery_code", &safari, "2001:db8:abcd::/48"),
        ("locked_out", &safari, "2001:db8:abcd::/48"),
        ("reset_requested", &firefox, "203.0.113.0/24"),
    ] {
        let item = by_kind(kind);
        assert_eq!((&item["client"], item["network"].as_str()), (client, Some(network)), "{item}");
    }
    assert_eq!(by_kind("locked_out")["locked"], "password");
    assert!(by_kind("locked_out")["until"].as_str().unwrap() > by_kind("locked_out")["at"].as_str().unwrap());
    assert_eq!(by_kind("app_password_used")["name"], "Thunderbird");
    assert!(by_kind("sms_activated")["masked_phone"].as_str().unwrap().contains("••••"));
    assert_eq!(by_kind("account_created").get("client"), None, "a request without a User-Agent names no client");

    // Never the full address, the User-Agent, a secret, or another account.
    let text = serde_json::to_string(&items).unwrap();
    for secret in [
        "203.0.113.77",
        "2001:db8:abcd:12::7",
        "Gecko/20100101",
        PASSWORD,
        &app_password,
        &recovery_code,
        &sms_code,
        &phone,
        "bob@example.de",
        &session,
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let log = p.event_log_text().await;
    assert!(!log.contains("Gecko/20100101") && !log.contains("rv:133.0"), "the raw User-Agent is never stored");
    assert!(log.contains("203.0.113.0") && log.contains("2001:db8:abcd::"), "the network is stored");
    assert!(!log.contains("203.0.113.77") && !log.contains("2001:db8:abcd:12::7"), "the full address is not");
    let bobs = activity(&p, &bob.session).await;
    assert_eq!(kinds(&bobs)[0], "password_failed");
    assert!(!serde_json::to_string(&bobs).unwrap().contains("Thunderbird"));
}

#[tokio::test]
async fn the_activity_needs_a_live_session() {
    let p = TestPortal::new().await;
    let e = p.enrolled(EMAIL).await;
    assert_eq!(p.call("GET", "/api/account/activity", None, None).await.0, 401);
    let token = p.mfa_token(EMAIL).await;
    assert_eq!(p.call("GET", "/api/account/activity", Some(&token), None).await.0, 401, "an mfa token is no session");
    assert_eq!(p.call("POST", "/api/logout", Some(&e.session), None).await.0, 204);
    assert_eq!(p.call("GET", "/api/account/activity", Some(&e.session), None).await.0, 401);
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
async fn signing_out_everywhere_else_ends_other_sessions_logins_and_app_grants_and_keeps_the_caller() {
    let p = TestPortal::new().await;
    let rp = Rp::register(&p, false).await;
    let e = p.enrolled(EMAIL).await;
    let other = second_browser(&p, &e.secret).await;
    // An app signed in through the other browser, with a refresh token.
    let (to, _) = rp.sign_in(&p, &other, &[]).await;
    let (status, tokens) = rp.exchange(&p, &param(&to, "code").unwrap()).await;
    assert_eq!(status, 200, "{tokens}");
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let pending = p.mfa_token(EMAIL).await;

    let (status, body) = p.call("POST", "/api/sessions/end-others", Some(&e.session), None).await;
    assert_eq!(status, 200, "{body}");
    let kept = body["session_token"].as_str().unwrap();
    assert!(body["expires_in"].as_i64().unwrap() > 0);
    assert_eq!(p.call("GET", "/api/account", Some(kept), None).await.0, 200, "the caller stays signed in");
    assert_eq!(p.call("GET", "/api/account", Some(&other), None).await.0, 401, "the other browser is out");
    assert_eq!(
        p.call("GET", "/api/account", Some(&e.session), None).await.0,
        401,
        "the caller goes on under the new token only"
    );
    p.next_step();
    assert_eq!(p.verify(&pending, "totp", &p.code(&e.secret, 0)).await.0, 401, "the pending login ended");
    let (status, refreshed) = rp.refresh(&p, refresh_token).await;
    assert_eq!((status, refreshed["error"].as_str()), (400, Some("invalid_grant")), "the app's grant ended");

    let items = activity(&p, kept).await;
    assert_eq!(items[0]["kind"], "signed_out_everywhere_else");
    // The caller's new session keeps what it was made with.
    let again = p.call("POST", "/api/sessions/end-others", Some(kept), None).await;
    assert_eq!(again.0, 200, "{}", again.1);
}

#[tokio::test]
async fn of_two_browsers_signing_each_other_out_at_once_exactly_one_stays() {
    let p = TestPortal::new().await;
    let e = p.enrolled(EMAIL).await;
    let other = second_browser(&p, &e.secret).await;
    let path = "/api/sessions/end-others";
    let results =
        futures_join_all([p.call("POST", path, Some(&e.session), None), p.call("POST", path, Some(&other), None)])
            .await;
    let statuses: Vec<u16> = results.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 1, "{statuses:?}");
    let winner = results.iter().find(|(s, _)| *s == 200).unwrap().1["session_token"].as_str().unwrap();
    assert_eq!(p.call("GET", "/api/account", Some(winner), None).await.0, 200);
    for token in [&e.session, &other] {
        assert_eq!(p.call("GET", "/api/account", Some(token), None).await.0, 401);
    }
    let ended = p.events().await.iter().filter(|ev| ev.record.event_type == "sessions_ended").count();
    assert_eq!(ended, 2, "one by the first activation, one by the winner: the loser wrote nothing");
}

#[tokio::test]
async fn signing_out_everywhere_else_needs_a_live_session() {
    let p = TestPortal::new().await;
    p.enrolled(EMAIL).await;
    assert_eq!(p.call("POST", "/api/sessions/end-others", None, None).await.0, 401);
    let token = p.mfa_token(EMAIL).await;
    assert_eq!(p.call("POST", "/api/sessions/end-others", Some(&token), None).await.0, 401);
}

#[tokio::test]
async fn the_data_export_needs_a_proof_and_holds_profile_factors_app_passwords_activity_and_requests_but_no_secret() {
    let p = TestPortal::new().await;
    let e = p.enrolled(EMAIL).await;
    let body = json!({"name": "DAVx5", "verification": p.step_up(&e.secret)});
    let (status, created) = p.call("POST", "/api/app-passwords", Some(&e.session), Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let app_password = created["password"].as_str().unwrap().to_owned();
    let dav = basic_auth(EMAIL, &app_password);
    assert_eq!(p.send("GET", "/api/dav/auth", &[("authorization", &dav)], Vec::new()).await.0, 200);
    p.next_step();
    let token = p.mfa_token(EMAIL).await;
    let altcha = p.altcha().await;
    let form = json!({
        "first_name": "Anna", "last_name": "Muster", "phone": "+49 151 2345 6789", "email": EMAIL,
        "privacy_consent": true, "altcha": altcha,
    });
    assert_eq!(p.call("POST", "/api/reset-requests", Some(&token), Some(form)).await.0, 202);
    let (staff, _) = p.staff("sam@support.example", "Sam").await;
    let (_, queue) = {
        p.project().await;
        p.call("GET", "/api/support/queue", Some(&staff), None).await
    };
    let request_id = queue["items"][0]["request_id"].as_str().unwrap().to_owned();
    let path = format!("/api/support/requests/{request_id}/reject");
    assert_eq!(p.call("POST", &path, Some(&staff), Some(json!({"reason": "Name does not match"}))).await.0, 200);

    // Without a proof, or with a wrong one, nothing.
    let (status, body) = p.call("POST", "/api/account/export", Some(&e.session), None).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("verification_required")), "{body}");
    let wrong = json!({"verification": {"method": "totp", "code": p.code(&e.secret, 10)}});
    assert_eq!(p.call("POST", "/api/account/export", Some(&e.session), Some(wrong)).await.0, 401);
    assert_eq!(p.call("POST", "/api/account/export", None, None).await.0, 401);
    let proof = json!({"verification": p.step_up(&e.secret)});
    let (status, data) = p.call("POST", "/api/account/export", Some(&e.session), Some(proof.clone())).await;
    assert_eq!(status, 200, "{data}");
    let (status, _) = p.call("POST", "/api/account/export", Some(&e.session), Some(proof)).await;
    assert_eq!(status, 401, "the proof is used up");

    assert_eq!(
        (data["profile"]["email"].as_str(), data["profile"]["name"].as_str()),
        (Some(EMAIL), Some("Anna Muster"))
    );
    let kinds: Vec<&str> = data["factors"].as_array().unwrap().iter().map(|f| f["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["totp", "recovery_codes"]);
    assert!(data["factors"][0]["created_at"].is_string() && data["factors"][0]["last_used_at"].is_string());
    assert_eq!(data["factors"][1]["remaining"], 10);
    assert_eq!(data["app_passwords"][0]["name"], "DAVx5");
    assert!(data["app_passwords"][0]["last_used_at"].is_string());
    assert_eq!(data["reset_requests"][0]["request_id"], request_id.as_str());
    assert_eq!(data["reset_requests"][0]["rejection_reason"], "Name does not match");
    assert!(data["reset_requests"][0]["decided_at"].is_string());
    let activity: Vec<&str> =
        data["activity"].as_array().unwrap().iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(activity[0], "second_factor_failed", "the wrong proof, newest");
    let position = |kind: &str| activity.iter().position(|k| *k == kind).unwrap();
    assert!(position("reset_rejected") < position("reset_requested"));
    assert!(activity.contains(&"app_password_used") && activity.contains(&"account_created"));
    let text = data.to_string();
    for secret in
        [PASSWORD, app_password.as_str(), "argon2", "aesgcm", e.recovery_codes[0].as_str(), e.session.as_str()]
    {
        assert!(!text.contains(secret), "{secret} in the export");
    }
}
