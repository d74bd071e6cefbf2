use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, CancellationReason, ConditionCheck, Delete, Put, TransactWriteItem};
use events::EventRecord;
use time::OffsetDateTime;

use super::item::{
    EventItem, HEAD_MARK, HEAD_SORT_KEY, SNAPSHOT_MARK, SnapshotItem, is_event, snapshot_sort_key, stored_event,
};
use super::{Dynamo, Item, query_all, unavailable};
use crate::ports::store::{
    Claim, ClaimAction, EventStore, LATEST_WINDOW, Latest, Meta, Snapshot, StoreError, StoredEvent, StreamAppend,
    check_append_size, check_claims_size,
};

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(super) fn claim_key(key: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([("pk".to_owned(), s(&format!("claim#{key}"))), ("sk".to_owned(), s("claim"))])
}

impl Dynamo {
    fn transaction(
        &self,
        appends: &[StreamAppend<'_>],
        meta: &Meta,
        claims: &[Claim],
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let build = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Corrupt(e.to_string());
        let events: usize = appends.iter().map(|a| a.events.len()).sum();
        let mut items = Vec::with_capacity(events + claims.len() + appends.len());
        // Claims first: a cancellation reason's position then tells which
        // claim was taken.
        for claim in claims {
            items.push(self.claim_item(claim)?);
        }
        for StreamAppend { stream, expected_version, events, snapshot } in appends.iter().copied() {
            items
                .push(TransactWriteItem::builder().put(self.head_put(stream, expected_version, events.len())?).build());
            for (i, record) in events.iter().enumerate() {
                let item = serde_dynamo::to_item(EventItem::new(stream, expected_version + 1 + i as u64, record, meta))
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let put = Put::builder()
                    .table_name(&self.events_table)
                    .set_item(Some(item))
                    .condition_expression("attribute_not_exists(#s)")
                    .expression_attribute_names("#s", "stream")
                    .build()
                    .map_err(build)?;
                items.push(TransactWriteItem::builder().put(put).build());
            }
            // Unconditional: the head's condition already makes the whole
            // write fail when the stream moved on.
            if let Some(snapshot) = snapshot {
                // A snapshot may go when the activity it came with goes: an
                // account quiet that long has little left to fold.
                let expires_at = events.iter().filter_map(|e| e.expires_at).max();
                let item = snapshot_item(stream, snapshot, expires_at)?;
                let put = Put::builder().table_name(&self.events_table).set_item(Some(item));
                items.push(TransactWriteItem::builder().put(put.build().map_err(build)?).build());
            }
        }
        Ok(items)
    }

    /// A claim's write: a Put if free, a Delete if the owner holds it, or
    /// only the check that it is free.
    fn claim_item(&self, claim: &Claim) -> Result<TransactWriteItem, StoreError> {
        let build = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Corrupt(e.to_string());
        Ok(match claim.action {
            ClaimAction::Take => {
                let mut item = claim_key(&claim.key);
                item.insert("owner".into(), s(&claim.owner));
                let put = Put::builder()
                    .table_name(&self.state_table)
                    .set_item(Some(item))
                    .condition_expression("attribute_not_exists(pk)")
                    .build()
                    .map_err(build)?;
                TransactWriteItem::builder().put(put).build()
            }
            // Only the holder frees a key: a stale view fails the whole
            // write instead of freeing someone else's address.
            ClaimAction::Release => {
                let delete = Delete::builder()
                    .table_name(&self.state_table)
                    .set_key(Some(claim_key(&claim.key)))
                    .condition_expression("#o = :o")
                    .expression_attribute_names("#o", "owner")
                    .expression_attribute_values(":o", s(&claim.owner))
                    .build()
                    .map_err(build)?;
                TransactWriteItem::builder().delete(delete).build()
            }
            ClaimAction::Free => {
                let check = ConditionCheck::builder()
                    .table_name(&self.state_table)
                    .set_key(Some(claim_key(&claim.key)))
                    .condition_expression("attribute_not_exists(pk)")
                    .build()
                    .map_err(build)?;
                TransactWriteItem::builder().condition_check(check).build()
            }
        })
    }

    /// The stream's head at its new version, on the condition that it is
    /// still at `expected_version` (no head: a new stream). This catches a
    /// writer that lost the race and one that names a version ahead of the
    /// stream, whether or not the newest event has expired.
    fn head_put(&self, stream: &str, expected_version: u64, events: usize) -> Result<Put, StoreError> {
        let item = HashMap::from([
            ("stream".to_owned(), s(stream)),
            ("version".to_owned(), AttributeValue::N(HEAD_SORT_KEY.to_owned())),
            (HEAD_MARK.to_owned(), n(expected_version + events as u64)),
        ]);
        let put = Put::builder().table_name(&self.events_table).set_item(Some(item));
        let put = if expected_version == 0 {
            put.condition_expression("attribute_not_exists(#s)").expression_attribute_names("#s", "stream")
        } else {
            put.condition_expression("#h = :expected")
                .expression_attribute_names("#h", HEAD_MARK)
                .expression_attribute_values(":expected", n(expected_version))
        };
        put.build().map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    fn stream_query(&self, stream: &str) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.events_table)
            // `stream` is a reserved word in DynamoDB expressions.
            .key_condition_expression("#s = :s")
            .expression_attribute_names("#s", "stream")
            .expression_attribute_values(":s", s(stream))
    }
}

