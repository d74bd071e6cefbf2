//! Changing the account's email address (`events::account::email_change`):
//! `POST /api/account/email` asks, with a step-up, and mails a link to the
//! new address; `POST /api/account/email/confirm` follows the link, which
//! moves the address: the new one's claim taken and the old one's released
//! in the same atomic append as `EmailChanged`, so an address is never held
//! by two accounts and never by none. The old address is told by the
//! projection (`Notice::EmailChanged`).
//!
//! An address that already has an account is refused with registration's
//! answer (409 `email_taken`), no more: registration tells anyone that
//! much. The confirmation needs no session: the link may be opened on
//! another device, and the token alone proves the mailbox.

use events::Aggregate;
use events::account::email_change::{EmailLink, EmailMoved};
use events::account::{self, Account, Auth};
use events::{Refusal, email};
use serde::Deserialize;
use serde_json::json;

use super::auth::{Accepts, caller};
use super::proof::{self, Presented};
use crate::app::App;
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, request, response};
use crate::link_token;
use crate::mail_text;
use crate::personal_data::{self, AccountKey};
use crate::ports::mail::Mail;
use crate::ports::store::Claim;
use crate::routes;

pub const ROUTES: Routes = routes![
    POST "/api/account/email" => request_change;
    POST "/api/account/email/confirm" => confirm;
];

/// The keyed hash's purpose: an email-change token is no reset token.
pub const HASH_PURPOSE: &str = "email-change";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestBody {
    new_email: String,
    #[serde(default)]
    verification: Option<Presented>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfirmBody {
    token: String,
}

/// 202 `{"expires_in"}` once the link is on its way to the new address.
pub async fn request_change(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let body: RequestBody = request::json(&req)?;
    let ctx = app.ctx(&req);
    let who = caller(app, &req, Accepts::Session, ctx.now)?;
    let Auth::Session { session_id } = who.auth else { return Err(ApiError::unauthorized()) };
    let new_email = email::normalize(&body.new_email)
        .ok_or_else(|| ApiError::invalid_request("The email address is not valid."))?;
    let loaded = app.load_account(who.account_id).await?;
    loaded.authorize(&who.auth, ctx.now)?;
    // Registration's question under every form the address may be stored
    // under; the account's own address is the decision's refusal.
    if app.account_for_address(&body.new_email).await?.is_some_and(|owner| owner != who.account_id) {
        return Err(Refusal::EmailTaken.into());
    }
    let (text, token) = link_token::new(app, HASH_PURPOSE, who.account_id);
    let policy = app.settings.policy;
    let verification = body.verification.as_ref();
    // The new address is sealed under the account's data key like the
    // current one; the current one is opened to tell them apart.
    let key = app.personal.for_sealing(&loaded).await?;
    let sealed_new = key.seal(&new_email).await?;
    let (new_email, token, key, sealed_new) = (&new_email, &token, &key, &sealed_new);
    let (expires_at, account) = app
        .decide_from(Some(loaded), who.account_id, &ctx.meta, |account: Account| async move {
            let prepared =
                proof::prepare_optional(verification, app, &account, &Auth::Session { session_id }, ctx.now).await?;
            let is_current = personal_data::open(Some(key), &account.email)?.as_deref() == Some(new_email.as_str());
            let link = EmailLink {
                new_email: sealed_new.clone(),
                is_current,
                token_id: token.token_id,
                token_hash: token.hash.clone(),
            };
            let decision =
                account.request_email_change(session_id, link, prepared.as_ref().map(|p| p.proof()), ctx.now, &policy);
            Ok(decision.map(|expires_at| (expires_at, account)))
        })
        .await?;
    let link = link_token::link(app, "/confirm-email", &text);
    let (subject, body) = mail_text::email_change_link(&account, Some(key), &link, &app.settings)?;
    if let Err(e) = app.mailer.send(&Mail { to: new_email.clone(), subject, body }).await {
        // The link is recorded but did not go out: the owner asks again
        // (a new link voids this one).
        tracing::error!(error = %e, account_id = %who.account_id, "email change link not sent");
        return Err(ApiError::unavailable());
    }
    let expires_in = (expires_at - ctx.now).whole_seconds().max(0);
    Ok(response::json(202, &json!({ "expires_in": expires_in })))
}

/// 200 `{"email"}`: the account's address now.
pub async fn confirm(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let body: ConfirmBody = request::json(&req)?;
    let ctx = app.ctx(&req);
    let token = link_token::parse(app, HASH_PURPOSE, &body.token).ok_or(Refusal::InvalidToken)?;
    let stream = account::stream_id(token.account_id);
    // The old address's claim under today's keyed key, where an account of
    // before December 2026 may still hold it under the plaintext one: the
    // lookup moves it (`App::email_owner`), so the release below finds it.
    let current = app.load_account(token.account_id).await?;
    if !current.exists() {
        return Err(Refusal::InvalidToken.into());
    }
    let key = app.personal.open(token.account_id).await?;
    app.email_owner(&personal_data::open_or_empty(key.as_ref(), &current.email)?).await?;
    let (token, key) = (&token, key.as_ref());
    let moved = app
        .decide_claiming(
            token.account_id,
            &ctx.meta,
            || Refusal::EmailTaken.into(),
            |account: Account| {
                let decision = account.confirm_email_change(token.token_id, &token.hash, ctx.now);
                // The new address taken as registration takes it (and free under
                // its old plaintext key too), the old one released: one append.
                let claims = match &decision.outcome {
                    Ok(moved) => moved_claims(app, key, &stream, moved),
                    Err(_) => Ok(Vec::new()),
                };
                async move { Ok((decision, claims?)) }
            },
        )
        .await?;
    Ok(response::json(200, &json!({ "email": personal_data::open_or_empty(key, &moved.new)? })))
}

/// The new address's claims taken as registration takes them (and free
/// under its old plaintext key too), the old one's released; both opened
/// with the account's data key (the claims' keys are keyed hashes).
fn moved_claims(app: &App, key: Option<&AccountKey>, stream: &str, moved: &EmailMoved) -> Result<Vec<Claim>, ApiError> {
    let (Some(old), Some(new)) = (personal_data::open(key, &moved.old)?, personal_data::open(key, &moved.new)?) else {
        return Err(Refusal::InvalidToken.into());
    };
    let mut claims = app.new_email_claims(&new, stream).to_vec();
    claims.push(Claim::release(app.email_claim(&old), stream.to_owned()));
    Ok(claims)
}
