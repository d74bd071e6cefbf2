//! The support console's API (`support` function): the queue of open reset
//! requests, a request with what helps decide, and the decisions. Only
//! sessions of accounts with the `support` role; staff see the form and
//! facts about the account, never a secret or a hash.

use events::Aggregate;
use std::collections::HashMap;

use events::account::{Account, Auth};
use events::codec::Recorded;
use events::factor_reset::{Approval, QueueStatus, RequestNumber, ResetEvent, ResetRequest, Staff};
use events::retention::RetentionPolicy;
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::auth::{Accepts, caller};
use crate::app::{App, Ctx};
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, request, response};
use crate::personal_data::{Person, open_or_empty};
use crate::projector::support_queue::{QUEUE, status_of_row};
use crate::routes;
use crate::time_fmt::rfc3339;

pub const ROUTES: Routes = routes![
    GET "/api/support/queue" => queue;
    GET "/api/support/requests" => search;
    GET "/api/support/requests/{id}" => detail;
    POST "/api/support/requests/{id}/take" => take;
    POST "/api/support/requests/{id}/approve" => approve;
    POST "/api/support/requests/{id}/reject" => reject;
];

/// The signed-in staff member.
pub(super) async fn staff(app: &App, req: &Request, now: OffsetDateTime) -> Result<(Staff, Account), ApiError> {
    let who = caller(app, req, Accepts::Session, now)?;
    let Auth::Session { session_id } = who.auth else { return Err(ApiError::unauthorized()) };
    let account = app.load_account(who.account_id).await?;
    Ok((Staff::authorize(&account, session_id, now)?, account))
}

fn request_id(req: &Request) -> Result<Uuid, ApiError> {
    request::path_param(req, "id").and_then(|id| Uuid::parse_str(id).ok()).ok_or_else(ApiError::not_found)
}

pub async fn queue(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let now = app.clock.now();
    staff(app, &req, now).await?;
    let mut items: Vec<Value> = app.state.docs(QUEUE, now).await?.into_iter().filter(|d| d["open"] == true).collect();
    items.sort_by(|a, b| a["due_by"].as_str().cmp(&b["due_by"].as_str()));
    for item in &mut items {
        let overdue = status_of_row(item, now).overdue;
        let row = item.as_object_mut().expect("queue rows are objects");
        row.remove("open");
        row.insert("overdue".into(), json!(overdue));
        row.remove("marked_overdue");
        with_number(item);
    }
    Ok(response::json(200, &json!({ "items": items })))
}

/// Adds the number read out on the phone to a row that has a `request_id`.
fn with_number(row: &mut Value) {
    if let Some(id) = row["request_id"].as_str().and_then(|id| Uuid::parse_str(id).ok()) {
        row["request_number"] = json!(RequestNumber::of(id).to_string());
    }
}

/// `GET /api/support/requests?number=K3M9-T2QX`: the requests (open, or
/// decided and not yet anonymised) with the number a caller read out,
/// newest first. Usually one; two requests can share a number.
pub async fn search(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let now = app.clock.now();
    staff(app, &req, now).await?;
    let query = req.uri().query().unwrap_or("");
    let typed = form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "number").map(|(_, v)| v.into_owned());
    let number = typed
        .as_deref()
        .and_then(RequestNumber::parse)
        .ok_or_else(|| ApiError::invalid_request("number: 8 characters of a request number, such as K3M9-T2QX."))?;
    let mut rows: Vec<Value> = known_requests(app, now)
        .await?
        .into_iter()
        .filter(|(id, _)| RequestNumber::of(*id) == number)
        .map(|(_, doc)| summary(&doc))
        .collect();
    rows.sort_by(|a, b| b["submitted_at"].as_str().cmp(&a["submitted_at"].as_str()));
    Ok(response::json(200, &json!({ "items": rows })))
}

/// Every request the views know, once each: open ones and those decided
/// in the last 30 days are queue rows, decided ones are also in the
/// retention index until anonymised (so a decided request is in both).
async fn known_requests(app: &App, now: OffsetDateTime) -> Result<HashMap<Uuid, Value>, ApiError> {
    let mut known = HashMap::new();
    for collection in [QUEUE, crate::projector::support_queue::DECIDED] {
        for doc in app.state.docs(collection, now).await? {
            let id = doc["request_id"].as_str().and_then(|id| Uuid::parse_str(id).ok());
            if let (Some(id), true) = (id, doc["submitted_at"].is_string()) {
                known.entry(id).or_insert(doc);
            }
        }
    }
    Ok(known)
}

/// A request in a list: which, its number, where it stands, since when.
fn summary(doc: &Value) -> Value {
    let mut row =
        json!({ "request_id": doc["request_id"], "status": doc["status"], "submitted_at": doc["submitted_at"] });
    with_number(&mut row);
    row
}

