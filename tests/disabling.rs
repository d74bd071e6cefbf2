//! Staff disable an account (fraud, a dispute) and enable it again
//! (`events::account::disablement`), through the support console's API. Run
//! on the embedded backend and, with `PORTAL_TEST_BACKEND=aws`, on
//! LocalStack.

use acceptance::conformance::sorted_statuses;
use acceptance::harness::{Enrolled, PASSWORD, TestPortal, basic_auth};
use serde_json::{Value, json};

struct Case {
    p: TestPortal,
    staff: String,
    staff_name: &'static str,
    customer: Enrolled,
    email: &'static str,
    id: String,
}

async fn case() -> Case {
    let p = TestPortal::new().await;
    let (staff, _) = p.staff("desk@example.de", "Dana Desk").await;
    let email = "customer@example.de";
    let customer = p.enrolled(email).await;
    let (_, me) = p.call("GET", "/api/account", Some(&customer.session), None).await;
    let id = me["user_id"].as_str().unwrap().to_owned();
    Case { p, staff, staff_name: "Dana Desk", customer, email, id }
}

async fn disable(c: &Case, reason: Value) -> (u16, Value) {
    let path = format!("/api/support/accounts/{}/disable", c.id);
    c.p.call("POST", &path, Some(&c.staff), Some(json!({ "reason": reason }))).await
}

async fn enable(c: &Case) -> (u16, Value) {
    c.p.call("POST", &format!("/api/support/accounts/{}/enable", c.id), Some(&c.staff), None).await
}

#[tokio::test]
async fn staff_find_an_account_by_email_and_nobody_else_can() {
    let c = case().await;
    let lookup = |token: Option<&str>, body: Value| {
        let p = &c.p;
        let token = token.map(str::to_owned);
        async move { p.call("POST", "/api/support/accounts/lookup", token.as_deref(), Some(body)).await }
    };
    let (status, found) = lookup(Some(&c.staff), json!({"email": " Customer@Example.de "})).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["account"]["user_id"], c.id.as_str());
    assert_eq!(found["account"]["disabled"], Value::Null);
    assert_eq!(found["history"], json!([]));
    assert!(!found.to_string().contains("argon2"), "never a hash: {found}");
    assert_eq!(lookup(Some(&c.staff), json!({"email": "nobody@example.de"})).await.0, 404);
    assert_eq!(lookup(Some(&c.staff), json!({"mail": c.email})).await.0, 400);
    assert_eq!(lookup(Some(&c.customer.session), json!({"email": c.email})).await.0, 403);
    assert_eq!(lookup(None, json!({"email": c.email})).await.0, 401);
}

#[tokio::test]
async fn a_disabled_account_cannot_sign_in_and_looks_like_a_wrong_password() {
    let c = case().await;
    let p = &c.p;
    let (status, created) = p
        .call(
            "POST",
            "/api/app-passwords",
            Some(&c.customer.session),
            Some(json!({"name": "Calendar", "verification": p.step_up(&c.customer.secret)})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let dav = basic_auth(c.email, created["password"].as_str().unwrap());
    assert_eq!(p.send("GET", "/api/dav/auth", &[("authorization", &dav)], Vec::new()).await.0, 200);
    let pending = p.mfa_token(c.email).await;

    let (status, view) = disable(&c, json!("  Chargeback fraud, ticket 4711 ")).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["account"]["disabled"]["reason"], "Chargeback fraud, ticket 4711");
    assert_eq!(view["history"][0]["what"], "disabled");
    assert_eq!(view["history"][0]["by"]["name"], c.staff_name);

    // Everything the account had ends, and nothing new starts.
    assert_eq!(p.call("GET", "/api/account", Some(&c.customer.session), None).await.0, 401);
    assert_eq!(p.verify(&pending, "totp", &p.code(&c.customer.secret, 1)).await.0, 401);
    assert_eq!(p.send("GET", "/api/dav/auth", &[("authorization", &dav)], Vec::new()).await.0, 401);
    let right = p.login(c.email, PASSWORD).await;
    let wrong = p.login(c.email, "not the password at all").await;
    assert_eq!(right, wrong, "the right password gets the wrong one's answer");
    assert_eq!(right.0, 401);
    let before = p.outbox().await.len();
    let (status, _) = p.call("POST", "/api/password/forgot", None, Some(json!({"email": c.email}))).await;
    assert_eq!(status, 202);
    p.project().await;
    assert_eq!(p.outbox().await.len(), before, "no reset link goes out");

    // Enabled again: the password and the app's code sign in.
    let (status, view) = enable(&c).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["account"]["disabled"], Value::Null);
    assert_eq!(view["history"][0]["what"], "enabled", "newest first");
    assert_eq!(view["history"][1]["what"], "disabled");
    p.next_step();
    let token = p.mfa_token(c.email).await;
    let (status, verified) = p.verify(&token, "totp", &p.code(&c.customer.secret, 0)).await;
    assert_eq!(status, 200, "{verified}");
}

#[tokio::test]
async fn bad_requests_change_nothing_and_one_of_two_staff_disables() {
    let c = case().await;
    let p = &c.p;
    let events = p.event_count().await;
    for reason in [json!(""), json!("   "), json!("x".repeat(501)), json!(42)] {
        let (status, body) = disable(&c, reason.clone()).await;
        assert_eq!(status, 400, "{reason}: {body}");
    }
    let (status, _) = p.call("POST", &format!("/api/support/accounts/{}/disable", c.id), Some(&c.staff), None).await;
    assert_eq!(status, 400, "no body");
    assert_eq!(enable(&c).await.0, 409, "not disabled");
    let unknown = "/api/support/accounts/00000000-0000-4000-8000-000000000000/disable";
    assert_eq!(p.call("POST", unknown, Some(&c.staff), Some(json!({"reason": "r"}))).await.0, 404);
    let (status, _) =
        p.call("POST", "/api/support/accounts/not-a-uuid/disable", Some(&c.staff), Some(json!({"reason": "r"}))).await;
    assert_eq!(status, 404);
    assert_eq!(p.event_count().await, events, "nothing was written");
    // Staff accounts are the operator's.
    let (other, other_id) = p.staff("colleague@example.de", "Cole League").await;
    let events = p.event_count().await;
    let path = format!("/api/support/accounts/{other_id}/disable");
    assert_eq!(p.call("POST", &path, Some(&c.staff), Some(json!({"reason": "r"}))).await.0, 403);
    assert_eq!(p.event_count().await, events, "nothing was written");
    assert_eq!(p.call("GET", "/api/account", Some(&c.customer.session), None).await.0, 200);

    let path = format!("/api/support/accounts/{}/disable", c.id);
    let statuses = sorted_statuses([&c.staff, &other].map(|token| {
        let (p, path) = (&c.p, path.clone());
        async move { p.call("POST", &path, Some(token), Some(json!({"reason": "fraud"}))).await }
    }))
    .await;
    assert_eq!(statuses, vec![200, 409], "exactly one disables");
    assert_eq!(p.event_count().await, events + 1, "one Disabled");
}
