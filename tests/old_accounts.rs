//! Accounts with years of sign-ins: a request starts from the latest
//! snapshot of the account's fold and folds only the events after it, and
//! answers exactly as a fold of the whole stream would. Run on the embedded
//! backend and, with `PORTAL_TEST_BACKEND=aws`, on LocalStack.

use acceptance::conformance::futures_join_all;
use acceptance::harness::{Enrolled, PASSWORD, TestPortal};
use events::account::{self, Account};
use events::{Aggregate, EventCodec};
use functions::ports::store::{Meta, SNAPSHOT_EVERY, Snapshot, StreamAppend, decode};
use serde_json::Value;
use uuid::Uuid;

/// Past sign-ins of the old account: six hundred events, so many snapshots.
const SIGN_INS: usize = 200;

async fn old_account(p: &TestPortal, email: &str) -> (Uuid, Enrolled) {
    let e = p.enrolled(email).await;
    let (status, me) = p.call("GET", "/api/account", Some(&e.session), None).await;
    assert_eq!(status, 200, "{me}");
    let id = Uuid::parse_str(me["user_id"].as_str().unwrap()).unwrap();
    p.age_account(id, SIGN_INS).await;
    (id, e)
}

/// The account folded from every one of its events.
async fn whole_fold(p: &TestPortal, id: Uuid) -> Account {
    Account::from_events(&decode(&p.app.store.load(&account::stream_id(id)).await.unwrap()).unwrap())
}

/// A login with the authenticator, then `GET /api/account`: the session and
/// the account as the contract shows it.
async fn sign_in(p: &TestPortal, email: &str, e: &Enrolled) -> (String, Value) {
    p.next_step();
    let token = p.mfa_token(email).await;
    let (status, verified) = p.verify(&token, "totp", &p.code(&e.secret, 0)).await;
    assert_eq!(status, 200, "{verified}");
    let session = verified["session_token"].as_str().unwrap().to_owned();
    let (status, me) = p.call("GET", "/api/account", Some(&session), None).await;
    assert_eq!(status, 200, "{me}");
    (session, me)
}

#[tokio::test]
async fn an_old_account_answers_from_its_snapshot_as_from_its_whole_stream() {
    let p = TestPortal::new().await;
    let email = "old@example.de";
    let (id, e) = old_account(&p, email).await;
    let stream = account::stream_id(id);
    let latest = p.app.store.load_latest(&stream, Account::FOLD_VERSION).await.unwrap();
    let snapshot = latest.snapshot.as_ref().expect("an old account has a snapshot");
    assert!(latest.events.len() < SNAPSHOT_EVERY as usize, "{} events after the snapshot", latest.events.len());
    // The snapshot is the fold up to its version, and a load from it the
    // fold of the whole stream.
    let events = decode(&p.app.store.load(&stream).await.unwrap()).unwrap();
    let upto = Account::from_events(events.iter().take(snapshot.version as usize));
    assert_eq!(serde_json::from_value::<Account>(snapshot.state.clone()).unwrap(), upto);
    assert_eq!(p.app.load::<Account>(id).await.unwrap(), whole_fold(&p, id).await);

    let (session, me) = sign_in(&p, email, &e).await;
    assert_eq!(p.app.load::<Account>(id).await.unwrap(), whole_fold(&p, id).await);
    // Deleting every snapshot changes no answer.
    p.app.store.drop_snapshots(&stream).await.unwrap();
    assert!(p.app.store.load_latest(&stream, Account::FOLD_VERSION).await.unwrap().snapshot.is_none());
    let (status, again) = p.call("GET", "/api/account", Some(&session), None).await;
    assert_eq!((status, &again), (200, &me));
    assert_eq!(p.app.load::<Account>(id).await.unwrap(), whole_fold(&p, id).await);
    let (_, me) = sign_in(&p, email, &e).await;
    assert_eq!(me, again);
}

#[tokio::test]
async fn a_snapshot_of_another_fold_version_is_ignored() {
    let p = TestPortal::new().await;
    let email = "refolded@example.de";
    let (id, e) = old_account(&p, email).await;
    let stream = account::stream_id(id);
    // What a later build's fold might write: its state differs from ours.
    let mut other = whole_fold(&p, id).await;
    let event = account::AccountEvent::PasswordFailed {};
    other.apply(&events::codec::Recorded { version: other.version + 1, at: p.now(), event: event.clone() });
    other.name = events::Sealed::legacy("Someone Else");
    other.totp = None;
    let snapshot = Snapshot {
        version: other.version,
        fold_version: Account::FOLD_VERSION + 1,
        state: serde_json::to_value(&other).unwrap(),
    };
    let records = [event.encode()];
    let append = StreamAppend {
        stream: &stream,
        expected_version: other.version - 1,
        events: &records,
        snapshot: Some(&snapshot),
    };
    let meta = Meta { request_id: "later-build".into(), at: p.now(), source_ip: None, client: None };
    p.app.store.append_all(&[append], &meta, &[]).await.unwrap();

    assert_eq!(p.app.load::<Account>(id).await.unwrap(), whole_fold(&p, id).await);
    let (_, me) = sign_in(&p, email, &e).await;
    assert_eq!(me["name"], "Anna Muster");
    assert_eq!(me["mfa"]["totp"], true);
}

#[tokio::test]
async fn of_two_writers_on_an_old_account_one_wins_and_the_other_retries_from_the_new_snapshot() {
    let p = TestPortal::new().await;
    let email = "busy@example.de";
    let (id, _) = old_account(&p, email).await;
    // Bring the stream to just below a multiple of `SNAPSHOT_EVERY`: the
    // first of the racing appends writes a snapshot, the others load it.
    while (p.app.load::<Account>(id).await.unwrap().version + 1) % SNAPSHOT_EVERY != 0 {
        assert_eq!(p.login(email, PASSWORD).await.0, 200);
    }
    let before = p.app.load::<Account>(id).await.unwrap().version;
    let results = futures_join_all((0..2).map(|_| p.login(email, PASSWORD))).await;
    assert!(results.iter().all(|(status, _)| *status == 200), "{results:?}");

    let stream = account::stream_id(id);
    let stored = p.app.store.load(&stream).await.unwrap();
    assert_eq!(stored.len() as u64, before + 2, "each login appended its event once");
    assert!(stored.iter().enumerate().all(|(i, e)| e.version == i as u64 + 1));
    let latest = p.app.store.load_latest(&stream, Account::FOLD_VERSION).await.unwrap();
    let snapshot = latest.snapshot.expect("the crossing append wrote one");
    assert_eq!(snapshot.version, before + 1, "the winner's snapshot, of the version it wrote");
    let events = decode(&stored).unwrap();
    let upto = Account::from_events(events.iter().take(snapshot.version as usize));
    assert_eq!(serde_json::from_value::<Account>(snapshot.state).unwrap(), upto);
    assert_eq!(p.app.load::<Account>(id).await.unwrap(), whole_fold(&p, id).await);
}