fn snapshot_item(stream: &str, snapshot: &Snapshot, expires_at: Option<OffsetDateTime>) -> Result<Item, StoreError> {
    let item = SnapshotItem {
        stream: stream.to_owned(),
        snapshot_of: snapshot.version,
        fold_version: snapshot.fold_version,
        state: snapshot.state.to_string(),
    };
    let mut item: Item = serde_dynamo::to_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    item.insert("version".into(), AttributeValue::N(snapshot_sort_key(snapshot.version)));
    if let Some(at) = expires_at {
        item.insert("expires_at".into(), n(at.unix_timestamp().max(0) as u64));
    }
    Ok(item)
}

fn is_snapshot(item: &Item) -> bool {
    item.contains_key(SNAPSHOT_MARK)
}

/// The stream's version, if this is its head item.
fn head_of(item: &Item) -> Result<Option<u64>, StoreError> {
    let Some(head) = item.get(HEAD_MARK) else { return Ok(None) };
    let version = head.as_n().ok().and_then(|n| n.parse().ok());
    version.map(Some).ok_or_else(|| StoreError::Corrupt(format!("a stream's head is not a version: {head:?}")))
}

/// A snapshot item of `fold_version`, if this is one.
fn snapshot_of(item: &Item, fold_version: u32) -> Result<Option<Snapshot>, StoreError> {
    let item: SnapshotItem =
        serde_dynamo::from_item(item.clone()).map_err(|e| StoreError::Corrupt(format!("snapshot item: {e}")))?;
    if item.fold_version != fold_version {
        return Ok(None);
    }
    let state = serde_json::from_str(&item.state).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(Some(Snapshot { version: item.snapshot_of, fold_version, state }))
}

#[async_trait]
impl EventStore for Dynamo {
    async fn load(&self, stream: &str) -> Result<Vec<StoredEvent>, StoreError> {
        let items = query_all(self.stream_query(stream)).await?;
        items.into_iter().filter(is_event).map(stored_event).collect()
    }

