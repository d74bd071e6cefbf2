//! `POST /api/login`: the password step.
//!
//! The `email` field holds an address or a user name (`usernames`).
//! Unknown emails and user names and wrong passwords answer alike: the same 401 body, one
//! argon2 verification on both paths (a dummy hash for unknown emails), and
//! the same lockout rule, counted for unknown emails in a state counter so
//! that a lockout does not tell that an account exists.

use events::account::{Account, LoginOutcome, PasswordCheck};
use events::{Refusal, email};
use std::sync::Mutex;

use serde::Deserialize;
use serde_json::json;
use time::Duration;
use uuid::Uuid;

use super::auth::{expires_in, mfa_token, session_body};
use crate::app::{App, Ctx};
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, request, response};
use crate::routes;

pub const ROUTES: Routes = routes![
    POST "/api/login" => handle, runs_argon2;
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Credentials {
    email: String,
    password: String,
}

pub async fn handle(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let creds: Credentials = request::json(&req)?;
    let ctx = app.ctx(&req);
    // A malformed address cannot have an account: it takes the unknown path.
    let normalized = email::normalize(&creds.email).unwrap_or_else(|| creds.email.trim().to_lowercase());
    // The field holds an address or a user name (no `@`); an unknown user
    // name takes the unknown path with the same counter, keyed by the name.
    match app.account_for_sign_in(&creds.email).await? {
        Some(account_id) => {
            crate::http::access::note_account(account_id);
            known(app, &ctx, account_id, creds.password).await
        }
        None => unknown(app, &ctx, &normalized, &creds.password).await,
    }
}

async fn verify_password(app: &App, hash: Option<String>, password: String) -> Result<PasswordCheck, ApiError> {
    // Unknown emails wait for the same bound, so they also take as long.
    app.passwords
        .run(move |passwords| match hash {
            Some(hash) => passwords.verify(&hash, &password),
            None => passwords.verify_dummy(&password),
        })
        .await
}

async fn known(app: &App, ctx: &Ctx, account_id: Uuid, password: String) -> Result<Response<Body>, ApiError> {
    let policy = app.settings.policy;
    let (login_id, session_id) = (Uuid::new_v4(), Uuid::new_v4());
    // Argon2 is the expensive part; after a lost race the hash is usually
    // unchanged, so its result is reused rather than computed again.
    let checked: Mutex<Option<(String, PasswordCheck)>> = Mutex::new(None);
    let checked = &checked;
    let outcome = app
        .decide(account_id, &ctx.meta, |account: Account| {
            let password = password.clone();
            let cached = checked.lock().expect("not poisoned").clone();
            let now = ctx.now;
            async move {
                if let Some(retry_after) = account.password_retry_after(&policy, now) {
                    return Err(Refusal::TooManyAttempts { retry_after }.into());
                }
                let check = match cached {
                    Some((hash, check)) if hash == account.password_hash => check,
                    _ => {
                        let check = verify_password(app, Some(account.password_hash.clone()), password).await?;
                        *checked.lock().expect("not poisoned") = Some((account.password_hash.clone(), check.clone()));
                        check
                    }
                };
                Ok(account.login(check, login_id, session_id, now, &policy))
            }
        })
        .await?;
    let body = match outcome {
        LoginOutcome::Authenticated { session, mfa_setup_due } => {
            let mut body = session_body(app, account_id, &session, ctx.now);
            body["status"] = json!("authenticated");
            body["mfa_setup_due"] = json!(mfa_setup_due);
            body
        }
        LoginOutcome::SetupRequired { login_id, expires_at } => json!({
            "status": "mfa_setup_required",
            "mfa_token": mfa_token(app, account_id, login_id, expires_at),
            "expires_in": expires_in(expires_at, ctx.now),
            "methods": ["totp", "sms"],
        }),
        LoginOutcome::Required { login_id, expires_at, methods } => json!({
            "status": "mfa_required",
            "mfa_token": mfa_token(app, account_id, login_id, expires_at),
            "expires_in": expires_in(expires_at, ctx.now),
            "methods": methods.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        }),
    };
    Ok(response::json(200, &body))
}

async fn unknown(app: &App, ctx: &Ctx, normalized: &str, password: &str) -> Result<Response<Body>, ApiError> {
    let policy = app.settings.policy.password_lockout;
    // Keyed, so the state table does not collect a list of probed addresses.
    let key = format!("login-failures#{}", app.secret.keyed_hash("unknown-email", normalized));
    let failures = app.state.failures(&key, ctx.now).await?;
    if let Some(retry_after) = failures.retry_after(&policy, ctx.now) {
        return Err(Refusal::TooManyAttempts { retry_after }.into());
    }
    verify_password(app, None, password.to_owned()).await?;
    // The check above saves the hash while locked; this conditional count
    // decides, so that racing requests get what an account's stream gives
    // them (the first ten counted as 401, the rest 429), not ten 401s each.
    if let Err(retry_after) = app.state.record_failure(&key, &policy, ctx.now, ctx.now + Duration::days(1)).await? {
        return Err(Refusal::TooManyAttempts { retry_after }.into());
    }
    Err(Refusal::InvalidCredentials.into())
}
