//! `POST /api/mfa/verify`: the second step of a login, and
//! `POST /api/mfa/cancel`: leaving it (or the forced setup) for sign-in.

use events::account::{Account, Auth};

use super::auth::{Accepts, caller, session_body};
use super::proof::Presented;
use crate::app::App;
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, request, response};
use crate::routes;

pub const ROUTES: Routes = routes![
    POST "/api/mfa/verify" => handle;
    POST "/api/mfa/cancel" => cancel;
];

pub async fn handle(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let presented: Presented = request::json(&req)?;
    if presented.is_passkey() {
        return Err(ApiError::invalid_request("a passkey answers at /api/mfa/passkey/verify"));
    }
    let ctx = app.ctx(&req);
    let who = caller(app, &req, Accepts::Mfa, ctx.now)?;
    let Auth::Mfa { login_id } = who.auth else { return Err(ApiError::unauthorized()) };
    let policy = app.settings.policy;
    let presented = &presented;
    let verified = app
        .decide(who.account_id, &ctx.meta, |account: Account| async move {
            let prepared = presented.prepare(app, &account, &who.auth, ctx.now).await?;
            Ok(account.verify(login_id, prepared.proof(), uuid::Uuid::new_v4(), ctx.now, &policy))
        })
        .await?;
    let mut body = session_body(app, who.account_id, &verified.session, ctx.now);
    if let Some(remaining) = verified.recovery_codes_remaining {
        body["recovery_codes_remaining"] = remaining.into();
    }
    Ok(response::json(200, &body))
}

/// "Cancel" at the second step or the forced setup (mfa token) → 204: the
/// pending login ends at once (`Account::cancel_login`), so the token left
/// in the tab is refused from now on rather than for its remaining
/// minutes. A session token is refused like at every `/api/mfa/*` route
/// that wants an mfa token; so is a login already ended.
pub async fn cancel(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let ctx = app.ctx(&req);
    let who = caller(app, &req, Accepts::Mfa, ctx.now)?;
    let Auth::Mfa { login_id } = who.auth else { return Err(ApiError::unauthorized()) };
    app.decide(
        who.account_id,
        &ctx.meta,
        |account: Account| async move { Ok(account.cancel_login(login_id, ctx.now)) },
    )
    .await?;
    Ok(response::no_content())
}
