//! `POST /oidc/token` (RFC 6749 3.2, code exchange with PKCE and refresh)
//! and `POST /oidc/revoke` (RFC 7009). Both take form bodies, authenticate
//! the client (`client_secret_basic`, `client_secret_post`, or `none` for
//! public clients) and answer errors as RFC 6749 5.2 JSON.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use events::account::Account;
use events::oidc::{Client, Grant, Issued, RevokeReason, TokenError};
use lambda_http::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use uuid::Uuid;

use crate::app::{App, Ctx};
use crate::http::request::MAX_BODY_BYTES;
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, cors, response};
use crate::jwt::{self, Typ};
use crate::oidc::{
    CLIENT_SECRET_HASH, CODE_HASH, REFRESH_HASH, grant_id_of, grant_stands, new_grant_secret, oauth_error, policy,
    token_response,
};
use crate::routes;

pub const ROUTES: Routes = routes![
    POST "/oidc/token" => token, cors_apps;
    OPTIONS "/oidc/token" => cors::preflight, cors_apps;
    POST "/oidc/revoke" => revoke, cors_apps;
    OPTIONS "/oidc/revoke" => cors::preflight, cors_apps;
];

/// A refused token request: status, RFC 6749 error code, description.
struct Refused(u16, &'static str, &'static str);

impl Refused {
    fn invalid_request(description: &'static str) -> Self {
        Refused(400, "invalid_request", description)
    }

    fn invalid_grant(TokenError(description): TokenError) -> Self {
        Refused(400, "invalid_grant", description)
    }

    fn answer(self, basic: bool) -> Response<Body> {
        let mut r = oauth_error(self.0, self.1, self.2);
        if self.0 == 401 && basic {
            r.headers_mut().insert(WWW_AUTHENTICATE, "Basic realm=\"oidc\"".parse().expect("valid header"));
        }
        r
    }
}

/// The form's parameters; a repeated one is refused (RFC 6749 3.2).
struct Form(Vec<(String, String)>);

impl Form {
    fn parse(req: &Request) -> Result<Form, Refused> {
        let body: &[u8] = req.body().as_ref();
        if body.len() > MAX_BODY_BYTES {
            return Err(Refused::invalid_request("The request body is larger than 16 KiB."));
        }
        Ok(Form(form_urlencoded::parse(body).into_owned().collect()))
    }

    fn get(&self, name: &str) -> Result<Option<&str>, Refused> {
        events::oidc::request::single(&self.0, name).map_err(|_| Refused::invalid_request("A parameter is repeated."))
    }
}

/// The client the request authenticates as. Basic: `client_id:secret`,
/// each form-urlencoded (RFC 6749 2.3.1); post: both in the form; none:
/// `client_id` alone, for public clients. Two ways at once are refused.
async fn authenticate(app: &App, req: &Request, form: &Form) -> Result<Client, Refused> {
    let basic = basic_credentials(req)?;
    let (body_id, body_secret) = (form.get("client_id")?, form.get("client_secret")?);
    let (client_id, secret) = match (&basic, body_secret) {
        (Some(_), Some(_)) => return Err(Refused::invalid_request("Authenticate the client one way only.")),
        (Some((id, secret)), None) => {
            if body_id.is_some_and(|b| b != id) {
                return Err(Refused::invalid_request("client_id differs from the authenticated client."));
            }
            (id.clone(), Some(secret.clone()))
        }
        (None, secret) => (body_id.unwrap_or_default().to_owned(), secret.map(str::to_owned)),
    };
    let invalid = || Refused(401, "invalid_client", "Client authentication failed.");
    let client_id = Uuid::parse_str(&client_id).map_err(|_| invalid())?;
    let client = app.load_client(client_id).await.map_err(|_| Refused(503, "temporarily_unavailable", "Try again."))?;
    let presented = secret.map(|s| app.secret.keyed_hash(CLIENT_SECRET_HASH, &s));
    if client.authenticate(presented.as_deref()) { Ok(client) } else { Err(invalid()) }
}

