//! One access line per request, written by the router for the Lambda
//! functions and the local portal alike: the request id, the method, the
//! route (its pattern, `/api/reset-requests/{id}`, never the path itself,
//! which may carry a token), the status, the duration, the function and the
//! account where the request made it known. Never a body, a header, an
//! email address or a token.

use std::cell::Cell;
use std::sync::OnceLock;
use std::time::Instant;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use uuid::Uuid;

tokio::task_local! {
    static ACCOUNT: Cell<Option<Uuid>>;
}

/// The account a request acts for, once a token or a password check has
/// shown it (outside a request: ignored).
pub fn note_account(account_id: Uuid) {
    let _ = ACCOUNT.try_with(|account| account.set(Some(account_id)));
}

/// Runs a request's handling with room for `note_account`; gives back its
/// output and the account noted.
pub async fn with_account_slot<T>(handling: impl Future<Output = T>) -> (T, Option<Uuid>) {
    ACCOUNT
        .scope(Cell::new(None), async {
            let output = handling.await;
            (output, ACCOUNT.with(Cell::get))
        })
        .await
}

/// The Lambda function's name, or `portal` for the local server.
pub fn function_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "portal".into()))
}

#[derive(Debug)]
pub struct AccessLine<'a> {
    pub request_id: &'a str,
    pub method: &'a str,
    /// The route's pattern; `-` when no route matched (404, 405).
    pub route: &'a str,
    pub status: u16,
    pub started: Instant,
    pub account_id: Option<Uuid>,
}

impl AccessLine<'_> {
    /// An `info` event with target `access`: JSON fields at the top level
    /// in the Lambda functions, `key=value` text in the portal.
    pub fn write(&self) {
        let duration_ms = (self.started.elapsed().as_secs_f64() * 1000.0 * 100.0).round() / 100.0;
        let account_id = self.account_id.map(|id| id.to_string()).unwrap_or_default();
        tracing::info!(
            target: "access",
            request_id = self.request_id,
            method = self.method,
            route = self.route,
            status = self.status,
            duration_ms,
            function = function_name(),
            account_id = account_id.as_str(),
            "request"
        );
    }
}

/// The JSON log lines of the Lambda functions (and of the portal with
/// `PORTAL_LOG_FORMAT=json`): one object per line, the event's fields at
/// the top level beside `timestamp`, `level`, `target` and `message`.
pub fn json_logs<W>(filter: EnvFilter, writer: W) -> impl tracing::Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_env_filter(filter)
        .with_writer(writer)
        .finish()
}

#[cfg(test)]
mod tests;
