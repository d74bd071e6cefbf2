//! `POST /api/mfa/totp/setup` and `POST /api/mfa/totp/confirm`.

use events::account::{self, Account};
use events::totp;
use qrcode::QrCode;
use qrcode::render::svg;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::auth::{Accepts, caller};
use super::proof::{self, Presented};
use super::recovery_codes;
use crate::app::App;
use crate::crypto::random_bytes;
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, request, response};
use crate::routes;

pub const ROUTES: Routes = routes![
    POST "/api/mfa/totp/setup" => setup;
    POST "/api/mfa/totp/confirm" => confirm;
];

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SetupBody {
    /// The current factor, when a signed-in user who has one adds or
    /// replaces the authenticator (else 400).
    verification: Option<Presented>,
}

/// `POST /api/mfa/totp/setup` (no body, or `{"verification"}`): the pending
/// setup's key while it lasts (a new sign-in or a reload shows the key the
/// app may hold already), else a new one; `expires_in` says how long it
/// stays, `replaces_earlier_key` that an earlier, unconfirmed key is void.
pub async fn setup(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let body: SetupBody = request::optional_json(&req)?;
    let ctx = app.ctx(&req);
    let who = caller(app, &req, Accepts::MfaOrSession, ctx.now)?;
    // Sealed before deciding (the decision stays free of I/O); unused, and
    // dropped, when a pending setup is shown again.
    let secret = Zeroizing::new(random_bytes::<{ totp::SECRET_BYTES }>());
    let stream = account::stream_id(who.account_id);
    let sealed = app.keys.seal(&*secret, &stream).await?;
    let policy = app.settings.policy;
    let verification = body.verification.as_ref();
    let (setup, email) = app
        .decide(who.account_id, &ctx.meta, |account: Account| {
            let sealed = sealed.clone();
            async move {
                let prepared = proof::prepare_optional(verification, app, &account, &who.auth, ctx.now).await?;
                let step_up = prepared.as_ref().map(|p| p.proof());
                let email = account.email.clone();
                Ok(account
                    .start_totp_setup(&who.auth, step_up, Uuid::new_v4(), sealed, ctx.now, &policy)
                    .map(|setup| (setup, email)))
            }
        })
        .await?;
    let shown = if setup.sealed_secret == sealed {
        Zeroizing::new(secret.to_vec())
    } else {
        app.keys.open(&setup.sealed_secret, &stream).await?
    };
    // The label the app shows; empty if the account was deleted meanwhile.
    let email = app.personal.open_value(who.account_id, &email).await?.unwrap_or_default();
    let uri = totp::otpauth_uri(&app.settings.issuer, &email, &shown);
    Ok(response::json(
        200,
        &json!({
            "secret": totp::secret_base32(&shown),
            "otpauth_uri": uri,
            "qr_svg": qr_svg(&uri),
            "expires_in": (setup.expires_at - ctx.now).whole_seconds().max(0),
            "replaces_earlier_key": setup.replaces_earlier_key,
        }),
    ))
}

/// The URI as a QR code in SVG, sized for a phone camera at arm's length.
pub fn qr_svg(uri: &str) -> String {
    let code = QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M)
        .expect("an otpauth URI fits in a QR code");
    code.render::<svg::Color<'_>>().min_dimensions(240, 240).quiet_zone(true).build()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    pub code: String,
}

pub async fn confirm(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let CodeBody { code } = request::json(&req)?;
    let ctx = app.ctx(&req);
    let who = caller(app, &req, Accepts::MfaOrSession, ctx.now)?;
    let policy = app.settings.policy;
    let stream = account::stream_id(who.account_id);
    let (grant, codes) = app
        .decide(who.account_id, &ctx.meta, |account: Account| {
            let (code, stream) = (code.clone(), stream.clone());
            async move {
                // No pending setup: the decision refuses before using the secret.
                let secret = match account.pending_totp(ctx.now) {
                    Some(pending) => app.keys.open(&pending.sealed_secret, &stream).await?,
                    None => Zeroizing::new(Vec::new()),
                };
                let (plain, activation) = recovery_codes::activation(app, &who.auth);
                Ok(account.confirm_totp(activation, &secret, &code, ctx.now, &policy).map(|grant| (grant, plain)))
            }
        })
        .await?;
    Ok(recovery_codes::activated(app, who.account_id, &grant, &codes, ctx.now))
}
