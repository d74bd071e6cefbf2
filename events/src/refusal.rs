//! Why a decision said no. The HTTP layer maps each to the contract's error
//! codes; nothing here carries a secret.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Malformed or unacceptable input; the text is safe to show.
    InvalidRequest(String),
    /// Unknown email or wrong password (indistinguishable by design).
    InvalidCredentials,
    /// A second-factor code that is wrong, reused or expired.
    InvalidCode,
    /// Locked out; seconds until the next attempt may be made.
    TooManyAttempts {
        retry_after: u64,
    },
    /// No valid token for this action.
    Unauthorized,
    /// Authenticated, but not allowed.
    Forbidden,
    /// The email is already registered.
    EmailTaken,
    NotFound,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::InvalidRequest(m) => write!(f, "invalid request: {m}"),
            Refusal::InvalidCredentials => f.write_str("invalid credentials"),
            Refusal::InvalidCode => f.write_str("invalid code"),
            Refusal::TooManyAttempts { retry_after } => {
                write!(f, "too many attempts, retry after {retry_after} s")
            }
            Refusal::Unauthorized => f.write_str("unauthorized"),
            Refusal::Forbidden => f.write_str("forbidden"),
            Refusal::EmailTaken => f.write_str("email taken"),
            Refusal::NotFound => f.write_str("not found"),
        }
    }
}
