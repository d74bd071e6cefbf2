//! `POST /api/mfa/recovery-codes`: a new set; the old one stops working.

use events::OffsetDateTime;
use events::account::recovery::{self, COUNT};
use events::account::{Account, Activation, Auth, NewRecoveryCodes, SessionGrant};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::auth::{Accepts, caller, session_body};
use super::proof::{self, Presented};
use crate::app::App;
use crate::crypto::random_bytes;
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, request, response};
use crate::routes;

pub const ROUTES: Routes = routes![
    POST "/api/mfa/recovery-codes" => regenerate;
];

pub const HASH_PURPOSE: &str = "recovery-code";

/// Ten fresh codes: what the user is shown once, and what is stored.
pub fn generate(app: &App) -> (Vec<String>, NewRecoveryCodes) {
    let codes: Vec<String> = (0..COUNT).map(|_| recovery::format_code(&random_bytes::<10>())).collect();
    let hashes = codes
        .iter()
        .map(|c| app.secret.keyed_hash(HASH_PURPOSE, &recovery::normalize(c).expect("generated codes are valid")))
        .collect();
    (codes, NewRecoveryCodes { set_id: Uuid::new_v4(), hashes })
}

/// What activating a factor needs besides its code: fresh recovery codes
/// (plaintext for the answer, hashed for the event) and a new session.
pub fn activation<'a>(app: &App, auth: &'a Auth) -> (Vec<String>, Activation<'a>) {
    let (plain, codes) = generate(app);
    (plain, Activation { auth, codes, session_id: Uuid::new_v4() })
}

/// The answer to an activation: the new session and the recovery codes,
/// shown this once.
pub fn activated(
    app: &App,
    account_id: Uuid,
    grant: &SessionGrant,
    codes: &[String],
    now: OffsetDateTime,
) -> Response<Body> {
    let mut body = session_body(app, account_id, grant, now);
    body["recovery_codes"] = json!(codes);
    response::json(200, &body)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RegenerateBody {
    /// The proof of a current factor (step-up); without it 401.
    verification: Option<Presented>,
}

/// `POST /api/mfa/recovery-codes` `{"verification"}`.
pub async fn regenerate(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let body: RegenerateBody = request::optional_json(&req)?;
    let ctx = app.ctx(&req);
    let who = caller(app, &req, Accepts::Session, ctx.now)?;
    let Auth::Session { session_id } = who.auth else { return Err(ApiError::unauthorized()) };
    let policy = app.settings.policy;
    let verification = body.verification.as_ref();
    let codes = app
        .decide(who.account_id, &ctx.meta, |account: Account| async move {
            let prepared =
                proof::prepare_optional(verification, app, &account, &Auth::Session { session_id }, ctx.now).await?;
            let step_up = prepared.as_ref().map(|p| p.proof());
            let (plain, hashed) = generate(app);
            Ok(account.regenerate_recovery_codes(session_id, step_up, hashed, ctx.now, &policy).map(|()| plain))
        })
        .await?;
    Ok(response::json(200, &json!({ "recovery_codes": codes })))
}
