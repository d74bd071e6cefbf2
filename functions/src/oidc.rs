//! The OpenID Provider beside its handlers: loading clients and grants,
//! issuing codes, minting the signed tokens, the single sign-on cookie,
//! and the OAuth-shaped answers (redirects with `error`, JSON errors with
//! `error_description`). The rules are in `events::oidc`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use events::account::{Account, Session};
use events::oidc::{self, AuthorizationRequest, Client, Grant, NewGrant, OidcPolicy};
use events::{Aggregate, EventCodec};
use lambda_http::http::header::{LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::app::{App, Ctx};
use crate::crypto::random_bytes;
use crate::http::{ApiError, Body, Request, Response, response};
use crate::jwt::{self, Typ};
use crate::tokens::{self, TokenClaims, TokenKind};

/// The single sign-on cookie's name (contract: `portal_sso`).
pub const SSO_COOKIE: &str = "portal_sso";

/// Keyed-hash purposes: a hash of one kind never matches another.
pub const CODE_HASH: &str = "oidc-code";
pub const REFRESH_HASH: &str = "oidc-refresh";
pub const CLIENT_SECRET_HASH: &str = "oidc-client-secret";

pub fn policy() -> OidcPolicy {
    OidcPolicy::default()
}

impl App {
    /// The issuer: the public URL without a trailing slash.
    pub fn issuer(&self) -> &str {
        self.settings.public_url.trim_end_matches('/')
    }

    /// A client by id, `Client::default()` (not active) when unknown.
    pub async fn load_client(&self, client_id: Uuid) -> Result<Client, ApiError> {
        self.load::<Client>(client_id).await
    }
}

/// A code or refresh token: the grant's id and a random secret, so that
/// redeeming it is one read of the grant's stream.
pub fn new_grant_secret(grant_id: Uuid) -> String {
    format!("{grant_id}.{}", B64.encode(random_bytes::<32>()))
}

/// The grant a code or refresh token names (before anything is trusted).
pub fn grant_id_of(secret: &str) -> Option<Uuid> {
    let (id, rest) = secret.split_once('.')?;
    (!rest.is_empty()).then_some(())?;
    Uuid::parse_str(id).ok()
}

/// Starts a grant for a signed-in session and returns the client's
/// redirect with its code.
pub async fn issue_code(
    app: &App,
    ctx: &Ctx,
    request: &AuthorizationRequest,
    account_id: Uuid,
    session_id: Uuid,
    session: &Session,
) -> Result<String, ApiError> {
    let grant_id = Uuid::new_v4();
    let code = new_grant_secret(grant_id);
    let event = oidc::grant::grant(
        NewGrant {
            grant_id,
            client_id: request.client_id,
            account_id,
            session_id,
            redirect_uri: request.redirect_uri.clone(),
            scope: request.scope.clone(),
            nonce: request.nonce.clone(),
            code_challenge: request.code_challenge.clone(),
            code_hash: app.secret.keyed_hash(CODE_HASH, &code),
            auth_time: session.started_at,
            second_factor: session.second_factor,
            passkey: session.passkey,
        },
        ctx.now,
        &policy(),
    );
    // A fresh random stream: nobody else appends to it first.
    app.store.append(&Grant::stream_id(grant_id), 0, &[event.encode()], &ctx.meta, &[]).await?;
    Ok(redirect_to(app, request, &[("code", &code)]))
}

/// `redirect_uri` with `params`, the request's `state` and our `iss`
/// (RFC 9207) added to its query.
pub fn redirect_to(app: &App, request: &AuthorizationRequest, params: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        query.append_pair(k, v);
    }
    if let Some(state) = &request.state {
        query.append_pair("state", state);
    }
    query.append_pair("iss", app.issuer());
    let separator = if request.redirect_uri.contains('?') { '&' } else { '?' };
    format!("{}{separator}{}", request.redirect_uri, query.finish())
}

/// A 303 to `location`.
pub fn see_other(location: &str) -> Response<Body> {
    Response::builder().status(303).header(LOCATION, location).body(Body::Empty).expect("valid response")
}

/// An OAuth error answer (RFC 6749 5.2): `{"error", "error_description"}`,
/// plus the portal's `message` with the same text.
pub fn oauth_error(status: u16, error: &str, description: &str) -> Response<Body> {
    response::json(status, &json!({ "error": error, "error_description": description, "message": description }))
}

/// The SSO cookie for a session: a token of its own kind (never a bearer
/// token), HttpOnly, SameSite=Lax, Path=/oidc, Secure on https.
pub fn sso_cookie(app: &App, account_id: Uuid, session_id: Uuid, session: &Session, now: OffsetDateTime) -> String {
    let token = tokens::issue(
        &app.secret,
        &TokenClaims {
            kind: TokenKind::Sso,
            account_id,
            id: session_id,
            expires_at: session.expires_at.unix_timestamp(),
        },
    );
    let max_age = (session.expires_at - now).whole_seconds().max(0);
    format!("{SSO_COOKIE}={token}; Max-Age={max_age}{}", cookie_attributes(app))
}

pub fn clear_sso_cookie(app: &App) -> String {
    format!("{SSO_COOKIE}=; Max-Age=0{}", cookie_attributes(app))
}

