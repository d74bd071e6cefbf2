//! The DynamoDB adapter: the event store (`events` table: partition key
//! `stream`, sort key `version`, streams NEW_IMAGE) and the views
//! (`views` table: `pk`, `sk`, TTL on `expires_at`). Uniqueness claims live
//! in the views table and are written in the same transaction as the events
//! that need them.

mod item;
mod store;
mod views;

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::AttributeValue;

pub use item::{EventItem, stored_event};

use crate::ports::store::StoreError;

/// A DynamoDB item, as the SDK hands it over.
type Item = std::collections::HashMap<String, AttributeValue>;

#[derive(Clone)]
pub struct Dynamo {
    client: Client,
    events_table: String,
    views_table: String,
}

impl Dynamo {
    pub fn new(client: Client, events_table: impl Into<String>, views_table: impl Into<String>) -> Self {
        Dynamo { client, events_table: events_table.into(), views_table: views_table.into() }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn events_table(&self) -> &str {
        &self.events_table
    }
}

/// Error codes after which the same request may simply be sent again.
fn is_transient(code: Option<&str>) -> bool {
    matches!(
        code,
        Some(
            "ThrottlingException"
                | "ProvisionedThroughputExceededException"
                | "RequestLimitExceeded"
                | "InternalServerError"
                | "ServiceUnavailable"
                | "InternalFailure"
        )
    )
}

/// How often a throttled or failed request is sent again, with backoff,
/// before the caller gets `Unavailable` (and the client a 503).
const ATTEMPTS: u32 = 4;

async fn pause(attempt: u32) {
    let jitter = u64::from(crate::crypto::random_bytes::<1>()[0] % 20);
    tokio::time::sleep(Duration::from_millis((25u64 << attempt.min(5)) + jitter)).await;
}

fn unavailable<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(e: &SdkError<E, R>) -> StoreError {
    let detail = match e.as_service_error() {
        Some(service) => format!("{}: {}", service.code().unwrap_or("?"), service.message().unwrap_or("")),
        None => format!("{e:?}").chars().take(200).collect(),
    };
    StoreError::Unavailable(detail)
}

/// Sends a request, again after throttling or a transient failure (with
/// backoff), and gives the last error back when it keeps failing.
async fn retrying<T, E, R, F, Fut>(mut send: F) -> Result<T, SdkError<E, R>>
where
    E: ProvideErrorMetadata,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, SdkError<E, R>>>,
{
    let mut attempt = 0;
    loop {
        match send().await {
            Err(e) if retryable(&e) && attempt + 1 < ATTEMPTS => {
                attempt += 1;
                pause(attempt).await;
            }
            result => return result,
        }
    }
}

/// Every item of a strongly consistent Query, page after page (a page holds
/// at most 1 MB), each page retried like any other call. `query` names the
/// table and the key condition; the paging is done here.
async fn query_all(query: impl Fn() -> QueryFluentBuilder) -> Result<Vec<Item>, StoreError> {
    let mut items = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let page = retrying(|| query().consistent_read(true).set_exclusive_start_key(start.clone()).send())
            .await
            .map_err(|e| unavailable(&e))?;
        items.extend(page.items.unwrap_or_default());
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return Ok(items),
        }
    }
}

/// Whether an SDK error is worth retrying (throttling, server errors,
/// timeouts and dropped connections).
fn retryable<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    match e {
        SdkError::ServiceError(service) => is_transient(service.err().code()),
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
        _ => false,
    }
}
