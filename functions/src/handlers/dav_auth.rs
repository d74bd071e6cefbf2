//! `GET /api/dav/auth`: DAV servers ask whether an app password is good
//! (e.g. nginx `auth_request`). Its own function: DAV clients call it on
//! every request, so it scales (and is throttled) apart from the web's
//! sign-ins.

use lambda_http::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use serde_json::json;

use crate::app::App;
use crate::dav;
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, response};
use crate::routes;

pub const ROUTES: Routes = routes![
    GET "/api/dav/auth" => dav_auth;
];

pub async fn dav_auth(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let now = app.clock.now();
    let authorization = req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    match dav::authenticate(app, authorization, now).await {
        Ok(user) => Ok(response::json(200, &json!({ "user_id": user.account_id }))),
        Err(e) if e.status == 401 => {
            // Lets a DAV client (behind nginx `auth_request`) ask for credentials.
            let mut response = response::error(&e);
            let realm = format!("Basic realm=\"{} DAV\", charset=\"UTF-8\"", app.settings.issuer.replace('"', "'"));
            if let Ok(value) = realm.parse() {
                response.headers_mut().insert(WWW_AUTHENTICATE, value);
            }
            Ok(response)
        }
        Err(e) => Err(e),
    }
}
