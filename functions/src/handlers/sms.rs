//! SMS codes, the `sms_send` function: `POST /api/mfa/sms/setup`,
//! `POST /api/mfa/sms/send`, and the countries numbers may come from.
//! `sms_factor` (the `enroll` function) confirms a number and removes it.
//!
//! Order of a send: the account decides (auth, lockout, spacing, its daily
//! cap); then the number's and the service's quotas are taken in the state store;
//! then the code's hash is appended; only then does SNS publish. Every
//! refusal on the way sends nothing. A code is random, six digits, stored
//! as a keyed hash bound to its id, and never logged.

use std::sync::atomic::{AtomicBool, Ordering};

use events::Aggregate;
use events::OffsetDateTime;
use events::account::sms::{NewNumber, NewSmsCode, SmsCodeSent};
use events::account::{self, Account};
use events::phone::{self, Phone};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::auth::{Accepts, Caller, caller, expires_in};
use super::proof::{self, Presented};
use crate::app::{App, Ctx};
use crate::crypto::random_bytes;
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, request, response};
use crate::metrics::{self, Metric};
use crate::ports::sms::Sms;
use crate::routes;
use crate::sms_text;

pub const ROUTES: Routes = routes![
    POST "/api/mfa/sms/setup" => setup;
    POST "/api/mfa/sms/send" => send_code;
    GET "/api/mfa/sms/countries" => countries;
];

const CODE_PURPOSE: &str = "sms-code";
const NUMBER_PURPOSE: &str = "sms-number";
const CODE_DIGITS: usize = 6;

/// Six digits, uniform: bytes above the largest multiple of 10^6 are
/// drawn again rather than folded (which would favour low codes).
fn random_code() -> Zeroizing<String> {
    const LIMIT: u32 = u32::MAX - u32::MAX % 1_000_000;
    loop {
        let n = u32::from_le_bytes(random_bytes::<4>());
        if n < LIMIT {
            return Zeroizing::new(format!("{:06}", n % 1_000_000));
        }
    }
}

/// The code's keyed hash, bound to its id so equal codes hash apart. Six
/// digits are few: the pepper, the 5-minute life and the lockout are what
/// protect them, not the hash's width.
fn code_hash(app: &App, code_id: Uuid, code: &str) -> String {
    app.secret.keyed_hash(CODE_PURPOSE, &format!("{code_id}:{code}"))
}

/// The hash of a typed code under the pending code's id; `None` when no
/// code is pending or the input is not six digits (spaces are forgiven).
pub fn presented_hash(app: &App, account: &Account, typed: &str, now: OffsetDateTime) -> Option<String> {
    let digits: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != CODE_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    account.pending_sms(now).map(|p| code_hash(app, p.code_id, &digits))
}

fn new_code(app: &App) -> (Zeroizing<String>, NewSmsCode) {
    let code = random_code();
    let code_id = Uuid::new_v4();
    let code_hash = code_hash(app, code_id, &code);
    (code, NewSmsCode { code_id, code_hash })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetupBody {
    phone: String,
    /// The current factor, when a signed-in user who has one changes the
    /// number.
    verification: Option<Presented>,
}

/// `POST /api/mfa/sms/setup` `{"phone", "verification"?}`.
pub async fn setup(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let body: SetupBody = request::json(&req)?;
    let ctx = app.ctx(&req);
    let who = caller(app, &req, Accepts::MfaOrSession, ctx.now)?;
    let phone = Phone::parse(&body.phone, &app.settings.sms_countries)
        .map_err(|e| ApiError::invalid_request(format!("phone: {e}")))?;
    // Sealed under the account's data key, so a deletion shreds it.
    let account = app.load_account(who.account_id).await?;
    if !account.exists() {
        return Err(ApiError::unauthorized());
    }
    let number = NewNumber {
        sealed_phone: app.personal.seal_phone(&account, phone.e164()).await?,
        masked_phone: phone.masked(),
    };
    let (code, new) = new_code(app);
    let verification = body.verification.as_ref();
    let sent = send(app, &ctx, &who, Some(account), Outgoing { to: phone.e164(), code: &code }, |account: Account| {
        let (number, new) = (&number, new.clone());
        async move {
            let prepared = proof::prepare_optional(verification, app, &account, &who.auth, ctx.now).await?;
            let step_up = prepared.as_ref().map(|p| p.proof());
            Ok(account.send_sms_setup_code(&who.auth, number, step_up, new, ctx.now, &app.settings.policy))
        }
    })
    .await?;
    Ok(sent_response(&sent, ctx.now))
}

/// `POST /api/mfa/sms/send`: a code to the account's number, for a login
/// (mfa token) or to confirm a change (session).
pub async fn send_code(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let ctx = app.ctx(&req);
    let who = caller(app, &req, Accepts::MfaOrSession, ctx.now)?;
    // The number is sealed in the account's events: open it first (one
    // load; the decision below reloads only after a lost race).
    let account = app.load_account(who.account_id).await?;
    account.authorize(&who.auth, ctx.now)?;
    let Some(factor) = &account.sms else {
        return Err(ApiError::invalid_request("SMS is not set up for this account"));
    };
    let opened = app.personal.open_phone(who.account_id, &factor.sealed_phone).await?;
    let e164 = Zeroizing::new(opened.ok_or_else(ApiError::unauthorized)?);
    let (code, new) = new_code(app);
    let sent = send(app, &ctx, &who, Some(account), Outgoing { to: &e164, code: &code }, |account: Account| {
        let new = new.clone();
        async move { Ok(account.send_sms_code(&who.auth, new, ctx.now, &app.settings.policy)) }
    })
    .await?;
    Ok(sent_response(&sent, ctx.now))
}

fn sent_response(sent: &SmsCodeSent, now: OffsetDateTime) -> Response<Body> {
    response::json(
        202,
        &json!({
            "expires_in": expires_in(sent.expires_at, now),
            "resend_after": sent.resend_after.whole_seconds(),
            "masked_phone": sent.masked_phone,
        }),
    )
}

/// An SMS code on its way out: the number and the code, in plaintext only
/// here and in the message to SNS.
struct Outgoing<'a> {
    to: &'a str,
    code: &'a str,
}

