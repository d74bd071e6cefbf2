//! The projector Lambda's batch handling, fed a DynamoDB Stream event in
//! the format Lambda delivers (tests/fixtures/dynamodb_stream_batch.json).

use acceptance::harness::TestPortal;
use events::account::{self, AccountEvent, Locale, Registration};
use functions::lambda::project_batch;
use functions::ports::store::Meta;
use uuid::Uuid;

const ACCOUNT: Uuid = Uuid::from_u128(0x00000000_0000_4000_8000_00000000000a);
const SET: Uuid = Uuid::from_u128(0x00000000_0000_4000_8000_0000000000c0);

fn batch() -> aws_lambda_events::event::dynamodb::Event {
    serde_json::from_str(include_str!("fixtures/dynamodb_stream_batch.json")).expect("Lambda's stream event format")
}

/// The account the fixture's records belong to, versions 1 and 2 (the
/// fixture holds version 3, the used recovery code).
async fn seeded() -> TestPortal {
    let p = TestPortal::embedded(acceptance::harness::settings(), acceptance::harness::cheap_passwords());
    let meta = Meta { request_id: "seed".into(), at: p.now(), source_ip: None, client: None };
    let key = p.app.personal.create(ACCOUNT).await.unwrap();
    let mut events = account::register(Registration {
        account_id: ACCOUNT,
        email: key.seal("stream@example.de").await.unwrap(),
        name: key.seal("Stream").await.unwrap(),
        password_hash: "$argon2id$unused".into(),
        roles: vec![],
        locale: Locale::De,
    });
    events.push(AccountEvent::RecoveryCodesIssued { set_id: SET, hashes: vec!["h".into(); 10] });
    p.app.append_account(ACCOUNT, 0, &events, &meta, &[]).await.unwrap();
    let used = [AccountEvent::RecoveryCodeUsed { set_id: SET, index: 0 }];
    p.app.append_account(ACCOUNT, 2, &used, &meta, &[]).await.unwrap();
    p
}

async fn mails(p: &TestPortal) -> Vec<serde_json::Value> {
    let (_, body) = p.call("GET", "/dev/outbox", None, None).await;
    body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_failing_record_stops_the_batch_and_is_reported_for_retry() {
    let p = seeded().await;
    let response = project_batch(&p.projector, batch()).await;
    let failed: Vec<_> = response.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect();
    assert_eq!(failed, vec![Some("111100000000000000002".to_owned())], "the broken record, and nothing after it");
    let sent = mails(&p).await;
    assert_eq!(sent.len(), 1, "the record before the broken one was projected: {sent:?}");
    assert_eq!(sent[0]["to"], "stream@example.de");
    assert!(sent[0]["subject"].as_str().unwrap().contains("Wiederherstellungscode"), "in the account's language");
}

#[tokio::test]
async fn a_batch_delivered_twice_sends_nothing_twice() {
    let p = seeded().await;
    let mut once = batch();
    once.records.remove(1);
    assert!(project_batch(&p.projector, once.clone()).await.batch_item_failures.is_empty());
    assert!(project_batch(&p.projector, once).await.batch_item_failures.is_empty());
    assert_eq!(mails(&p).await.len(), 1);
}

/// A snapshot item in the events table reaches the stream like an event;
/// the projector passes it over instead of failing on it (its `version` is
/// no integer and it is no event).
#[tokio::test]
async fn a_snapshot_in_the_stream_is_passed_over() {
    let p = seeded().await;
    let mut event: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/dynamodb_stream_batch.json")).unwrap();
    let records = event["Records"].as_array_mut().unwrap();
    records.truncate(1);
    let mut snapshot = records[0].clone();
    let stream = serde_json::json!({"S": format!("account#{ACCOUNT}")});
    snapshot["dynamodb"]["Keys"] = serde_json::json!({"stream": stream, "version": {"N": "2.5"}});
    snapshot["dynamodb"]["NewImage"] = serde_json::json!({
        "stream": stream, "version": {"N": "2.5"}, "snapshot_of": {"N": "2"}, "fold_version": {"N": "1"},
        "state": {"S": "{}"},
    });
    snapshot["dynamodb"]["SequenceNumber"] = serde_json::json!("111100000000000000000");
    records.insert(0, snapshot);
    let batch = serde_json::from_value(event).unwrap();
    assert!(project_batch(&p.projector, batch).await.batch_item_failures.is_empty());
    assert_eq!(mails(&p).await.len(), 1, "the event after the snapshot was projected");
}

/// A stream's head item (written with every append, see
/// adapters/dynamodb/item.rs) and the TTL's deletion of an expired event
/// reach the stream too; neither is an event, and neither stops the batch.
#[tokio::test]
async fn a_stream_head_and_an_expired_events_removal_are_passed_over() {
    let p = seeded().await;
    let mut event: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/dynamodb_stream_batch.json")).unwrap();
    let records = event["Records"].as_array_mut().unwrap();
    records.truncate(1);
    let stream = serde_json::json!({"S": format!("account#{ACCOUNT}")});
    let head_key = serde_json::json!({"stream": stream, "version": {"N": "100000000000000000000"}});
    let mut head = records[0].clone();
    head["dynamodb"]["Keys"] = head_key.clone();
    head["dynamodb"]["NewImage"] =
        serde_json::json!({"stream": stream, "version": head_key["version"], "head": {"N": "3"}});
    head["dynamodb"]["SequenceNumber"] = serde_json::json!("111100000000000000000");
    let mut moved = head.clone();
    moved["eventName"] = serde_json::json!("MODIFY");
    moved["dynamodb"]["SequenceNumber"] = serde_json::json!("111100000000000000001");
    let mut removed = records[0].clone();
    removed["eventName"] = serde_json::json!("REMOVE");
    removed["dynamodb"].as_object_mut().unwrap().remove("NewImage");
    removed["userIdentity"] = serde_json::json!({"type": "Service", "principalId": "dynamodb.amazonaws.com"});
    removed["dynamodb"]["SequenceNumber"] = serde_json::json!("111100000000000000002");
    records.splice(0..0, [head, moved, removed]);
    let batch = serde_json::from_value(event).unwrap();
    assert!(project_batch(&p.projector, batch).await.batch_item_failures.is_empty());
    assert_eq!(mails(&p).await.len(), 1, "the event after them was projected, once");
}
