//! `GET|POST /oidc/userinfo` (OpenID Connect Core 5.3) and `GET /oidc/logout`
//! (RP-Initiated Logout 1.0).

use events::Aggregate;
use events::account::Account;
use events::oidc::Grant;
use lambda_http::http::header::WWW_AUTHENTICATE;
use serde_json::json;
use uuid::Uuid;

use crate::app::App;
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, cors, request, response};
use crate::jwt::{self, Typ};
use crate::oidc::{add_profile_claims, clear_sso_cookie, grant_stands, not_redirected, see_other, sso_of, with_cookie};
use crate::routes;

pub const ROUTES: Routes = routes![
    GET "/oidc/userinfo" => userinfo, cors_apps;
    POST "/oidc/userinfo" => userinfo, cors_apps;
    OPTIONS "/oidc/userinfo" => cors::preflight, cors_apps;
    GET "/oidc/logout" => logout;
];

/// 401 with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 3.1).
fn invalid_token() -> Response<Body> {
    let mut r = response::error(&ApiError::new(401, "invalid_token", "The access token is invalid or expired."));
    r.headers_mut().insert(WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"".parse().expect("valid header"));
    r
}

/// The claims of the access token's grant, while the grant stands: its
/// client not removed, its session not ended, nothing revoked.
pub async fn userinfo(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let ctx = app.ctx(&req);
    let Some(token) = request::bearer(&req) else { return Ok(invalid_token()) };
    let keys = app.signer.public_keys().await?;
    let Ok(verified) = jwt::verify(&keys, Typ::AccessToken, token) else { return Ok(invalid_token()) };
    if jwt::check_time_and_issuer(&verified.claims, app.issuer(), ctx.now).is_err() {
        return Ok(invalid_token());
    }
    let Some(grant_id) = verified.claims["gid"].as_str().and_then(|g| Uuid::parse_str(g).ok()) else {
        return Ok(invalid_token());
    };
    let grant = app.load::<Grant>(grant_id).await?;
    if !grant.exists() {
        return Ok(invalid_token());
    }
    let Some(account) = grant_stands(app, &ctx, &grant, None).await? else { return Ok(invalid_token()) };
    let mut claims = json!({ "sub": account.id });
    add_profile_claims(app, &mut claims, &grant, &account).await?;
    Ok(response::json(200, &claims))
}

fn query_pairs(req: &Request) -> Vec<(String, String)> {
    form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes()).into_owned().collect()
}

/// Ends the portal session the SSO cookie names (and with it the grants
/// apps got in it), clears the cookie, and returns to the app if it
/// registered exactly this `post_logout_redirect_uri`.
pub async fn logout(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let ctx = app.ctx(&req);
    let params = query_pairs(&req);
    let single = |name| events::oidc::request::single(&params, name);
    let (Ok(redirect), Ok(state), Ok(client_id), Ok(hint)) =
        (single("post_logout_redirect_uri"), single("state"), single("client_id"), single("id_token_hint"))
    else {
        return Ok(not_redirected("A parameter is repeated."));
    };
    // Where to go afterwards is decided before anything ends: a bad
    // redirect is refused, never followed.
    let target = match redirect {
        None => None,
        Some(uri) => {
            let named = match (client_id, hint) {
                (Some(id), _) => Some(id.to_owned()),
                (None, Some(hint)) => audience(app, hint).await?,
                (None, None) => None,
            };
            let client_id = named.and_then(|id| Uuid::parse_str(&id).ok());
            let client = match client_id {
                Some(id) => app.load_client(id).await?,
                None => return Ok(not_redirected("Name the client (client_id or id_token_hint) to return to.")),
            };
            if !client.active() || !client.post_logout_redirect_registered(uri) {
                return Ok(not_redirected("The post_logout_redirect_uri is not registered for this client."));
            }
            let mut query = form_urlencoded::Serializer::new(String::new());
            if let Some(state) = state {
                query.append_pair("state", state);
            }
            let query = query.finish();
            let separator = if uri.contains('?') { '&' } else { '?' };
            Some(if query.is_empty() { uri.to_owned() } else { format!("{uri}{separator}{query}") })
        }
    };
    if let Some((account_id, session_id)) = sso_of(app, &req, ctx.now) {
        let ended = app
            .decide(account_id, &ctx.meta, |account: Account| async move { Ok(account.logout(session_id, ctx.now)) })
            .await;
        // A session that ended already is what logout wants.
        if let Err(e) = ended
            && e.status >= 500
        {
            return Err(e);
        }
    }
    let to = target.unwrap_or_else(|| format!("{}/", app.issuer()));
    Ok(with_cookie(see_other(&to), &clear_sso_cookie(app)))
}

/// The `aud` of an ID token this server signed (expired or not: a hint
/// only names the client).
async fn audience(app: &App, id_token: &str) -> Result<Option<String>, ApiError> {
    let keys = app.signer.public_keys().await?;
    let Ok(verified) = jwt::verify(&keys, Typ::Jwt, id_token) else { return Ok(None) };
    if verified.claims["iss"] != app.issuer() {
        return Ok(None);
    }
    Ok(verified.claims["aud"].as_str().map(str::to_owned))
}
