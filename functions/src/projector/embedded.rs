//! The in-process projector of the embedded backend: follows the SQLite
//! event log by its global position, remembering a checkpoint.

use std::time::Duration;

use tokio::sync::watch;

use super::Projector;
use crate::adapters::sqlite::Sqlite;

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

/// Runs until `shutdown` turns true. Failures (a mail that could not be
/// sent) are retried: the checkpoint stays before the failed event.
pub async fn follow(db: Sqlite, projector: Projector, mut shutdown: watch::Receiver<bool>) {
    let appended = db.appended();
    loop {
        if let Err(e) = catch_up(&db, &projector).await {
            tracing::warn!(error = %e, "projection failed; retrying");
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
