use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::types::AttributeValue;
use events::lockout::{Failures, LockoutPolicy};
use events::quota::{self, Window};
use time::OffsetDateTime;

use super::{Dynamo, query_all, unavailable};
use crate::ports::state::StateStore;
use crate::ports::store::StoreError;

fn key(pk: String, sk: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([("pk".to_owned(), AttributeValue::S(pk)), ("sk".to_owned(), AttributeValue::S(sk.to_owned()))])
}

fn epoch(at: OffsetDateTime) -> AttributeValue {
    AttributeValue::N(at.unix_timestamp().to_string())
}

fn failures_of(item: &HashMap<String, AttributeValue>) -> Result<Failures, StoreError> {
    let corrupt = || StoreError::Corrupt("counter item".into());
    let count = item.get("count").and_then(|v| v.as_n().ok()).and_then(|n| n.parse().ok()).ok_or_else(corrupt)?;
    let last =
        item.get("last_at").and_then(|v| v.as_n().ok()).and_then(|n| n.parse::<i64>().ok()).ok_or_else(corrupt)?;
    let last_at = OffsetDateTime::from_unix_timestamp(last).map_err(|_| corrupt())?;
    Ok(Failures { count, last_at: Some(last_at) })
}

/// Whether a counter item's `expires_at` has passed at `now` (DynamoDB's
/// TTL removes such items only eventually).
fn counter_expired(item: &HashMap<String, AttributeValue>, now: OffsetDateTime) -> bool {
    item.get("expires_at")
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse::<i64>().ok())
        .is_none_or(|exp| exp <= now.unix_timestamp())
}

/// A refused condition as `Ok(false)`; any other error as unavailable.
fn conditional<E, R>(e: &SdkError<E, R>) -> Result<bool, StoreError>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    if is_condition_failure(e) { Ok(false) } else { Err(unavailable(e)) }
}

fn is_condition_failure<E: aws_sdk_dynamodb::error::ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    e.as_service_error().and_then(|s| s.code()) == Some("ConditionalCheckFailedException")
}

