//! DynamoDB round trips per request on LocalStack, counted by an SDK
//! interceptor. Alone in its test binary: the counter is per process.

use acceptance::harness::{PASSWORD, TestPortal, cheap_passwords};
use functions::backend::aws::dynamodb_round_trips;
use serde_json::json;

/// Round trips to DynamoDB per request, as the closing note and the cost
/// estimate use them. Counted by an SDK interceptor; asserted against the
/// goals (login <= 3, verify <= 2) because the count is exact, not a timing.
#[tokio::test]
#[ignore = "needs LocalStack; tests/run runs it"]
async fn dynamodb_round_trips_per_flow() {
    let p = TestPortal::aws(acceptance::harness::settings(), cheap_passwords()).await;
    p.register("trips@example.de").await;
    p.login("trips@example.de", PASSWORD).await;
    let measure = async |label: &str, f: std::pin::Pin<Box<dyn Future<Output = u16> + '_>>| {
        let before = dynamodb_round_trips();
        let status = f.await;
        let trips = dynamodb_round_trips() - before;
        println!("round trips: {label:<28} {trips} (status {status})");
        trips
    };
    let token = p.mfa_token("trips@example.de").await;
    let login =
        measure("login (password step)", Box::pin(async { p.login("trips@example.de", PASSWORD).await.0 })).await;
    let setup =
        measure("totp setup", Box::pin(async { p.call("POST", "/api/mfa/totp/setup", Some(&token), None).await.0 }))
            .await;
    let events = p.events().await;
    assert!(events.iter().any(|e| e.record.event_type == "totp_setup_started"));
    // The setup's secret is sealed by KMS; take it from the response of a
    // second setup instead of opening the seal here.
    let (_, body) = p.call("POST", "/api/mfa/totp/setup", Some(&token), None).await;
    let secret = data_encoding::BASE32_NOPAD.decode(body["secret"].as_str().unwrap().as_bytes()).unwrap();
    let code = p.code(&secret, 0);
    let confirm = measure(
        "totp confirm",
        Box::pin(async { p.call("POST", "/api/mfa/totp/confirm", Some(&token), Some(json!({"code": code}))).await.0 }),
    )
    .await;
    p.next_step();
    let token = p.mfa_token("trips@example.de").await;
    let code = p.code(&secret, 0);
    let verify = measure("verify (totp)", Box::pin(async { p.verify(&token, "totp", &code).await.0 })).await;
    // An SMS login: password step, send, verify (on another account). A
    // send reads the account, takes the number's and the global quota (a
    // read and a conditional write each) and appends: 6.
    let phone = acceptance::harness::unique_phone();
    p.register("sms-trips@example.de").await;
    p.login("sms-trips@example.de", PASSWORD).await;
    let token = p.mfa_token("sms-trips@example.de").await;
    let sms_setup = measure(
        "sms setup (send to new number)",
        Box::pin(async { p.call("POST", "/api/mfa/sms/setup", Some(&token), Some(json!({"phone": phone}))).await.0 }),
    )
    .await;
    let code = p.sms_code(&phone).await;
    p.call("POST", "/api/mfa/sms/confirm", Some(&token), Some(json!({"code": code}))).await;
    p.clock.advance(time::Duration::minutes(2));
    let sms_login =
        measure("login (sms account)", Box::pin(async { p.login("sms-trips@example.de", PASSWORD).await.0 })).await;
    let token = p.mfa_token("sms-trips@example.de").await;
    let sms_send =
        measure("sms send", Box::pin(async { p.call("POST", "/api/mfa/sms/send", Some(&token), None).await.0 })).await;
    assert_eq!(p.sms_to(&phone).await.len(), 2, "one SNS publish per send");
    let code = p.sms_code(&phone).await;
    let sms_verify = measure("verify (sms)", Box::pin(async { p.verify(&token, "sms", &code).await.0 })).await;
    println!("round trips: one SMS login = {} (+1 SNS publish, +1 KMS decrypt)", sms_login + sms_send + sms_verify);
    assert!(
        sms_send <= 6 && sms_verify <= 2 && sms_setup <= 6,
        "send {sms_send}, verify {sms_verify}, setup {sms_setup}"
    );
    // DAV: an app password is checked with three reads (the email's claim,
    // the failure counter, the account's events) and the last-used time is
    // written at most every five minutes: the first check writes it, the
    // next ones within five minutes do not even try.
    let session = p.enrolled("dav-trips@example.de").await.session;
    let (_, created) = p.call("POST", "/api/app-passwords", Some(&session), Some(json!({"name": "cal"}))).await;
    let basic = format!(
        "Basic {}",
        data_encoding::BASE64
            .encode(format!("dav-trips@example.de:{}", created["password"].as_str().unwrap()).as_bytes())
    );
    let dav = async || p.send("GET", "/api/dav/auth", &[("authorization", &basic)], Vec::new()).await.0;
    let dav_first = measure("dav auth (first use)", Box::pin(dav())).await;
    let dav_next = measure("dav auth (again)", Box::pin(dav())).await;
    assert!(dav_first <= 4 && dav_next <= 3, "dav auth: first {dav_first}, next {dav_next}");
    assert!(login <= 3, "login took {login} round trips");
    assert!(verify <= 2, "verify took {verify} round trips");
    assert!(setup <= 2 && confirm <= 2, "setup {setup}, confirm {confirm}");
}
