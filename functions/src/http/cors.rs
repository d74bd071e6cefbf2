//! CORS on the OpenID Provider's endpoints, for the customer's single-page
//! apps: a page on the app's own origin reads the token endpoint's answer
//! and calls userinfo with a Bearer header (which makes the browser ask
//! first, with a preflight `OPTIONS`). Which origins may is the rule of
//! `events::oidc::cors`; a route says which policy it has (`routes!` flags
//! `cors_any`, `cors_apps`) and the router applies it to every answer of
//! that route, errors included, so an app can read why it was refused.
//!
//! Never `Access-Control-Allow-Credentials`: no cookie crosses origins
//! (`portal_sso` stays first-party, at the authorization endpoint the
//! browser navigates to).
//!
//! On AWS with the template's `AllowedOrigins` set, API Gateway answers
//! every preflight itself and drops these headers: "If you configure CORS
//! for an API, API Gateway ignores CORS headers returned from your backend
//! integration"
//! (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html).
//! README "Deploy to AWS" says what an operator does then.

use lambda_http::http::HeaderMap;
use lambda_http::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_MAX_AGE,
    HeaderValue, ORIGIN, VARY,
};

use super::{ApiError, Body, Request, Response, response};
use crate::app::App;

/// Who may read a route's answers from a page on another origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cors {
    /// Only the portal's own origin (no CORS headers).
    SameOrigin,
    /// Every origin: public documents fetched without credentials
    /// (discovery, the JWKS).
    AnyOrigin,
    /// The web origins of the registered public clients' redirect URIs
    /// (`events::oidc::cors::origin_allowed`), echoed with `Vary: Origin`.
    AppOrigins,
}

/// What a route answers a preflight with (the methods and headers an app's
/// `fetch` uses: a form POST to the token endpoint, a Bearer header to
/// userinfo), and how long the browser may keep that answer.
const ALLOW_METHODS: &str = "GET, POST";
const ALLOW_HEADERS: &str = "Authorization, Content-Type";
const MAX_AGE_SECONDS: &str = "600";

/// The CORS headers a route's answers will carry, decided before its
/// handler runs: when the client list cannot be read the request fails
/// (503) before the handler, so a code is never spent on an answer the
/// app could not read.
pub struct CorsHeaders(Option<HeaderValue>, Cors);

/// Decides for a request to a route with policy `cors`.
pub async fn decide(app: &App, cors: Cors, req: &Request) -> Result<CorsHeaders, ApiError> {
    let origin = req.headers().get(ORIGIN);
    let allowed = match (cors, origin) {
        (Cors::SameOrigin, _) | (Cors::AppOrigins, None) => None,
        (Cors::AnyOrigin, _) => Some(HeaderValue::from_static("*")),
        (Cors::AppOrigins, Some(origin)) => {
            let text = origin.to_str().unwrap_or_default();
            crate::oidc_clients::origin_allowed(app, text).await?.then(|| origin.clone())
        }
    };
    Ok(CorsHeaders(allowed, cors))
}

impl CorsHeaders {
    /// Adds the headers to an answer; `preflight`: the request was `OPTIONS`.
    pub fn apply(self, headers: &mut HeaderMap, preflight: bool) {
        let CorsHeaders(allowed, cors) = self;
        if cors == Cors::AppOrigins {
            // The answer depends on the request's Origin: no cache may hand
            // one origin's answer to another.
            headers.append(VARY, HeaderValue::from_static("Origin"));
        }
        let Some(origin) = allowed else { return };
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        if preflight && cors == Cors::AppOrigins {
            headers.insert(ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(ALLOW_METHODS));
            headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static(ALLOW_HEADERS));
            headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static(MAX_AGE_SECONDS));
        }
    }
}

/// `OPTIONS` on an app-origin route: 204, with the allow headers when the
/// origin is allowed (added by the router like every CORS header), without
/// any `Access-Control-*` header otherwise, so the browser refuses the
/// request it asked about.
pub async fn preflight(_app: &App, _req: Request) -> Result<Response<Body>, ApiError> {
    Ok(response::no_content())
}
