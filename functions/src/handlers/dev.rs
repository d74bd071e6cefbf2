//! `GET /dev/outbox`: what the embedded backend "sent". Absent (404) on
//! AWS and LocalStack, where SES and SNS really send.

use serde_json::json;

use crate::app::App;
use crate::http::{ApiError, Body, Response, response};

pub async fn outbox(app: &App) -> Result<Response<Body>, ApiError> {
    let outbox = app.outbox.as_ref().ok_or_else(ApiError::not_found)?;
    let items = outbox.items().await?;
    Ok(response::json(200, &json!({ "items": items })))
}
