//! The event store port.
//!
//! Streams are append-only, versioned from 1. An append names the version it
//! read (optimistic concurrency): of two writers that read the same version
//! exactly one succeeds, the other gets `Conflict`, reloads and decides again.
//! Uniqueness claims (email -> account) go in the same atomic write, so two
//! registrations of one email cannot both succeed.
//!
//! Beside the events a stream may hold snapshots: an aggregate's state
//! folded up to some version, written in the same atomic append as the
//! events that reach that version. They are a cache: `load_latest` works
//! from the events alone when there is none, and deleting them changes no
//! answer (`drop_snapshots`).
//!
//! Events may expire (`EventRecord::expires_at`, set by the decision runner
//! from `events::retention`): the store deletes them some time after that
//! (DynamoDB's TTL within days, the embedded backend hourly). A stream's
//! version never goes back when its newest events expire: DynamoDB keeps it
//! in the stream's head item, SQLite never deletes a stream's newest event.
//! So no version is ever used twice, and what the projections derived from
//! an event (a mail's marker) stays its own.

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
    /// Where the request came from: since December 2026 only the first
    /// address of its network (`203.0.113.0`, see `crate::client`), the
    /// full address in older events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
    /// The browser family and system of the User-Agent (`crate::client`),
    /// never the header itself. Absent in events written before it was
    /// recorded (December 2026) and for requests without a known client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<crate::client::Client>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub stream: String,
    pub version: u64,
    pub record: EventRecord,
    pub meta: Meta,
}

/// An aggregate's state folded up to `version` by the fold of version
/// `fold_version` (`events::Aggregate::FOLD_VERSION`).
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub version: u64,
    pub fold_version: u32,
    pub state: serde_json::Value,
}

/// A stream's latest usable snapshot, if any, and every event after it
/// (all of them without one), in version order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Latest {
    pub snapshot: Option<Snapshot>,
    pub events: Vec<StoredEvent>,
    /// The stream's version (0: no such stream): its newest event's, even
    /// when that event has expired. What an append must expect.
    pub version: u64,
}

/// A key that may be owned by one stream only, e.g. `email#<keyed hash>`
/// (`App::email_claim`), taken or released in an append.
///
/// Releasing goes in the same atomic write as taking, so an address can
/// move from one owner to another (a change of email, an account's
/// deletion and a new registration) without a moment where both or
/// neither hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub key: String,
    pub owner: String,
    pub action: ClaimAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimAction {
    /// The key must be free; `owner` then holds it (`ClaimTaken` if not).
    Take,
    /// `owner` must hold the key; it is then free (`ClaimTaken` if another
    /// owner holds it or nobody does: the caller's view was stale).
    Release,
    /// The key must be free; nothing is written (`ClaimTaken` if not). A
    /// registration checks so that no claim of before keyed claims
    /// (`events::account::legacy_email_claim`) holds its address, at no
    /// extra read.
    Free,
}

impl Claim {
    pub fn take(key: impl Into<String>, owner: impl Into<String>) -> Claim {
        Claim { key: key.into(), owner: owner.into(), action: ClaimAction::Take }
    }

    pub fn release(key: impl Into<String>, owner: impl Into<String>) -> Claim {
        Claim { key: key.into(), owner: owner.into(), action: ClaimAction::Release }
    }

    pub fn free(key: impl Into<String>) -> Claim {
        Claim { key: key.into(), owner: String::new(), action: ClaimAction::Free }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StoreError {
    /// Someone else appended first: reload and decide again.
    #[error("the stream changed since it was read")]
    Conflict,
    /// A uniqueness claim to take is held by another owner, or one to
    /// release is not held by the releasing owner.
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
/// per transaction, less the one its adapter spends on the stream's head
/// (the version check). The SQLite adapter enforces the same, so what works
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
    /// The state after these events, stored with them (its `version` is
    /// the stream's new version).
    pub snapshot: Option<&'a Snapshot>,
}

#[async_trait]
pub trait EventStore: Send + Sync {
    /// Every event of a stream in version order (consistent read, paged
    /// internally). An unknown stream is empty.
    async fn load(&self, stream: &str) -> Result<Vec<StoredEvent>, StoreError>;

    /// The latest snapshot of `fold_version` and the events after it, in one
    /// round trip when the snapshot is among the last `LATEST_WINDOW` items
    /// (consistent read). Snapshots of another fold version are passed
    /// over, so the caller then gets every event.
    async fn load_latest(&self, stream: &str, fold_version: u32) -> Result<Latest, StoreError>;

    /// Deletes every snapshot of a stream (they are a cache; the next
    /// appends that cross a multiple of `SNAPSHOT_EVERY` write new ones).
    async fn drop_snapshots(&self, stream: &str) -> Result<(), StoreError>;

    /// Replaces the payload and schema version of the stored event
    /// `version` of `stream`, in place: only to redact an event written
    /// before personal data was sealed, when its account is deleted
    /// (`personal_data::redact_legacy`). Type, metadata and order stay;
    /// no projection sees it as a new event.
    async fn redact(&self, stream: &str, version: u64, record: &EventRecord) -> Result<(), StoreError>;

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
        let append = StreamAppend { stream, expected_version, events, snapshot: None };
        let versions = self.append_all(&[append], meta, claims).await?;
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

    /// Takes and releases claims without any event, all or nothing, in
    /// order: moving a claim to another key (`App::email_owner` moves a
    /// claim of before December 2026 to its keyed key).
    async fn write_claims(&self, claims: &[Claim]) -> Result<(), StoreError>;

    /// Who holds a claim (consistent read).
    async fn claim_owner(&self, key: &str) -> Result<Option<String>, StoreError>;
}

/// A snapshot is written when an append takes its stream across a multiple
/// of this many versions, so at most this many minus one events follow the
/// latest snapshot of a stream that every append reaches through the
/// decision runner.
pub const SNAPSHOT_EVERY: u64 = 32;

/// The items a `load_latest` reads in its first round trip: the stream's
/// head (DynamoDB), the at most `SNAPSHOT_EVERY - 1` events after the
/// latest snapshot, and the snapshot itself.
pub const LATEST_WINDOW: u64 = SNAPSHOT_EVERY + 1;

/// Whether an append from `expected_version` to `new_version` carries a
/// snapshot.
pub fn snapshot_due(expected_version: u64, new_version: u64) -> bool {
    expected_version / SNAPSHOT_EVERY != new_version / SNAPSHOT_EVERY
}

/// Checks an append against the per-transaction limit: every stream has
/// events and appears once, and events, snapshots, claims and one version
/// check per stream fit DynamoDB's 100 items.
pub fn check_append_size(appends: &[StreamAppend<'_>], claims: &[Claim]) -> Result<(), StoreError> {
    let events: usize = appends.iter().map(|a| a.events.len() + usize::from(a.snapshot.is_some())).sum();
    let items = events + claims.len() + appends.len();
    let repeated = appends.iter().enumerate().any(|(i, a)| appends[..i].iter().any(|b| b.stream == a.stream));
    if appends.is_empty() || appends.iter().any(|a| a.events.is_empty()) || repeated || items > MAX_ITEMS_PER_APPEND + 1
    {
        return Err(StoreError::TooLarge(items));
    }
    Ok(())
}

/// Checks a claims-only write (`EventStore::write_claims`): at least one
/// claim, within one transaction.
pub fn check_claims_size(claims: &[Claim]) -> Result<(), StoreError> {
    if claims.is_empty() || claims.len() > MAX_ITEMS_PER_APPEND + 1 {
        return Err(StoreError::TooLarge(claims.len()));
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
