//! `GET /dev/outbox`: what the embedded backend "sent". Absent (404) on
//! AWS and LocalStack, where SES and SNS really send.

use serde_json::json;

use crate::app::App;
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, response};
use crate::routes;

pub const ROUTES: Routes = routes![
    GET "/dev/outbox" => outbox;
];

pub async fn outbox(app: &App, _: Request) -> Result<Response<Body>, ApiError> {
    let outbox = app.outbox.as_ref().ok_or_else(ApiError::not_found)?;
    let items = outbox.items().await?;
    Ok(response::json(200, &json!({ "items": items })))
}