    /// Newest first: one Query of `LATEST_WINDOW` items holds the head, the
    /// events after the latest snapshot and the snapshot. Without a usable
    /// one in it, the rest of the stream follows in pages of up to 1 MB.
    async fn load_latest(&self, stream: &str, fold_version: u32) -> Result<Latest, StoreError> {
        let mut latest = Latest::default();
        let mut start = None;
        let mut limit = Some(LATEST_WINDOW as i32);
        'pages: loop {
            let page = self
                .stream_query(stream)
                .scan_index_forward(false)
                .consistent_read(true)
                .set_limit(limit)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| unavailable(&e))?;
            for item in page.items() {
                if let Some(version) = head_of(item)? {
                    latest.version = version;
                } else if is_event(item) {
                    latest.events.push(stored_event(item.clone())?);
                } else if let Some(snapshot) = snapshot_of(item, fold_version)? {
                    latest.snapshot = Some(snapshot);
                    break 'pages;
                }
            }
            match page.last_evaluated_key() {
                Some(key) if !key.is_empty() => (start, limit) = (Some(key.clone()), None),
                _ => break,
            }
        }
        latest.events.reverse();
        Ok(latest)
    }

    async fn drop_snapshots(&self, stream: &str) -> Result<(), StoreError> {
        let items = query_all(self.stream_query(stream)).await?;
        for item in items.into_iter().filter(is_snapshot) {
            let key = [("stream", item.get("stream")), ("version", item.get("version"))]
                .into_iter()
                .map(|(name, value)| Some((name.to_owned(), value?.clone())))
                .collect::<Option<Item>>()
                .ok_or_else(|| StoreError::Corrupt("snapshot item without its key".into()))?;
            self.client
                .delete_item()
                .table_name(&self.events_table)
                .set_key(Some(key))
                .send()
                .await
                .map_err(|e| unavailable(&e))?;
        }
        Ok(())
    }

    async fn redact(&self, stream: &str, version: u64, record: &EventRecord) -> Result<(), StoreError> {
        let payload =
            serde_dynamo::to_attribute_value(&record.payload).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.client
            .update_item()
            .table_name(&self.events_table)
            .key("stream", s(stream))
            .key("version", n(version))
            .update_expression("SET #v = :v, #p = :p")
            .condition_expression("attribute_exists(#s)")
            .expression_attribute_names("#v", "schema_version")
            .expression_attribute_names("#p", "payload")
            .expression_attribute_names("#s", "stream")
            .expression_attribute_values(":v", n(u64::from(record.schema_version)))
            .expression_attribute_values(":p", payload)
            .send()
            .await
            .map_err(|e| unavailable(&e))?;
        Ok(())
    }

    async fn append_all(
        &self,
        appends: &[StreamAppend<'_>],
        meta: &Meta,
        claims: &[Claim],
    ) -> Result<Vec<u64>, StoreError> {
        check_append_size(appends, claims)?;
        let items = self.transaction(appends, meta, claims)?;
        let versions: Vec<u64> = appends.iter().map(|a| a.expected_version + a.events.len() as u64).collect();
        self.transact(items, claims).await?;
        Ok(versions)
    }

    async fn write_claims(&self, claims: &[Claim]) -> Result<(), StoreError> {
        check_claims_size(claims)?;
        let items = claims.iter().map(|claim| self.claim_item(claim)).collect::<Result<_, _>>()?;
        self.transact(items, claims).await
    }

    async fn claim_owner(&self, key: &str) -> Result<Option<String>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.state_table)
            .set_key(Some(claim_key(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable(&e))?;
        Ok(out.item().and_then(|i| i.get("owner")).and_then(|v| v.as_s().ok()).cloned())
    }
}

impl Dynamo {
    /// Sends one transaction whose first items are `claims`' writes.
    async fn transact(&self, items: Vec<TransactWriteItem>, claims: &[Claim]) -> Result<(), StoreError> {
        // The SDK sends the same token on each of its retries, so a retried
        // transaction that had in fact succeeded succeeds again instead of
        // conflicting with itself.
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .client_request_token(uuid::Uuid::new_v4().to_string())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => Err(match e.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancel)) => {
                    cancelled(cancel.cancellation_reasons(), claims).unwrap_or_else(|| unavailable(&e))
                }
                _ => unavailable(&e),
            }),
        }
    }
}

/// What a cancelled transaction means for the caller, from its reasons (one
/// per item, claims first): a failed condition is a taken claim or a lost
/// race (`Conflict`: reload and decide again), and so is a
/// `TransactionConflict` (another transaction held one of the items at that
/// moment). `None` for the rest (throttling of an item, a failed
/// validation): the SDK does not retry a cancellation and neither does the
/// adapter, so the caller answers 503 with Retry-After; nothing was written.
fn cancelled(reasons: &[CancellationReason], claims: &[Claim]) -> Option<StoreError> {
    if let Some(i) = reasons.iter().position(|r| r.code() == Some("ConditionalCheckFailed")) {
        return Some(match claims.get(i) {
            Some(claim) => StoreError::ClaimTaken(claim.key.clone()),
            None => StoreError::Conflict,
        });
    }
    reasons.iter().any(|r| r.code() == Some("TransactionConflict")).then_some(StoreError::Conflict)
}
