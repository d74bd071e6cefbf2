//! Who is calling: the bearer token's kind and account. Whether the session
//! or pending login is still live is checked against the account's events
//! by the decision itself (`Account::authorize`).

use events::account::{Auth, SessionGrant};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::app::App;
use crate::http::{ApiError, Request, request};
use crate::tokens::{self, TokenClaims, TokenKind};

/// Which tokens an endpoint takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepts {
    Session,
    Mfa,
    MfaOrSession,
}

#[derive(Debug, Clone, Copy)]
pub struct Caller {
    pub account_id: Uuid,
    pub auth: Auth,
}

pub fn caller(app: &App, req: &Request, accepts: Accepts, now: OffsetDateTime) -> Result<Caller, ApiError> {
    let token = request::bearer(req).ok_or_else(ApiError::unauthorized)?;
    let claims = tokens::check(&app.secret, token, now).ok_or_else(ApiError::unauthorized)?;
    let auth = match (claims.kind, accepts) {
        (TokenKind::Session, Accepts::Session | Accepts::MfaOrSession) => Auth::Session { session_id: claims.id },
        (TokenKind::Mfa, Accepts::Mfa | Accepts::MfaOrSession) => Auth::Mfa { login_id: claims.id },
        _ => return Err(ApiError::unauthorized()),
    };
    crate::http::access::note_account(claims.account_id);
    Ok(Caller { account_id: claims.account_id, auth })
}

fn seconds_until(expires_at: OffsetDateTime, now: OffsetDateTime) -> i64 {
    (expires_at - now).whole_seconds().max(0)
}

/// `{"session_token", "expires_in"}` for a granted session.
pub fn session_body(app: &App, account_id: Uuid, grant: &SessionGrant, now: OffsetDateTime) -> Value {
    let token = tokens::issue(
        &app.secret,
        &TokenClaims {
            kind: TokenKind::Session,
            account_id,
            id: grant.session_id,
            expires_at: grant.expires_at.unix_timestamp(),
        },
    );
    json!({ "session_token": token, "expires_in": seconds_until(grant.expires_at, now) })
}

/// An mfa token for a pending login.
pub fn mfa_token(app: &App, account_id: Uuid, login_id: Uuid, expires_at: OffsetDateTime) -> String {
    tokens::issue(
        &app.secret,
        &TokenClaims { kind: TokenKind::Mfa, account_id, id: login_id, expires_at: expires_at.unix_timestamp() },
    )
}

pub fn expires_in(expires_at: OffsetDateTime, now: OffsetDateTime) -> i64 {
    seconds_until(expires_at, now)
}
