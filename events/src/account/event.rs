//! Everything that can happen to an account. Times come from the event's
//! metadata (`Recorded::at`), so payloads only carry what the decision knew.
//! Secrets never appear here in plaintext: TOTP secrets are sealed
//! (encrypted) by the key ring, recovery codes are keyed hashes.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::codec::EventCodec;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Support,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Locale {
    De,
    #[default]
    En,
}

impl Locale {
    /// From a tag such as `de-DE` or an Accept-Language header's first entry.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let primary = tag.trim().split(['-', '_', ',', ';']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "de" => Some(Locale::De),
            "en" => Some(Locale::En),
            _ => None,
        }
    }
}

/// A kind of second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Totp,
    Sms,
    RecoveryCode,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Totp => "totp",
            Method::Sms => "sms",
            Method::RecoveryCode => "recovery_code",
        }
    }
}

/// What a correct password still leaves to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Owed {
    /// Nothing: the first login after registration.
    Nothing,
    /// A second factor must be set up before a session is given.
    Setup,
    /// A second factor must be presented.
    Verify,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionEndReason {
    SecondFactorChanged,
    PasswordChanged,
    SecondFactorReset,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum AccountEvent {
    Registered {
        account_id: Uuid,
        email: String,
        name: String,
        /// argon2id PHC string.
        password_hash: String,
        roles: Vec<Role>,
        locale: Locale,
        /// Whether the first login may pass without a second factor
        /// (customers yes, support staff no).
        first_login_without_second_factor: bool,
    },
    /// The password verified under an older hashing policy and was hashed
    /// again under today's.
    PasswordRehashed {
        password_hash: String,
    },
    PasswordFailed {},
    /// A correct password. `login_id` is what the mfa token binds to.
    PasswordPassed {
        login_id: Uuid,
        owed: Owed,
        #[serde(with = "time::serde::rfc3339")]
        expires_at: OffsetDateTime,
    },
    SessionStarted {
        session_id: Uuid,
        /// The login this session completes; `None` when a signed-in user
        /// got a fresh session (after changing a factor).
        login_id: Option<Uuid>,
        #[serde(with = "time::serde::rfc3339")]
        expires_at: OffsetDateTime,
    },
    /// One session ended (logout).
    SessionEnded {
        session_id: Uuid,
    },
    /// Every session and every pending login ended.
    SessionsEnded {
        reason: SessionEndReason,
    },
    TotpSetupStarted {
        setup_id: Uuid,
        /// The secret, encrypted by the key ring (AES-256-GCM or KMS).
        sealed_secret: String,
        #[serde(with = "time::serde::rfc3339")]
        expires_at: OffsetDateTime,
    },
    TotpActivated {
        setup_id: Uuid,
        step: u64,
    },
    /// A login's TOTP code was accepted; its step can never be used again.
    TotpAccepted {
        step: u64,
    },
    SecondFactorFailed {
        method: Method,
    },
    RecoveryCodesIssued {
        set_id: Uuid,
        /// Keyed hashes (HMAC-SHA256) of the normalised codes, hex.
        hashes: Vec<String>,
    },
    RecoveryCodeUsed {
        set_id: Uuid,
        index: usize,
    },
}

impl EventCodec for AccountEvent {
    fn schema_version(_event_type: &str) -> u32 {
        1
    }
}
