//! Password forgotten: `POST /api/password/forgot` emails a link,
//! `POST /api/password/reset` sets a new password with its token.
//!
//! The token is base64url(account id ‖ token id ‖ secret), 16 bytes each
//! from the OS CSPRNG for the last two: the account id lets the reset find
//! the account without a lookup table, the 128-bit secret is what makes it
//! unguessable. Only its keyed hash (bound to the token id) enters the
//! event log; the token itself exists only in the email, which is why the
//! handler sends that email and not the projection.
//!
//! `forgot` answers 202 `{}` alike for unknown addresses, malformed ones,
//! accounts over their hourly limit and real sends, so it never tells
//! whether an address has an account.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use events::account::Account;
use events::account::password_reset::ResetLink;
use events::{Refusal, email, password_policy};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::app::App;
use crate::crypto::random_bytes;
use crate::http::{ApiError, Body, Request, Response, request, response};
use crate::mail_text;
use crate::ports::mail::Mail;

pub const HASH_PURPOSE: &str = "password-reset";
const TOKEN_BYTES: usize = 48;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Forgot {
    email: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reset {
    token: String,
    new_password: String,
}

/// What a token says once decoded; `hash` is what the event log holds.
struct Token {
    account_id: Uuid,
    token_id: Uuid,
    hash: String,
}

fn token_hash(app: &App, token_id: Uuid, secret: &[u8]) -> String {
    let secret = Zeroizing::new(data_encoding::HEXLOWER.encode(secret));
    app.secret.keyed_hash(HASH_PURPOSE, &format!("{token_id}:{}", secret.as_str()))
}

/// A fresh token for the account: the text for the link, and its parts.
fn new_token(app: &App, account_id: Uuid) -> (Zeroizing<String>, Token) {
    let token_id = Uuid::from_bytes(random_bytes::<16>());
    let secret = Zeroizing::new(random_bytes::<16>());
    let mut raw = Zeroizing::new([0u8; TOKEN_BYTES]);
    raw[..16].copy_from_slice(account_id.as_bytes());
    raw[16..32].copy_from_slice(token_id.as_bytes());
    raw[32..].copy_from_slice(&*secret);
    let text = Zeroizing::new(URL_SAFE_NO_PAD.encode(raw.as_slice()));
    (text, Token { account_id, token_id, hash: token_hash(app, token_id, &*secret) })
}

/// Reads a token as it came back from the link; `None` for anything that is
/// not one of ours in shape (it may still be unknown, used or expired).
fn parse_token(app: &App, text: &str) -> Option<Token> {
    let text = text.trim();
    if text.len() > 128 {
        return None;
    }
    let raw = Zeroizing::new(URL_SAFE_NO_PAD.decode(text).ok()?);
    if raw.len() != TOKEN_BYTES {
        return None;
    }
    let account_id = Uuid::from_slice(&raw[..16]).ok()?;
    let token_id = Uuid::from_slice(&raw[16..32]).ok()?;
    Some(Token { account_id, token_id, hash: token_hash(app, token_id, &raw[32..]) })
}

/// `<PORTAL_PUBLIC_URL>/reset-password?token=<token>`; never from a
/// request header, so a forged Host cannot redirect the link.
pub fn reset_link(app: &App, token: &str) -> String {
    format!("{}/reset-password?token={token}", app.settings.public_url.trim_end_matches('/'))
}

pub async fn forgot(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let body: Forgot = request::json(&req)?;
    let ctx = app.ctx(&req);
    let accepted = || Ok(response::json(202, &json!({})));
    // A malformed address cannot have an account.
    let Some(normalized) = email::normalize(&body.email) else { return accepted() };
    let Some(account_id) = app.account_for_email(&normalized).await? else {
        // About the same work as for an account (a token, its hash, one read
        // of a stream), so the answer does not come noticeably faster.
        let (_, token) = new_token(app, Uuid::new_v4());
        let _ = app.load_account(token.account_id).await?;
        return accepted();
    };
    let (text, token) = new_token(app, account_id);
    let policy = app.settings.policy;
    let decided = app
        .decide(account_id, &ctx.meta, |account: Account| {
            let hash = token.hash.clone();
            async move {
                let decision = account.request_password_reset(token.token_id, hash, ctx.now, &policy);
                Ok(decision.map(|link| (link, account)))
            }
        })
        .await;
    let (link, account) = match decided {
        Ok(result) => result,
        // The account vanished between the claim and the load: answer as
        // for an unknown address.
        Err(e) if e.status == 401 => return accepted(),
        Err(e) => return Err(e),
    };
    if let ResetLink::Send { .. } = link {
        let (subject, body) = mail_text::password_reset_link(&account, &reset_link(app, &text), &app.settings);
        let mail = Mail { to: account.email.clone(), subject, body };
        if let Err(e) = app.mailer.send(&mail).await {
            // Answered like every other case; the user may ask again (the
            // unsent link counts toward the hourly limit, which is the safe side).
            tracing::error!(error = %e, %account_id, "password reset email not sent");
        }
    }
    accepted()
}

pub async fn reset(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let body: Reset = request::json(&req)?;
    let new_password = Zeroizing::new(body.new_password);
    let ctx = app.ctx(&req);
    let token = parse_token(app, &body.token).ok_or(Refusal::InvalidToken)?;
    let account = app.load_account(token.account_id).await?;
    if !account.exists() {
        return Err(Refusal::InvalidToken.into());
    }
    // A dead link is said so before the password is judged or hashed.
    account.reset_password(token.token_id, &token.hash, String::new(), ctx.now).outcome?;
    password_policy::check(&new_password, &account.email)?;
    let password_hash = app.hash_password(&new_password).await?;
    app.decide_from(Some(account), token.account_id, &ctx.meta, |account: Account| {
        let decision = account.reset_password(token.token_id, &token.hash, password_hash.clone(), ctx.now);
        async move { Ok(decision) }
    })
    .await?;
    Ok(response::no_content())
}
