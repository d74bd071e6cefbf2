//! `POST /api/register`

use events::account::{self, AccountEvent, Locale, Registration, Role};
use events::{email, password_policy};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::app::App;
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, request, response};
use crate::ports::store::{Meta, StoreError};
use crate::routes;
use crate::usernames;

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
    /// Optional: a user name to sign in with besides the email.
    #[serde(default)]
    username: Option<String>,
}

/// What a new account is made of, as given (checked by `create`).
pub struct Signup<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub name: &'a str,
    /// Blank counts as none: the field is optional on the page.
    pub username: Option<&'a str>,
    pub roles: Vec<Role>,
    pub locale: Locale,
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
    let signup = Signup {
        email: &body.email,
        password: &body.password,
        name: &body.name,
        username: body.username.as_deref(),
        roles: Vec::new(),
        locale,
    };
    let account_id = create(app, signup, &ctx.meta).await?;
    Ok(response::json(201, &json!({ "user_id": account_id })))
}

/// Creates an account: customers here, support staff (with their role)
/// from `portal staff add` (`crate::staff::add`), so both get the same
/// checks of email, name and password. The email claim (and the user
/// name's, when one is chosen) is written in the same atomic append as the
/// account's first event, so one email or user name can never get two
/// accounts.
pub async fn create(app: &App, signup: Signup<'_>, meta: &Meta) -> Result<Uuid, ApiError> {
    let Signup { email: raw_email, password, name: raw_name, username, roles, locale } = signup;
    let email =
        email::normalize(raw_email).ok_or_else(|| ApiError::invalid_request("The email address is not valid."))?;
    let name = check_name(raw_name)?;
    let username = username.filter(|u| !u.trim().is_empty()).map(usernames::checked).transpose()?;
    password_policy::check(password, &email)?;
    // An account made before UTS 46 holds its claim under the older form
    // (e.g. a Unicode domain): the same mailbox, so the address is taken.
    for older in email::lookup_forms(raw_email).iter().filter(|form| **form != email) {
        if app.account_for_email(older).await?.is_some() {
            return Err(events::Refusal::EmailTaken.into());
        }
    }
    let account_id = Uuid::new_v4();
    let mut claims = app.new_email_claims(&email, &account::stream_id(account_id)).to_vec();
    if let Some(username) = &username {
        // A name taken already is said before the password is hashed.
        claims.extend(app.new_username_claims(account_id, username).await?);
    }
    let password_hash = app.hash_password(password).await?;
    // The new account's own data key, stored before the first event, seals
    // its email, name and user name (`personal_data`).
    let key = app.personal.create(account_id).await?;
    let (sealed_email, sealed_name) = (key.seal(&email).await?, key.seal(&name).await?);
    let mut events = account::register(Registration {
        account_id,
        email: sealed_email,
        name: sealed_name,
        password_hash,
        roles,
        locale,
    });
    if let Some(username) = username {
        events.push(AccountEvent::UsernameChosen { username: key.seal(&username).await? });
    }
    match app.append_account(account_id, 0, &events, meta, &claims).await {
        Ok(_) => Ok(account_id),
        Err(StoreError::ClaimTaken(key)) if key.starts_with("username#") => Err(usernames::taken()),
        Err(StoreError::ClaimTaken(_)) => Err(events::Refusal::EmailTaken.into()),
        Err(e) => Err(e.into()),
    }
}
