//! Why a decision said no. The HTTP layer maps each to the contract's error
//! codes; nothing here carries a secret.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Malformed or unacceptable input; the text is safe to show.
    InvalidRequest(String),
    /// A new password the policy refuses (400 `invalid_request` with a
    /// `reason` the page shows at the field).
    WeakPassword(crate::password_policy::PasswordProblem),
    /// Unknown email or wrong password (indistinguishable by design).
    InvalidCredentials,
    /// A second-factor code that is wrong or expired (or a recovery or SMS
    /// code used before).
    InvalidCode,
    /// The right authenticator code, but its step was accepted already:
    /// used once, it waits for the next one. Not a failure (see
    /// `Account::accept`).
    CodeUsed,
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
    /// The thing was already decided or done and cannot change any more
    /// (a decided reset request, an approval given twice); 409. The text is
    /// safe to show.
    Conflict(String),
    /// The account already has an open reset request; 409 carrying that
    /// request's id, so the page can show it instead of a second one.
    ResetRequestOpen {
        request_id: uuid::Uuid,
    },
    /// A change of a credential with a session but without the proof of a
    /// current second factor it needs (`verification`); 401.
    VerificationRequired,
    /// A password-reset token that is unknown, wrong, expired, used or
    /// replaced by a newer one (indistinguishable by design); 400.
    InvalidToken,
}

/// Whole seconds until a wait is over, rounded up and at least 1: the one
/// rule for every `retry_after`. Rounding down would tell a client to come
/// back a fraction of a second early, into the same refusal.
pub fn retry_after_secs(wait: time::Duration) -> u64 {
    let secs = wait.whole_seconds() + i64::from(wait.subsec_nanoseconds() > 0);
    secs.max(1) as u64
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::InvalidRequest(m) => write!(f, "invalid request: {m}"),
            Refusal::WeakPassword(p) => write!(f, "invalid request: {}", p.message()),
            Refusal::InvalidCredentials => f.write_str("invalid credentials"),
            Refusal::InvalidCode => f.write_str("invalid code"),
            Refusal::CodeUsed => f.write_str("code already used"),
            Refusal::TooManyAttempts { retry_after } => {
                write!(f, "too many attempts, retry after {retry_after} s")
            }
            Refusal::Unauthorized => f.write_str("unauthorized"),
            Refusal::Forbidden => f.write_str("forbidden"),
            Refusal::EmailTaken => f.write_str("email taken"),
            Refusal::NotFound => f.write_str("not found"),
            Refusal::Conflict(m) => write!(f, "conflict: {m}"),
            Refusal::ResetRequestOpen { request_id } => write!(f, "reset request {request_id} is still open"),
            Refusal::InvalidToken => f.write_str("invalid token"),
            Refusal::VerificationRequired => f.write_str("verification required"),
        }
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::retry_after_secs;

    #[test]
    fn a_wait_is_rounded_up_to_whole_seconds_and_never_zero() {
        assert_eq!(retry_after_secs(Duration::seconds(20)), 20);
        assert_eq!(retry_after_secs(Duration::milliseconds(19_200)), 20);
        assert_eq!(retry_after_secs(Duration::milliseconds(59_500)), 60);
        assert_eq!(retry_after_secs(Duration::milliseconds(200)), 1);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::seconds(-3)), 1);
    }
}
