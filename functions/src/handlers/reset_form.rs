//! The lost-second-factor form: `GET /api/altcha/challenge` and
//! `POST /api/reset-requests` (the `reset_form` function).
//!
//! The form needs the mfa token (the password was right), an ALTCHA proof
//! of work (privacy-friendly, no third party) that is single-use and
//! expires, and the privacy consent. Its personal data is sealed under the
//! request's own data key before anything is stored.

use events::account::Account;
use events::factor_reset::{self, MatchFlags, OnFile, RequestNumber, Submission};
use events::{altcha, email, phone::Phone};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::auth::{Accepts, caller};
use crate::app::App;
use crate::crypto::random_bytes;
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, request, response};
use crate::reset_requests::Form;
use crate::routes;
use crate::time_fmt::rfc3339;

pub const ROUTES: Routes = routes![
    GET "/api/altcha/challenge" => challenge;
    POST "/api/reset-requests" => submit;
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FormBody {
    first_name: String,
    last_name: String,
    phone: String,
    email: String,
    privacy_consent: bool,
    altcha: String,
}

pub async fn challenge(app: &App, _: Request) -> Result<Response<Body>, ApiError> {
    let now = app.clock.now();
    let secret_number = u64::from_le_bytes(random_bytes::<8>());
    let challenge = altcha::make_challenge(
        app.secret.altcha_key(),
        &random_bytes::<12>(),
        secret_number,
        altcha::DEFAULT_MAX_NUMBER,
        now,
        altcha::DEFAULT_TTL,
    );
    Ok(response::json(200, &challenge))
}

fn name(field: &str, raw: &str) -> Result<String, ApiError> {
    let value = raw.trim();
    let chars = value.chars().count();
    if chars == 0 || chars > 100 || value.chars().any(char::is_control) {
        return Err(ApiError::invalid_request(format!("{field}: 1 to 100 characters")));
    }
    Ok(value.to_owned())
}

pub async fn submit(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let body: FormBody = request::json(&req)?;
    let ctx = app.ctx(&req);
    let who = caller(app, &req, Accepts::Mfa, ctx.now)?;
    let form = checked_form(&body)?;
    let solved = altcha::verify(app.secret.altcha_key(), &body.altcha, ctx.now)
        .map_err(|e| ApiError::invalid_request(format!("altcha: {e}; solve a new challenge")))?;
    // Checked before the ALTCHA is spent, so a wrong token costs nothing.
    let account = app.load_account(who.account_id).await?;
    account.authorize(&who.auth, ctx.now)?;
    let matches = matches(app, &form, &account).await?;
    spend_altcha(app, &solved, ctx.now).await?;
    let request_id = Uuid::new_v4();
    let sealed_form = app.seal_form(request_id, &form).await?;
    let calendar = &app.settings.calendar;
    let submitted = app
        .decide_joint(who.account_id, request_id, &ctx.meta, |account, _| {
            let submission =
                Submission { request_id, sealed_form: sealed_form.clone(), matches, privacy_consent: true };
            let decision = factor_reset::decide::submit(&account, &who.auth, submission, ctx.now, calendar);
            async move { Ok(decision) }
        })
        .await?;
    Ok(response::json(
        202,
        &json!({
            "request_id": submitted.request_id,
            "request_number": RequestNumber::of(submitted.request_id).to_string(),
            "status": "pending",
            "due_by": rfc3339(submitted.due_by),
        }),
    ))
}

/// The form's fields, each checked and normalised; the privacy consent first.
fn checked_form(body: &FormBody) -> Result<Form, ApiError> {
    if !body.privacy_consent {
        return Err(ApiError::invalid_request("privacy_consent: the privacy notice must be accepted"));
    }
    Ok(Form {
        first_name: name("first_name", &body.first_name)?,
        last_name: name("last_name", &body.last_name)?,
        phone: Phone::parse_any(&body.phone)
            .map_err(|e| ApiError::invalid_request(format!("phone: {e}")))?
            .e164()
            .to_owned(),
        email: email::normalize(&body.email).ok_or_else(|| ApiError::invalid_request("email: not an email address"))?,
    })
}

/// Whether the form agrees with the account, for staff to judge; the
/// account's SMS number is opened only for this comparison.
async fn matches(app: &App, form: &Form, account: &Account) -> Result<MatchFlags, ApiError> {
    let account_phone = match &account.sms {
        Some(factor) => app.personal.open_phone(account.id, &factor.sealed_phone).await?,
        None => None,
    };
    // Opened for the comparison only; an account without its key (deleted
    // meanwhile) matches nothing.
    let person = app.personal.person(account).await?;
    let on_file = OnFile {
        name: person.as_ref().map_or("", |p| p.name.as_str()),
        email: person.as_ref().map_or("", |p| p.email.as_str()),
        phone: account_phone.as_deref(),
    };
    Ok(factor_reset::match_flags(&form.first_name, &form.last_name, Some(&form.phone), Some(&form.email), &on_file))
}

/// Single use: of two posts of one solution, one gets here first.
async fn spend_altcha(app: &App, solved: &altcha::Solved, now: OffsetDateTime) -> Result<(), ApiError> {
    if !app.state.mark_once(&format!("altcha#{}", solved.replay_key), now).await? {
        return Err(ApiError::invalid_request("altcha: this solution was used already; solve a new challenge"));
    }
    Ok(())
}
