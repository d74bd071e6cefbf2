//! Building responses. Every one carries `Cache-Control: no-store`: tokens,
//! codes and account data must not sit in any cache.

use http::header::{CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use lambda_http::http;
use serde::Serialize;
use serde_json::json;

use super::{ApiError, Body, Response};

pub fn json(status: u16, value: &impl Serialize) -> Response<Body> {
    let body = serde_json::to_string(value).expect("responses serialize");
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "application/json")
        .header(CACHE_CONTROL, "no-store")
        .body(Body::Text(body))
        .expect("valid response")
}

pub fn no_content() -> Response<Body> {
    Response::builder().status(204).header(CACHE_CONTROL, "no-store").body(Body::Empty).expect("valid response")
}

pub fn error(e: &ApiError) -> Response<Body> {
    let mut body = json!({ "error": e.code, "message": e.message });
    if let (429, Some(retry_after)) = (e.status, e.retry_after) {
        body["retry_after"] = json!(retry_after);
    }
    for (field, value) in &e.extra {
        body[*field] = json!(value);
    }
    let mut response = json(e.status, &body);
    if let Some(retry_after) = e.retry_after {
        response.headers_mut().insert(RETRY_AFTER, retry_after.into());
    }
    response
}
