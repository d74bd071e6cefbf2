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
use events::factor_reset::{QueueStatus, ResetRequest, Status};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

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
    let owner = p.account(request.account_id).await?;
    if !owner.exists() {
        // A deleted account's requests leave the queue, also when the
        // queue is rebuilt from the log: nothing shows the person again.
        for collection in [QUEUE, DECIDED] {
            p.state.delete_doc(collection, &id).await?;
        }
        return Ok(());
    }
    let base = json!({
        "request_id": request.request_id,
        "account_id": request.account_id,
        "submitted_at": request.submitted_at.map(rfc3339),
        "due_by": request.due_by.map(rfc3339),
    });
    // Only `taken` is kept: whether it is overdue depends on when the row is read.
    if let Some(status) = request.queue_status(at) {
        let email = p.personal.open_value(owner.id, &owner.email).await?;
        let form = open_form(&*p.state, &*p.keys, &request, at).await?;
        let taken_by = match request.taken_by {
            Some(staff) => {
                let name = p.personal.open_value(staff, &p.account(staff).await?.name).await?;
                Some(json!({ "id": staff, "name": name }))
            }
            None => None,
        };
        let mut row = base;
        row["open"] = json!(true);
        row["email"] = json!(email);
        row["first_name"] = json!(form.as_ref().map(|f| f.first_name.clone()));
        row["last_name"] = json!(form.as_ref().map(|f| f.last_name.clone()));
        row["status"] = json!(status.as_str());
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

/// An open request's row as the queue shows it at `now`: its deadline read
/// back as an instant, not compared as text.
pub fn status_of_row(row: &Value, now: OffsetDateTime) -> QueueStatus {
    let due_by = row["due_by"].as_str().and_then(|due| OffsetDateTime::parse(due, &Rfc3339).ok());
    QueueStatus::of_open(row["status"] == "taken", due_by, row["marked_overdue"] == true, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    /// As text, `…10:30:00+01:00` sorts after `…09:45:00Z` and `…09:45:00.5Z`
    /// before it: the row's deadline must be read back as an instant.
    #[test]
    fn a_rows_deadline_is_compared_as_an_instant() {
        let row = |due: &str| json!({ "status": "pending", "due_by": due, "marked_overdue": false });
        let now = datetime!(2026-12-02 09:45:00 UTC);
        assert!(status_of_row(&row("2026-12-02T10:30:00+01:00"), now).overdue);
        assert!(!status_of_row(&row("2026-12-02T09:45:00.5Z"), now).overdue);
        assert!(status_of_row(&row("2026-12-02T09:45:00Z"), now).overdue);
        assert!(!status_of_row(&row("2026-12-02T09:45:01Z"), now).overdue);
        let marked = json!({ "status": "taken", "due_by": "2026-12-03T09:00:00Z", "marked_overdue": true });
        assert_eq!(status_of_row(&marked, now), QueueStatus { taken: true, overdue: true });
    }
}
