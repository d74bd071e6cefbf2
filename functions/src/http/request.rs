//! Reading requests: size-limited strict JSON, bearer tokens, where the
//! request came from.

use events::account::Locale;
use lambda_http::RequestExt;
use lambda_http::http;
use lambda_http::request::RequestContext;
use serde::de::DeserializeOwned;

use super::{ApiError, Request};

/// The contract's limit; larger bodies are refused before parsing.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Parses the JSON body into `T`. Request types deny unknown fields, so a
/// misspelt field is an error instead of silently ignored.
pub fn json<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    let body: &[u8] = req.body().as_ref();
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::invalid_request("The request body is larger than 16 KiB."));
    }
    serde_json::from_slice(body).map_err(|e| {
        // serde's message names the field and the expected type, never the value.
        let detail = e.to_string();
        let detail = detail.split(" at line").next().unwrap_or("malformed JSON");
        ApiError::invalid_request(format!("The request body is not valid: {detail}."))
    })
}

/// As [`json`], for a route whose contract has no body and which accepts
/// optional fields: an empty body is `T::default()`.
pub fn optional_json<T: DeserializeOwned + Default>(req: &Request) -> Result<T, ApiError> {
    let body: &[u8] = req.body().as_ref();
    if body.iter().all(u8::is_ascii_whitespace) { Ok(T::default()) } else { json(req) }
}

/// The bearer token, if the request carries one.
pub fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers().get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The browser family and system of the User-Agent (`crate::client`),
/// for the events' metadata; the header itself is never kept.
pub fn client(req: &Request) -> Option<crate::client::Client> {
    let user_agent = req.headers().get(http::header::USER_AGENT)?.to_str().ok()?;
    crate::client::classify(user_agent)
}

/// The client's address as the local server saw it.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

pub fn source_ip(req: &Request) -> Option<String> {
    if let Some(ClientIp(ip)) = req.extensions().get::<ClientIp>() {
        return Some(ip.clone());
    }
    match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(ctx) => ctx.http.source_ip.clone(),
        RequestContext::ApiGatewayV1(ctx) => ctx.identity.source_ip.clone(),
        _ => None,
    }
}

/// The request's id as the router chose it, for the events' metadata and
/// the access line alike.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The Lambda request id (API Gateway's), or a new one in the portal.
pub fn request_id(req: &Request) -> String {
    if let Some(RequestId(id)) = req.extensions().get::<RequestId>() {
        return id.clone();
    }
    req.lambda_context_ref()
        .map(|c| c.request_id.clone())
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// The language the client prefers, from `Accept-Language`.
pub fn accept_language(req: &Request) -> Option<Locale> {
    let header = req.headers().get(http::header::ACCEPT_LANGUAGE)?.to_str().ok()?;
    header.split(',').find_map(Locale::from_tag)
}

/// A path parameter as the router extracted it.
pub fn path_param<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.extensions().get::<super::path::PathParams>()?.get(name)
}
