use async_trait::async_trait;
use events::EventRecord;
use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use super::{Sqlite, unavailable};
use crate::ports::store::{
    Claim, ClaimAction, EventStore, Latest, Meta, Snapshot, StoreError, StoredEvent, StreamAppend, check_append_size,
    check_claims_size,
};

/// The columns of an event, in `RawEvent`'s order.
const EVENT_COLUMNS: &str = "stream, version, event_type, schema_version, payload, meta, expires_at";

/// stream, version, event type, schema version, payload, meta, expiry (as
/// stored).
type RawEvent = (String, u64, String, u32, String, String, Option<i64>);

/// An event's columns from `first` on (`EVENT_COLUMNS`).
fn row_to_event(row: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<RawEvent> {
    let column = |i: usize| first + i;
    Ok((
        row.get(column(0))?,
        row.get(column(1))?,
        row.get(column(2))?,
        row.get(column(3))?,
        row.get(column(4))?,
        row.get(column(5))?,
        row.get(column(6))?,
    ))
}

fn decode(raw: RawEvent) -> Result<StoredEvent, StoreError> {
    let (stream, version, event_type, schema_version, payload, meta, expires_at) = raw;
    let expires_at = expires_at
        .map(|secs| OffsetDateTime::from_unix_timestamp(secs).map_err(|e| StoreError::Corrupt(e.to_string())))
        .transpose()?;
    Ok(StoredEvent {
        stream,
        version,
        record: EventRecord {
            event_type,
            schema_version,
            payload: serde_json::from_str(&payload).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            expires_at,
        },
        meta: serde_json::from_str(&meta).map_err(|e| StoreError::Corrupt(e.to_string()))?,
    })
}

/// One stream's new events, as stored, owned for the connection's thread.
struct NewEvents {
    stream: String,
    expected_version: u64,
    /// Event type, schema version, payload, expiry (unix seconds).
    rows: Vec<(String, u32, String, Option<i64>)>,
    /// Version, fold version, state.
    snapshot: Option<(u64, u32, String)>,
}

impl NewEvents {
    fn of(append: &StreamAppend<'_>) -> NewEvents {
        let rows = append
            .events
            .iter()
            .map(|e| {
                let expires_at = e.expires_at.map(OffsetDateTime::unix_timestamp);
                (e.event_type.clone(), e.schema_version, e.payload.to_string(), expires_at)
            })
            .collect();
        let snapshot = append.snapshot.map(|s| (s.version, s.fold_version, s.state.to_string()));
        NewEvents { stream: append.stream.to_owned(), expected_version: append.expected_version, rows, snapshot }
    }
}

/// Optimistic concurrency: each stream must still be at the version its
/// events were decided on.
fn check_versions(tx: &rusqlite::Transaction<'_>, streams: &[NewEvents]) -> Result<(), StoreError> {
    for new in streams {
        let current: u64 = tx
            .query_row("SELECT COALESCE(MAX(version), 0) FROM events WHERE stream = ?1", [&new.stream], |r| r.get(0))
            .map_err(unavailable)?;
        if current != new.expected_version {
            return Err(StoreError::Conflict);
        }
    }
    Ok(())
}

/// Uniqueness claims (an email to its account): each to take (or to find
/// free) must be free, each to release held by its owner. In the order given, so one append can
/// release a key and take it again for another owner.
fn apply_claims(tx: &rusqlite::Transaction<'_>, claims: &[Claim]) -> Result<(), StoreError> {
    for claim in claims {
        let holder: Option<String> = tx
            .query_row("SELECT owner FROM claims WHERE key = ?1", [&claim.key], |r| r.get(0))
            .optional()
            .map_err(unavailable)?;
        match claim.action {
            ClaimAction::Take if holder.is_none() => {
                tx.execute("INSERT INTO claims (key, owner) VALUES (?1, ?2)", params![claim.key, claim.owner])
                    .map_err(unavailable)?;
            }
            ClaimAction::Release if holder.as_deref() == Some(claim.owner.as_str()) => {
                tx.execute("DELETE FROM claims WHERE key = ?1", [&claim.key]).map_err(unavailable)?;
            }
            ClaimAction::Free if holder.is_none() => {}
            _ => return Err(StoreError::ClaimTaken(claim.key.clone())),
        }
    }
    Ok(())
}

/// Writes the events after each stream's version; the new last version of
/// each stream, in order.
fn insert_events(tx: &rusqlite::Transaction<'_>, streams: &[NewEvents], meta: &str) -> Result<Vec<u64>, StoreError> {
    let mut versions = Vec::with_capacity(streams.len());
    for new in streams {
        let mut version = new.expected_version;
        for (event_type, schema_version, payload, expires_at) in &new.rows {
            version += 1;
            tx.execute(
                "INSERT INTO events (stream, version, event_type, schema_version, payload, meta, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![new.stream, version, event_type, schema_version, payload, meta, expires_at],
            )
            .map_err(unavailable)?;
        }
        if let Some((snapshot_version, fold_version, state)) = &new.snapshot {
            // Only the latest is ever read: the older ones go.
            tx.execute("DELETE FROM snapshots WHERE stream = ?1", [&new.stream]).map_err(unavailable)?;
            tx.execute(
                "INSERT INTO snapshots (stream, version, fold_version, state) VALUES (?1, ?2, ?3, ?4)",
                params![new.stream, snapshot_version, fold_version, state],
            )
            .map_err(unavailable)?;
        }
        versions.push(version);
    }
    Ok(versions)
}

/// Every event of `stream` after version `after`, in order, a page of
/// `page` rows at a time.
fn events_after(
    conn: &rusqlite::Connection,
    stream: &str,
    mut after: u64,
    page: usize,
) -> Result<Vec<StoredEvent>, StoreError> {
    let mut out = Vec::new();
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE stream = ?1 AND version > ?2 ORDER BY version LIMIT ?3"
        ))
        .map_err(unavailable)?;
    loop {
        let rows: Vec<_> = stmt
            .query_map(params![stream, after, page], |row| row_to_event(row, 0))
            .map_err(unavailable)?
            .collect::<Result<_, _>>()
            .map_err(unavailable)?;
        let last_page = rows.len() < page;
        for raw in rows {
            out.push(decode(raw)?);
        }
        after = out.last().map_or(after, |e| e.version);
        if last_page {
            return Ok(out);
        }
    }
}