/// Names of the staff members (and others) a request's history mentions.
pub(super) async fn names(app: &App, ids: Vec<Uuid>) -> Result<HashMap<Uuid, String>, ApiError> {
    let mut names = HashMap::new();
    for id in ids {
        if let std::collections::hash_map::Entry::Vacant(slot) = names.entry(id) {
            let name = app.load_account(id).await?.name;
            slot.insert(app.personal.open_value(id, &name).await?.unwrap_or_default());
        }
    }
    Ok(names)
}

async fn detail_body(app: &App, ctx: &Ctx, id: Uuid) -> Result<Value, ApiError> {
    let (history, request) = app.load_reset(id).await?;
    if !request.exists() {
        return Err(ApiError::not_found());
    }
    let account = app.load_account(request.account_id).await?;
    let form = app.open_form(&request, ctx.now).await?;
    let names = names(app, staff_ids(&history)).await?;
    let by = |id: &Uuid| json!({ "id": id, "name": names.get(id) });
    let entries: Vec<Value> = history.iter().map(|r| history_entry(r, by)).collect();
    let earlier: Vec<Value> = earlier_requests(app, &account, id, ctx.now).await?;
    let queue = request.queue_status(ctx.now);
    Ok(json!({
        "request_id": request.request_id,
        "request_number": RequestNumber::of(request.request_id).to_string(),
        // `pending` or `taken` while open, then the decision.
        "status": queue.map_or(request.status.as_str(), QueueStatus::as_str),
        "overdue": queue.is_some_and(|q| q.overdue),
        "submitted_at": request.submitted_at.map(rfc3339),
        "due_by": request.due_by.map(rfc3339),
        "anonymised": request.anonymised,
        "form": form,
        "matches": request.matches,
        "account": account_facts(app, &account, ctx.now).await?,
        "approvals": { "given": request.approvers().len(), "required": app.settings.reset_policy.approvals_required.max(1) },
        "taken_by": request.taken_by.map(|id| by(&id)),
        "history": entries,
        "earlier_requests": earlier,
    }))
}

/// The staff members a request's history mentions (repeats included).
fn staff_ids(history: &[Recorded<ResetEvent>]) -> Vec<Uuid> {
    history
        .iter()
        .filter_map(|r| match &r.event {
            ResetEvent::Viewed { staff_id }
            | ResetEvent::Taken { staff_id }
            | ResetEvent::ApprovalGiven { staff_id, .. }
            | ResetEvent::Rejected { staff_id, .. } => Some(*staff_id),
            _ => None,
        })
        .collect()
}

/// One line of the request's history; `by` names a staff member.
fn history_entry(r: &Recorded<ResetEvent>, by: impl Fn(&Uuid) -> Value) -> Value {
    let (what, who, note, reason) = match &r.event {
        ResetEvent::Submitted { .. } => ("submitted", None, None, None),
        ResetEvent::Viewed { staff_id } => ("viewed", Some(by(staff_id)), None, None),
        ResetEvent::Taken { staff_id } => ("taken", Some(by(staff_id)), None, None),
        ResetEvent::ApprovalGiven { staff_id, note } => ("approval_given", Some(by(staff_id)), Some(note), None),
        ResetEvent::Approved {} => ("approved", None, None, None),
        ResetEvent::Rejected { staff_id, reason } => ("rejected", Some(by(staff_id)), None, Some(reason)),
        ResetEvent::MarkedOverdue {} => ("marked_overdue", None, None, None),
        ResetEvent::Anonymised {} => ("anonymised", None, None, None),
    };
    json!({ "at": rfc3339(r.at), "what": what, "by": who, "note": note, "reason": reason })
}

/// Facts about the owner's account that help decide: never a secret or a
/// hash. Sign-in history reaches back to the retention horizon only (older
/// activity may be deleted already), failures count the current streak.
/// The account's email and name and its passkeys' names are opened here
/// (`null` and empty once it is deleted).
pub(super) async fn account_facts(app: &App, account: &Account, now: OffsetDateTime) -> Result<Value, ApiError> {
    let person = app.personal.person(account).await?;
    // Read the data key again only for an account with passkeys.
    let key = app.personal.key_if_needed(account, account.passkeys.iter().map(|p| &p.name)).await?;
    let mut passkeys = Vec::with_capacity(account.passkeys.len());
    for p in &account.passkeys {
        // Names and dates only: enough to tell the owner on the phone
        // which devices sign in, nothing of the keys.
        passkeys.push(json!({
            "name": open_or_empty(key.as_ref(), &p.name)?,
            "created_at": rfc3339(p.created_at),
            "last_used_at": p.last_used_at.map(rfc3339),
        }));
    }
    Ok(facts(account, person.as_ref(), passkeys, now, &app.settings.retention))
}

