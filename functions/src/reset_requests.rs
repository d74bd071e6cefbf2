//! Reset requests (lost second factor) on the stores: loading a request,
//! sealing its form under a data key of its own, and appending decisions
//! that change a request and its account together, in one transaction.
//!
//! Crypto-shredding: each request's form is encrypted (AES-256-GCM) under a
//! fresh data key; the data key, itself sealed by the key ring (KMS on AWS),
//! lives in the views (`DATA_KEYS`), never in the event log. Deleting it
//! leaves the sealed form in every event and backup unreadable.

use std::future::Future;

use events::account::{self, Account};
use events::codec::Recorded;
use events::reset::{self, JointDecision, ResetEvent, ResetRequest};
use events::{EventCodec, EventRecord};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::adapters::local_keys::LocalKeyRing;
use crate::app::App;
use crate::crypto::random_bytes;
use crate::http::ApiError;
use crate::ports::keys::KeyRing;
use crate::ports::store::{Meta, StoreError, StreamAppend, decode};
use crate::ports::views::ViewStore;

/// Views collection of the sealed data keys, one per request.
pub const DATA_KEYS: &str = "reset-data-key";

/// What the owner typed into the form. Only ever stored sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Form {
    pub first_name: String,
    pub last_name: String,
    /// E.164.
    pub phone: String,
    /// Normalised.
    pub email: String,
}

/// Racing decisions on one request settle well within this.
const MAX_ATTEMPTS: u32 = 32;

fn records<E: EventCodec>(events: &[E]) -> Vec<EventRecord> {
    events.iter().map(EventCodec::encode).collect()
}

impl App {
    /// A request's events (its history) and what they add up to.
    pub async fn load_reset(&self, request_id: Uuid) -> Result<(Vec<Recorded<ResetEvent>>, ResetRequest), ApiError> {
        let history = decode(&self.store.load(&reset::stream_id(request_id)).await?)?;
        let request = ResetRequest::from_events(&history);
        Ok((history, request))
    }

    /// Seals a new request's form under a fresh data key, which is stored
    /// (sealed by the key ring) before the form is: a failure in between
    /// leaves an unused key, never a form without one.
    pub async fn seal_form(&self, request_id: Uuid, form: &Form) -> Result<String, ApiError> {
        let stream = reset::stream_id(request_id);
        let data_key = zeroize::Zeroizing::new(random_bytes::<32>());
        let sealed_key = self.keys.seal(&*data_key, &stream).await?;
        self.views
            .put_doc(DATA_KEYS, &request_id.to_string(), 1, &serde_json::json!({ "sealed_key": sealed_key }), None)
            .await?;
        let plain = zeroize::Zeroizing::new(serde_json::to_vec(form).expect("a form serializes"));
        Ok(LocalKeyRing::new(&data_key).seal(&plain, &stream).await?)
    }

    /// The form of a request, or `None` once its data key is destroyed.
    pub async fn open_form(&self, request: &ResetRequest, now: time::OffsetDateTime) -> Result<Option<Form>, ApiError> {
        Ok(open_form(&*self.views, &*self.keys, request, now).await?)
    }

    /// Destroys a request's data key (crypto-shredding).
    pub async fn destroy_form_key(&self, request_id: Uuid) -> Result<(), ApiError> {
        Ok(self.views.delete_doc(DATA_KEYS, &request_id.to_string()).await?)
    }

