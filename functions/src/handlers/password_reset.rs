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
use events::Aggregate;
use events::account::Account;
use events::account::password_reset::ResetLink;
use events::quota::Window;
use events::{Refusal, email, password_policy};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::app::App;
use crate::crypto::random_bytes;
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, request, response};
use crate::mail_text;
use crate::personal_data;
use crate::ports::mail::Mail;
use crate::routes;

pub const ROUTES: Routes = routes![
    POST "/api/password/forgot" => forgot;
    POST "/api/password/reset" => reset, runs_argon2;
];

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
    // Both paths do the same work, and on top every answer waits for the
    // same moment: what is left between them (the mail's delivery, which
    // only an account gets; a longer stream to read) cannot show.
    let floor = std::time::Duration::try_from(app.settings.policy.password_reset.answer_after).unwrap_or_default();
    let answer_at = tokio::time::Instant::now() + floor;
    let answer = send_link(app, &req, &body.email).await;
    tokio::time::sleep_until(answer_at).await;
    answer
}

async fn send_link(app: &App, req: &Request, raw_email: &str) -> Result<Response<Body>, ApiError> {
    let ctx = app.ctx(req);
    let accepted = || Ok(response::json(202, &json!({})));
    let Some(account_id) = app.account_for_address(raw_email).await? else {
        unknown(app, ctx.now, raw_email).await?;
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
        let key = app.personal.key_if_needed(&account, [&account.email]).await?;
        let to = personal_data::open_or_empty(key.as_ref(), &account.email)?;
        let (subject, body) =
            mail_text::password_reset_link(&account, key.as_ref(), &reset_link(app, &text), &app.settings)?;
        let mail = Mail { to, subject, body };
        if let Err(e) = app.mailer.send(&mail).await {
            // Answered like every other case; the user may ask again (the
            // unsent link counts toward the hourly limit, which is the safe side).
            tracing::error!(error = %e, %account_id, "password reset email not sent");
        }
    }
    accepted()
}

/// For an address without an account: the same work in the response path
/// as for an account, so the time does not tell the two apart. Not the
/// known path's work moved after the answer: on Lambda nothing is promised
/// to run once the response is out. So both pay the same: a token and its
/// keyed hash, one stream read, one conditional write (a per-address hourly
/// quota in the state store, the limit an account's stream keeps, under a keyed
/// hash so the state store collects no list of probed addresses) and, while under
/// that limit, the mail and one more store write (the outbox entry the
/// known path writes); only the delivery itself is left out, since no mail
/// goes to an address without an account.
async fn unknown(app: &App, now: time::OffsetDateTime, raw_email: &str) -> Result<(), ApiError> {
    let normalized = email::normalize(raw_email).unwrap_or_else(|| raw_email.trim().to_lowercase());
    let (text, token) = new_token(app, Uuid::new_v4());
    let account = app.load_account(token.account_id).await?;
    let key = format!("password-reset#{}", app.secret.keyed_hash("unknown-email-reset", &normalized));
    let limit = [Window::new(time::Duration::HOUR, app.settings.policy.password_reset.per_hour)];
    if app.state.take_slot(&key, &limit, now).await?.is_ok() {
        // The known path's read of the data key, for the same time.
        let data_key = app.personal.open(token.account_id).await?;
        let (subject, body) =
            mail_text::password_reset_link(&account, data_key.as_ref(), &reset_link(app, &text), &app.settings)?;
        // In the place of the mail's delivery (the outbox's write when
        // embedded): a write of the same size, the last ask for this
        // address, kept the hour the limit looks back.
        let doc = json!({ "at": crate::time_fmt::rfc3339(now), "subject": subject, "body": body.len() });
        app.state
            .put_doc("unknown-reset", &key, now.unix_timestamp() as u64, &doc, Some(now + time::Duration::HOUR))
            .await?;
    }
    Ok(())
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
    // The policy refuses a password that holds the address: opened here,
    // on a credential change, never at sign-in.
    let email = app.personal.open_value(account.id, &account.email).await?.unwrap_or_default();
    password_policy::check(&new_password, &email)?;
    let password_hash = app.hash_password(&new_password).await?;
    app.decide_from(Some(account), token.account_id, &ctx.meta, |account: Account| {
        let decision = account.reset_password(token.token_id, &token.hash, password_hash.clone(), ctx.now);
        async move { Ok(decision) }
    })
    .await?;
    Ok(response::no_content())
}
