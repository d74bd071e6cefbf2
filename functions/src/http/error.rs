//! Errors as the contract spells them: status plus
//! `{"error": "<code>", "message": "<text for people>"}`. Messages never
//! carry a secret, a code, a token or an internal detail.

use events::Refusal;

use crate::ports::keys::KeyError;
use crate::ports::store::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    /// For 429 (body field `retry_after`) and 503 (header `Retry-After`).
    pub retry_after: Option<u64>,
    /// More body fields the contract asks for, e.g. the open request's
    /// `request_id` (and the number read out on the phone) beside a 409.
    pub extra: Vec<(&'static str, String)>,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), retry_after: None, extra: Vec::new() }
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(400, "invalid_request", message)
    }

    pub fn unauthorized() -> Self {
        Self::new(401, "unauthorized", "Sign in first, or your sign-in has expired.")
    }

    pub fn not_found() -> Self {
        Self::new(404, "not_found", "There is nothing here.")
    }

    pub fn method_not_allowed() -> Self {
        Self::new(405, "method_not_allowed", "This method is not allowed here.")
    }

    /// The backend could not complete the request; nothing was changed and
    /// the client may try again.
    pub fn unavailable() -> Self {
        ApiError {
            retry_after: Some(1),
            ..Self::new(503, "unavailable", "The service is busy. Please try again in a moment.")
        }
    }

    pub fn internal() -> Self {
        Self::new(500, "internal", "Something went wrong on our side.")
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::InvalidRequest(message) => ApiError::invalid_request(message),
            Refusal::WeakPassword(problem) => ApiError {
                extra: vec![("reason", problem.reason().to_owned())],
                ..ApiError::invalid_request(problem.message())
            },
            Refusal::InvalidCredentials => {
                ApiError::new(401, "invalid_credentials", "The email or password is not correct.")
            }
            Refusal::InvalidCode => ApiError::new(401, "invalid_code", "The code is not correct or has expired."),
            Refusal::CodeUsed => ApiError::new(401, "code_used", "This code was just used: wait for the next one."),
            Refusal::TooManyAttempts { retry_after } => ApiError {
                retry_after: Some(retry_after),
                ..ApiError::new(429, "too_many_attempts", "Too many attempts. Please wait before trying again.")
            },
            Refusal::Unauthorized => ApiError::unauthorized(),
            Refusal::Forbidden => ApiError::new(403, "forbidden", "You are not allowed to do this."),
            Refusal::EmailTaken => {
                ApiError::new(409, "email_taken", "An account with this email address already exists.")
            }
            Refusal::NotFound => ApiError::not_found(),
            Refusal::Conflict(message) => ApiError::new(409, "conflict", message),
            Refusal::ResetRequestOpen { request_id } => {
                let number = events::factor_reset::RequestNumber::of(request_id).to_string();
                ApiError {
                    extra: vec![("request_id", request_id.to_string()), ("request_number", number.clone())],
                    ..ApiError::new(
                        409,
                        "conflict",
                        format!("A reset request for this account is already open: {number}."),
                    )
                }
            }
            Refusal::VerificationRequired => ApiError::new(
                401,
                "verification_required",
                "Confirm this change with a code of your current second factor.",
            ),
            Refusal::InvalidToken => {
                ApiError::new(400, "invalid_token", "This link is not valid any more. Please request a new one.")
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict | StoreError::Unavailable(_) => {
                tracing::warn!(error = %e, "event store unavailable");
                ApiError::unavailable()
            }
            StoreError::ClaimTaken(_) | StoreError::TooLarge(_) | StoreError::Corrupt(_) => {
                tracing::error!(error = %e, "event store refused");
                ApiError::internal()
            }
        }
    }
}

impl From<KeyError> for ApiError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::Unavailable(_) => {
                tracing::warn!(error = %e, "key service unavailable");
                ApiError::unavailable()
            }
            KeyError::Invalid => {
                tracing::error!("a sealed secret does not open");
                ApiError::internal()
            }
        }
    }
}
