//! The event store port.
//!
//! Streams are append-only, versioned from 1. An append names the version it
//! read (optimistic concurrency): of two writers that read the same version
//! exactly one succeeds, the other gets `Conflict`, reloads and decides again.
//! Uniqueness claims (email -> account) go in the same atomic write, so two
//! registrations of one email cannot both succeed.

use async_trait::async_trait;
use events::codec::Recorded;
use events::{EventCodec, EventRecord};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Recorded beside every event: who asked, when, from where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    pub request_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub stream: String,
    pub version: u64,
    pub record: EventRecord,
    pub meta: Meta,
}

/// A key that may be owned by one stream only, e.g. `email#anna@example.de`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub key: String,
    pub owner: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StoreError {
    /// Someone else appended first: reload and decide again.
    #[error("the stream changed since it was read")]
    Conflict,
    /// A uniqueness claim is held by another owner.
    #[error("the claim {0} is taken")]
    ClaimTaken(String),
    /// More events and claims than one atomic write may hold.
    #[error("too many items for one append: {0}")]
    TooLarge(usize),
    /// The backend did not answer or refused for now (throttling, outage).
    #[error("the event store is unavailable: {0}")]
    Unavailable(String),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
}

/// Events plus claims in a one-stream append: DynamoDB's limit of 100 items
/// per transaction, less the one its adapter spends on checking the
/// expected version. The SQLite adapter enforces the same, so what works
/// embedded works on AWS. An append to several streams spends one item per
/// stream on that check.
pub const MAX_ITEMS_PER_APPEND: usize = 99;

/// One stream's part of an atomic append.
#[derive(Debug, Clone, Copy)]
pub struct StreamAppend<'a> {
    pub stream: &'a str,
    /// The version the caller read; the events become the versions after it.
    pub expected_version: u64,
    pub events: &'a [EventRecord],
}

#[async_trait]
pub trait EventStore: Send + Sync {
    /// Every event of a stream in version order (consistent read, paged
    /// internally). An unknown stream is empty.
    async fn load(&self, stream: &str) -> Result<Vec<StoredEvent>, StoreError>;

    /// Appends `events` as versions `expected_version + 1 ..`, together with
    /// `claims`, all or nothing. Returns the new version.
    async fn append(
        &self,
        stream: &str,
        expected_version: u64,
        events: &[EventRecord],
        meta: &Meta,
        claims: &[Claim],
    ) -> Result<u64, StoreError> {
        let versions = self.append_all(&[StreamAppend { stream, expected_version, events }], meta, claims).await?;
        Ok(versions[0])
    }

    /// Appends to several streams at once, all or nothing: a decision that
    /// changes two aggregates (a reset request and its account) never
    /// leaves one changed without the other. `Conflict` when any stream
    /// moved on. Returns each stream's new version, in order.
    async fn append_all(
        &self,
        appends: &[StreamAppend<'_>],
        meta: &Meta,
        claims: &[Claim],
    ) -> Result<Vec<u64>, StoreError>;

    /// Who holds a claim (consistent read).
    async fn claim_owner(&self, key: &str) -> Result<Option<String>, StoreError>;
}

/// Checks an append against the per-transaction limit: every stream has
/// events and appears once, and events, claims and one version check per
/// stream fit DynamoDB's 100 items.
pub fn check_append_size(appends: &[StreamAppend<'_>], claims: &[Claim]) -> Result<(), StoreError> {
    let events: usize = appends.iter().map(|a| a.events.len()).sum();
    let items = events + claims.len() + appends.len();
    let repeated = appends.iter().enumerate().any(|(i, a)| appends[..i].iter().any(|b| b.stream == a.stream));
    if appends.is_empty() || appends.iter().any(|a| a.events.is_empty()) || repeated || items > MAX_ITEMS_PER_APPEND + 1
    {
        return Err(StoreError::TooLarge(items));
    }
    Ok(())
}

/// A stream's stored events as domain events of `E` (the time from their
/// metadata), for folding into an aggregate's state.
pub fn decode<E: EventCodec>(stored: &[StoredEvent]) -> Result<Vec<Recorded<E>>, StoreError> {
    stored
        .iter()
        .map(|e| {
            Ok(Recorded {
                version: e.version,
                at: e.meta.at,
                event: E::decode(&e.record).map_err(|err| StoreError::Corrupt(err.to_string()))?,
            })
        })
        .collect()
}
