//! Password forgotten: `POST /api/password/forgot` emails a link,
//! `POST /api/password/reset` sets a new password with its token,
//! `POST /api/password/reset/check` tells the page whether a link is still
//! good before anything is typed.
//!
//! The token is a `link_token`: only its keyed hash enters the event log;
//! the token itself exists only in the email, which is why the handler
//! sends that email and not the projection.
//!
//! `forgot` answers 202 `{}` alike for unknown addresses, malformed ones,
//! accounts over their hourly limit and real sends, so it never tells
//! whether an address has an account.

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
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, request, response};
use crate::link_token::{self, Token};
use crate::mail_text;
use crate::personal_data;
use crate::ports::mail::Mail;
use crate::routes;

pub const ROUTES: Routes = routes![
    POST "/api/password/forgot" => forgot;
    POST "/api/password/reset" => reset, runs_argon2;
    POST "/api/password/reset/check" => check;
];

pub const HASH_PURPOSE: &str = "password-reset";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Forgot {
    email: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Check {
    token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reset {
    token: String,
    new_password: String,
}

/// `<PORTAL_PUBLIC_URL>/reset-password?token=<token>`.
pub fn reset_link(app: &App, token: &str) -> String {
    link_token::link(app, "/reset-password", token)
}

fn new_token(app: &App, account_id: Uuid) -> (Zeroizing<String>, Token) {
    link_token::new(app, HASH_PURPOSE, account_id)
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
    let token = link_token::parse(app, HASH_PURPOSE, &body.token).ok_or(Refusal::InvalidToken)?;
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

/// `{"token"}` → 200 `{"valid": bool}`: whether the link would still set a
/// password (`Account::reset_link_live`), without using it. A POST so the
/// token stays out of URLs and access logs, as at the reset itself. It
/// tells nothing about the account: a garbled, unknown, used, replaced or
/// expired token all answer `false`, and `true` needs the token's 128-bit
/// secret, which only the mailbox has.
pub async fn check(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let body: Check = request::json(&req)?;
    let ctx = app.ctx(&req);
    let valid = match link_token::parse(app, HASH_PURPOSE, &body.token) {
        Some(token) => app.load_account(token.account_id).await?.reset_link_live(token.token_id, &token.hash, ctx.now),
        None => false,
    };
    Ok(response::json(200, &json!({ "valid": valid })))
}