    /// Loads a request and its owner's account, lets `decide` look at both,
    /// and appends what it decided to both streams in one transaction;
    /// after a lost race, loads and decides again. A new request's stream
    /// is simply empty (the submission).
    pub async fn decide_reset<T, F, Fut>(
        &self,
        account_id: Uuid,
        request_id: Uuid,
        meta: &Meta,
        mut decide: F,
    ) -> Result<T, ApiError>
    where
        F: FnMut(Account, ResetRequest) -> Fut,
        Fut: Future<Output = Result<JointDecision<T>, ApiError>>,
    {
        for attempt in 0..MAX_ATTEMPTS {
            let account = self.load_account(account_id).await?;
            let (_, request) = self.load_reset(request_id).await?;
            let (account_version, request_version) = (account.version, request.version);
            let decision = decide(account, request).await?;
            let (account_events, reset_events) = (records(&decision.account_events), records(&decision.reset_events));
            let (account_stream, reset_stream) = (account::stream_id(account_id), reset::stream_id(request_id));
            let appends: Vec<StreamAppend<'_>> = [
                (account_stream.as_str(), account_version, account_events.as_slice()),
                (reset_stream.as_str(), request_version, reset_events.as_slice()),
            ]
            .into_iter()
            .filter(|(_, _, events)| !events.is_empty())
            .map(|(stream, expected_version, events)| StreamAppend { stream, expected_version, events })
            .collect();
            if appends.is_empty() {
                return decision.outcome.map_err(ApiError::from);
            }
            match self.store.append_all(&appends, meta, &[]).await {
                Ok(_) => return decision.outcome.map_err(ApiError::from),
                Err(StoreError::Conflict) => crate::accounts::backoff(attempt).await,
                Err(e) => return Err(e.into()),
            }
        }
        tracing::warn!(%request_id, "gave up after repeated write conflicts");
        Err(ApiError::unavailable())
    }

    /// A decision on the request's stream alone (view, take, overdue,
    /// anonymise), with the same reload-and-retry as the others.
    pub async fn decide_reset_only<T>(
        &self,
        request_id: Uuid,
        meta: &Meta,
        mut decide: impl FnMut(ResetRequest) -> Result<account::Decision<T, ResetEvent>, ApiError>,
    ) -> Result<T, ApiError> {
        for attempt in 0..MAX_ATTEMPTS {
            let (_, request) = self.load_reset(request_id).await?;
            if !request.exists() {
                return Err(ApiError::not_found());
            }
            let version = request.version;
            let decision = decide(request)?;
            if decision.events.is_empty() {
                return decision.outcome.map_err(ApiError::from);
            }
            let events = records(&decision.events);
            match self.store.append(&reset::stream_id(request_id), version, &events, meta, &[]).await {
                Ok(_) => return decision.outcome.map_err(ApiError::from),
                Err(StoreError::Conflict) => crate::accounts::backoff(attempt).await,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ApiError::unavailable())
    }
}

/// A request's form, or `None` once anonymised or its data key destroyed.
/// Shared by the console and the queue projection.
pub async fn open_form(
    views: &dyn ViewStore,
    keys: &dyn KeyRing,
    request: &ResetRequest,
    now: time::OffsetDateTime,
) -> Result<Option<Form>, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("reset request {}: {what}", request.request_id));
    let Some(sealed_form) = request.sealed_form() else { return Ok(None) };
    let stream = reset::stream_id(request.request_id);
    let Some(doc) = views.doc(DATA_KEYS, &request.request_id.to_string(), now).await? else { return Ok(None) };
    let sealed_key = doc["sealed_key"].as_str().ok_or_else(|| corrupt("data key item"))?;
    let key_error = |e: crate::ports::keys::KeyError| match e {
        crate::ports::keys::KeyError::Unavailable(m) => StoreError::Unavailable(m),
        crate::ports::keys::KeyError::Invalid => corrupt("sealed data does not open"),
    };
    let data_key = keys.open(sealed_key, &stream).await.map_err(key_error)?;
    let data_key: [u8; 32] = data_key.as_slice().try_into().map_err(|_| corrupt("data key length"))?;
    let plain = LocalKeyRing::new(&data_key).open(sealed_form, &stream).await.map_err(key_error)?;
    serde_json::from_slice(&plain).map(Some).map_err(|_| corrupt("form"))
}

/// The account the events of a joint decision belong to, for the caller
/// that only knows the request.
pub fn owner_of(request: &ResetRequest) -> Option<Uuid> {
    request.exists().then_some(request.account_id)
}
