//! Reset requests (lost second factor) on the stores: loading a request
//! with its history, and sealing its form under a data key of its own.
//! Decisions on a request (and its account) go through `decisions`.
//!
//! Crypto-shredding: each request's form is encrypted (AES-256-GCM) under a
//! fresh data key; the data key, itself sealed by the key ring (KMS on AWS),
//! lives in the state store (`DATA_KEYS`), never in the event log. Deleting it
//! leaves the sealed form in every event and backup unreadable.

use events::Aggregate;
use events::codec::Recorded;
use events::factor_reset::{self, ResetEvent, ResetRequest};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::adapters::local_keys::LocalKeyRing;
use crate::app::App;
use crate::crypto::random_bytes;
use crate::http::ApiError;
use crate::ports::keys::KeyRing;
use crate::ports::state::StateStore;
use crate::ports::store::{StoreError, decode};

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

impl App {
    /// A request's events (its history) and what they add up to.
    pub async fn load_reset(&self, request_id: Uuid) -> Result<(Vec<Recorded<ResetEvent>>, ResetRequest), ApiError> {
        let history = decode(&self.store.load(&factor_reset::stream_id(request_id)).await?)?;
        let request = ResetRequest::from_events(&history);
        Ok((history, request))
    }

    /// Seals a new request's form under a fresh data key, which is stored
    /// (sealed by the key ring) before the form is: a failure in between
    /// leaves an unused key, never a form without one.
    pub async fn seal_form(&self, request_id: Uuid, form: &Form) -> Result<String, ApiError> {
        let stream = factor_reset::stream_id(request_id);
        let data_key = zeroize::Zeroizing::new(random_bytes::<32>());
        let sealed_key = self.keys.seal(&*data_key, &stream).await?;
        self.state
            .put_doc(DATA_KEYS, &request_id.to_string(), 1, &serde_json::json!({ "sealed_key": sealed_key }), None)
            .await?;
        let plain = zeroize::Zeroizing::new(serde_json::to_vec(form).expect("a form serializes"));
        Ok(LocalKeyRing::new(&data_key).seal(&plain, &stream).await?)
    }

    /// The form of a request, or `None` once its data key is destroyed.
    pub async fn open_form(&self, request: &ResetRequest, now: time::OffsetDateTime) -> Result<Option<Form>, ApiError> {
        Ok(open_form(&*self.state, &*self.keys, request, now).await?)
    }

    /// Destroys a request's data key (crypto-shredding).
    pub async fn destroy_form_key(&self, request_id: Uuid) -> Result<(), ApiError> {
        Ok(self.state.delete_doc(DATA_KEYS, &request_id.to_string()).await?)
    }
}

/// A request's form, or `None` once anonymised or its data key destroyed.
/// Shared by the console and the queue projection.
pub async fn open_form(
    state: &dyn StateStore,
    keys: &dyn KeyRing,
    request: &ResetRequest,
    now: time::OffsetDateTime,
) -> Result<Option<Form>, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("reset request {}: {what}", request.request_id));
    let Some(sealed_form) = request.sealed_form() else { return Ok(None) };
    let stream = factor_reset::stream_id(request.request_id);
    let Some(doc) = state.doc(DATA_KEYS, &request.request_id.to_string(), now).await? else { return Ok(None) };
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