#[async_trait]
impl EventStore for Sqlite {
    async fn load(&self, stream: &str) -> Result<Vec<StoredEvent>, StoreError> {
        let stream = stream.to_owned();
        let page = self.page_size;
        self.with_conn(move |conn| events_after(conn, &stream, 0, page)).await
    }

    async fn load_latest(&self, stream: &str, fold_version: u32) -> Result<Latest, StoreError> {
        let stream = stream.to_owned();
        let page = self.page_size;
        self.with_conn(move |conn| {
            let snapshot = conn
                .prepare_cached(
                    "SELECT version, state FROM snapshots WHERE stream = ?1 AND fold_version = ?2
                     ORDER BY version DESC LIMIT 1",
                )
                .map_err(unavailable)?
                .query_row(params![stream, fold_version], |r| Ok((r.get::<_, u64>(0)?, r.get::<_, String>(1)?)))
                .optional()
                .map_err(unavailable)?
                .map(|(version, state)| {
                    let state = serde_json::from_str(&state).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    Ok::<_, StoreError>(Snapshot { version, fold_version, state })
                })
                .transpose()?;
            let events = events_after(conn, &stream, snapshot.as_ref().map_or(0, |s| s.version), page)?;
            // A stream's newest event is never deleted (`delete_expired`),
            // and a snapshot is written with the event of its version.
            let version = events.last().map(|e| e.version).or(snapshot.as_ref().map(|s| s.version)).unwrap_or(0);
            Ok(Latest { snapshot, events, version })
        })
        .await
    }

    async fn drop_snapshots(&self, stream: &str) -> Result<(), StoreError> {
        let stream = stream.to_owned();
        self.with_conn(move |conn| {
            conn.execute("DELETE FROM snapshots WHERE stream = ?1", [&stream]).map(|_| ()).map_err(unavailable)
        })
        .await
    }

    async fn redact(&self, stream: &str, version: u64, record: &EventRecord) -> Result<(), StoreError> {
        let (stream, schema, payload) = (stream.to_owned(), record.schema_version, record.payload.to_string());
        self.with_conn(move |conn| {
            conn.execute(
                "UPDATE events SET schema_version = ?1, payload = ?2 WHERE stream = ?3 AND version = ?4",
                params![schema, payload, stream, version],
            )
            .map(|_| ())
            .map_err(unavailable)
        })
        .await
    }

