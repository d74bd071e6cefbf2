//! `POST /api/logout`, `GET /api/account`, `POST /api/sessions/end-others`
//! ("Sign out everywhere else") and `PUT /api/account/username`.

use events::account::{Account, Auth};
use serde_json::json;

use uuid::Uuid;

use super::auth::{Accepts, caller, session_body};
use crate::app::App;
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, request, response};
use crate::personal_data::{self, open_or_empty};
use crate::routes;
use crate::usernames;

pub const ROUTES: Routes = routes![
    POST "/api/logout" => logout;
    GET "/api/account" => account;
    POST "/api/sessions/end-others" => end_others;
    PUT "/api/account/username" => choose_username;
];

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ChosenUsername {
    username: String,
}

/// `{"username"}` (session) → 200 `{"username"}`: the user name to sign in
/// with besides the email, chosen or changed. 400 naming the broken rule,
/// 409 `username_taken` when another account holds it in any case. The
/// claim is taken (and the old name's released) in the same append as the
/// event, so two accounts choosing one name at once: one gets it, the
/// other 409.
pub async fn choose_username(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let body: ChosenUsername = request::json(&req)?;
    let ctx = app.ctx(&req);
    let who = caller(app, &req, Accepts::Session, ctx.now)?;
    let Auth::Session { session_id } = who.auth else { return Err(ApiError::unauthorized()) };
    let username = usernames::checked(&body.username)?;
    // The claims follow the name the state decided on holds (a racing
    // change by the same account is a lost race, decided again).
    let chosen = username.clone();
    app.decide_claiming(who.account_id, &ctx.meta, usernames::taken, |account: Account| {
        let chosen = chosen.clone();
        async move {
            // Sealed under the account's data key; the current name opened
            // for its claim's release and to tell whether it is the same.
            let key = app.personal.for_sealing(&account).await?;
            let before = match &account.username {
                Some(sealed) => personal_data::open(Some(&key), sealed)?,
                None => None,
            };
            let claims = app.username_claims(before.as_deref(), who.account_id, &chosen).await?;
            let unchanged = before.as_deref() == Some(chosen.as_str());
            let sealed = key.seal(&chosen).await?;
            Ok((account.choose_username(session_id, sealed, unchanged, ctx.now), claims))
        }
    })
    .await?;
    Ok(response::json(200, &json!({ "username": username })))
}

pub async fn logout(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let ctx = app.ctx(&req);
    let who = caller(app, &req, Accepts::Session, ctx.now)?;
    let Auth::Session { session_id } = who.auth else { return Err(ApiError::unauthorized()) };
    app.decide(who.account_id, &ctx.meta, |account: Account| async move { Ok(account.logout(session_id, ctx.now)) })
        .await?;
    Ok(response::no_content())
}

/// Ends every other session, pending login and the app grants made in
/// them (`Account::end_other_sessions`). The caller goes on in a fresh
/// session: the answer is its token (`{"session_token", "expires_in"}`),
/// which the page keeps instead of the old one, as after a factor change.
pub async fn end_others(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let ctx = app.ctx(&req);
    let who = caller(app, &req, Accepts::Session, ctx.now)?;
    let Auth::Session { session_id } = who.auth else { return Err(ApiError::unauthorized()) };
    let fresh = Uuid::new_v4();
    let policy = app.settings.policy;
    let grant = app
        .decide(who.account_id, &ctx.meta, |account: Account| async move {
            Ok(account.end_other_sessions(session_id, fresh, ctx.now, &policy))
        })
        .await?;
    Ok(response::json(200, &session_body(app, who.account_id, &grant, ctx.now)))
}

pub async fn account(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let ctx = app.ctx(&req);
    let who = caller(app, &req, Accepts::Session, ctx.now)?;
    let account = app.load_account(who.account_id).await?;
    account.authorize(&who.auth, ctx.now)?;
    Ok(response::json(200, &account_body(app, &account).await?))
}

/// The profile, its sealed values opened (`personal_data`).
async fn account_body(app: &App, account: &Account) -> Result<serde_json::Value, ApiError> {
    let sealed =
        account.app_passwords.iter().map(|p| &p.name).chain([&account.email, &account.name]).chain(&account.username);
    let key = app.personal.key_if_needed(account, sealed).await?;
    let key = key.as_ref();
    let mut app_passwords = Vec::with_capacity(account.app_passwords.len());
    for p in &account.app_passwords {
        app_passwords.push(json!({
            "id": p.id,
            "name": open_or_empty(key, &p.name)?,
            "created_at": crate::time_fmt::rfc3339(p.created_at),
        }));
    }
    Ok(json!({
        "user_id": account.id,
        "email": open_or_empty(key, &account.email)?,
        "name": open_or_empty(key, &account.name)?,
        "username": match &account.username {
            Some(username) => Some(open_or_empty(key, username)?),
            None => None,
        },
        "roles": account.roles,
        "locale": account.locale,
        "created_at": account.created_at.map(crate::time_fmt::rfc3339),
        "mfa": {
            "totp": account.totp.is_some(),
            "sms": account.sms.as_ref().map(|f| f.masked_phone.clone()),
            "recovery_codes_remaining": account.recovery_codes_remaining(),
            // What a step-up may be proven with: the rule the server applies
            // (`Account::methods`), so the page does not work it out again.
            // A passkey proves a step-up through its own ceremony
            // (`POST /api/passkeys/verification/options`).
            "methods": account.methods().iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        },
        "app_passwords": app_passwords,
    }))
}
