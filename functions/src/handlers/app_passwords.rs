//! App passwords under Settings > Security: `POST /api/app-passwords`,
//! `GET /api/app-passwords`, `DELETE /api/app-passwords/{id}`. DAV servers
//! check them at `dav_auth`.

use events::account::app_password::{self, NewAppPassword};
use events::account::{Account, Auth};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::auth::{Accepts, caller};
use super::proof::{self, Presented};
use crate::app::App;
use crate::crypto::random_bytes;
use crate::dav;
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, request, response};
use crate::personal_data;
use crate::routes;
use crate::time_fmt::rfc3339;

pub const ROUTES: Routes = routes![
    POST "/api/app-passwords" => create;
    GET "/api/app-passwords" => list;
    DELETE "/api/app-passwords/{id}" => revoke;
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAppPasswordBody {
    name: String,
    /// The proof of a current factor (step-up), when the account has one.
    verification: Option<Presented>,
}

fn session_of(app: &App, req: &Request, now: time::OffsetDateTime) -> Result<(Uuid, Uuid), ApiError> {
    let who = caller(app, req, Accepts::Session, now)?;
    let Auth::Session { session_id } = who.auth else { return Err(ApiError::unauthorized()) };
    Ok((who.account_id, session_id))
}

/// A fresh password from the OS CSPRNG (64 bytes give 28 letters but for
/// odds far below one in a billion; then it simply draws again).
fn generate() -> String {
    loop {
        if let Some(password) = app_password::from_random(&random_bytes::<64>()) {
            return password;
        }
    }
}

pub async fn create(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let body: NewAppPasswordBody = request::json(&req)?;
    let ctx = app.ctx(&req);
    let (account_id, session_id) = session_of(app, &req, ctx.now)?;
    let password = generate();
    let hash = app.secret.keyed_hash(dav::HASH_PURPOSE, &password);
    let id = Uuid::new_v4();
    let policy = app.settings.policy;
    let (name, verification) = (body.name.as_str(), body.verification.as_ref());
    let (name, email) = app
        .decide(account_id, &ctx.meta, |account: Account| {
            let hash = hash.clone();
            async move {
                // The name is sealed under the account's data key; one the
                // decision refuses is never sealed.
                let key = app.personal.for_sealing(&account).await?;
                let sealed_name = match app_password::validate_name(name) {
                    Ok(checked) => key.seal(&checked).await?,
                    Err(_) => events::Sealed::default(),
                };
                let new = NewAppPassword { session_id, id, name, sealed_name, hash };
                let prepared =
                    proof::prepare_optional(verification, app, &account, &Auth::Session { session_id }, ctx.now)
                        .await?;
                let step_up = prepared.as_ref().map(|p| p.proof());
                let email = personal_data::open_or_empty(Some(&key), &account.email)?;
                Ok(account.create_app_password(new, step_up, ctx.now, &policy).map(|name| (name, email)))
            }
        })
        .await?;
    Ok(response::json(
        201,
        &json!({
            "id": id,
            "name": name,
            "password": password,
            "password_grouped": app_password::grouped(&password),
            "username": email,
            "dav_url": app.settings.dav_url,
        }),
    ))
}

pub async fn list(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let ctx = app.ctx(&req);
    let (account_id, session_id) = session_of(app, &req, ctx.now)?;
    let account = app.load_account(account_id).await?;
    account.authorize(&Auth::Session { session_id }, ctx.now)?;
    let keys: Vec<String> = account.app_passwords.iter().map(|p| dav::last_used_key(p.id)).collect();
    let last_used = app.state.last_touched(&keys).await?;
    let sealed = account.app_passwords.iter().map(|p| &p.name).chain([&account.email]);
    let key = app.personal.key_if_needed(&account, sealed).await?;
    let mut items = Vec::with_capacity(account.app_passwords.len());
    for (p, used) in account.app_passwords.iter().zip(last_used) {
        items.push(json!({
            "id": p.id,
            "name": personal_data::open_or_empty(key.as_ref(), &p.name)?,
            "created_at": rfc3339(p.created_at),
            "last_used_at": used.map(rfc3339),
        }));
    }
    let username = personal_data::open_or_empty(key.as_ref(), &account.email)?;
    Ok(response::json(200, &json!({ "items": items, "dav_url": app.settings.dav_url, "username": username })))
}

pub async fn revoke(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let ctx = app.ctx(&req);
    let (account_id, session_id) = session_of(app, &req, ctx.now)?;
    let id = request::path_param(&req, "id").and_then(|id| Uuid::parse_str(id).ok()).ok_or_else(ApiError::not_found)?;
    app.decide(account_id, &ctx.meta, |account: Account| async move {
        Ok(account.revoke_app_password(session_id, id, ctx.now))
    })
    .await?;
    Ok(response::no_content())
}
