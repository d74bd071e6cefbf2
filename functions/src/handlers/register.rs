//! `POST /api/register`

use events::account::{self, Locale, Registration, Role};
use events::{email, password_policy};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::app::App;
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, request, response};
use crate::ports::store::{Meta, StoreError};
use crate::routes;

pub const ROUTES: Routes = routes![
    POST "/api/register" => handle, runs_argon2;
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body_ {
    email: String,
    password: String,
    name: String,
    /// Optional: the language for this user's emails; else Accept-Language.
    #[serde(default)]
    locale: Option<String>,
}

/// A display name: trimmed, 1 to 100 characters, no control characters.
pub fn check_name(raw: &str) -> Result<String, ApiError> {
    let name = raw.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid_request("The name must have 1 to 100 characters."));
    }
    Ok(name.to_owned())
}

pub async fn handle(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let body: Body_ = request::json(&req)?;
    let ctx = app.ctx(&req);
    let locale = body
        .locale
        .as_deref()
        .and_then(Locale::from_tag)
        .or_else(|| request::accept_language(&req))
        .unwrap_or_default();
    let account_id = create(app, &body.email, &body.password, &body.name, Vec::new(), locale, &ctx.meta).await?;
    Ok(response::json(201, &json!({ "user_id": account_id })))
}

/// Creates an account: customers here, support staff (with their role)
/// from `portal staff add` (`crate::staff::add`), so both get the same
/// checks of email, name and password. The email claim is written in the same atomic append as the
/// account's first event, so one email can never get two accounts.
pub async fn create(
    app: &App,
    raw_email: &str,
    password: &str,
    raw_name: &str,
    roles: Vec<Role>,
    locale: Locale,
    meta: &Meta,
) -> Result<Uuid, ApiError> {
    let email =
        email::normalize(raw_email).ok_or_else(|| ApiError::invalid_request("The email address is not valid."))?;
    let name = check_name(raw_name)?;
    password_policy::check(password, &email)?;
    // An account made before UTS 46 holds its claim under the older form
    // (e.g. a Unicode domain): the same mailbox, so the address is taken.
    for older in email::lookup_forms(raw_email).iter().filter(|form| **form != email) {
        if app.account_for_email(older).await?.is_some() {
            return Err(events::Refusal::EmailTaken.into());
        }
    }
    let password_hash = app.hash_password(password).await?;
    let account_id = Uuid::new_v4();
    // The new account's own data key, stored before the first event, seals
    // its email and name (`personal_data`).
    let key = app.personal.create(account_id).await?;
    let (sealed_email, sealed_name) = (key.seal(&email).await?, key.seal(&name).await?);
    let events = account::register(Registration {
        account_id,
        email: sealed_email,
        name: sealed_name,
        password_hash,
        roles,
        locale,
    });
    let claims = app.new_email_claims(&email, &account::stream_id(account_id));
    match app.append_account(account_id, 0, &events, meta, &claims).await {
        Ok(_) => Ok(account_id),
        Err(StoreError::ClaimTaken(_)) => Err(events::Refusal::EmailTaken.into()),
        Err(e) => Err(e.into()),
    }
}
