use async_trait::async_trait;
use events::lockout::{Failures, LockoutPolicy};
use events::quota::{self, Window};
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use time::OffsetDateTime;

use super::{Sqlite, parse_time, rfc3339, unavailable};
use crate::ports::state::StateStore;
use crate::ports::store::StoreError;

#[async_trait]
impl StateStore for Sqlite {
    async fn record_failure(
        &self,
        key: &str,
        policy: &LockoutPolicy,
        at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<Result<Failures, u64>, StoreError> {
        let (key, policy) = (key.to_owned(), *policy);
        let (at_s, exp_s) = (rfc3339(at), rfc3339(expires_at));
        // Read, decide and write in one immediate transaction: atomic
        // against other processes on the file, and under the connection's
        // lock against this one.
        self.with_conn(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(unavailable)?;
            let row: Option<(u32, String)> = tx
                .query_row(
                    "SELECT count, last_at FROM counters WHERE key = ?1 AND expires_at > ?2",
                    params![key, at_s],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(unavailable)?;
            // An expired counter starts again from zero.
            let mut failures = match row {
                Some((count, last_at)) => Failures { count, last_at: Some(parse_time(&last_at)?) },
                None => Failures::default(),
            };
            if let Err(retry_after) = failures.try_record(&policy, at) {
                return Ok(Err(retry_after));
            }
            tx.execute(
                "INSERT INTO counters (key, count, last_at, expires_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (key) DO UPDATE SET
                    count = excluded.count, last_at = excluded.last_at, expires_at = excluded.expires_at",
                params![key, failures.count, at_s, exp_s],
            )
            .map_err(unavailable)?;
            tx.commit().map_err(unavailable)?;
            Ok(Ok(failures))
        })
        .await
    }

    async fn failures(&self, key: &str, now: OffsetDateTime) -> Result<Failures, StoreError> {
        let key = key.to_owned();
        let now_s = rfc3339(now);
        let row: Option<(u32, String)> = self
            .with_conn(move |conn| {
                conn.query_row(
                    "SELECT count, last_at FROM counters WHERE key = ?1 AND expires_at > ?2",
                    params![key, now_s],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(unavailable)
            })
            .await?;
        match row {
            Some((count, last_at)) => Ok(Failures { count, last_at: Some(parse_time(&last_at)?) }),
            None => Ok(Failures::default()),
        }
    }

    async fn clear_failures(&self, key: &str) -> Result<(), StoreError> {
        let key = key.to_owned();
        self.with_conn(move |conn| {
            conn.execute("DELETE FROM counters WHERE key = ?1", [key]).map(|_| ()).map_err(unavailable)
        })
        .await
    }

    async fn touch(&self, key: &str, at: OffsetDateTime, resolution: time::Duration) -> Result<bool, StoreError> {
        let (key, at_s, stale_s) = (key.to_owned(), rfc3339(at), rfc3339(at - resolution));
        // RFC 3339 in UTC with a fixed width sorts as text in time order.
        self.with_conn(move |conn| {
            conn.execute(
                "INSERT INTO last_used (key, at) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET at = excluded.at WHERE last_used.at <= ?3",
                params![key, at_s, stale_s],
            )
            .map(|n| n == 1)
            .map_err(unavailable)
        })
        .await
    }

    async fn last_touched(&self, keys: &[String]) -> Result<Vec<Option<OffsetDateTime>>, StoreError> {
        let keys = keys.to_vec();
        let stored: Vec<Option<String>> = self
            .with_conn(move |conn| {
                let mut stmt = conn.prepare_cached("SELECT at FROM last_used WHERE key = ?1").map_err(unavailable)?;
                keys.iter().map(|k| stmt.query_row([k], |r| r.get(0)).optional().map_err(unavailable)).collect()
            })
            .await?;
        stored.iter().map(|at| at.as_deref().map(parse_time).transpose()).collect()
    }

    async fn put_doc(
        &self,
        collection: &str,
        id: &str,
        version: u64,
        doc: &serde_json::Value,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<bool, StoreError> {
        let (collection, id, doc, expires_at) =
            (collection.to_owned(), id.to_owned(), doc.to_string(), expires_at.map(rfc3339));
        self.with_conn(move |conn| {
            conn.execute(
                "INSERT INTO docs (collection, id, version, doc, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (collection, id) DO UPDATE SET
                    version = excluded.version, doc = excluded.doc, expires_at = excluded.expires_at
                 WHERE docs.version < excluded.version",
                params![collection, id, version, doc, expires_at],
            )
            .map(|n| n == 1)
            .map_err(unavailable)
        })
        .await
    }

    async fn doc(
        &self,
        collection: &str,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        let (collection, id, now) = (collection.to_owned(), id.to_owned(), rfc3339(now));
        let text: Option<String> = self
            .with_conn(move |conn| {
                conn.query_row(
                    "SELECT doc FROM docs WHERE collection = ?1 AND id = ?2 AND (expires_at IS NULL OR expires_at > ?3)",
                    params![collection, id, now],
                    |r| r.get(0),
                )
                .optional()
                .map_err(unavailable)
            })
            .await?;
        text.map(|t| serde_json::from_str(&t).map_err(|e| StoreError::Corrupt(e.to_string()))).transpose()
    }

    async fn docs(&self, collection: &str, now: OffsetDateTime) -> Result<Vec<serde_json::Value>, StoreError> {
        let (collection, now) = (collection.to_owned(), rfc3339(now));
        let texts: Vec<String> = self
            .with_conn(move |conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT doc FROM docs WHERE collection = ?1 AND (expires_at IS NULL OR expires_at > ?2)",
                    )
                    .map_err(unavailable)?;
                stmt.query_map(params![collection, now], |r| r.get(0))
                    .map_err(unavailable)?
                    .collect::<Result<_, _>>()
                    .map_err(unavailable)
            })
            .await?;
        texts.iter().map(|t| serde_json::from_str(t).map_err(|e| StoreError::Corrupt(e.to_string()))).collect()
    }

    async fn delete_doc(&self, collection: &str, id: &str) -> Result<(), StoreError> {
        let (collection, id) = (collection.to_owned(), id.to_owned());
        self.with_conn(move |conn| {
            conn.execute("DELETE FROM docs WHERE collection = ?1 AND id = ?2", params![collection, id])
                .map(|_| ())
                .map_err(unavailable)
        })
        .await
    }

    async fn take_doc(
        &self,
        collection: &str,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        let (collection, id, now) = (collection.to_owned(), id.to_owned(), rfc3339(now));
        // One statement: of racing callers only the one whose DELETE
        // removed the row gets it back.
        let text: Option<(String, Option<String>)> = self
            .with_conn(move |conn| {
                conn.query_row(
                    "DELETE FROM docs WHERE collection = ?1 AND id = ?2 RETURNING doc, expires_at",
                    params![collection, id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(unavailable)
            })
            .await?;
        let live = text.filter(|(_, expires_at)| expires_at.as_ref().is_none_or(|e| *e > now)).map(|(doc, _)| doc);
        live.map(|t| serde_json::from_str(&t).map_err(|e| StoreError::Corrupt(e.to_string()))).transpose()
    }

    async fn mark_once(&self, marker: &str, at: OffsetDateTime) -> Result<bool, StoreError> {
        let marker = marker.to_owned();
        let at = rfc3339(at);
        self.with_conn(move |conn| {
            conn.execute("INSERT OR IGNORE INTO markers (key, at) VALUES (?1, ?2)", params![marker, at])
                .map(|n| n == 1)
                .map_err(unavailable)
        })
        .await
    }

    async fn unmark(&self, marker: &str) -> Result<(), StoreError> {
        let marker = marker.to_owned();
        self.with_conn(move |conn| {
            conn.execute("DELETE FROM markers WHERE key = ?1", [marker]).map(|_| ()).map_err(unavailable)
        })
        .await
    }

    async fn take_slot(
        &self,
        key: &str,
        windows: &[Window],
        now: OffsetDateTime,
    ) -> Result<Result<(), u64>, StoreError> {
        let (key, windows) = (key.to_owned(), windows.to_vec());
        // Read, decide and write under the one connection's lock: no other
        // caller of this process can interleave.
        self.with_conn(move |conn| {
            let stored: Option<String> = conn
                .query_row("SELECT uses FROM quotas WHERE key = ?1", [&key], |r| r.get(0))
                .optional()
                .map_err(unavailable)?;
            let uses = match stored {
                Some(text) => unix_times(&text)?,
                None => Vec::new(),
            };
            match quota::admit(&uses, &windows, now) {
                Ok(kept) => {
                    let text = serde_json::to_string(&kept.iter().map(|t| t.unix_timestamp()).collect::<Vec<_>>())
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    conn.execute(
                        "INSERT INTO quotas (key, uses) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET uses = ?2",
                        params![key, text],
                    )
                    .map_err(unavailable)?;
                    Ok(Ok(()))
                }
                Err(retry_after) => Ok(Err(retry_after)),
            }
        })
        .await
    }
}

fn unix_times(text: &str) -> Result<Vec<OffsetDateTime>, StoreError> {
    let secs: Vec<i64> = serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    secs.into_iter()
        .map(|s| OffsetDateTime::from_unix_timestamp(s).map_err(|e| StoreError::Corrupt(e.to_string())))
        .collect()
}
