//! `GET /api/brand`: the operator's name, logo, colours, support contacts
//! and footer links, which the page loads before it renders. Settings read
//! at start, so a change is a restart (or a Lambda configuration update),
//! never a rebuild of the page.

use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use lambda_http::http;
use serde_json::json;

use crate::app::App;
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response};
use crate::routes;

pub const ROUTES: Routes = routes![
    GET "/api/brand" => brand;
];

/// How long browsers may keep the answer: every page load asks for it, and
/// a changed brand shows within minutes.
pub const MAX_AGE_SECS: u32 = 300;

pub async fn brand(app: &App, _: Request) -> Result<Response<Body>, ApiError> {
    let brand = &app.settings.brand;
    let body = json!({
        "name": app.settings.issuer,
        "logo_url": brand.logo_url,
        "colors": brand.colors,
        "contact": { "email": brand.contact_email, "phone": brand.contact_phone },
        "imprint_url": brand.imprint_url,
        "privacy_url": brand.privacy_url,
    });
    // Public and the same for everyone, unlike every other answer (no-store).
    Ok(Response::builder()
        .status(200)
        .header(CONTENT_TYPE, "application/json")
        .header(CACHE_CONTROL, format!("public, max-age={MAX_AGE_SECS}"))
        .body(Body::Text(body.to_string()))
        .expect("valid response"))
}
