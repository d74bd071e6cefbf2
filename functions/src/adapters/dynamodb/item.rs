//! Events as DynamoDB items, the one shape read from the table, from
//! DynamoDB Streams (poller) and from stream events (projector Lambda).
//!
//! Snapshots share the events' partition: sort key `version` = the version
//! they fold up to plus one half (a DynamoDB number may have a fraction),
//! so they sort between that version's event and the next one, and a
//! descending Query meets the latest snapshot right after the events that
//! follow it. They carry `fold_version`, which no event has; the feeds of
//! the projector pass them over (`stream_record`).
//!
//! Each stream has one head item, sort key `HEAD_SORT_KEY` (above every
//! version), holding the stream's version in `head`. An append replaces it
//! on the condition that it still holds the version the decision read: the
//! optimistic concurrency check, which does not depend on the newest event
//! still being there (it may have expired: DynamoDB's TTL deletes an event
//! item after its `expires_at`, in unix seconds).

use events::EventRecord;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ports::store::{Meta, StoreError, StoredEvent};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventItem {
    pub stream: String,
    pub version: u64,
    pub event_type: String,
    pub schema_version: u32,
    pub payload: Value,
    pub meta: Meta,
    /// When DynamoDB's TTL may delete it (unix seconds); absent: kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

impl EventItem {
    pub fn new(stream: &str, version: u64, record: &EventRecord, meta: &Meta) -> Self {
        EventItem {
            stream: stream.to_owned(),
            version,
            event_type: record.event_type.clone(),
            schema_version: record.schema_version,
            payload: record.payload.clone(),
            meta: meta.clone(),
            expires_at: record.expires_at.map(time::OffsetDateTime::unix_timestamp),
        }
    }
}

impl TryFrom<EventItem> for StoredEvent {
    type Error = StoreError;

    fn try_from(item: EventItem) -> Result<Self, StoreError> {
        let expires_at = item
            .expires_at
            .map(|secs| time::OffsetDateTime::from_unix_timestamp(secs).map_err(|e| StoreError::Corrupt(e.to_string())))
            .transpose()?;
        Ok(StoredEvent {
            stream: item.stream,
            version: item.version,
            record: EventRecord {
                event_type: item.event_type,
                schema_version: item.schema_version,
                payload: item.payload,
                expires_at,
            },
            meta: item.meta,
        })
    }
}

/// The attribute only snapshot items have.
pub const SNAPSHOT_MARK: &str = "fold_version";

/// A snapshot as stored (its key's `version` is `snapshot_of + 0.5`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SnapshotItem {
    pub stream: String,
    pub snapshot_of: u64,
    pub fold_version: u32,
    /// The state, as JSON text.
    pub state: String,
}

/// The attribute only head items have: the stream's version.
pub const HEAD_MARK: &str = "head";

/// The head item's sort key: above any version a stream reaches (10^20 >
/// u64::MAX), so a descending Query meets it first.
pub const HEAD_SORT_KEY: &str = "100000000000000000000";

/// Whether an item of the events table is an event (not a snapshot or a
/// stream's head).
/// Any map of attributes: the SDK's, serde_dynamo's.
pub fn is_event<V>(item: &std::collections::HashMap<String, V>) -> bool {
    !item.contains_key(SNAPSHOT_MARK) && !item.contains_key(HEAD_MARK)
}

/// The sort key of the snapshot of version `version`.
pub fn snapshot_sort_key(version: u64) -> String {
    format!("{version}.5")
}

/// A record of the events table's stream: `None` for a snapshot or a head,
/// which no projection reads.
pub fn stream_record(item: impl Into<serde_dynamo::Item>) -> Result<Option<StoredEvent>, StoreError> {
    let item: serde_dynamo::Item = item.into();
    if !is_event(&item) {
        return Ok(None);
    }
    stored_event(item).map(Some)
}

/// Decodes any item representation serde_dynamo knows (the table's, the
/// streams API's, the Lambda stream event's).
pub fn stored_event(item: impl Into<serde_dynamo::Item>) -> Result<StoredEvent, StoreError> {
    serde_dynamo::from_item::<_, EventItem>(item)
        .map_err(|e| StoreError::Corrupt(format!("event item: {e}")))?
        .try_into()
}
