//! How a domain event is stored: a type name, a schema version and a JSON
//! payload. Events are adjacently tagged enums (`{"type", "data"}`); the codec
//! splits them so the store keeps the type beside the payload, and joins them
//! again on load, upcasting old schema versions first.

use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;
use time::OffsetDateTime;

/// One event as the store holds it (what an adapter reads and writes).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct EventRecord {
    pub event_type: String,
    pub schema_version: u32,
    pub payload: Value,
    /// When the store may delete it (`crate::retention`); `None`: kept.
    /// Not part of the event: the decision runner sets it by the policy.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
}

/// A stored event together with when it was recorded. Decisions fold over
/// these: the time comes from the metadata, not from the payload.
#[derive(Debug, Clone)]
pub struct Recorded<E> {
    pub version: u64,
    pub at: OffsetDateTime,
    pub event: E,
}

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("event is not an object with type and data: {0}")]
    Shape(String),
    #[error("unknown schema version {version} of {event_type}")]
    UnknownVersion { event_type: String, version: u32 },
    #[error("event {event_type} does not decode: {source}")]
    Decode { event_type: String, source: serde_json::Error },
}

/// Implemented by each aggregate's event enum.
pub trait EventCodec: Serialize + DeserializeOwned + Sized {
    /// The schema version written for an event type today.
    fn schema_version(event_type: &str) -> u32;

    /// Whether this event expires (`crate::retention`): kept unless an
    /// aggregate says otherwise.
    fn retention(&self) -> crate::retention::Retention {
        crate::retention::Retention::Kept
    }

    /// Rewrites the payload of an older schema version into today's shape.
    /// Every version ever written must stay readable: the golden files in
    /// `events/tests/golden/` pin that. The rules for changing an event are
    /// in the README ("Changing an event").
    fn upcast(event_type: &str, version: u32, payload: Value) -> Result<Value, CodecError> {
        if version == Self::schema_version(event_type) {
            Ok(payload)
        } else {
            Err(CodecError::UnknownVersion { event_type: event_type.to_owned(), version })
        }
    }

    fn encode(&self) -> EventRecord {
        let value = serde_json::to_value(self).expect("events always serialize");
        let Value::Object(mut map) = value else { unreachable!("events are adjacently tagged enums") };
        let event_type = match map.remove("type") {
            Some(Value::String(t)) => t,
            _ => unreachable!("events are adjacently tagged enums"),
        };
        let payload = map.remove("data").unwrap_or(Value::Object(Default::default()));
        EventRecord { schema_version: Self::schema_version(&event_type), event_type, payload, expires_at: None }
    }

    fn decode(record: &EventRecord) -> Result<Self, CodecError> {
        let payload = Self::upcast(&record.event_type, record.schema_version, record.payload.clone())?;
        let mut map = serde_json::Map::new();
        map.insert("type".into(), Value::String(record.event_type.clone()));
        map.insert("data".into(), payload);
        serde_json::from_value(Value::Object(map))
            .map_err(|source| CodecError::Decode { event_type: record.event_type.clone(), source })
    }
}
