//! Projections: what follows from events after they are stored. Fed by the
//! SQLite feed in-process (embedded) or DynamoDB Streams (AWS, LocalStack).
//! Every projection is idempotent: a replayed event changes nothing and
//! sends nothing twice.

pub mod embedded;
pub mod notifications;
#[cfg(feature = "aws")]
pub mod stream_poller;
pub mod support_queue;

use events::Aggregate;
use std::sync::Arc;

use crate::ports::keys::KeyRing;
use crate::ports::mail::Mailer;
use crate::ports::state::StateStore;
use crate::ports::store::{EventStore, StoreError, StoredEvent};
use crate::settings::Settings;

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("mail delivery failed: {0}")]
    Delivery(String),
}

#[derive(Clone)]
pub struct Projector {
    pub store: Arc<dyn EventStore>,
    pub state: Arc<dyn StateStore>,
    pub mailer: Arc<dyn Mailer>,
    /// Opens reset forms for the support queue (names of the requester).
    pub keys: Arc<dyn KeyRing>,
    pub settings: Settings,
    /// Opens the personal data the mails and the queue show.
    pub personal: Arc<crate::personal_data::PersonalKeys>,
}

impl Projector {
    /// An account as its events stand now (for addresses and names).
    pub(crate) async fn account(&self, id: uuid::Uuid) -> Result<events::account::Account, StoreError> {
        let stored = self.store.load(&events::account::stream_id(id)).await?;
        Ok(events::account::Account::from_events(&crate::ports::store::decode(&stored)?))
    }

    /// Applies one stored event to every projection.
    pub async fn project(&self, event: &StoredEvent) -> Result<(), ProjectionError> {
        support_queue::on_event(self, event).await?;
        notifications::on_event(self, event).await
    }
}
