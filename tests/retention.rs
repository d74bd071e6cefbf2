//! Retention (`events::retention`): sign-in activity expires and the store
//! deletes it, the rest stays, and the account decides as before. Run on
//! the embedded backend and, with `PORTAL_TEST_BACKEND=aws`, on LocalStack
//! (where the test does the TTL's deleting: LocalStack sweeps by the wall
//! clock, the test's clock is its own).

use std::collections::BTreeSet;

use acceptance::harness::{PASSWORD, TestPortal};
use events::account::{self, Account};
use events::retention::RetentionPolicy;
use events::{Aggregate, EventCodec};
use functions::ports::store::{StoredEvent, decode};
use serde_json::{Value, json};
use time::Duration;
use uuid::Uuid;

const KEPT: [&str; 5] =
    ["registered", "totp_activated", "recovery_codes_issued", "sessions_ended", "app_password_created"];

async fn stream_of(p: &TestPortal, id: Uuid) -> Vec<StoredEvent> {
    p.app.store.load(&account::stream_id(id)).await.unwrap()
}

fn types(events: &[StoredEvent]) -> BTreeSet<String> {
    events.iter().map(|e| e.record.event_type.clone()).collect()
}

/// `GET /api/account` with the parts that can move between two sign-ins
/// (nothing but the session) left as they are: the whole answer.
async fn account_view(p: &TestPortal, session: &str) -> Value {
    let (status, me) = p.call("GET", "/api/account", Some(session), None).await;
    assert_eq!(status, 200, "{me}");
    me
}

async fn sign_in_with_app(p: &TestPortal, email: &str, secret: &[u8]) -> String {
    p.next_step();
    let token = p.mfa_token(email).await;
    let (status, verified) = p.verify(&token, "totp", &p.code(secret, 0)).await;
    assert_eq!(status, 200, "{verified}");
    verified["session_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn expired_sign_in_activity_is_deleted_and_the_account_decides_as_before() {
    let p = TestPortal::new().await;
    let email = "retention@example.de";
    let e = p.enrolled(email).await;
    let (status, created) = p
        .call(
            "POST",
            "/api/app-passwords",
            Some(&e.session),
            Some(json!({"name": "Calendar", "verification": p.step_up(&e.secret)})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    // A month of use: sign-ins, a mistyped password and code, logouts.
    for _ in 0..5 {
        assert_eq!(p.login(email, "wrong password").await.0, 401);
        let token = p.mfa_token(email).await;
        assert_eq!(p.verify(&token, "totp", "000000").await.0, 401);
        let session = sign_in_with_app(&p, email, &e.secret).await;
        assert_eq!(p.call("POST", "/api/logout", Some(&session), None).await.0, 204);
        p.clock.advance(Duration::days(6));
    }
    let session = sign_in_with_app(&p, email, &e.secret).await;
    let before_view = account_view(&p, &session).await;
    let id = Uuid::parse_str(before_view["user_id"].as_str().unwrap()).unwrap();
    let before = stream_of(&p, id).await;
    let head = before.last().unwrap().version;
    assert!(types(&before).contains("password_failed") && types(&before).contains("session_ended"));
    assert_eq!(p.delete_expired().await, 0, "nothing has expired yet");

    // The default keeps sign-in activity 90 days: 91 days after the last
    // sign-in every bit of it has expired.
    p.clock.advance(Duration::days(RetentionPolicy::DEFAULT_DAYS + 1));
    let deleted = p.delete_expired().await;
    let after = stream_of(&p, id).await;
    let expiring: Vec<u64> = before.iter().filter(|e| e.record.expires_at.is_some()).map(|e| e.version).collect();
    assert!(before.iter().filter_map(|e| e.record.expires_at).all(|t| t <= p.now()), "all of it has expired");
    // On DynamoDB the count includes the snapshots, which expire with the
    // activity they were written with.
    assert!(expiring.len() > 30 && deleted + 1 >= expiring.len(), "{deleted} deleted, {} expired", expiring.len());
    let left: Vec<u64> = after.iter().map(|e| e.version).collect();
    let kept: Vec<u64> = before.iter().map(|e| e.version).filter(|v| !expiring.contains(v)).collect();
    // Every kept event stays; of the expired ones at most the stream's
    // newest (SQLite keeps it, DynamoDB's TTL does not).
    assert!(kept.iter().all(|v| left.contains(v)), "kept {kept:?}, left {left:?}");
    assert!(left.iter().all(|v| kept.contains(v) || *v == head), "kept {kept:?}, left {left:?}");
    for kept in KEPT {
        assert!(types(&after).contains(kept), "{kept} is kept: {:?}", types(&after));
    }
    // The first login without a factor is kept: the grace does not return.
    let (status, login) = p.login(email, PASSWORD).await;
    assert_eq!((status, login["status"].as_str()), (200, Some("mfa_required")), "{login}");

    // The account decides as before: the app's code signs in, the app
    // password works, the answer is the same, with and without snapshots.
    let session = sign_in_with_app(&p, email, &e.secret).await;
    assert_eq!(account_view(&p, &session).await, before_view);
    let stream = account::stream_id(id);
    p.app.store.drop_snapshots(&stream).await.unwrap();
    assert_eq!(account_view(&p, &session).await, before_view);
    let whole = Account::from_events(&decode(&stream_of(&p, id).await).unwrap());
    assert_eq!(whole.totp, p.app.load::<Account>(id).await.unwrap().totp);
    let (status, dav) = p
        .send(
            "GET",
            "/api/dav/auth",
            &[("authorization", &acceptance::harness::basic_auth(email, created["password"].as_str().unwrap()))],
            Vec::new(),
        )
        .await;
    assert_eq!(status, 200, "{dav}");

    // The stream went on from its version: no version was used twice, also
    // where its newest event had expired (DynamoDB's TTL deletes that too).
    let now = stream_of(&p, id).await;
    let new_versions: Vec<u64> = now.iter().map(|e| e.version).filter(|v| *v > head).collect();
    assert_eq!(new_versions.first(), Some(&(head + 1)), "{new_versions:?}");
    let record = now.iter().find(|e| e.version == head + 1).unwrap();
    assert_eq!(record.record.event_type, "password_passed", "the login above");
    assert_eq!(
        account::AccountEvent::decode(&record.record).unwrap().retention(),
        events::retention::Retention::SignInActivity
    );
}

#[tokio::test]
async fn kept_for_ever_nothing_expires() {
    let mut settings = acceptance::harness::settings();
    settings.retention = RetentionPolicy::sign_in_activity_days(None).unwrap();
    let p = TestPortal::with_settings(settings, acceptance::harness::cheap_passwords()).await;
    let e = p.enrolled("forever@example.de").await;
    sign_in_with_app(&p, "forever@example.de", &e.secret).await;
    assert!(p.events().await.iter().all(|e| e.record.expires_at.is_none()));
    p.clock.advance(Duration::days(3650));
    assert_eq!(p.delete_expired().await, 0);
}