#[async_trait]
impl StateStore for Dynamo {
    async fn record_failure(
        &self,
        counter: &str,
        policy: &LockoutPolicy,
        at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<Result<Failures, u64>, StoreError> {
        let k = || key(format!("counter#{counter}"), "counter");
        // Optimistic, as the event store's appends: read the count, decide,
        // write only if nobody counted in between; a lost race reads again
        // and may now find the counter locked. (A bare `ADD` would count the
        // refused attempts too and lengthen the lock, which an account's
        // stream does not.)
        for _ in 0..CAS_ATTEMPTS {
            let out = self.get_state(k()).await?;
            let live = out.item().filter(|item| !counter_expired(item, at));
            let before = match live {
                Some(item) => failures_of(item)?,
                None => Failures::default(),
            };
            let mut after = before;
            if let Err(retry_after) = after.try_record(policy, at) {
                return Ok(Err(retry_after));
            }
            let written = self.write_count(&k, before, after, at, expires_at).await;
            if written? {
                return Ok(Ok(after));
            }
        }
        Err(StoreError::Unavailable(format!("counter {counter}: too many concurrent writers")))
    }

    async fn failures(&self, counter: &str, now: OffsetDateTime) -> Result<Failures, StoreError> {
        let out = self.get_state(key(format!("counter#{counter}"), "counter")).await?;
        match out.item() {
            Some(item) if !counter_expired(item, now) => failures_of(item),
            _ => Ok(Failures::default()),
        }
    }

    async fn clear_failures(&self, counter: &str) -> Result<(), StoreError> {
        self.delete_view(key(format!("counter#{counter}"), "counter")).await
    }

    async fn touch(&self, used: &str, at: OffsetDateTime, resolution: time::Duration) -> Result<bool, StoreError> {
        // One conditional write; when an earlier use within `resolution`
        // is stored, DynamoDB refuses it and nothing changes.
        let mut item = key(format!("used#{used}"), "used");
        item.insert("at".into(), epoch(at));
        self.put_view_if(
            item,
            "attribute_not_exists(pk) OR #at <= :stale",
            Some(("#at", "at")),
            &[(":stale", epoch(at - resolution))],
        )
        .await
    }

    async fn last_touched(&self, keys: &[String]) -> Result<Vec<Option<OffsetDateTime>>, StoreError> {
        // A handful of keys (one per app password): plain reads in turn
        // keep this simple; BatchGetItem would save round trips at scale.
        let mut times = Vec::with_capacity(keys.len());
        for used in keys {
            let out = self
                .client
                .get_item()
                .table_name(&self.state_table)
                .set_key(Some(key(format!("used#{used}"), "used")))
                .send()
                .await
                .map_err(|e| unavailable(&e))?;
            let at = out
                .item()
                .and_then(|item| item.get("at"))
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse::<i64>().ok())
                .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok());
            times.push(at);
        }
        Ok(times)
    }

    async fn put_doc(
        &self,
        collection: &str,
        id: &str,
        version: u64,
        doc: &serde_json::Value,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<bool, StoreError> {
        let mut item = key(format!("doc#{collection}"), id);
        item.insert("version".into(), AttributeValue::N(version.to_string()));
        item.insert("doc".into(), AttributeValue::S(doc.to_string()));
        if let Some(at) = expires_at {
            // The table's TTL attribute: DynamoDB drops the item some time after.
            item.insert("expires_at".into(), epoch(at));
        }
        self.put_view_if(
            item,
            "attribute_not_exists(pk) OR #v < :v",
            Some(("#v", "version")),
            &[(":v", AttributeValue::N(version.to_string()))],
        )
        .await
    }

    async fn doc(
        &self,
        collection: &str,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        let out = self.get_state(key(format!("doc#{collection}"), id)).await?;
        out.item().map(|item| doc_of(item, now)).transpose().map(Option::flatten)
    }

    async fn docs(&self, collection: &str, now: OffsetDateTime) -> Result<Vec<serde_json::Value>, StoreError> {
        let items = query_all(
            self.client
                .query()
                .table_name(&self.state_table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(format!("doc#{collection}"))),
        )
        .await?;
        let mut out = Vec::new();
        for item in &items {
            out.extend(doc_of(item, now)?);
        }
        Ok(out)
    }

    async fn delete_doc(&self, collection: &str, id: &str) -> Result<(), StoreError> {
        self.delete_view(key(format!("doc#{collection}"), id)).await
    }

    async fn take_doc(
        &self,
        collection: &str,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        // DeleteItem answers the item it removed; of two deletes of one
        // item only the first removes anything, so only it gets the item.
        let out = self
            .client
            .delete_item()
            .table_name(&self.state_table)
            .set_key(Some(key(format!("doc#{collection}"), id)))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| unavailable(&e))?;
        out.attributes().map(|item| doc_of(item, now)).transpose().map(Option::flatten)
    }

    async fn mark_once(&self, marker: &str, at: OffsetDateTime) -> Result<bool, StoreError> {
        let mut item = key(format!("marker#{marker}"), "marker");
        item.insert("at".into(), epoch(at));
        self.put_view_if(item, "attribute_not_exists(pk)", None, &[]).await
    }

    async fn unmark(&self, marker: &str) -> Result<(), StoreError> {
        self.delete_view(key(format!("marker#{marker}"), "marker")).await
    }

    async fn take_slot(
        &self,
        counter: &str,
        windows: &[Window],
        now: OffsetDateTime,
    ) -> Result<Result<(), u64>, StoreError> {
        let k = || key(format!("quota#{counter}"), "quota");
        let longest = windows.iter().map(|w| w.length).max().unwrap_or(time::Duration::ZERO);
        // Optimistic: read the uses and their revision, decide, write only
        // if nobody wrote in between; a lost race reads again.
        for _ in 0..CAS_ATTEMPTS {
            let out = self.get_state(k()).await?;
            let (uses, rev) = match out.item() {
                Some(item) => quota_of(item)?,
                None => (Vec::new(), 0),
            };
            let kept = match quota::admit(&uses, windows, now) {
                Ok(kept) => kept,
                Err(retry_after) => return Ok(Err(retry_after)),
            };
            let mut item = k();
            item.insert(
                "uses".into(),
                AttributeValue::L(kept.iter().map(|t| AttributeValue::N(t.unix_timestamp().to_string())).collect()),
            );
            item.insert("rev".into(), AttributeValue::N((rev + 1).to_string()));
            item.insert("expires_at".into(), epoch(now + longest));
            let written = self
                .client
                .put_item()
                .table_name(&self.state_table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk) OR #rev = :rev")
                .expression_attribute_names("#rev", "rev")
                .expression_attribute_values(":rev", AttributeValue::N(rev.to_string()))
                .send()
                .await;
            match written {
                Ok(_) => return Ok(Ok(())),
                Err(e) if is_condition_failure(&e) => continue,
                Err(e) => return Err(unavailable(&e)),
            }
        }
        Err(StoreError::Unavailable(format!("quota {counter}: too many concurrent writers")))
    }
}

