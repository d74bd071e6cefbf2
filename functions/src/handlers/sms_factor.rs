//! SMS as the account's factor, the `enroll` function's part:
//! `POST /api/mfa/sms/confirm` makes a number with a sent code the factor,
//! `DELETE /api/mfa/sms` removes it. `sms` sends the codes.

use events::account::{Account, Auth};
use serde::Deserialize;

use super::auth::{Accepts, caller};
use super::proof::{self, MethodName, Presented};
use super::recovery_codes;
use super::sms::presented_hash;
use super::totp::CodeBody;
use crate::app::App;
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, request, response};
use crate::routes;

pub const ROUTES: Routes = routes![
    POST "/api/mfa/sms/confirm" => confirm;
    DELETE "/api/mfa/sms" => remove;
];

/// `POST /api/mfa/sms/confirm` `{"code"}`: the new number is the factor.
pub async fn confirm(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let CodeBody { code } = request::json(&req)?;
    let ctx = app.ctx(&req);
    let who = caller(app, &req, Accepts::MfaOrSession, ctx.now)?;
    let policy = app.settings.policy;
    let code = &code;
    let (grant, codes) = app
        .decide(who.account_id, &ctx.meta, |account: Account| async move {
            let hash = presented_hash(app, &account, code, ctx.now);
            let (plain, activation) = recovery_codes::activation(app, &who.auth);
            Ok(account.confirm_sms(activation, hash.as_deref(), ctx.now, &policy).map(|grant| (grant, plain)))
        })
        .await?;
    Ok(recovery_codes::activated(app, who.account_id, &grant, &codes, ctx.now))
}

/// `DELETE /api/mfa/sms` `{"method", "code"}` (session): proof of a
/// current factor; refused while SMS is the only one.
pub async fn remove(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let body: RemoveBody = request::optional_json(&req)?;
    let presented = body.proof()?;
    let ctx = app.ctx(&req);
    let who = caller(app, &req, Accepts::Session, ctx.now)?;
    let Auth::Session { session_id } = who.auth else { return Err(ApiError::unauthorized()) };
    let policy = app.settings.policy;
    let presented = presented.as_ref();
    app.decide(who.account_id, &ctx.meta, |account: Account| async move {
        let prepared =
            proof::prepare_optional(presented, app, &account, &Auth::Session { session_id }, ctx.now).await?;
        let step_up = prepared.as_ref().map(|p| p.proof());
        Ok(account.remove_sms(session_id, step_up, ctx.now, &policy))
    })
    .await?;
    Ok(response::no_content())
}

/// `DELETE /api/mfa/sms`: the step-up proof as `{"verification": {...}}`,
/// as every change of a credential sends it, or bare (`{"method", "code"}`),
/// as this endpoint took it before the contract named the field.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RemoveBody {
    verification: Option<Presented>,
    method: Option<MethodName>,
    code: Option<String>,
}

impl RemoveBody {
    /// The proof, if any; half of a bare one, or both forms at once, is malformed.
    fn proof(self) -> Result<Option<Presented>, ApiError> {
        match (self.verification, self.method, self.code) {
            (verification, None, None) => Ok(verification),
            (None, Some(method), Some(code)) => Ok(Some(Presented::code(method, code))),
            _ => Err(ApiError::invalid_request("send the proof as \"verification\": {\"method\", \"code\"}")),
        }
    }
}
