//! Passkeys under Settings > Security: `POST /api/passkeys/options` (with
//! a step-up: the registration's options), `POST /api/passkeys` (the
//! browser's answer: the passkey is added), `GET /api/passkeys`,
//! `DELETE /api/passkeys/{id}` (with a step-up), and
//! `POST /api/passkeys/verification/options`: a ceremony whose answer is a
//! step-up's proof (`"verification": {"method": "passkey", "credential"}`,
//! `proof::Presented`). Signing in with one is `passkey_sign_in`.

use events::account::passkey::{self, NewPasskey};
use events::account::{Account, Auth};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::auth::{Accepts, caller};
use super::passkey_sign_in::account_options;
use super::proof::{self, Presented};
use crate::app::App;
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, request, response};
use crate::passkeys::{Purpose, Refused, RelyingParty};
use crate::personal_data::open_or_empty;
use crate::routes;
use crate::time_fmt::rfc3339;

pub const ROUTES: Routes = routes![
    POST "/api/passkeys/options" => options;
    POST "/api/passkeys/verification/options" => verification_options;
    POST "/api/passkeys" => add;
    GET "/api/passkeys" => list;
    DELETE "/api/passkeys/{id}" => remove;
];

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct StepUpBody {
    /// The proof of a current factor (step-up); without it 401.
    verification: Option<Presented>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddBody {
    name: String,
    /// The browser's `PublicKeyCredential.toJSON()` of the new credential.
    credential: serde_json::Value,
}

fn session_of(app: &App, req: &Request, now: time::OffsetDateTime) -> Result<(Uuid, Uuid), ApiError> {
    let who = caller(app, req, Accepts::Session, now)?;
    let Auth::Session { session_id } = who.auth else { return Err(ApiError::unauthorized()) };
    Ok((who.account_id, session_id))
}

/// `{"verification"}` → `{"options"}`: the step-up is spent here, and the
/// ceremony (five minutes, single-use) is bound to this session.
pub async fn options(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let body: StepUpBody = request::optional_json(&req)?;
    let ctx = app.ctx(&req);
    let (account_id, session_id) = session_of(app, &req, ctx.now)?;
    let rp = RelyingParty::of(&app.settings)?;
    let policy = app.settings.policy;
    let verification = body.verification.as_ref();
    let account = app
        .decide(account_id, &ctx.meta, |account: Account| async move {
            let prepared =
                proof::prepare_optional(verification, app, &account, &Auth::Session { session_id }, ctx.now).await?;
            let step_up = prepared.as_ref().map(|p| p.proof());
            Ok(account.begin_passkey_registration(session_id, step_up, ctx.now, &policy).map(|()| account.clone()))
        })
        .await?;
    let options = rp.start_registration(app, &account, session_id, ctx.now).await?;
    Ok(response::json(200, &json!({ "options": options })))
}

/// → `{"options"}` for proving a step-up with a passkey: an assertion by
/// any of the account's passkeys, answered within five minutes in this
/// session's next change of a credential. 400 when the account has none.
pub async fn verification_options(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let ctx = app.ctx(&req);
    let (account_id, session_id) = session_of(app, &req, ctx.now)?;
    let purpose = Purpose::StepUp { account_id, session_id };
    account_options(app, account_id, &Auth::Session { session_id }, purpose, ctx.now).await
}

/// `{"name", "credential"}` → 201 `{"id", "name"}`. A malformed answer is
/// 400 and writes nothing; one that does not verify, or that belongs to
/// another session's ceremony, is 400 too (the ceremony is used up: start
/// again).
pub async fn add(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let body: AddBody = request::json(&req)?;
    let ctx = app.ctx(&req);
    let (account_id, session_id) = session_of(app, &req, ctx.now)?;
    let rp = RelyingParty::of(&app.settings)?;
    let not_verified = || ApiError::invalid_request("credential: the passkey could not be verified; please try again");
    let (purpose, new) = match rp.finish_registration(app, &body.credential, &body.name, ctx.now).await {
        Ok(done) => done,
        Err(refused @ (Refused::Malformed(_) | Refused::Store(_))) => return Err(refused.into()),
        Err(Refused::Unknown | Refused::Failed(_)) => return Err(not_verified()),
    };
    if purpose != (Purpose::Register { account_id, session_id }) {
        return Err(not_verified());
    }
    let id = new.credential_id.clone();
    let new = &new;
    let name = app
        .decide(account_id, &ctx.meta, |account: Account| async move {
            // The name is sealed under the account's data key, as an app
            // password's is; one the decision refuses is never sealed.
            let key = app.personal.for_sealing(&account).await?;
            let sealed_name = match passkey::validate_name(&new.name) {
                Ok(checked) => key.seal(&checked).await?,
                Err(_) => events::Sealed::default(),
            };
            Ok(account.add_passkey(session_id, NewPasskey { sealed_name, ..new.clone() }, ctx.now))
        })
        .await?;
    Ok(response::json(201, &json!({ "id": id, "name": name })))
}

pub async fn list(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let ctx = app.ctx(&req);
    let (account_id, session_id) = session_of(app, &req, ctx.now)?;
    let account = app.load_account(account_id).await?;
    account.authorize(&Auth::Session { session_id }, ctx.now)?;
    let key = app.personal.key_if_needed(&account, account.passkeys.iter().map(|p| &p.name)).await?;
    let mut items = Vec::with_capacity(account.passkeys.len());
    for p in &account.passkeys {
        items.push(json!({
            "id": p.credential_id,
            "name": open_or_empty(key.as_ref(), &p.name)?,
            "created_at": rfc3339(p.created_at),
            "last_used_at": p.last_used_at.map(rfc3339),
            "synced": p.backup_eligible,
        }));
    }
    Ok(response::json(200, &json!({ "items": items })))
}

/// `DELETE /api/passkeys/{id}` `{"verification"}` → 204.
pub async fn remove(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let body: StepUpBody = request::optional_json(&req)?;
    let ctx = app.ctx(&req);
    let (account_id, session_id) = session_of(app, &req, ctx.now)?;
    let id = request::path_param(&req, "id").ok_or_else(ApiError::not_found)?.to_owned();
    let policy = app.settings.policy;
    let (id, verification) = (id.as_str(), body.verification.as_ref());
    app.decide(account_id, &ctx.meta, |account: Account| async move {
        let prepared =
            proof::prepare_optional(verification, app, &account, &Auth::Session { session_id }, ctx.now).await?;
        let step_up = prepared.as_ref().map(|p| p.proof());
        Ok(account.remove_passkey(session_id, id, step_up, ctx.now, &policy))
    })
    .await?;
    Ok(response::no_content())
}