/// Decides (with `decide`), takes the quotas once the account allows a
/// send, appends, and only then publishes the SMS.
async fn send<F, Fut>(
    app: &App,
    ctx: &Ctx,
    who: &Caller,
    loaded: Option<Account>,
    Outgoing { to, code }: Outgoing<'_>,
    mut decide: F,
) -> Result<SmsCodeSent, ApiError>
where
    F: FnMut(Account) -> Fut,
    Fut: Future<Output = Result<account::Decision<SmsCodeSent>, ApiError>>,
{
    let quotas_taken = AtomicBool::new(false);
    let quotas_taken = &quotas_taken;
    let quota_refused = AtomicBool::new(false);
    let quota_refused = &quota_refused;
    let mut locale = events::account::Locale::default();
    let locale_seen = &mut locale;
    let sent = app
        .decide_from(loaded, who.account_id, &ctx.meta, |account: Account| {
            *locale_seen = account.locale;
            let decided = decide(account);
            async move {
                let decision = decided.await?;
                // After a lost race the decision runs again; the quotas were
                // already taken for this request and are not taken twice.
                if decision.outcome.is_ok() && !quotas_taken.swap(true, Ordering::SeqCst) {
                    take_quotas(app, to, ctx.now).await.inspect_err(|_| quota_refused.store(true, Ordering::SeqCst))?;
                }
                Ok(decision)
            }
        })
        .await
        .inspect_err(|e| {
            // The quotas count their own refusals, by which limit.
            if e.status < 500 && !quota_refused.load(Ordering::SeqCst) {
                metrics::emit(&[Metric::sms_refused(e.code)]);
            }
        })?;
    let body = sms_text::code_message(locale, &app.settings.issuer, code, &app.settings.public_url);
    if let Err(e) = app.sms.send(&Sms { to: to.to_owned(), body }).await {
        // The code is recorded but did not go out; the user may ask again
        // after the resend interval.
        tracing::error!(account_id = %who.account_id, error = %e, "SMS could not be sent");
        metrics::emit(&[Metric::sms_refused("provider_error")]);
        return Err(ApiError::unavailable());
    }
    metrics::emit(&[Metric::sms_sent()]);
    Ok(sent)
}

/// The number's limits (5 an hour, 10 a day, across accounts) and the
/// service's hourly ceiling. The number is keyed by its keyed hash, so the
/// state store holds no phone numbers.
async fn take_quotas(app: &App, e164: &str, now: OffsetDateTime) -> Result<(), ApiError> {
    let policy = &app.settings.policy.sms;
    let number_key = format!("sms-number#{}", app.secret.keyed_hash(NUMBER_PURPOSE, e164));
    for (key, windows) in [(number_key.as_str(), &policy.per_number[..]), ("sms-global", &policy.global()[..])] {
        if let Err(retry_after) = app.state.take_slot(key, windows, now).await? {
            let reason = if key == "sms-global" { "hourly_ceiling" } else { "number_limit" };
            if key == "sms-global" {
                tracing::warn!(limit = policy.hourly_ceiling, "hourly SMS ceiling reached; SMS refused");
            }
            metrics::emit(&[Metric::sms_refused(reason)]);
            return Err(events::Refusal::TooManyAttempts { retry_after }.into());
        }
    }
    Ok(())
}

/// `GET /api/mfa/sms/countries`: what the page offers in its list.
pub async fn countries(app: &App, _: Request) -> Result<Response<Body>, ApiError> {
    let countries: Vec<_> = app
        .settings
        .sms_countries
        .iter()
        .filter_map(|c| phone::dial_code(c).map(|dial| json!({ "code": c, "dial_code": format!("+{dial}") })))
        .collect();
    Ok(response::json(200, &json!({ "countries": countries })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: Vec<_> = (0..200).map(|_| random_code()).collect();
        assert!(codes.iter().all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())));
        let distinct: std::collections::HashSet<_> = codes.iter().map(|c| c.as_str()).collect();
        assert!(distinct.len() > 190, "{} distinct of 200", distinct.len());
    }
}
