//! The authorization endpoint and its handoff to the portal's page:
//! `GET /oidc/authorize` answers at once from a live single sign-on
//! session, or keeps the request (10 minutes) and sends the browser to
//! `/sign-in?request=<id>`; the page signs the person in and completes the
//! request (`POST /api/oidc/requests/{id}/complete`) to get the client's
//! redirect with a code.

use events::account::{Account, Auth, Session};
use events::oidc::request::{self, AuthorizationRequest, Prompt};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::auth::{Accepts, caller};
use crate::app::{App, Ctx};
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, request as http_request, response};
use crate::oidc::{self, issue_code, not_redirected, redirect_to, see_other, sso_cookie, sso_of, with_cookie};
use crate::routes;

pub const ROUTES: Routes = routes![
    GET "/oidc/authorize" => authorize;
    GET "/api/oidc/requests/{id}" => show;
    POST "/api/oidc/requests/{id}/complete" => complete;
    POST "/api/oidc/requests/{id}/cancel" => cancel;
];

/// The state store's collection of waiting requests.
const REQUESTS: &str = "oidc-request";

/// A request waiting for the person to sign in.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Waiting {
    request: AuthorizationRequest,
    client_name: String,
    /// When it was made: `prompt=login` wants a session started after it.
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
}

fn query_pairs(req: &Request) -> Vec<(String, String)> {
    let query = req.uri().query().unwrap_or("");
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

pub async fn authorize(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let ctx = app.ctx(&req);
    let params = query_pairs(&req);
    // Until the client and this exact redirect URI are known, an error is
    // shown here: redirecting it could send the browser anywhere.
    let (client_id, redirect_uri) = match request::client_and_redirect(&params) {
        Ok(named) => named,
        Err(message) => return Ok(not_redirected(&message)),
    };
    let client = app.load_client(client_id).await?;
    if !client.active() {
        return Ok(not_redirected("There is no such client."));
    }
    if !client.redirect_uri_registered(&redirect_uri) {
        return Ok(not_redirected("The redirect_uri is not registered for this client."));
    }
    let asked = match request::parse(&params, client_id, &redirect_uri) {
        Ok(asked) => asked,
        Err(e) => {
            let partial = AuthorizationRequest {
                state: request::single(&params, "state").ok().flatten().map(str::to_owned),
                ..bare(client_id, &redirect_uri)
            };
            let to = redirect_to(app, &partial, &[("error", e.error), ("error_description", &e.description)]);
            return Ok(see_other(&to));
        }
    };
    if let Some((account_id, session_id, session)) = sso_session(app, &req, ctx.now).await?
        && asked.prompt != Some(Prompt::Login)
        && within_max_age(&asked, &session, ctx.now)
    {
        let to = issue_code(app, &ctx, &asked, account_id, session_id, &session).await?;
        return Ok(see_other(&to));
    }
    if asked.prompt == Some(Prompt::None) {
        let to = redirect_to(app, &asked, &[("error", "login_required")]);
        return Ok(see_other(&to));
    }
    let id = wait_for_sign_in(app, &ctx, asked, client.name).await?;
    Ok(see_other(&format!("/sign-in?request={id}")))
}

fn bare(client_id: Uuid, redirect_uri: &str) -> AuthorizationRequest {
    AuthorizationRequest {
        client_id,
        redirect_uri: redirect_uri.to_owned(),
        scope: vec![],
        state: None,
        nonce: None,
        code_challenge: String::new(),
        prompt: None,
        max_age: None,
        login_hint: None,
        ui_locales: vec![],
    }
}

/// The SSO cookie's session, if it is live and was made with two factors:
/// only such a session signs in to another app without the page.
async fn sso_session(app: &App, req: &Request, now: OffsetDateTime) -> Result<Option<(Uuid, Uuid, Session)>, ApiError> {
    let Some((account_id, session_id)) = sso_of(app, req, now) else { return Ok(None) };
    let account = app.load_account(account_id).await?;
    Ok(account.session(session_id, now).filter(|s| s.second_factor.is_some()).map(|s| (account_id, session_id, *s)))
}

fn within_max_age(asked: &AuthorizationRequest, session: &Session, now: OffsetDateTime) -> bool {
    asked.max_age.is_none_or(|max| (now - session.started_at).whole_seconds() <= max)
}

async fn wait_for_sign_in(
    app: &App,
    ctx: &Ctx,
    request: AuthorizationRequest,
    client_name: String,
) -> Result<Uuid, ApiError> {
    let id = Uuid::new_v4();
    let waiting = Waiting { request, client_name, created_at: ctx.now };
    let doc = serde_json::to_value(&waiting).map_err(|_| ApiError::internal())?;
    let expires_at = ctx.now + oidc::policy().request_ttl;
    app.state.put_doc(REQUESTS, &id.to_string(), 1, &doc, Some(expires_at)).await?;
    Ok(id)
}

async fn waiting(app: &App, req: &Request, now: OffsetDateTime) -> Result<(Uuid, Waiting), ApiError> {
    let id =
        http_request::path_param(req, "id").and_then(|id| Uuid::parse_str(id).ok()).ok_or_else(ApiError::not_found)?;
    let doc = app.state.doc(REQUESTS, &id.to_string(), now).await?.ok_or_else(ApiError::not_found)?;
    let waiting: Waiting = serde_json::from_value(doc).map_err(|_| ApiError::not_found())?;
    if waiting.created_at + oidc::policy().request_ttl <= now {
        return Err(ApiError::not_found());
    }
    Ok((id, waiting))
}

/// Marks the request used; false when it was used already.
async fn use_up(app: &App, id: Uuid, now: OffsetDateTime) -> Result<bool, ApiError> {
    Ok(app.state.mark_once(&format!("oidc-request#{id}"), now).await?)
}

/// `GET /api/oidc/requests/{id}`: what the page shows and how.
pub async fn show(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let now = app.clock.now();
    let (_, w) = waiting(app, &req, now).await?;
    Ok(response::json(
        200,
        &json!({
            "client_name": w.client_name,
            "ui_locales": w.request.ui_locales,
            "login_hint": w.request.login_hint,
            "prompt": w.request.prompt,
        }),
    ))
}

/// `POST /api/oidc/requests/{id}/complete` with the page's session token.
pub async fn complete(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let ctx = app.ctx(&req);
    let who = caller(app, &req, Accepts::Session, ctx.now)?;
    let Auth::Session { session_id } = who.auth else { return Err(ApiError::unauthorized()) };
    let (id, w) = waiting(app, &req, ctx.now).await?;
    let account: Account = app.load_account(who.account_id).await?;
    let session = *account.session(session_id, ctx.now).ok_or_else(ApiError::unauthorized)?;
    let fresh_enough = w.request.prompt != Some(Prompt::Login) || session.started_at >= w.created_at;
    if !fresh_enough || !within_max_age(&w.request, &session, ctx.now) {
        return Err(ApiError::new(401, "login_required", "Sign in again for this app."));
    }
    if !use_up(app, id, ctx.now).await? {
        return Err(ApiError::not_found());
    }
    let to = issue_code(app, &ctx, &w.request, who.account_id, session_id, &session).await?;
    let cookie = sso_cookie(app, who.account_id, session_id, &session, ctx.now);
    Ok(with_cookie(response::json(200, &json!({ "redirect_to": to })), &cookie))
}

/// `POST /api/oidc/requests/{id}/cancel`: the person declined.
pub async fn cancel(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let now = app.clock.now();
    let (id, w) = waiting(app, &req, now).await?;
    if !use_up(app, id, now).await? {
        return Err(ApiError::not_found());
    }
    let to = redirect_to(app, &w.request, &[("error", "access_denied")]);
    Ok(response::json(200, &json!({ "redirect_to": to })))
}
