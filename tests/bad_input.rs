//! Bad input gets 400 `invalid_request`, never a 500, and writes nothing.

use acceptance::harness::{PASSWORD, TestPortal};
use serde_json::json;

/// Every JSON endpoint with a valid body and a token of the kind it takes.
async fn endpoints(p: &TestPortal) -> Vec<(&'static str, String, serde_json::Value)> {
    let e = p.enrolled("anna@example.de").await;
    let mfa = p.mfa_token("anna@example.de").await;
    vec![
        ("/api/register", String::new(), json!({"email": "b@example.de", "password": PASSWORD, "name": "B"})),
        ("/api/login", String::new(), json!({"email": "anna@example.de", "password": PASSWORD})),
        ("/api/mfa/totp/confirm", e.session.clone(), json!({"code": "123456"})),
        ("/api/mfa/verify", mfa.clone(), json!({"method": "totp", "code": "123456"})),
        (
            "/api/mfa/sms/setup",
            e.session.clone(),
            json!({"phone": "+4915112345678", "verification": {"method": "totp", "code": "123456"}}),
        ),
        ("/api/mfa/sms/confirm", e.session.clone(), json!({"code": "123456"})),
        (
            "/api/app-passwords",
            e.session.clone(),
            json!({"name": "Thunderbird", "verification": {"method": "totp", "code": "123456"}}),
        ),
        (
            "/api/reset-requests",
            mfa.clone(),
            json!({"first_name": "A", "last_name": "M", "phone": "+4915112345678", "email": "anna@example.de",
                   "privacy_consent": true, "altcha": p.altcha().await}),
        ),
    ]
}

async fn assert_refused(p: &TestPortal, path: &str, token: &str, body: Vec<u8>, what: &str) {
    assert_answered(p, path, token, body, (400, "invalid_request"), what).await;
}

/// Without the step-up proof (`verification` missing or null) a change of
/// a credential is not malformed but unproven: 401 `verification_required`.
async fn assert_unproven(p: &TestPortal, path: &str, token: &str, body: Vec<u8>, what: &str) {
    assert_answered(p, path, token, body, (401, "verification_required"), what).await;
}

async fn assert_answered(
    p: &TestPortal,
    path: &str,
    token: &str,
    body: Vec<u8>,
    (expected_status, expected_code): (u16, &str),
    what: &str,
) {
    let before = p.event_count().await;
    let auth = format!("Bearer {token}");
    let mut headers = vec![("content-type", "application/json")];
    if !token.is_empty() {
        headers.push(("authorization", auth.as_str()));
    }
    let (status, response) = p.send("POST", path, &headers, body).await;
    assert_eq!(
        (status, response["error"].as_str()),
        (expected_status, Some(expected_code)),
        "{path} {what}: {response}"
    );
    assert_eq!(p.event_count().await, before, "{path} {what}: nothing written");
}

#[tokio::test]
async fn malformed_json_wrong_types_missing_and_unknown_fields_oversize_bodies() {
    let p = TestPortal::new().await;
    for (path, token, valid) in endpoints(&p).await {
        let obj = valid.as_object().unwrap();
        assert_refused(&p, path, &token, b"{not json".to_vec(), "malformed").await;
        assert_refused(&p, path, &token, Vec::new(), "empty").await;
        assert_refused(&p, path, &token, b"[]".to_vec(), "array").await;
        assert_refused(&p, path, &token, b"null".to_vec(), "null").await;
        for field in obj.keys() {
            let mut missing = valid.clone();
            missing.as_object_mut().unwrap().remove(field);
            let step_up = field == "verification";
            let missing = (missing.to_string().into_bytes(), format!("missing {field}"));
            if step_up {
                assert_unproven(&p, path, &token, missing.0, &missing.1).await;
            } else {
                assert_refused(&p, path, &token, missing.0, &missing.1).await;
            }
            for wrong in [json!(42), json!(null), json!(["x"]), json!({"x": 1})] {
                let mut typed = valid.clone();
                typed[field] = wrong.clone();
                let (body, what) = (typed.to_string().into_bytes(), format!("{field}={wrong}"));
                if step_up && wrong.is_null() {
                    assert_unproven(&p, path, &token, body, &what).await;
                } else {
                    assert_refused(&p, path, &token, body, &what).await;
                }
            }
        }
        let mut unknown = valid.clone();
        unknown["is_admin"] = json!(true);
        assert_refused(&p, path, &token, unknown.to_string().into_bytes(), "unknown field").await;
        let mut huge = valid.clone();
        huge[obj.keys().next().unwrap()] = json!("x".repeat(17 * 1024));
        assert_refused(&p, path, &token, huge.to_string().into_bytes(), "oversize").await;
    }
}

#[tokio::test]
async fn invalid_values_are_refused_with_a_reason() {
    let p = TestPortal::new().await;
    // A refused password says why, for the page to show at the field.
    for (body, what, reason) in [
        (json!({"email": "not-an-email", "password": PASSWORD, "name": "A"}), "email", None),
        (json!({"email": "a@example.de", "password": PASSWORD, "name": "  "}), "empty name", None),
        (json!({"email": "a@example.de", "password": PASSWORD, "name": "x".repeat(101)}), "long name", None),
        (
            json!({"email": "a@example.de", "password": "kurz", "name": "A"}),
            "short password",
            Some("password_too_short"),
        ),
        (json!({"email": "a@example.de", "password": "password", "name": "A"}), "weak", Some("password_well_known")),
        (json!({"email": "a@example.de", "password": "password123", "name": "A"}), "weak", Some("password_well_known")),
    ] {
        let before = p.event_count().await;
        let (status, response) = p.call("POST", "/api/register", None, Some(body)).await;
        assert_eq!((status, response["error"].as_str()), (400, Some("invalid_request")), "{what}");
        assert!(!response["message"].as_str().unwrap().is_empty());
        assert_eq!(response["reason"].as_str(), reason, "{what}: {response}");
        assert_eq!(p.event_count().await, before);
    }
    let (status, _) =
        p.call("POST", "/api/mfa/verify", None, Some(json!({"method": "carrier-pigeon", "code": "1"}))).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn unknown_paths_and_methods() {
    let p = TestPortal::new().await;
    assert_eq!(p.call("GET", "/api/nothing", None, None).await.0, 404);
    assert_eq!(p.call("GET", "/api/login", None, None).await.0, 405);
    assert_eq!(p.call("DELETE", "/api/account", None, None).await.0, 405);
}
