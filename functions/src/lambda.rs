//! Entry points of the Lambda functions: each binary in `lambdas/src/bin/` calls
//! one of these, which build the AWS backend once per cold start.

use std::convert::Infallible;
use std::sync::Arc;

use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::LambdaEvent;

use crate::backend::aws::{Aws, AwsResources};
use crate::http::routes::{self, Routes};
use crate::metrics::Metric;
use crate::password::Passwords;
use crate::portal::config::PortalConfig;
use crate::ports::clock::SystemClock;
use crate::projector::Projector;
use crate::settings::Settings;

pub type Error = lambda_runtime::Error;

fn init_logging() {
    // JSON lines for CloudWatch (the template's LoggingConfig is JSON too),
    // fields at the top level so the access line's request_id, route and
    // status are queryable as they are; no request bodies are ever logged.
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    crate::http::access::json_logs(filter, std::io::stdout).init();
}

async fn backend() -> Result<Aws, Error> {
    let settings: Settings = PortalConfig::from_env().map_err(Error::from)?.settings;
    Ok(Aws::connect(AwsResources::from_env(), settings, Arc::new(SystemClock), Passwords::standard()).await?)
}

/// An HTTP function behind API Gateway, serving the routes of `lists`
/// (e.g. `&[handlers::login::ROUTES]`): only those handlers are linked.
pub async fn run_http(lists: &'static [Routes]) -> Result<(), Error> {
    init_logging();
    let app = backend().await?.app;
    lambda_http::run(lambda_http::service_fn(move |req| {
        let app = app.clone();
        async move { Ok::<_, Infallible>(routes::serve(&app, lists, req).await) }
    }))
    .await
}

/// The DAV authorizer function (API Gateway HTTP API Lambda authorizer,
/// payload 2.0, simple responses).
pub async fn run_dav_authorizer() -> Result<(), Error> {
    init_logging();
    let app = backend().await?.app;
    lambda_runtime::run(lambda_runtime::service_fn(move |event: LambdaEvent<crate::dav::AuthorizerRequest>| {
        let app = app.clone();
        async move { Ok::<_, Error>(crate::dav::authorize(&app, &event.payload, app.clock.now()).await) }
    }))
    .await
}

/// The SLA watch function, run by a schedule (EventBridge); the event's
/// content does not matter.
pub async fn run_sla_watch() -> Result<(), Error> {
    init_logging();
    let app = backend().await?.app;
    lambda_runtime::run(lambda_runtime::service_fn(move |_: LambdaEvent<serde_json::Value>| {
        let app = app.clone();
        async move {
            let report = crate::sla_watch::run(&app, app.clock.now()).await.map_err(|e| Error::from(e.message))?;
            Ok::<_, Error>(report)
        }
    }))
    .await
}

/// Projects one batch of stream records in order. The first record that
/// fails and everything after it are reported back, so Lambda retries from
/// there (`ReportBatchItemFailures`); records before it are done.
pub async fn project_batch(projector: &Projector, event: StreamEvent) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    let mut newest_applied = None;
    for record in event.records {
        // Only new items are events: a MODIFY is a stream's head moving on,
        // a REMOVE the TTL deleting an expired event (the template's filter
        // leaves both out already).
        if record.event_name != "INSERT" {
            continue;
        }
        let result = match crate::adapters::dynamodb::stream_record(record.change.new_image.clone()) {
            Ok(Some(stored)) => projector
                .project(&stored)
                .await
                .map(|()| newest_applied = Some(stored.meta.at))
                .map_err(|e| e.to_string()),
            // A snapshot or a new stream's head: nothing to project.
            Ok(None) => Ok(()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, sequence = ?record.change.sequence_number, "projection failed");
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = record.change.sequence_number.clone();
            response.batch_item_failures.push(failure);
            break;
        }
    }
    if let Some(at) = newest_applied {
        let lag = (time::OffsetDateTime::now_utc() - at).as_seconds_f64().max(0.0);
        crate::metrics::emit(&[Metric::projector_lag(lag)]);
    }
    response
}

/// The projector function, fed by the events table's stream.
pub async fn run_projector() -> Result<(), Error> {
    init_logging();
    let projector = backend().await?.projector;
    lambda_runtime::run(lambda_runtime::service_fn(move |event: LambdaEvent<StreamEvent>| {
        let projector = projector.clone();
        async move { Ok::<_, Error>(project_batch(&projector, event.payload).await) }
    }))
    .await
}
