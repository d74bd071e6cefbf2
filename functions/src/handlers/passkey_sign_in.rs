//! Signing in with a passkey: at the second step after the password
//! (`POST /api/mfa/passkey/options`, `POST /api/mfa/passkey/verify`, mfa
//! token), or alone (`POST /api/passkey/options`, `POST /api/passkey/sign-in`,
//! no token: a discoverable credential with user verification names the
//! account itself).
//!
//! The answer is verified once, before the decision (it is CPU work and
//! its ceremony is taken from the store, single-use); the decision then
//! checks, against the state it appends to, that the credential is still
//! the account's and its counter went forward.

use events::account::{Account, Auth, SecondFactorProof};
use events::quota::Window;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::auth::{Accepts, caller, session_body};
use crate::app::App;
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, request, response};
use crate::passkeys::{Purpose, Refused, RelyingParty};
use crate::routes;

pub const ROUTES: Routes = routes![
    POST "/api/mfa/passkey/options" => second_step_options;
    POST "/api/mfa/passkey/verify" => second_step;
    POST "/api/passkey/options" => sign_in_options;
    POST "/api/passkey/sign-in" => sign_in;
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerBody {
    /// The browser's `PublicKeyCredential.toJSON()` of the assertion.
    credential: serde_json::Value,
}

fn login_of(app: &App, req: &Request, now: time::OffsetDateTime) -> Result<(Uuid, Uuid), ApiError> {
    let who = caller(app, req, Accepts::Mfa, now)?;
    let Auth::Mfa { login_id } = who.auth else { return Err(ApiError::unauthorized()) };
    Ok((who.account_id, login_id))
}

/// → `{"options"}` for `navigator.credentials.get`; 400 when the account
/// has no passkey.
pub async fn second_step_options(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let ctx = app.ctx(&req);
    let (account_id, login_id) = login_of(app, &req, ctx.now)?;
    let purpose = Purpose::SecondStep { account_id, login_id };
    account_options(app, account_id, &Auth::Mfa { login_id }, purpose, ctx.now).await
}

/// `{"options"}` for an assertion by one of the account's passkeys, for
/// `purpose`, once `auth` is still good; 400 when the account has none.
/// The second step's and the step-up's options.
pub(super) async fn account_options(
    app: &App,
    account_id: Uuid,
    auth: &Auth,
    purpose: Purpose,
    now: time::OffsetDateTime,
) -> Result<Response<Body>, ApiError> {
    let account = app.load_account(account_id).await?;
    account.authorize(auth, now)?;
    let options = RelyingParty::of(&app.settings)?
        .start_for_account(app, &account, purpose, now)
        .await?
        .ok_or_else(|| ApiError::invalid_request("this account has no passkey"))?;
    Ok(response::json(200, &json!({ "options": options })))
}

/// `{"credential"}` → the session, as `/api/mfa/verify` answers. What does
/// not verify (another account's credential, a wrong origin or RP ID, a
/// challenge used or of another login) counts like a wrong code.
pub async fn second_step(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let body: AnswerBody = request::json(&req)?;
    let ctx = app.ctx(&req);
    let (account_id, login_id) = login_of(app, &req, ctx.now)?;
    let rp = RelyingParty::of(&app.settings)?;
    let account = app.load_account(account_id).await?;
    let purpose = Purpose::SecondStep { account_id, login_id };
    let assertion = rp.check_for_account(app, &body.credential, purpose, &account, ctx.now).await?;
    let policy = app.settings.policy;
    let assertion = assertion.as_ref();
    let verified = app
        .decide_from(Some(account), account_id, &ctx.meta, |account: Account| async move {
            let proof = SecondFactorProof::Passkey { assertion };
            Ok(account.verify(login_id, proof, Uuid::new_v4(), ctx.now, &policy))
        })
        .await?;
    Ok(response::json(200, &session_body(app, account_id, &verified.session, ctx.now)))
}

/// How many passkey sign-ins one network may start a minute. The route is
/// open to anyone and every call writes a ceremony that waits five
/// minutes, so this bounds what one source can make the state store hold
/// (and pay for). A sign-in page asks once per visit (its autofill), so
/// the limit leaves room for an office or a carrier's shared address.
const SIGN_IN_OPTIONS_LIMIT: [Window; 1] = [Window::new(time::Duration::MINUTE, 60)];

/// → `{"options"}` for a passkey sign-in (also the browser's autofill);
/// 429 `too_many_attempts` past the network's limit.
pub async fn sign_in_options(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let ctx = app.ctx(&req);
    // The network (`App::ctx` keeps no more of the address), keyed so the
    // state store collects no list of addresses. Without an address (only
    // in-process callers; API Gateway and the portal always give one) all
    // such callers share one limit.
    let network = ctx.meta.source_ip.as_deref().unwrap_or("none");
    let key = format!("passkey-options#{}", app.secret.keyed_hash("passkey-options-network", network));
    if let Err(retry_after) = app.state.take_slot(&key, &SIGN_IN_OPTIONS_LIMIT, ctx.now).await? {
        return Err(events::Refusal::TooManyAttempts { retry_after }.into());
    }
    let rp = RelyingParty::of(&app.settings)?;
    let options = rp.start_sign_in(app, ctx.now).await?;
    Ok(response::json(200, &json!({ "options": options })))
}

/// `{"credential"}` → the session. Every refusal is the same 401
/// `invalid_code`, whether the account exists or not; where it does, a
/// refused assertion counts toward its second factor's lockout.
pub async fn sign_in(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let body: AnswerBody = request::json(&req)?;
    let ctx = app.ctx(&req);
    let rp = RelyingParty::of(&app.settings)?;
    let (purpose, account_id, answer) = match rp.take_sign_in(app, &body.credential, ctx.now).await {
        Ok(taken) => taken,
        Err(refused) => return Err(refused.into()),
    };
    let account = app.load_account(account_id).await?;
    if !events::Aggregate::exists(&account) {
        return Err(Refused::Unknown.into());
    }
    let passkey = account.passkey(&answer.credential_id()).filter(|_| purpose == Purpose::SignIn);
    let assertion = passkey.and_then(|p| answer.verify(&rp, account_id, p));
    let policy = app.settings.policy;
    let assertion = assertion.as_ref();
    let grant = app
        .decide_from(Some(account), account_id, &ctx.meta, |account: Account| async move {
            Ok(account.sign_in_with_passkey(assertion, Uuid::new_v4(), Uuid::new_v4(), ctx.now, &policy))
        })
        .await?;
    Ok(response::json(200, &session_body(app, account_id, &grant, ctx.now)))
}
