//! Authenticating CalDAV/CardDAV clients: HTTP Basic with the email and an
//! app password, never the account password. Shared by `GET /api/dav/auth`
//! (for DAV servers that ask an endpoint, e.g. nginx `auth_request`) and the
//! `dav_authorizer` Lambda (API Gateway in front of a DAV backend).
//!
//! Cheap on purpose, because clients authenticate on every request: no
//! argon2 (the secret is random, a keyed hash suffices), the account's
//! stream read once, and `last_used_at` written at most every five minutes
//! into the state store, never as an event.

use base64::Engine;
use events::Refusal;
use events::account::app_password::{self, LAST_USED_RESOLUTION};
use events::email;
use events::lockout::LockoutPolicy;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::app::App;
use crate::http::ApiError;

pub const HASH_PURPOSE: &str = "app-password";
/// Failed DAV logins earn the same backoff as passwords, counted apart from
/// them so a misconfigured calendar cannot lock its owner out of the web.
pub const LOCKOUT: LockoutPolicy = LockoutPolicy::STANDARD;
const FAILURES_KEPT: Duration = Duration::DAY;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DavUser {
    pub account_id: Uuid,
    pub app_password_id: Uuid,
}

/// The state key of an app password's last use.
pub fn last_used_key(app_password_id: Uuid) -> String {
    format!("app-password#{app_password_id}")
}

/// `(user, password)` from an `Authorization: Basic …` value.
pub fn basic_credentials(authorization: &str) -> Option<(String, String)> {
    let (scheme, encoded) = authorization.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

fn invalid() -> ApiError {
    ApiError::new(401, "invalid_credentials", "The email or app password is not correct.")
}

/// Checks `Authorization: Basic` credentials. Unknown emails, wrong or
/// revoked app passwords and account passwords all answer the same 401 and
/// count toward the same backoff (an unknown email under a keyed counter,
/// so a 429 does not tell that an account exists).
pub async fn authenticate(app: &App, authorization: Option<&str>, now: OffsetDateTime) -> Result<DavUser, ApiError> {
    let (user, password) = authorization.and_then(basic_credentials).ok_or_else(invalid)?;
    let normalized = email::normalize(&user).unwrap_or_else(|| user.trim().to_lowercase());
    let account_id = app.account_for_address(&user).await?;
    let failures_key = match account_id {
        Some(id) => format!("dav-failures#{id}"),
        None => format!("dav-failures#{}", app.secret.keyed_hash("unknown-email-dav", &normalized)),
    };
    let failures = app.state.failures(&failures_key, now).await?;
    if let Some(retry_after) = failures.retry_after(&LOCKOUT, now) {
        return Err(Refusal::TooManyAttempts { retry_after }.into());
    }
    let hash = app_password::normalize(&password).map(|p| app.secret.keyed_hash(HASH_PURPOSE, &p));
    let matched = match (account_id, hash) {
        (Some(account_id), Some(hash)) => {
            let account = app.load_account(account_id).await?;
            account.app_password_matching(&hash).map(|p| DavUser { account_id, app_password_id: p.id })
        }
        _ => None,
    };
    let Some(user) = matched else {
        // Counted conditionally (atomic with the lock check), so racing
        // requests are refused as the lock demands, for known and unknown
        // emails alike.
        if let Err(retry_after) = app.state.record_failure(&failures_key, &LOCKOUT, now, now + FAILURES_KEPT).await? {
            return Err(Refusal::TooManyAttempts { retry_after }.into());
        }
        return Err(invalid());
    };
    if failures.count > 0 {
        app.state.clear_failures(&failures_key).await?;
    }
    if recently_touched(user.app_password_id, now) {
        return Ok(user);
    }
    // Best effort: a missed last-used time must not turn a good login away.
    if let Err(e) = app.state.touch(&last_used_key(user.app_password_id), now, LAST_USED_RESOLUTION).await {
        tracing::warn!(error = %e, "could not record an app password's last use");
    }
    Ok(user)
}

/// Whether this process recorded the app password's use within the
/// resolution already; if not, it notes `now`. Saves the conditional write
/// (a round trip, and a write unit even when DynamoDB refuses it) on all but
/// one request per five minutes and Lambda instance; the state store's condition
/// still keeps instances from writing more often between them.
fn recently_touched(app_password_id: Uuid, now: OffsetDateTime) -> bool {
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex};
    static TOUCHED: LazyLock<Mutex<HashMap<Uuid, OffsetDateTime>>> = LazyLock::new(Default::default);
    let Ok(mut touched) = TOUCHED.lock() else { return false };
    if touched.get(&app_password_id).is_some_and(|at| *at <= now && now - *at < LAST_USED_RESOLUTION) {
        return true;
    }
    if touched.len() >= 10_000 {
        touched.retain(|_, at| *at <= now && now - *at < LAST_USED_RESOLUTION);
    }
    touched.insert(app_password_id, now);
    false
}

/// What API Gateway (HTTP API, payload format 2.0) sends a Lambda
/// authorizer; only the credentials matter here.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizerRequest {
    /// Header names arrive in lower case.
    #[serde(default)]
    pub headers: std::collections::HashMap<String, String>,
    /// The configured identity source (`$request.header.Authorization`).
    #[serde(default)]
    pub identity_source: Option<Vec<String>>,
}

/// The simple response format: allow or deny, and for an allowed request
/// the user id, which API Gateway hands the DAV backend as
/// `$context.authorizer.user_id`.
#[derive(Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizerResponse {
    pub is_authorized: bool,
    pub context: serde_json::Value,
}

/// The `dav_authorizer` Lambda's decision. Every refusal (wrong, revoked,
/// locked out, store unavailable) is a plain deny: API Gateway answers 403
/// and the DAV client asks its user again. Results must not be cached by
/// API Gateway (TTL 0), or a revoked app password would keep working.
pub async fn authorize(app: &App, request: &AuthorizerRequest, now: OffsetDateTime) -> AuthorizerResponse {
    let authorization = request
        .headers
        .get("authorization")
        .map(String::as_str)
        .or_else(|| request.identity_source.as_ref().and_then(|s| s.first()).map(String::as_str));
    match authenticate(app, authorization, now).await {
        Ok(user) => AuthorizerResponse {
            is_authorized: true,
            context: serde_json::json!({ "user_id": user.account_id, "app_password_id": user.app_password_id }),
        },
        Err(e) => {
            if e.status >= 500 {
                tracing::error!(status = e.status, code = e.code, "DAV authorization failed");
            }
            AuthorizerResponse { is_authorized: false, context: serde_json::json!({}) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(text: &str) -> String {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(text))
    }

    #[test]
    fn reads_basic_credentials() {
        assert_eq!(
            basic_credentials(&basic("anna@example.de:abc:def")),
            Some(("anna@example.de".into(), "abc:def".into()))
        );
        assert_eq!(basic_credentials(&basic("a:")), Some(("a".into(), String::new())));
        assert_eq!(basic_credentials(&format!("basic  {}", &basic("a:b")[6..])), Some(("a".into(), "b".into())));
        for bad in ["", "Basic", "Basic !!!", "Bearer abc", &basic("no colon"), "Basic //8="] {
            assert_eq!(basic_credentials(bad), None, "{bad:?}");
        }
    }
}
