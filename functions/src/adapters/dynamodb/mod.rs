//! The DynamoDB adapter: the event store (`events` table: partition key
//! `stream`, sort key `version`, streams NEW_IMAGE) and the state (the
//! table of `PORTAL_STATE_TABLE`: `pk`, `sk`, TTL on `expires_at`; its keys
//! are listed in `ports::state`). Uniqueness claims live in the state table
//! and are written in the same transaction as the events that need them.

mod item;
mod state;
mod store;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::AttributeValue;

pub use item::{EventItem, stored_event, stream_record};

use crate::ports::store::StoreError;

/// A DynamoDB item, as the SDK hands it over.
type Item = std::collections::HashMap<String, AttributeValue>;

#[derive(Clone)]
pub struct Dynamo {
    client: Client,
    events_table: String,
    state_table: String,
}

impl Dynamo {
    pub fn new(client: Client, events_table: impl Into<String>, state_table: impl Into<String>) -> Self {
        Dynamo { client, events_table: events_table.into(), state_table: state_table.into() }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn events_table(&self) -> &str {
        &self.events_table
    }
}

// Retries: none here. The SDK's standard retry (backend/aws.rs
// `retry_config`, `timeout_config`) sends a throttled, failed or timed-out
// request again within one operation timeout; an error that reaches the
// adapter is final for this request (503 for the client).

fn unavailable<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(e: &SdkError<E, R>) -> StoreError {
    let detail = match e.as_service_error() {
        Some(service) => format!("{}: {}", service.code().unwrap_or("?"), service.message().unwrap_or("")),
        None => format!("{e:?}").chars().take(200).collect(),
    };
    StoreError::Unavailable(detail)
}

/// Every item of a strongly consistent Query, page after page (a page holds
/// at most 1 MB) through the SDK's paginator.
async fn query_all(query: QueryFluentBuilder) -> Result<Vec<Item>, StoreError> {
    query
        .consistent_read(true)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<Item>, _>>()
        .await
        .map_err(|e| unavailable(&e))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use events::EventRecord;
    use serde_json::json;

    use super::*;
    use crate::backend::aws::{MAX_ATTEMPTS, dynamodb_client};
    use crate::backend::fake_aws::{Answer, FakeAws};
    use crate::ports::state::StateStore;
    use crate::ports::store::{Claim, EventStore, Meta, StreamAppend};

    fn dynamo(fake: &FakeAws) -> Dynamo {
        Dynamo::new(dynamodb_client(&fake.sdk()), "events", "state")
    }

    /// Appends one event after version 1 with one claim: the transaction's
    /// items are the claim, the version check, the event.
    async fn append(d: &Dynamo) -> Result<Vec<u64>, StoreError> {
        let events =
            [EventRecord { event_type: "Tested".into(), schema_version: 1, payload: json!({}), expires_at: None }];
        let meta = Meta { request_id: "r".into(), at: time::OffsetDateTime::UNIX_EPOCH, source_ip: None, client: None };
        let claim = Claim::take("email#a@b.de", "account#1");
        let append = StreamAppend { stream: "account#1", expected_version: 1, events: &events, snapshot: None };
        d.append_all(&[append], &meta, &[claim]).await
    }

    fn cancelled_by(codes: &[&str]) -> Answer {
        let reasons: Vec<_> = codes.iter().map(|c| json!({ "Code": c })).collect();
        Answer::dynamodb_error(400, "TransactionCanceledException", json!({ "CancellationReasons": reasons }))
    }

    #[tokio::test]
    async fn a_call_that_keeps_failing_is_sent_by_the_sdk_alone_max_attempts_times() {
        let fake = FakeAws::new(vec![Answer::dynamodb_error(500, "InternalServerError", json!({}))]);
        let d = dynamo(&fake);
        assert!(matches!(d.load("account#1").await, Err(StoreError::Unavailable(_))));
        assert_eq!(fake.requests().len(), MAX_ATTEMPTS as usize, "one retry loop, the SDK's");
        let fake = FakeAws::new(vec![Answer::dynamodb_error(400, "ThrottlingException", json!({}))]);
        let d = dynamo(&fake);
        assert!(matches!(d.mark_once("m", time::OffsetDateTime::UNIX_EPOCH).await, Err(StoreError::Unavailable(_))));
        assert_eq!(fake.requests().len(), MAX_ATTEMPTS as usize);
    }

    #[tokio::test]
    async fn a_throttled_call_that_then_succeeds_is_retried_by_the_sdk() {
        let fake = FakeAws::new(vec![
            Answer::dynamodb_error(400, "ProvisionedThroughputExceededException", json!({})),
            Answer::dynamodb(200, json!({ "Item": { "owner": { "S": "account#7" } } })),
        ]);
        assert_eq!(dynamo(&fake).claim_owner("email#a@b.de").await, Ok(Some("account#7".into())));
        assert_eq!(fake.requests().len(), 2);
    }

    #[tokio::test]
    async fn a_call_that_never_answers_ends_unavailable_at_the_operation_timeout() {
        let fake = FakeAws::new(vec![Answer::Hang]);
        let d = dynamo(&fake);
        // The guard only keeps a regression from hanging the test run.
        let result = tokio::time::timeout(Duration::from_secs(60), d.load("account#1")).await.expect("the call ended");
        assert!(matches!(result, Err(StoreError::Unavailable(_))), "{result:?}");
        // 2 s attempts: the second is cut off by the 4 s operation timeout.
        assert_eq!(fake.requests().len(), 2);
    }

    #[tokio::test]
    async fn a_query_reads_every_page_through_the_paginator() {
        let doc = |id: &str| json!({ "pk": {"S": "doc#c"}, "sk": {"S": id}, "version": {"N": "1"}, "doc": {"S": format!("{{\"id\":\"{id}\"}}")} });
        let fake = FakeAws::new(vec![
            Answer::dynamodb(
                200,
                json!({ "Items": [doc("a")], "LastEvaluatedKey": { "pk": {"S": "doc#c"}, "sk": {"S": "a"} } }),
            ),
            Answer::dynamodb(200, json!({ "Items": [doc("b")] })),
        ]);
        let docs = dynamo(&fake).docs("c", time::OffsetDateTime::UNIX_EPOCH).await.unwrap();
        assert_eq!(docs, vec![json!({"id": "a"}), json!({"id": "b"})]);
        let requests = fake.requests();
        assert_eq!(requests.len(), 2);
        let second: serde_json::Value = serde_json::from_str(&requests[1]).unwrap();
        assert_eq!(second["ExclusiveStartKey"]["sk"], json!({"S": "a"}));
        assert!(requests.iter().all(|r| r.contains("\"ConsistentRead\":true")), "{requests:?}");
    }

    /// The latest snapshot and the events after it come from one Query,
    /// newest first, of `LATEST_WINDOW` items; older items are not read.
    #[tokio::test]
    async fn the_latest_snapshot_and_the_events_after_it_are_one_bounded_query() {
        let event = |v: u64| {
            json!({ "stream": {"S": "account#1"}, "version": {"N": v.to_string()}, "event_type": {"S": "Tested"},
                "schema_version": {"N": "1"}, "payload": {"M": {}},
                "meta": {"M": {"request_id": {"S": "r"}, "at": {"S": "2026-11-02T09:00:15Z"}}} })
        };
        let snapshot = |v: u64, fold: u32| {
            json!({ "stream": {"S": "account#1"}, "version": {"N": format!("{v}.5")}, "snapshot_of": {"N": v.to_string()},
                "fold_version": {"N": fold.to_string()}, "state": {"S": format!("{{\"at\":{v}}}")} })
        };
        // A newer fold's snapshot at 65 is passed over; ours at 64 ends the read.
        let items = json!([event(66), snapshot(65, 2), event(65), snapshot(64, 1), event(64)]);
        let fake = FakeAws::new(vec![Answer::dynamodb(
            200,
            json!({ "Items": items, "Count": 5, "ScannedCount": 5,
                "LastEvaluatedKey": { "stream": {"S": "account#1"}, "version": {"N": "64"} } }),
        )]);
        let latest = dynamo(&fake).load_latest("account#1", 1).await.unwrap();
        let snapshot = latest.snapshot.expect("the snapshot of fold 1");
        assert_eq!((snapshot.version, snapshot.state), (64, json!({"at": 64})));
        assert_eq!(latest.events.iter().map(|e| e.version).collect::<Vec<_>>(), [65, 66]);
        let requests = fake.requests();
        assert_eq!(requests.len(), 1, "one round trip");
        let query: serde_json::Value = serde_json::from_str(&requests[0]).unwrap();
        assert_eq!(query["ScanIndexForward"], json!(false));
        assert_eq!(query["Limit"], json!(crate::ports::store::LATEST_WINDOW));
        assert_eq!(query["ConsistentRead"], json!(true));
    }

    #[tokio::test]
    async fn a_cancelled_append_is_a_taken_claim_a_conflict_or_unavailable_and_is_sent_once() {
        for (codes, want) in [
            (&["ConditionalCheckFailed", "None", "None"][..], StoreError::ClaimTaken("email#a@b.de".into())),
            (&["None", "ConditionalCheckFailed", "None"][..], StoreError::Conflict),
            (&["None", "None", "ConditionalCheckFailed"][..], StoreError::Conflict),
            (&["None", "TransactionConflict", "None"][..], StoreError::Conflict),
        ] {
            let fake = FakeAws::new(vec![cancelled_by(codes)]);
            assert_eq!(append(&dynamo(&fake)).await, Err(want), "{codes:?}");
            assert_eq!(fake.requests().len(), 1, "{codes:?}");
        }
        // Throttled items: nothing was written; the caller answers 503 and
        // the client sends the request again (Retry-After).
        let fake = FakeAws::new(vec![cancelled_by(&["None", "ThrottlingError", "None"])]);
        assert!(matches!(append(&dynamo(&fake)).await, Err(StoreError::Unavailable(_))));
        assert_eq!(fake.requests().len(), 1);
    }

    #[tokio::test]
    async fn the_sdk_sends_one_client_token_on_each_retry_of_an_append() {
        let fake = FakeAws::new(vec![
            Answer::dynamodb_error(500, "InternalServerError", json!({})),
            Answer::dynamodb(200, json!({})),
        ]);
        assert_eq!(append(&dynamo(&fake)).await, Ok(vec![2]));
        let tokens: Vec<serde_json::Value> = fake
            .requests()
            .iter()
            .map(|r| serde_json::from_str::<serde_json::Value>(r).unwrap()["ClientRequestToken"].clone())
            .collect();
        assert_eq!(tokens.len(), 2);
        assert!(tokens[0].is_string() && tokens[0] == tokens[1], "{tokens:?}");
    }
}
