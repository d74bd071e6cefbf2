//! `PUT /api/account/language`: the page's language switch, while signed
//! in, sets the language of the account's later mails and SMS.

use events::account::{Account, Auth, Locale};
use serde::Deserialize;

use super::auth::{Accepts, caller};
use crate::app::App;
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, request, response};
use crate::routes;

pub const ROUTES: Routes = routes![
    PUT "/api/account/language" => change;
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LanguageBody {
    /// `"de"` or `"en"`; anything else is a 400 naming the field.
    language: Locale,
}

/// 204 whether or not the language was another one (idempotent: the same
/// language again appends nothing).
pub async fn change(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let body: LanguageBody = request::json(&req)?;
    let ctx = app.ctx(&req);
    let who = caller(app, &req, Accepts::Session, ctx.now)?;
    let Auth::Session { session_id } = who.auth else { return Err(ApiError::unauthorized()) };
    app.decide(who.account_id, &ctx.meta, |account: Account| async move {
        Ok(account.change_language(session_id, body.language, ctx.now))
    })
    .await?;
    Ok(response::no_content())
}
