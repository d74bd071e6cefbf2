//! The in-process projector of the embedded backend: follows the SQLite
//! event log by its global position, remembering a checkpoint.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::Projector;
use crate::adapters::sqlite::Sqlite;
use crate::ports::clock::Clock;

const CHECKPOINT: &str = "projector";
const BATCH: usize = 100;

/// Projects every event not yet projected, then returns how many it did.
pub async fn catch_up(db: &Sqlite, projector: &Projector) -> Result<usize, super::ProjectionError> {
    let mut done = 0;
    loop {
        let position = db.checkpoint(CHECKPOINT).await?;
        let batch = db.read_after(position, BATCH).await?;
        if batch.is_empty() {
            return Ok(done);
        }
        for (position, event) in batch {
            projector.project(&event).await?;
            db.set_checkpoint(CHECKPOINT, position).await?;
            done += 1;
        }
    }
}

/// How often expired events are deleted (DynamoDB's TTL takes days).
const EXPIRY_EVERY: Duration = Duration::from_secs(3600);

/// Runs until `shutdown` turns true. Failures (a mail that could not be
/// sent) are retried: the checkpoint stays before the failed event. At
/// start and hourly it deletes the events that have expired by `clock`.
pub async fn follow(db: Sqlite, projector: Projector, clock: Arc<dyn Clock>, mut shutdown: watch::Receiver<bool>) {
    let appended = db.appended();
    let mut expired_at: Option<Instant> = None;
    loop {
        if let Err(e) = catch_up(&db, &projector).await {
            tracing::warn!(error = %e, "projection failed; retrying");
        }
        if expired_at.is_none_or(|at| at.elapsed() >= EXPIRY_EVERY) {
            match db.delete_expired(clock.now()).await {
                Ok(deleted) => tracing::info!(deleted, "expired events deleted"),
                Err(e) => tracing::warn!(error = %e, "deleting expired events failed; retrying in an hour"),
            }
            expired_at = Some(Instant::now());
        }
        tokio::select! {
            _ = appended.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
    }
}
