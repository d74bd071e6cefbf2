//! The embedded backend: one SQLite file (WAL) under `PORTAL_DATA_DIR`
//! holding the event log, the state (counters, markers, documents), and the local outbox.
//!
//! One connection behind a mutex: SQLite serialises writers anyway, and the
//! mutex makes "read version, check, insert" one critical section, which is
//! what gives appends the same all-or-nothing, one-winner guarantee as
//! DynamoDB's conditional transactions.

mod outbox;
mod schema;
mod state;
mod store;

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use tokio::sync::Notify;

use crate::ports::store::StoreError;

#[derive(Clone)]
pub struct Sqlite {
    conn: Arc<Mutex<Connection>>,
    /// Woken after every append, so the in-process projector follows at once.
    appended: Arc<Notify>,
    /// Events per page when loading a stream (kept small in tests to
    /// exercise paging, as DynamoDB pages at 1 MB).
    page_size: usize,
}

impl Sqlite {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(unavailable)?;
        Self::init(conn)
    }

    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory().map_err(unavailable)?)
    }

    fn init(mut conn: Connection) -> Result<Self, StoreError> {
        conn.pragma_update(None, "journal_mode", "WAL").map_err(unavailable)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(unavailable)?;
        conn.pragma_update(None, "busy_timeout", 5000).map_err(unavailable)?;
        // Deleted rows (a destroyed data key, a deleted account's outbox
        // mails) are overwritten with zeros, not left in free pages
        // (crypto-shredding must not leave the wrapped key in the file).
        conn.pragma_update(None, "secure_delete", "ON").map_err(unavailable)?;
        schema::migrate(&mut conn)?;
        Ok(Sqlite { conn: Arc::new(Mutex::new(conn)), appended: Arc::new(Notify::new()), page_size: 500 })
    }

    pub fn with_page_size(mut self, page_size: usize) -> Self {
        self.page_size = page_size.max(1);
        self
    }

    pub fn appended(&self) -> Arc<Notify> {
        self.appended.clone()
    }

    /// Runs blocking SQLite work off the async runtime.
    async fn with_conn<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| StoreError::Unavailable("connection poisoned".into()))?;
            work(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))?
    }
}

fn unavailable(e: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).expect("RFC 3339 formats any UTC time")
}

fn parse_time(s: &str) -> Result<time::OffsetDateTime, StoreError> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}
