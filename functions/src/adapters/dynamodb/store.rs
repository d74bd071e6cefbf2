use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, CancellationReason, ConditionCheck, Put, TransactWriteItem};

use super::item::{EventItem, stored_event};
use super::{Dynamo, query_all, unavailable};
use crate::ports::store::{Claim, EventStore, Meta, StoreError, StoredEvent, StreamAppend, check_append_size};

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
            let mut item = claim_key(&claim.key);
            item.insert("owner".into(), s(&claim.owner));
            let put = Put::builder()
                .table_name(&self.state_table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(build)?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        for StreamAppend { stream, expected_version, events } in appends.iter().copied() {
            // Appending after version N needs N to exist: this catches a
            // caller that names a version ahead of the stream.
            if expected_version > 0 {
                let check = ConditionCheck::builder()
                    .table_name(&self.events_table)
                    .key("stream", s(stream))
                    .key("version", n(expected_version))
                    .condition_expression("attribute_exists(#s)")
                    .expression_attribute_names("#s", "stream")
                    .build()
                    .map_err(build)?;
                items.push(TransactWriteItem::builder().condition_check(check).build());
            }
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
        }
        Ok(items)
    }
}

#[async_trait]
impl EventStore for Dynamo {
    async fn load(&self, stream: &str) -> Result<Vec<StoredEvent>, StoreError> {
        let items = query_all(
            self.client
                .query()
                .table_name(&self.events_table)
                // `stream` is a reserved word in DynamoDB expressions.
                .key_condition_expression("#s = :s")
                .expression_attribute_names("#s", "stream")
                .expression_attribute_values(":s", s(stream)),
        )
        .await?;
        items.into_iter().map(stored_event).collect()
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
            Ok(_) => Ok(versions),
            Err(e) => Err(match e.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancel)) => {
                    cancelled(cancel.cancellation_reasons(), claims).unwrap_or_else(|| unavailable(&e))
                }
                _ => unavailable(&e),
            }),
        }
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
