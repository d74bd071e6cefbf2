//! The scheduled watch over the support process (`sla_watch`: every 15
//! minutes on AWS, a timer in `portal`): marks open requests past their
//! deadline overdue, once (which emails `PORTAL_SUPPORT_EMAIL`), and
//! destroys the data key of requests decided longer ago than the retention
//! period (crypto-shredding), then records that.
//!
//! It finds candidates in the queue projection (eventually consistent); each decision
//! is taken again on the request's own stream, so a stale view can cause
//! no wrong mark, only a late one.

use events::factor_reset::{ResetPolicy, ResetRequest};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::app::App;
use crate::http::ApiError;
use crate::ports::store::Meta;
use crate::projector::support_queue::{DECIDED, QUEUE, status_of_row};
use crate::time_fmt::rfc3339;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Report {
    pub marked_overdue: usize,
    pub anonymised: usize,
}

fn id_of(doc: &serde_json::Value) -> Option<Uuid> {
    doc["request_id"].as_str().and_then(|id| Uuid::parse_str(id).ok())
}

/// One round of the watch at `now`.
pub async fn run(app: &App, now: OffsetDateTime) -> Result<Report, ApiError> {
    let meta = Meta { request_id: format!("sla_watch-{}", Uuid::new_v4()), at: now, source_ip: None, client: None };
    let now_text = rfc3339(now);
    let mut report = Report::default();
    for doc in app.state.docs(QUEUE, now).await? {
        let due = status_of_row(&doc, now).overdue;
        let Some(id) = id_of(&doc).filter(|_| doc["open"] == true && doc["marked_overdue"] != true && due) else {
            continue;
        };
        match app.decide(id, &meta, |request: ResetRequest| std::future::ready(Ok(request.mark_overdue(now)))).await {
            Ok(()) => report.marked_overdue += 1,
            // Decided or marked meanwhile: the view was behind.
            Err(e) if e.status < 500 => {}
            Err(e) => return Err(e),
        }
    }
    let policy: ResetPolicy = app.settings.reset_policy;
    for doc in app.state.docs(DECIDED, now).await? {
        let expired = doc["anonymise_after"].as_str().is_some_and(|after| after <= now_text.as_str());
        let Some(id) = id_of(&doc).filter(|_| doc["anonymised"] != true && expired) else { continue };
        // Check against the stream before destroying anything.
        let (_, request) = app.load_reset(id).await?;
        if request.anonymised || request.anonymise_after(&policy).is_none_or(|after| now < after) {
            continue;
        }
        app.destroy_form_key(id).await?;
        match app
            .decide(id, &meta, |request: ResetRequest| std::future::ready(Ok(request.anonymise(now, &policy))))
            .await
        {
            Ok(()) => report.anonymised += 1,
            Err(e) if e.status < 500 => {}
            Err(e) => return Err(e),
        }
    }
    if report != Report::default() {
        tracing::info!(marked_overdue = report.marked_overdue, anonymised = report.anonymised, "sla watch");
    }
    Ok(report)
}
