//! `POST /api/account/export`: everything the account holds, as one JSON
//! download (the GDPR's right of access and portability). With a second
//! factor it takes a proof of it (`verification`), consumed like a
//! credential change's: a stolen session alone must not carry the data away.
//! Never a secret: no hashes, no sealed keys, no codes.

use events::Aggregate;
use events::account::export::{Dates, factor_dates};
use events::account::{Account, AccountEvent, Auth};
use events::factor_reset::ResetRequest;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::activity::entries_shown;
use super::auth::{Accepts, caller};
use super::proof::{self, Presented};
use crate::app::App;
use crate::dav;
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, request, response};
use crate::personal_data::open_or_empty;
use crate::ports::store::decode;
use crate::routes;
use crate::time_fmt::rfc3339;

pub const ROUTES: Routes = routes![
    POST "/api/account/export" => export;
];

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ExportBody {
    verification: Option<Presented>,
}

pub async fn export(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let body: ExportBody = request::optional_json(&req)?;
    let ctx = app.ctx(&req);
    let who = caller(app, &req, Accepts::Session, ctx.now)?;
    let Auth::Session { session_id } = who.auth else { return Err(ApiError::unauthorized()) };
    let policy = app.settings.policy;
    let verification = body.verification.as_ref();
    app.decide(who.account_id, &ctx.meta, |account: Account| async move {
        let prepared =
            proof::prepare_optional(verification, app, &account, &Auth::Session { session_id }, ctx.now).await?;
        Ok(account.prove_for_export(session_id, prepared.as_ref().map(|p| p.proof()), ctx.now, &policy))
    })
    .await?;

    let stored = app.store.load(&events::account::stream_id(who.account_id)).await?;
    let recorded = decode::<AccountEvent>(&stored)?;
    let account = Account::from_events(&recorded);
    let activity = entries_shown(app, who.account_id, &stored, &recorded, ctx.now).await?;
    let dates = factor_dates(&recorded);
    let mut factors = Vec::new();
    if account.totp.is_some() {
        factors.push(factor("totp", None, dates.totp));
    }
    if let Some(sms) = &account.sms {
        factors.push(factor("sms", Some(&sms.masked_phone), dates.sms));
    }
    if account.recovery.is_some() {
        let mut codes = factor("recovery_codes", None, dates.recovery_codes);
        codes["remaining"] = json!(account.recovery_codes_remaining());
        factors.push(codes);
    }
    // Everything sealed opens with the one data key, read once.
    let key = app.personal.open(account.id).await?;
    let key = key.as_ref();
    // Each passkey by its name and dates: nothing of the key itself.
    for p in &account.passkeys {
        let name = open_or_empty(key, &p.name)?;
        let dates = Dates { created_at: Some(p.created_at), last_used_at: p.last_used_at };
        factors.push(factor("passkey", Some(name.as_str()), Some(dates)));
    }
    let keys: Vec<String> = account.app_passwords.iter().map(|p| dav::last_used_key(p.id)).collect();
    let last_used = app.state.last_touched(&keys).await?;
    let mut app_passwords: Vec<Value> = Vec::with_capacity(keys.len());
    for (p, used) in account.app_passwords.iter().zip(last_used) {
        let name = open_or_empty(key, &p.name)?;
        app_passwords.push(
            json!({"id": p.id, "name": name, "created_at": rfc3339(p.created_at), "last_used_at": used.map(rfc3339)}),
        );
    }
    let reset_requests = reset_requests(app, &recorded).await?;
    Ok(response::json(
        200,
        &json!({
            "exported_at": rfc3339(ctx.now),
            "profile": {
                "user_id": account.id,
                "email": open_or_empty(key, &account.email)?,
                "name": open_or_empty(key, &account.name)?,
                "locale": account.locale,
                "roles": account.roles,
                "created_at": account.created_at.map(rfc3339),
            },
            "factors": factors,
            "app_passwords": app_passwords,
            "activity": activity,
            "reset_requests": reset_requests,
        }),
    ))
}

fn factor(kind: &str, name: Option<&str>, dates: Option<Dates>) -> Value {
    let dates = dates.unwrap_or_default();
    json!({
        "kind": kind,
        "name": name,
        "created_at": dates.created_at.map(rfc3339),
        "last_used_at": dates.last_used_at.map(rfc3339),
    })
}

/// Each reset request the account filed, with support's decision (the
/// request's own stream): when, the status, the reason of a rejection.
async fn reset_requests(app: &App, recorded: &[events::codec::Recorded<AccountEvent>]) -> Result<Vec<Value>, ApiError> {
    let ids: Vec<Uuid> = recorded
        .iter()
        .filter_map(|r| match r.event {
            AccountEvent::ResetRequested { request_id } => Some(request_id),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    for id in ids {
        let request: ResetRequest = app.load(id).await?;
        if !request.exists() {
            continue;
        }
        out.push(json!({
            "request_id": id,
            "submitted_at": request.submitted_at.map(rfc3339),
            "due_by": request.due_by.map(rfc3339),
            "status": request.status,
            "decided_at": request.decided_at.map(rfc3339),
            "rejection_reason": request.rejection_reason,
        }));
    }
    Ok(out)
}
