//! `POST /api/mfa/verify`: the second step of a login.

use events::account::{self, Account, Auth, SecondFactorProof, recovery};
use serde::Deserialize;
use zeroize::Zeroizing;

use super::auth::{Accepts, caller, session_body};
use super::recovery_codes::HASH_PURPOSE;
use crate::app::App;
use crate::http::{ApiError, Body, Request, Response, request, response};

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum MethodName {
    Totp,
    RecoveryCode,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyBody {
    method: MethodName,
    code: String,
}

pub async fn handle(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let VerifyBody { method, code } = request::json(&req)?;
    let ctx = app.ctx(&req);
    let who = caller(app, &req, Accepts::Mfa, ctx.now)?;
    let Auth::Mfa { login_id } = who.auth else { return Err(ApiError::unauthorized()) };
    let policy = app.settings.policy;
    let stream = account::stream_id(who.account_id);
    let recovery_hash = match method {
        MethodName::RecoveryCode => recovery::normalize(&code).map(|c| app.secret.keyed_hash(HASH_PURPOSE, &c)),
        MethodName::Totp => None,
    };
    let verified = app
        .decide(who.account_id, &ctx.meta, |account: Account| {
            let (code, stream, recovery_hash) = (code.clone(), stream.clone(), recovery_hash.clone());
            async move {
                let secret = match (&account.totp, method) {
                    (Some(sealed), MethodName::Totp) => app.keys.open(sealed, &stream).await?,
                    _ => Zeroizing::new(Vec::new()),
                };
                let proof = match method {
                    MethodName::Totp => SecondFactorProof::Totp { secret: &secret, code: &code },
                    MethodName::RecoveryCode => SecondFactorProof::RecoveryCode { hash: recovery_hash.as_deref() },
                };
                Ok(account.verify(login_id, proof, uuid::Uuid::new_v4(), ctx.now, &policy))
            }
        })
        .await?;
    let mut body = session_body(app, who.account_id, &verified.session, ctx.now);
    if let Some(remaining) = verified.recovery_codes_remaining {
        body["recovery_codes_remaining"] = remaining.into();
    }
    Ok(response::json(200, &body))
}
