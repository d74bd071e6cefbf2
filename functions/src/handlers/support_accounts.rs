//! The support console's accounts (`support` function): find a customer's
//! account by email, disable it (fraud, a dispute) with a reason, enable
//! it again, delete it for good (with four eyes where configured). The email travels in a body, never in a URL (URLs end up in
//! access logs). Staff learn whether an address has an account; nobody
//! else does.

use events::account::deletion::StaffDeletion;
use events::account::{Account, AccountEvent};
use events::codec::Recorded;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::deletion;
use super::support::{account_facts, names, staff};
use crate::app::{App, Ctx};
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, request, response};
use crate::ports::store::decode;
use crate::routes;
use crate::time_fmt::rfc3339;

pub const ROUTES: Routes = routes![
    POST "/api/support/accounts/lookup" => lookup;
    POST "/api/support/accounts/{id}/disable" => disable;
    POST "/api/support/accounts/{id}/enable" => enable;
    POST "/api/support/accounts/{id}/delete" => delete;
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Lookup {
    email: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reason {
    reason: String,
}

fn account_id(req: &Request) -> Result<Uuid, ApiError> {
    request::path_param(req, "id").and_then(|id| Uuid::parse_str(id).ok()).ok_or_else(ApiError::not_found)
}

/// The account as staff see it: the facts that help decide, whether it is
/// disabled, and every time it was disabled or enabled, by whom.
async fn account_view(app: &App, ctx: &Ctx, id: Uuid) -> Result<Value, ApiError> {
    let account = app.load_account(id).await?;
    if account.version == 0 {
        return Err(ApiError::not_found());
    }
    let stream = events::account::stream_id(id);
    let events: Vec<Recorded<AccountEvent>> = decode(&app.store.load(&stream).await?)?;
    let changes: Vec<&Recorded<AccountEvent>> = events
        .iter()
        .filter(|r| {
            matches!(
                r.event,
                AccountEvent::Disabled { .. }
                    | AccountEvent::Enabled { .. }
                    | AccountEvent::DeletionApproved { .. }
                    | AccountEvent::AccountDeleted { staff_id: Some(_) }
            )
        })
        .collect();
    let staff_ids = changes.iter().filter_map(|r| match &r.event {
        AccountEvent::Disabled { staff_id, .. }
        | AccountEvent::Enabled { staff_id }
        | AccountEvent::DeletionApproved { staff_id }
        | AccountEvent::AccountDeleted { staff_id: Some(staff_id) } => Some(*staff_id),
        _ => None,
    });
    let names = names(app, staff_ids.collect()).await?;
    let by = |id: &Uuid| json!({ "id": id, "name": names.get(id) });
    let history: Vec<Value> = changes
        .iter()
        .rev()
        .map(|r| match &r.event {
            AccountEvent::Disabled { staff_id, reason } => {
                json!({ "at": rfc3339(r.at), "what": "disabled", "by": by(staff_id), "reason": reason })
            }
            AccountEvent::Enabled { staff_id } => json!({ "at": rfc3339(r.at), "what": "enabled", "by": by(staff_id) }),
            AccountEvent::DeletionApproved { staff_id } => {
                json!({ "at": rfc3339(r.at), "what": "deletion_approved", "by": by(staff_id) })
            }
            AccountEvent::AccountDeleted { staff_id: Some(staff_id) } => {
                json!({ "at": rfc3339(r.at), "what": "deleted", "by": by(staff_id) })
            }
            _ => unreachable!("filtered above"),
        })
        .collect();
    Ok(json!({ "account": account_facts(app, &account, ctx.now).await?, "history": history }))
}

pub async fn lookup(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let body: Lookup = request::json(&req)?;
    let ctx = app.ctx(&req);
    staff(app, &req, ctx.now).await?;
    let id = app.account_for_address(&body.email).await?.ok_or_else(ApiError::not_found)?;
    Ok(response::json(200, &account_view(app, &ctx, id).await?))
}

pub async fn disable(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let body: Reason = request::json(&req)?;
    let ctx = app.ctx(&req);
    let (staff, _) = staff(app, &req, ctx.now).await?;
    let id = account_id(&req)?;
    app.decide(id, &ctx.meta, |account: Account| std::future::ready(Ok(account.disable(&staff, &body.reason))))
        .await
        .map_err(not_found_for_missing)?;
    Ok(response::json(200, &account_view(app, &ctx, id).await?))
}

pub async fn enable(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let ctx = app.ctx(&req);
    let (staff, _) = staff(app, &req, ctx.now).await?;
    let id = account_id(&req)?;
    app.decide(id, &ctx.meta, |account: Account| std::future::ready(Ok(account.enable(&staff))))
        .await
        .map_err(not_found_for_missing)?;
    Ok(response::json(200, &account_view(app, &ctx, id).await?))
}

/// Deletes a customer's account for good (`Account::delete_by_staff`): at
/// once, or with four eyes (`PORTAL_RESET_APPROVALS=2`) at the second staff
/// member's call, the first one's answering `approval_needed`. The deletion
/// is the owner's (`deletion`): the claim released in the same append, the
/// reset requests' data keys and queue rows gone.
pub async fn delete(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let ctx = app.ctx(&req);
    let (staff, _) = staff(app, &req, ctx.now).await?;
    let id = account_id(&req)?;
    let account = app.load_account(id).await?;
    if !events::Aggregate::exists(&account) {
        return Err(ApiError::not_found());
    }
    let key = app.personal.open(account.id).await?;
    // A claim of before keyed claims moves first, for the release to find.
    app.email_owner(&crate::personal_data::open_or_empty(key.as_ref(), &account.email)?).await?;
    let key = key.as_ref();
    let recipients = deletion::recipients(app, &account, key).await?;
    let approvals = app.settings.reset_policy.approvals_required;
    let done = app
        .decide_claiming(id, &ctx.meta, deletion::claims_not_held, |account: Account| {
            let decision = account.delete_by_staff(&staff, approvals);
            let claims = deletion::released_claims(app, key, &account, &decision.events);
            std::future::ready(claims.map(|claims| (decision, claims)))
        })
        .await
        .map_err(not_found_for_missing)?;
    let status = match done {
        StaffDeletion::Deleted => {
            deletion::forget_person(app, id, &recipients).await?;
            "deleted"
        }
        StaffDeletion::AwaitingSecondApproval => "approval_needed",
    };
    let mut view = account_view(app, &ctx, id).await?;
    view["status"] = json!(status);
    Ok(response::json(200, &view))
}

/// A missing account answers 401 to its owner's requests
/// (`Account::MISSING`); to staff naming one by id it is simply not found.
fn not_found_for_missing(e: ApiError) -> ApiError {
    if e.status == 401 { ApiError::not_found() } else { e }
}
