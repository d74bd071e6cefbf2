//! Reading back what was "sent" on the embedded backend (`GET /dev/outbox`).
//!
//! A port rather than the SQLite adapter itself in `App`: the Lambda
//! functions never build an outbox, so behind a trait object the linker
//! leaves SQLite out of their binaries (about 0.7 MB each).

use async_trait::async_trait;
use serde::Serialize;

use super::store::StoreError;

#[derive(Debug, Clone, Serialize)]
pub struct OutboxItem {
    pub channel: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub sent_at: String,
}

#[async_trait]
pub trait Outbox: Send + Sync {
    /// Everything sent, oldest first.
    async fn items(&self) -> Result<Vec<OutboxItem>, StoreError>;

    /// Drops every message to these recipients (a deleted account's address
    /// and number), so the local outbox keeps no plaintext of the person;
    /// the freed bytes are overwritten and the WAL emptied, so the file
    /// keeps none either.
    async fn forget(&self, recipients: &[String]) -> Result<(), StoreError>;
}