impl Dynamo {
    /// Writes the count `after` over `before`, as the counter was read:
    /// false when another writer came first (the caller reads again).
    async fn write_count(
        &self,
        k: &impl Fn() -> HashMap<String, AttributeValue>,
        before: Failures,
        after: Failures,
        at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        match before.last_at {
            // Count on while the counter lives and is as read ...
            Some(last_at) => self
                .client
                .update_item()
                .table_name(&self.state_table)
                .set_key(Some(k()))
                .update_expression("SET #c = :count, last_at = :at, expires_at = :exp")
                .condition_expression("#c = :before AND last_at = :last AND expires_at > :now")
                .expression_attribute_names("#c", "count")
                .expression_attribute_values(":count", AttributeValue::N(after.count.to_string()))
                .expression_attribute_values(":before", AttributeValue::N(before.count.to_string()))
                .expression_attribute_values(":last", epoch(last_at))
                .expression_attribute_values(":at", epoch(at))
                .expression_attribute_values(":exp", epoch(expires_at))
                .expression_attribute_values(":now", epoch(at))
                .send()
                .await
                .map_or_else(|e| conditional(&e), |_| Ok(true)),
            // ... else start again from one (missing, or expired but not
            // yet removed by TTL).
            None => {
                let mut item = k();
                item.insert("count".into(), AttributeValue::N(after.count.to_string()));
                item.insert("last_at".into(), epoch(at));
                item.insert("expires_at".into(), epoch(expires_at));
                self.put_view_if(item, "attribute_not_exists(pk) OR expires_at <= :now", None, &[(":now", epoch(at))])
                    .await
            }
        }
    }

    /// Puts an item into the state table if `condition` holds: true when
    /// written, false when the condition refused it (nothing changed).
    async fn put_view_if(
        &self,
        item: HashMap<String, AttributeValue>,
        condition: &str,
        name: Option<(&str, &str)>,
        values: &[(&str, AttributeValue)],
    ) -> Result<bool, StoreError> {
        let mut put =
            self.client.put_item().table_name(&self.state_table).set_item(Some(item)).condition_expression(condition);
        if let Some((placeholder, attribute)) = name {
            put = put.expression_attribute_names(placeholder, attribute);
        }
        for (placeholder, value) in values {
            put = put.expression_attribute_values(*placeholder, value.clone());
        }
        match put.send().await {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(unavailable(&e)),
        }
    }

    /// One item of the state table, read consistently: decisions read these
    /// counters, quotas and documents, so a read must see the last write.
    async fn get_state(&self, key: HashMap<String, AttributeValue>) -> Result<GetItemOutput, StoreError> {
        self.client
            .get_item()
            .table_name(&self.state_table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable(&e))
    }

    async fn delete_view(&self, key: HashMap<String, AttributeValue>) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.state_table)
            .set_key(Some(key))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| unavailable(&e))
    }
}

/// A document item's JSON, or `None` when its TTL has passed (DynamoDB
/// removes expired items only eventually).
fn doc_of(
    item: &HashMap<String, AttributeValue>,
    now: OffsetDateTime,
) -> Result<Option<serde_json::Value>, StoreError> {
    let expired = item
        .get("expires_at")
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse::<i64>().ok())
        .is_some_and(|exp| exp <= now.unix_timestamp());
    if expired {
        return Ok(None);
    }
    let text = item.get("doc").and_then(|v| v.as_s().ok()).ok_or_else(|| StoreError::Corrupt("doc item".into()))?;
    serde_json::from_str(text).map(Some).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Racing writers of one quota or counter settle well within this many rounds.
const CAS_ATTEMPTS: usize = 32;

fn quota_of(item: &HashMap<String, AttributeValue>) -> Result<(Vec<OffsetDateTime>, u64), StoreError> {
    let corrupt = || StoreError::Corrupt("quota item".into());
    let rev = item.get("rev").and_then(|v| v.as_n().ok()).and_then(|n| n.parse().ok()).ok_or_else(corrupt)?;
    let uses = item
        .get("uses")
        .and_then(|v| v.as_l().ok())
        .ok_or_else(corrupt)?
        .iter()
        .map(|v| {
            v.as_n()
                .ok()
                .and_then(|n| n.parse::<i64>().ok())
                .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
                .ok_or_else(corrupt)
        })
        .collect::<Result<_, _>>()?;
    Ok((uses, rev))
}
