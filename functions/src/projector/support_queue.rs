//! The support queue: a projection of the reset-request streams into the
//! views. Each request's row is rebuilt from its whole stream (not just
//! the event at hand), so replays and redeliveries converge on the same
//! row, and rebuilding from the log gives the same queue.
//!
//! Open requests carry the requester's names (opened from the sealed form)
//! for the queue list; a decided request's row keeps no personal data, and
//! an index of decided requests (`DECIDED`) tells the SLA watch when each
//! one's data key is due for destruction.

use events::Aggregate;
use events::factor_reset::{ResetRequest, Status};
use serde_json::json;
use time::Duration;

use super::{ProjectionError, Projector};
use crate::ports::store::StoredEvent;
use crate::ports::store::decode;
use crate::reset_requests::open_form;
use crate::time_fmt::rfc3339;

/// Views collection of the queue rows, one per request.
pub const QUEUE: &str = "support-queue";
/// Views collection of decided requests and when to anonymise them.
pub const DECIDED: &str = "reset-decided";
/// How long a decided request's (name-free) queue row stays.
const CLOSED_ROW_KEPT: Duration = Duration::days(30);

pub async fn on_event(p: &Projector, stored: &StoredEvent) -> Result<(), ProjectionError> {
    if !stored.stream.starts_with("reset#") {
        return Ok(());
    }
    let history = decode(&p.store.load(&stored.stream).await?)?;
    let request = ResetRequest::from_events(&history);
    if !request.exists() {
        return Ok(());
    }
    let id = request.request_id.to_string();
    let at = stored.meta.at;
    let base = json!({
        "request_id": request.request_id,
        "account_id": request.account_id,
        "submitted_at": request.submitted_at.map(rfc3339),
        "due_by": request.due_by.map(rfc3339),
    });
    if request.is_open() {
        let email = p.account(request.account_id).await?.email;
        let form = open_form(&*p.state, &*p.keys, &request, at).await?;
        let taken_by = match request.taken_by {
            Some(staff) => Some(json!({ "id": staff, "name": p.account(staff).await?.name })),
            None => None,
        };
        let mut row = base;
        row["open"] = json!(true);
        row["email"] = json!(email);
        row["first_name"] = json!(form.as_ref().map(|f| f.first_name.clone()));
        row["last_name"] = json!(form.as_ref().map(|f| f.last_name.clone()));
        row["status"] = json!(if request.taken_by.is_some() { "taken" } else { "pending" });
        row["marked_overdue"] = json!(request.marked_overdue);
        row["taken_by"] = json!(taken_by);
        p.state.put_doc(QUEUE, &id, request.version, &row, None).await?;
        return Ok(());
    }
    let mut closed = base;
    closed["open"] = json!(false);
    closed["status"] = json!(request.status.as_str());
    p.state.put_doc(QUEUE, &id, request.version, &closed, Some(at + CLOSED_ROW_KEPT)).await?;
    if request.status != Status::Pending {
        let mut decided = closed;
        decided["decided_at"] = json!(request.decided_at.map(rfc3339));
        decided["anonymise_after"] = json!(request.anonymise_after(&p.settings.reset_policy).map(rfc3339));
        decided["anonymised"] = json!(request.anonymised);
        p.state.put_doc(DECIDED, &id, request.version, &decided, None).await?;
    }
    Ok(())
}