fn basic_credentials(req: &Request) -> Result<Option<(String, String)>, Refused> {
    let Some(value) = req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else { return Ok(None) };
    let Some((scheme, encoded)) = value.split_once(' ') else { return Ok(None) };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let bad = || Refused(401, "invalid_client", "Client authentication failed.");
    let decoded = B64.decode(encoded.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let unescape = |s: &str| form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
    Ok(Some((unescape(id).ok_or_else(bad)?, unescape(secret).ok_or_else(bad)?)))
}

pub async fn token(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let ctx = app.ctx(&req);
    let basic = req.headers().get(AUTHORIZATION).is_some();
    match exchange(app, &ctx, &req).await {
        Ok(Ok(body)) => {
            let mut r = response::json(200, &body);
            r.headers_mut().insert("pragma", "no-cache".parse().expect("valid header"));
            Ok(r)
        }
        Ok(Err(refused)) => Ok(refused.answer(basic)),
        Err(e) => Err(e),
    }
}

async fn exchange(app: &App, ctx: &Ctx, req: &Request) -> Result<Result<serde_json::Value, Refused>, ApiError> {
    let form = match Form::parse(req) {
        Ok(form) => form,
        Err(refused) => return Ok(Err(refused)),
    };
    let client = match authenticate(app, req, &form).await {
        Ok(client) => client,
        Err(refused) => return Ok(Err(refused)),
    };
    let grant_type = match form.get("grant_type") {
        Ok(t) => t,
        Err(refused) => return Ok(Err(refused)),
    };
    match grant_type {
        Some("authorization_code") => code_exchange(app, ctx, &client, &form).await,
        Some("refresh_token") => refresh(app, ctx, &client, &form).await,
        None => Ok(Err(Refused::invalid_request("grant_type is missing."))),
        Some(_) => Ok(Err(Refused(400, "unsupported_grant_type", "Only authorization_code and refresh_token."))),
    }
}

const BAD_CODE: TokenError = TokenError("The code is invalid, expired or used.");
const BAD_REFRESH: TokenError = TokenError("The refresh token is invalid, expired or revoked.");

async fn code_exchange(
    app: &App,
    ctx: &Ctx,
    client: &Client,
    form: &Form,
) -> Result<Result<serde_json::Value, Refused>, ApiError> {
    let (code, redirect_uri, verifier) = match (form.get("code"), form.get("redirect_uri"), form.get("code_verifier")) {
        (Ok(Some(code)), Ok(redirect_uri), Ok(verifier)) => (code, redirect_uri, verifier),
        (Ok(None), ..) => return Ok(Err(Refused::invalid_request("code is missing."))),
        _ => return Ok(Err(Refused::invalid_request("A parameter is repeated."))),
    };
    let Some((grant, account)) = load_grant(app, ctx, client, code).await? else {
        return Ok(Err(Refused::invalid_grant(BAD_CODE)));
    };
    let code_hash = app.secret.keyed_hash(CODE_HASH, code);
    let refresh_token = new_grant_secret(grant.id);
    let refresh_hash = app.secret.keyed_hash(REFRESH_HASH, &refresh_token);
    let (client_id, p) = (client.id, policy());
    let issued = app
        .decide_from(Some(grant.clone()), grant.id, &ctx.meta, |g: Grant| {
            let decision = g.exchange(&code_hash, client_id, redirect_uri, verifier, refresh_hash.clone(), ctx.now, &p);
            async move { Ok(decision) }
        })
        .await?;
    finish(app, ctx, &grant, &account, issued, &refresh_token).await
}

async fn refresh(
    app: &App,
    ctx: &Ctx,
    client: &Client,
    form: &Form,
) -> Result<Result<serde_json::Value, Refused>, ApiError> {
    let presented = match form.get("refresh_token") {
        Ok(Some(t)) => t,
        Ok(None) => return Ok(Err(Refused::invalid_request("refresh_token is missing."))),
        Err(refused) => return Ok(Err(refused)),
    };
    let Some((grant, account)) = load_grant(app, ctx, client, presented).await? else {
        return Ok(Err(Refused::invalid_grant(BAD_REFRESH)));
    };
    let presented_hash = app.secret.keyed_hash(REFRESH_HASH, presented);
    let refresh_token = new_grant_secret(grant.id);
    let new_hash = app.secret.keyed_hash(REFRESH_HASH, &refresh_token);
    let (client_id, p) = (client.id, policy());
    let issued = app
        .decide_from(Some(grant.clone()), grant.id, &ctx.meta, |g: Grant| {
            let decision = g.refresh(&presented_hash, client_id, new_hash.clone(), ctx.now, &p);
            async move { Ok(decision) }
        })
        .await?;
    finish(app, ctx, &grant, &account, issued, &refresh_token).await
}

/// The grant a code or refresh token names and its account, if it exists
/// and stands: a grant whose session or client has ended gives nothing
/// (and ends).
async fn load_grant(app: &App, ctx: &Ctx, client: &Client, secret: &str) -> Result<Option<(Grant, Account)>, ApiError> {
    let Some(grant_id) = grant_id_of(secret) else { return Ok(None) };
    let grant = app.load::<Grant>(grant_id).await?;
    if !events::Aggregate::exists(&grant) {
        return Ok(None);
    }
    Ok(grant_stands(app, ctx, &grant, Some(client)).await?.map(|account| (grant, account)))
}

/// After the grant's decision: the tokens. What they say (account,
/// session, scope, factors) never changes in a grant, so the state loaded
/// before the decision serves; a revocation after it (a reused code
/// racing this exchange) ends these tokens at their next use.
async fn finish(
    app: &App,
    ctx: &Ctx,
    grant: &Grant,
    account: &Account,
    issued: Result<Issued, TokenError>,
    refresh_token: &str,
) -> Result<Result<serde_json::Value, Refused>, ApiError> {
    let issued = match issued {
        Ok(issued) => issued,
        Err(e) => return Ok(Err(Refused::invalid_grant(e))),
    };
    let refresh = issued.refresh.then_some(refresh_token);
    Ok(Ok(token_response(app, grant, account, refresh, ctx.now).await?))
}

/// `POST /oidc/revoke`: a refresh token or access token of the
/// authenticated client ends its grant. The answer is 200 whatever the
/// token was (RFC 7009 2.2): it tells nothing about other clients' tokens.
pub async fn revoke(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let ctx = app.ctx(&req);
    let basic = req.headers().get(AUTHORIZATION).is_some();
    let form = match Form::parse(&req) {
        Ok(form) => form,
        Err(refused) => return Ok(refused.answer(basic)),
    };
    let client = match authenticate(app, &req, &form).await {
        Ok(client) => client,
        Err(refused) => return Ok(refused.answer(basic)),
    };
    let token = match form.get("token") {
        Ok(Some(token)) => token,
        Ok(None) => return Ok(Refused::invalid_request("token is missing.").answer(basic)),
        Err(refused) => return Ok(refused.answer(basic)),
    };
    if let Some(grant_id) = grant_of_token(app, token, ctx.now).await? {
        let grant = app.load::<Grant>(grant_id).await?;
        if events::Aggregate::exists(&grant) && grant.client_id == client.id && holds(app, &grant, token, ctx.now) {
            app.decide_from(Some(grant), grant_id, &ctx.meta, |g: Grant| async move {
                Ok(g.revoke(RevokeReason::RevokedByClient))
            })
            .await?;
        }
    }
    Ok(response::json(200, &serde_json::json!({})))
}

/// The grant a refresh token or one of our access tokens names.
async fn grant_of_token(app: &App, token: &str, now: time::OffsetDateTime) -> Result<Option<Uuid>, ApiError> {
    if let Some(id) = grant_id_of(token) {
        return Ok(Some(id));
    }
    let keys = app.signer.public_keys().await?;
    let Ok(verified) = jwt::verify(&keys, Typ::AccessToken, token) else { return Ok(None) };
    if jwt::check_time_and_issuer(&verified.claims, app.issuer(), now).is_err() {
        return Ok(None);
    }
    Ok(verified.claims["gid"].as_str().and_then(|g| Uuid::parse_str(g).ok()))
}

/// Whether `token` is really this grant's: a signed access token already
/// is; a refresh token must be its live or a rotated-out one.
fn holds(app: &App, grant: &Grant, token: &str, now: time::OffsetDateTime) -> bool {
    if grant_id_of(token).is_none() {
        return true;
    }
    let hash = app.secret.keyed_hash(REFRESH_HASH, token);
    grant.refresh.as_ref().is_some_and(|(live, _)| *live == hash) || grant.was_rotated_out(&hash, now)
}
