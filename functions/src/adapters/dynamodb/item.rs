//! Events as DynamoDB items, the one shape read from the table, from
//! DynamoDB Streams (poller) and from stream events (projector Lambda).

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

/// Decodes any item representation serde_dynamo knows (the table's, the
/// streams API's, the Lambda stream event's).
pub fn stored_event(item: impl Into<serde_dynamo::Item>) -> Result<StoredEvent, StoreError> {
    serde_dynamo::from_item::<_, EventItem>(item)
        .map(StoredEvent::from)
        .map_err(|e| StoreError::Corrupt(format!("event item: {e}")))
}