    async fn append_all(
        &self,
        appends: &[StreamAppend<'_>],
        meta: &Meta,
        claims: &[Claim],
    ) -> Result<Vec<u64>, StoreError> {
        check_append_size(appends, claims)?;
        let meta = serde_json::to_string(meta).expect("meta serializes");
        let streams: Vec<NewEvents> = appends.iter().map(NewEvents::of).collect();
        let claims = claims.to_vec();
        let versions = self
            .with_conn(move |conn| {
                // One transaction: every check and every write, or none.
                let tx =
                    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(unavailable)?;
                check_versions(&tx, &streams)?;
                apply_claims(&tx, &claims)?;
                let versions = insert_events(&tx, &streams, &meta)?;
                tx.commit().map_err(unavailable)?;
                Ok(versions)
            })
            .await?;
        self.appended.notify_one();
        Ok(versions)
    }

    async fn write_claims(&self, claims: &[Claim]) -> Result<(), StoreError> {
        check_claims_size(claims)?;
        let claims = claims.to_vec();
        self.with_conn(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(unavailable)?;
            apply_claims(&tx, &claims)?;
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn claim_owner(&self, key: &str) -> Result<Option<String>, StoreError> {
        let key = key.to_owned();
        self.with_conn(move |conn| {
            conn.query_row("SELECT owner FROM claims WHERE key = ?1", [&key], |r| r.get(0))
                .optional()
                .map_err(unavailable)
        })
        .await
    }
}

impl Sqlite {
    /// Events after a global position, in the order they were appended: the
    /// feed the in-process projector follows (DynamoDB Streams on AWS).
    pub async fn read_after(&self, position: u64, limit: usize) -> Result<Vec<(u64, StoredEvent)>, StoreError> {
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT position, {EVENT_COLUMNS} FROM events WHERE position > ?1 ORDER BY position LIMIT ?2"
                ))
                .map_err(unavailable)?;
            let rows: Vec<(u64, RawEvent)> = stmt
                .query_map(params![position, limit], |row| Ok((row.get(0)?, row_to_event(row, 1)?)))
                .map_err(unavailable)?
                .collect::<Result<_, _>>()
                .map_err(unavailable)?;
            rows.into_iter().map(|(pos, raw)| Ok((pos, decode(raw)?))).collect()
        })
        .await
    }

    /// Deletes the events that expired by `now` (`events::retention`),
    /// except each stream's newest (it holds the stream's version) and any
    /// a projection has not passed yet. Returns how many went.
    pub async fn delete_expired(&self, now: OffsetDateTime) -> Result<usize, StoreError> {
        self.with_conn(move |conn| {
            conn.execute(
                "DELETE FROM events
                 WHERE expires_at IS NOT NULL AND expires_at <= ?1
                   AND position <= (SELECT COALESCE(MIN(position), 0) FROM checkpoints)
                   AND version < (SELECT MAX(newest.version) FROM events AS newest
                                  WHERE newest.stream = events.stream)",
                [now.unix_timestamp()],
            )
            .map_err(unavailable)
        })
        .await
    }

    pub async fn checkpoint(&self, name: &str) -> Result<u64, StoreError> {
        let name = name.to_owned();
        self.with_conn(move |conn| {
            Ok(conn
                .query_row("SELECT position FROM checkpoints WHERE name = ?1", [&name], |r| r.get(0))
                .optional()
                .map_err(unavailable)?
                .unwrap_or(0))
        })
        .await
    }

    pub async fn set_checkpoint(&self, name: &str, position: u64) -> Result<(), StoreError> {
        let name = name.to_owned();
        self.with_conn(move |conn| {
            conn.execute(
                "INSERT INTO checkpoints (name, position) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET position = excluded.position",
                params![name, position],
            )
            .map(|_| ())
            .map_err(unavailable)
        })
        .await
    }
}

impl Sqlite {
    /// Moves every claim whose key `rekey` maps to a new key (a claim of
    /// before December 2026, keyed by the address itself) to that key, in
    /// one transaction. Run at open by the embedded backend, which knows
    /// the server secret the keys are made with. Returns how many moved;
    /// none on the next open.
    pub fn rekey_claims(&self, rekey: impl Fn(&str) -> Option<String>) -> Result<usize, StoreError> {
        let mut conn = self.conn.lock().map_err(|_| StoreError::Unavailable("connection poisoned".into()))?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(unavailable)?;
        let keys: Vec<String> = tx
            .prepare("SELECT key FROM claims")
            .and_then(|mut stmt| stmt.query_map([], |r| r.get(0))?.collect())
            .map_err(unavailable)?;
        let mut moved = 0;
        for (old, new) in keys.iter().filter_map(|old| Some((old, rekey(old)?))) {
            tx.execute("UPDATE claims SET key = ?2 WHERE key = ?1", params![old, new]).map_err(unavailable)?;
            moved += 1;
        }
        tx.commit().map_err(unavailable)?;
        Ok(moved)
    }
}
