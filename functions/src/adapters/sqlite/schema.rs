//! The SQLite file's schema, versioned by `PRAGMA user_version`: migration
//! N takes a database from version N - 1 to N, and `migrate` runs the
//! missing ones at every start, in one transaction. Append only: a released
//! migration is never edited, a change is a new one. Files made before the
//! schema had a version are at 0 and already hold what migration 1 makes
//! (hence its `IF NOT EXISTS`).

use rusqlite::Connection;

use super::unavailable;
use crate::ports::store::StoreError;

const MIGRATIONS: &[&str] = &[
    // 1: the event log, claims, the state (counters, markers, last uses,
    // documents, quotas), the projector's checkpoints, the local outbox.
    "
CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    stream TEXT NOT NULL,
    version INTEGER NOT NULL,
    event_type TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    payload TEXT NOT NULL,
    meta TEXT NOT NULL,
    UNIQUE (stream, version)
);
CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, owner TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (
    key TEXT PRIMARY KEY, count INTEGER NOT NULL, last_at TEXT NOT NULL, expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS markers (key TEXT PRIMARY KEY, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS last_used (key TEXT PRIMARY KEY, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    collection TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL, expires_at TEXT,
    PRIMARY KEY (collection, id)
);
CREATE TABLE IF NOT EXISTS quotas (key TEXT PRIMARY KEY, uses TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL, recipient TEXT NOT NULL, subject TEXT NOT NULL,
    body TEXT NOT NULL, sent_at TEXT NOT NULL
);
",
    // 2: snapshots of aggregates' folds (a cache beside the event log; see
    // `ports::store`): the latest of a stream is what a load starts from.
    "
CREATE TABLE snapshots (
    stream TEXT NOT NULL,
    version INTEGER NOT NULL,
    fold_version INTEGER NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (stream, version)
);
",
    // 3: when an event may be deleted (unix seconds; NULL: kept), see
    // `events::retention`; the embedded projector deletes hourly.
    "
ALTER TABLE events ADD COLUMN expires_at INTEGER;
CREATE INDEX events_by_expiry ON events (expires_at) WHERE expires_at IS NOT NULL;
",
];

/// The version this build writes and reads.
pub const VERSION: u32 = MIGRATIONS.len() as u32;

/// Brings the database to `VERSION`. A database of a newer version (made by
/// a later build) is refused rather than used half-understood.
pub fn migrate(conn: &mut Connection) -> Result<u32, StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive).map_err(unavailable)?;
    let found: u32 = tx.pragma_query_value(None, "user_version", |row| row.get(0)).map_err(unavailable)?;
    if found > VERSION {
        return Err(StoreError::Unavailable(format!(
            "the database has schema version {found}, this build knows up to {VERSION}: run a newer build"
        )));
    }
    for migration in &MIGRATIONS[found as usize..] {
        tx.execute_batch(migration).map_err(unavailable)?;
    }
    tx.pragma_update(None, "user_version", VERSION).map_err(unavailable)?;
    tx.commit().map_err(unavailable)?;
    if found < VERSION {
        tracing::info!(from = found, to = VERSION, "database schema migrated");
    }
    Ok(VERSION)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(conn: &Connection) -> u32 {
        conn.pragma_query_value(None, "user_version", |row| row.get(0)).unwrap()
    }

    #[test]
    fn a_new_database_gets_every_migration_and_a_second_start_changes_nothing() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(version(&conn), 0);
        assert_eq!(migrate(&mut conn).unwrap(), VERSION);
        assert_eq!(version(&conn), VERSION);
        conn.execute("INSERT INTO claims (key, owner) VALUES ('k', 'o')", []).unwrap();
        migrate(&mut conn).unwrap();
        let owner: String = conn.query_row("SELECT owner FROM claims WHERE key = 'k'", [], |r| r.get(0)).unwrap();
        assert_eq!(owner, "o");
    }

    #[test]
    fn a_database_of_a_newer_build_is_refused_and_left_alone() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", VERSION + 1).unwrap();
        let refused = migrate(&mut conn).unwrap_err();
        assert!(refused.to_string().contains("run a newer build"), "{refused}");
        assert_eq!(version(&conn), VERSION + 1);
        let tables: u32 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0)).unwrap();
        assert_eq!(tables, 0, "no migration ran");
    }
}