fn facts(
    account: &Account,
    person: Option<&Person>,
    passkeys: Vec<Value>,
    now: OffsetDateTime,
    retention: &RetentionPolicy,
) -> Value {
    let horizon = retention.horizon(now);
    json!({
        "user_id": account.id,
        "email": person.map(|p| &p.email),
        "name": person.map(|p| &p.name),
        "created_at": account.created_at.map(rfc3339),
        "last_login_at": account.last_login_at.filter(|at| horizon.is_none_or(|h| *at >= h)).map(rfc3339),
        "failed_password_attempts": account.password_failures.current(now).count,
        "failed_second_factor_attempts": account.second_factor_failures.current(now).count,
        "disabled": account.disabled.as_ref().map(|d| json!({ "at": rfc3339(d.at), "reason": d.reason, "by": d.by })),
        "factors": {
            "totp": account.totp.is_some(),
            "sms": account.sms.as_ref().map(|f| f.masked_phone.clone()),
            "recovery_codes_remaining": account.recovery_codes_remaining(),
            "passkeys": passkeys,
        },
    })
}

/// The account's other requests, from the queue view (open ones) and the
/// retention index (decided ones, until anonymised).
async fn earlier_requests(
    app: &App,
    account: &Account,
    this: Uuid,
    now: OffsetDateTime,
) -> Result<Vec<Value>, ApiError> {
    let mut rows: Vec<Value> = known_requests(app, now)
        .await?
        .into_iter()
        .filter(|(id, doc)| doc["account_id"] == json!(account.id) && *id != this)
        .map(|(_, doc)| summary(&doc))
        .collect();
    rows.sort_by(|a, b| a["submitted_at"].as_str().cmp(&b["submitted_at"].as_str()));
    Ok(rows)
}

pub async fn detail(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let ctx = app.ctx(&req);
    let (staff, _) = staff(app, &req, ctx.now).await?;
    let id = request_id(&req)?;
    // Who looked is part of the request's history.
    app.decide(id, &ctx.meta, |request: ResetRequest| std::future::ready(Ok(request.view(&staff)))).await?;
    Ok(response::json(200, &detail_body(app, &ctx, id).await?))
}

pub async fn take(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let ctx = app.ctx(&req);
    let (staff, _) = staff(app, &req, ctx.now).await?;
    let id = request_id(&req)?;
    app.decide(id, &ctx.meta, |request: ResetRequest| std::future::ready(Ok(request.take(&staff)))).await?;
    Ok(response::json(200, &detail_body(app, &ctx, id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Note {
    #[serde(default)]
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reason {
    reason: String,
}

fn bounded(field: &str, text: &str) -> Result<String, ApiError> {
    let text = text.trim();
    if text.chars().count() > 2000 {
        return Err(ApiError::invalid_request(format!("{field}: at most 2000 characters")));
    }
    Ok(text.to_owned())
}

/// The account a request belongs to (404 for no such request).
async fn owner(app: &App, id: Uuid) -> Result<Uuid, ApiError> {
    let (_, request) = app.load_reset(id).await?;
    crate::reset_requests::owner_of(&request).ok_or_else(ApiError::not_found)
}

pub async fn approve(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let body: Note = request::json(&req)?;
    let ctx = app.ctx(&req);
    let (staff, _) = staff(app, &req, ctx.now).await?;
    let id = request_id(&req)?;
    let note = bounded("note", &body.note)?;
    let policy = app.settings.reset_policy;
    let account_id = owner(app, id).await?;
    let approval = app
        .decide_joint(account_id, id, &ctx.meta, |account: Account, request: ResetRequest| {
            let decision = request.approve(&account, &staff, note.clone(), &policy);
            async move { Ok(decision) }
        })
        .await?;
    Ok(response::json(
        200,
        &match approval {
            Approval::Final => json!({ "status": "approved" }),
            Approval::Pending { approvals, required } => {
                json!({ "status": "pending", "approvals": { "given": approvals, "required": required } })
            }
        },
    ))
}

pub async fn reject(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let body: Reason = request::json(&req)?;
    let ctx = app.ctx(&req);
    let (staff, _) = staff(app, &req, ctx.now).await?;
    let id = request_id(&req)?;
    let reason = bounded("reason", &body.reason)?;
    let account_id = owner(app, id).await?;
    app.decide_joint(account_id, id, &ctx.meta, |account: Account, request: ResetRequest| {
        let decision = request.reject(&account, &staff, reason.clone());
        async move { Ok(decision) }
    })
    .await?;
    Ok(response::json(200, &json!({ "status": "rejected" })))
}