fn cookie_attributes(app: &App) -> &'static str {
    if app.settings.public_url.starts_with("https://") {
        "; Path=/oidc; HttpOnly; SameSite=Lax; Secure"
    } else {
        "; Path=/oidc; HttpOnly; SameSite=Lax"
    }
}

pub fn with_cookie(mut response: Response<Body>, cookie: &str) -> Response<Body> {
    if let Ok(value) = cookie.parse() {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

/// The account and session the request's SSO cookie names, if its
/// signature holds (whether the session is live is the caller's check).
pub fn sso_of(app: &App, req: &Request, now: OffsetDateTime) -> Option<(Uuid, Uuid)> {
    let cookies = req.headers().get_all(lambda_http::http::header::COOKIE);
    let value = cookies
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(SSO_COOKIE)?.strip_prefix('='))?;
    let claims = tokens::check(&app.secret, value, now)?;
    (claims.kind == TokenKind::Sso).then_some((claims.account_id, claims.id))
}

/// The grant's account while the grant stands: not revoked, its client not
/// removed, and its session not ended (logout, password reset, factor
/// change or reset). When the client or session ended, the grant's end is
/// recorded. `client`: the grant's client if the caller loaded it already
/// (saves a read).
pub async fn grant_stands(
    app: &App,
    ctx: &Ctx,
    grant: &Grant,
    client: Option<&Client>,
) -> Result<Option<Account>, ApiError> {
    if grant.revoked.is_some() {
        return Ok(None);
    }
    let client_active = match client.filter(|c| c.id == grant.client_id) {
        Some(client) => client.active(),
        None => app.load_client(grant.client_id).await?.active(),
    };
    let account = app.load_account(grant.account_id).await?;
    let auth_time = grant.auth_time.unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let reason = if !client_active {
        oidc::RevokeReason::ClientRemoved
    } else if !account.exists() || account.session_was_ended(grant.session_id, auth_time) {
        oidc::RevokeReason::SessionEnded
    } else {
        return Ok(Some(account));
    };
    app.decide_from(Some(grant.clone()), grant.id, &ctx.meta, |g: Grant| async move { Ok(g.revoke(reason)) }).await?;
    Ok(None)
}

/// The tokens of a grant: an access token (RFC 9068) and an ID token,
/// both RS256 JWTs, and the token response around them.
pub async fn token_response(
    app: &App,
    grant: &Grant,
    account: &Account,
    refresh_token: Option<&str>,
    now: OffsetDateTime,
) -> Result<Value, ApiError> {
    let p = policy();
    let iat = now.unix_timestamp();
    let client_id = grant.client_id.to_string();
    let auth_time = grant.auth_time.map(OffsetDateTime::unix_timestamp);
    let amr = oidc::amr(grant.second_factor, grant.passkey);
    let acr = oidc::acr(grant.second_factor);
    let scope = grant.scope.join(" ");
    let access = json!({
        "iss": app.issuer(), "sub": account.id, "aud": client_id, "client_id": client_id,
        "iat": iat, "nbf": iat, "exp": iat + p.access_token_ttl.whole_seconds(),
        "jti": Uuid::new_v4(), "scope": scope, "auth_time": auth_time, "amr": amr, "acr": acr,
        "sid": grant.session_id, "gid": grant.id,
    });
    let mut id = json!({
        "iss": app.issuer(), "sub": account.id, "aud": client_id, "azp": client_id,
        "iat": iat, "exp": iat + p.id_token_ttl.whole_seconds(),
        "auth_time": auth_time, "amr": amr, "acr": acr, "sid": grant.session_id,
    });
    if let Some(nonce) = &grant.nonce {
        id["nonce"] = json!(nonce);
    }
    add_profile_claims(app, &mut id, grant, account).await?;
    let access_token = jwt::encode(&*app.signer, Typ::AccessToken, &access).await?;
    let id_token = jwt::encode(&*app.signer, Typ::Jwt, &id).await?;
    let mut body = json!({
        "access_token": access_token, "token_type": "Bearer", "expires_in": p.access_token_ttl.whole_seconds(),
        "id_token": id_token, "scope": scope,
    });
    if let Some(refresh) = refresh_token {
        body["refresh_token"] = json!(refresh);
    }
    Ok(body)
}

/// `email`/`email_verified` with scope `email`, `name` with `profile`.
/// The portal does not verify addresses at registration, so
/// `email_verified` is false.
/// Opened from the account's sealed data (`personal_data`) only when a
/// scope asks for them: a grant without them costs no read of the key.
pub async fn add_profile_claims(
    app: &App,
    claims: &mut Value,
    grant: &Grant,
    account: &Account,
) -> Result<(), ApiError> {
    let (email, profile) = (grant.scope.iter().any(|s| s == "email"), grant.scope.iter().any(|s| s == "profile"));
    if !email && !profile {
        return Ok(());
    }
    let Some(person) = app.personal.person(account).await? else { return Ok(()) };
    if email {
        claims["email"] = json!(person.email);
        claims["email_verified"] = json!(false);
    }
    if profile {
        claims["name"] = json!(person.name);
        if let Some(username) = &account.username {
            claims["preferred_username"] = json!(app.personal.open_value(account.id, username).await?);
        }
    }
    Ok(())
}

/// The JSON page-less answer for a request that must not be redirected
/// (unknown client or redirect URI): 400 with the portal's error shape.
pub fn not_redirected(message: &str) -> Response<Body> {
    response::error(&ApiError::invalid_request(message))
}
