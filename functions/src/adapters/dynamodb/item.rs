//! Events as DynamoDB items, the one shape read from the table, from
//! DynamoDB Streams (poller) and from stream events (projector Lambda).
//!
//! Snapshots share the events' partition: sort key `version` = the version
//! they fold up to plus one half (a DynamoDB number may have a fraction),
//! so they sort between that version's event and the next one, and a
//! descending Query meets the latest snapshot right after the events that
//! follow it. They carry `fold_version`, which no event has; the feeds of
//! the projector pass them over (`stream_record`).

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
        }
    }
}

impl From<EventItem> for StoredEvent {
    fn from(item: EventItem) -> Self {
        StoredEvent {
            stream: item.stream,
            version: item.version,
            record: EventRecord {
                event_type: item.event_type,
                schema_version: item.schema_version,
                payload: item.payload,
            },
            meta: item.meta,
        }
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

/// The sort key of the snapshot of version `version`.
pub fn snapshot_sort_key(version: u64) -> String {
    format!("{version}.5")
}

/// A record of the events table's stream: `None` for a snapshot, which no
/// projection reads.
pub fn stream_record(item: impl Into<serde_dynamo::Item>) -> Result<Option<StoredEvent>, StoreError> {
    let item: serde_dynamo::Item = item.into();
    if item.contains_key(SNAPSHOT_MARK) {
        return Ok(None);
    }
    stored_event(item).map(Some)
}

/// Decodes any item representation serde_dynamo knows (the table's, the
/// streams API's, the Lambda stream event's).
pub fn stored_event(item: impl Into<serde_dynamo::Item>) -> Result<StoredEvent, StoreError> {
    serde_dynamo::from_item::<_, EventItem>(item)
        .map(StoredEvent::from)
        .map_err(|e| StoreError::Corrupt(format!("event item: {e}")))
}
