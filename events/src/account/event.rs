//! Everything that can happen to an account. Times come from the event's
//! metadata (`Recorded::at`), so payloads only carry what the decision knew.
//! Secrets never appear here in plaintext: TOTP secrets are sealed
//! (encrypted) by the key ring, recovery codes are keyed hashes.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use serde_json::Value;

use crate::codec::{CodecError, EventCodec};
use crate::retention::Retention;
use crate::sealed::{Sealed, upcast_field};

pub use super::passkey::{Attachment, PasskeySignIn};

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
    /// A passkey (WebAuthn): after the password, or alone with user
    /// verification (`passkey`).
    Passkey,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Totp => "totp",
            Method::Sms => "sms",
            Method::RecoveryCode => "recovery_code",
            Method::Passkey => "passkey",
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
    /// The owner chose "Sign out everywhere else"; the caller's own session
    /// goes on under a fresh id.
    SignedOutEverywhereElse,
}

/// Why every app password ended at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppPasswordsRevokedReason {
    /// The account password was changed or reset: whoever knew the old one
    /// may have made app passwords.
    PasswordChanged,
    /// Support reset the second factor: the account starts afresh.
    SecondFactorReset,
}

/// What an SMS code was sent for, and so the only thing it can be used for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SmsPurpose {
    /// Setting up SMS, or moving it to a new number: the number, sealed
    /// (encrypted) by the key ring like a TOTP secret.
    Setup { sealed_phone: String },
    /// The second step of this login (the mfa token's id).
    Login { login_id: Uuid },
    /// A signed-in user confirming a change with the current factor.
    StepUp { session_id: Uuid },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum AccountEvent {
    /// Schema 2: email and name sealed under the account's data key
    /// (`crate::sealed`); schema 1 held them in plaintext.
    Registered {
        account_id: Uuid,
        /// Normalised.
        email: Sealed,
        name: Sealed,
        /// argon2id PHC string.
        password_hash: String,
        roles: Vec<Role>,
        locale: Locale,
        /// Whether the first login may pass without a second factor
        /// (customers yes, support staff no).
        first_login_without_second_factor: bool,
    },
    /// An account brought over from the portal's previous system by
    /// `portal import` (`crate::import`). A type of its own rather than
    /// `Registered` with options: support and any later reader see that the
    /// account was not registered here, `created_at` is the account's real
    /// age from the old system (the event's own time is the import's), the
    /// user name waits here for issue 17 to claim it, and the hash is of
    /// the old system's format, verified once and rehashed to argon2id at
    /// the first sign-in (`PasswordRehashed`). Sends no mail: the people
    /// did nothing, and the operator tells them in their own words.
    ///
    /// Schema 2: email, name and user name sealed under the account's data
    /// key; schema 1 held them in plaintext.
    Imported {
        account_id: Uuid,
        email: Sealed,
        name: Sealed,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        username: Option<Sealed>,
        /// bcrypt, PBKDF2-SHA256 (Django, Werkzeug), Werkzeug's scrypt or
        /// an argon2 PHC string (`import::LegacyHash`).
        password_hash: String,
        locale: Locale,
        /// When the old system made the account, if the file says.
        #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
        created_at: Option<OffsetDateTime>,
        /// Whether the first sign-in may pass without a second factor
        /// (`portal import --grace-login`); by default it is owed at once.
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
        /// The second factor this session was made with; `None` for the
        /// first login without one, and in sessions stored before it was
        /// recorded (they count as made with the password alone, so no app
        /// is told `mfa` that was not proven here). What an ID token's
        /// `amr` says.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        second_factor: Option<Method>,
        /// When a passkey made it: its kind, whether it verified the user,
        /// and whether it was alone (no password). `None` otherwise, and in
        /// sessions stored before it was recorded (their `amr` claims no
        /// key, as it did then).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        passkey: Option<PasskeySignIn>,
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
    /// The setup's first code was confirmed: the app is a second factor.
    /// Schema 2 carries the sealed secret, so the setup event (which also
    /// holds it) may expire like other sign-in activity and the secret of a
    /// setup nobody confirmed is not kept for ever. `None` only in events
    /// of schema 1 (upcast), whose secret is in their `TotpSetupStarted`,
    /// which is kept.
    TotpActivated {
        setup_id: Uuid,
        step: u64,
        sealed_secret: Option<String>,
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
    /// A six-digit code went out by SMS. A newer code voids this one.
    SmsCodeIssued {
        code_id: Uuid,
        /// Keyed hash (HMAC-SHA256) of the code bound to `code_id`, hex.
        code_hash: String,
        #[serde(with = "time::serde::rfc3339")]
        expires_at: OffsetDateTime,
        /// `+49 151 ••••5678`; the full number is only ever sealed.
        masked_phone: String,
        purpose: SmsPurpose,
    },
    /// The setup code was confirmed: SMS is a second factor now, to the
    /// number the code `code_id` was sent to.
    SmsActivated {
        code_id: Uuid,
        masked_phone: String,
        /// The number it replaces, so its owner can be told.
        replaced_masked_phone: Option<String>,
    },
    /// A login or step-up code was accepted; it cannot be used again.
    SmsCodeAccepted {
        code_id: Uuid,
    },
    SmsRemoved {
        masked_phone: String,
    },
    /// An app password for a CalDAV/CardDAV client; the password itself
    /// was shown once and is kept only as a keyed hash. Schema 2: the name
    /// the person typed is sealed under the account's data key.
    AppPasswordCreated {
        app_password_id: Uuid,
        name: Sealed,
        /// Keyed hash (HMAC-SHA256) of the normalised password, hex.
        hash: String,
    },
    AppPasswordRevoked {
        app_password_id: Uuid,
    },
    /// Every app password ended.
    AppPasswordsRevoked {
        reason: AppPasswordsRevokedReason,
    },
    /// The owner, stuck at the second step, submitted the reset form; the
    /// request lives in its own stream (`reset#<request_id>`). While it is
    /// open no second one can be submitted.
    ResetRequested {
        request_id: Uuid,
    },
    /// Support approved the reset request: every second factor (TOTP, SMS,
    /// pending setups and codes) and the recovery codes are gone, every
    /// session and pending login ended, the request closed. The next login
    /// owes a setup.
    SecondFactorsReset {
        request_id: Uuid,
    },
    /// Support rejected the reset request; nothing else changes.
    ResetRequestClosed {
        request_id: Uuid,
    },
    /// A password-reset link went out. A newer one voids this one.
    PasswordResetRequested {
        token_id: Uuid,
        /// Keyed hash (HMAC-SHA256) of the token, hex; the token itself is
        /// only in the email.
        token_hash: String,
        #[serde(with = "time::serde::rfc3339")]
        expires_at: OffsetDateTime,
    },
    /// The password was set anew through the link of `token_id`, which is
    /// now used. Comes with `SessionsEnded { reason: PasswordChanged }`.
    PasswordReset {
        token_id: Uuid,
        /// argon2id PHC string.
        password_hash: String,
    },
    /// Staff disabled the account (fraud, a dispute): it cannot sign in,
    /// and every session, pending login and reset link ended with this.
    /// `reason` is the staff member's note.
    Disabled {
        staff_id: Uuid,
        reason: String,
    },
    /// Staff enabled the account again; its sessions do not come back.
    Enabled {
        staff_id: Uuid,
    },
    /// The person left the second step or the forced setup ("Cancel"): the
    /// pending login `login_id` ends, so its mfa token is refused from now
    /// on, as if it had expired. Sessions are untouched.
    LoginCancelled {
        login_id: Uuid,
    },
    /// The owner chose a user name (at registration or in Settings) to sign
    /// in with besides the email; it replaces any earlier one. Its claim
    /// (`App::username_claim`, of `username::normalize`) is taken in the same
    /// append, and the earlier name's released.
    ///
    /// Schema 2: the name sealed under the account's data key.
    UsernameChosen {
        username: Sealed,
    },
    /// The owner switched the page's language while signed in: later mails
    /// and SMS are in this one (`Registered::locale` was only the first).
    LanguageChanged {
        locale: Locale,
    },
    /// The owner set a new password while signed in, with the current one
    /// and a step-up. Comes with `SessionsEnded { reason: PasswordChanged }`
    /// and the caller's fresh `SessionStarted`.
    PasswordChanged {
        /// argon2id PHC string.
        password_hash: String,
    },
    /// A link to confirm `new_email` went to that address. A newer one
    /// voids this one; the address changes only when it is followed.
    EmailChangeRequested {
        token_id: Uuid,
        /// Keyed hash (HMAC-SHA256) of the token, hex; the token itself is
        /// only in the email.
        token_hash: String,
        /// Normalised, sealed as `Registered` seals the address (schema 2;
        /// plaintext in schema 1).
        new_email: Sealed,
        #[serde(with = "time::serde::rfc3339")]
        expires_at: OffsetDateTime,
    },
    /// The link of `token_id` was followed: the account's address is
    /// `email` now. Appended with the new address's claim taken and the
    /// old one's released, in one atomic write.
    /// Schema 2: the address sealed (plaintext in schema 1).
    EmailChanged {
        token_id: Uuid,
        email: Sealed,
    },
    /// The account is deleted for good (`deletion`): by its owner
    /// (`staff_id: None`) or by support. Every session, pending login, app
    /// password, reset link and pending email change ended with it, its
    /// claims (email and user name) were released in the same append, and
    /// no decision accepts it again. No personal data: this is what stays.
    AccountDeleted {
        staff_id: Option<Uuid>,
    },
    /// A staff member asked to delete the account where deletions by
    /// support take two (four eyes): another staff member's approval
    /// deletes it.
    DeletionApproved {
        staff_id: Uuid,
    },
    /// A passkey (WebAuthn credential) was registered, after a step-up, with
    /// what its attestation (`none`) said. The public key is not a secret.
    /// Its time (the event's) is when it was created.
    PasskeyAdded {
        /// base64url, no padding.
        credential_id: String,
        /// As the person typed it, so sealed under the account's data key
        /// (`crate::sealed`) from the first schema on.
        name: Sealed,
        /// The public key and static properties as the relying-party
        /// library encodes them, base64url.
        public_key: String,
        counter: u32,
        backup_eligible: bool,
        backed_up: bool,
        user_verified: bool,
        attachment: Option<Attachment>,
    },
    /// An assertion of this passkey was accepted (second step, passkey
    /// sign-in): its counter moves on and its challenge is spent.
    PasskeyUsed {
        credential_id: String,
        counter: u32,
        backed_up: bool,
    },
    /// Removed by its owner (with a step-up); `name` (sealed, as in its
    /// `PasskeyAdded`) so the mail and the activity can say which.
    PasskeyRemoved {
        credential_id: String,
        name: Sealed,
    },
    /// An assertion whose signature counter did not go forward: refused,
    /// kept on record (a cloned authenticator?) and counted as a failure.
    PasskeyCounterRegressed {
        credential_id: String,
        stored: u32,
        presented: u32,
    },
}

/// The fields of schema 1 events that held personal data in plaintext.
pub const PERSONAL_FIELDS: [&str; 4] = ["email", "name", "username", "new_email"];
/// The event types whose schema 1 held personal data in plaintext and
/// whose schema 2 seals it (the same fields, `PERSONAL_FIELDS`).
pub const SEALED_FROM_SCHEMA_2: [&str; 6] =
    ["registered", "imported", "app_password_created", "username_chosen", "email_change_requested", "email_changed"];

impl EventCodec for AccountEvent {
    fn schema_version(event_type: &str) -> u32 {
        match event_type {
            // 2: carries the sealed secret (December 2026).
            "totp_activated" => 2,
            // 2: personal data sealed under the account's data key
            // (December 2026, crypto-shredding).
            "registered" | "imported" | "app_password_created" => 2,
            "username_chosen" | "email_change_requested" | "email_changed" => 2,
            _ => 1,
        }
    }

    fn upcast(event_type: &str, version: u32, mut payload: Value) -> Result<Value, CodecError> {
        match (event_type, version) {
            (_, v) if v == Self::schema_version(event_type) => Ok(payload),
            // The secret is in the setup event of schema 1 streams, which
            // were written before setups could expire and so are kept.
            ("totp_activated", 1) => {
                let Value::Object(fields) = &mut payload else {
                    return Err(CodecError::Shape(format!("totp_activated of schema 1: {payload}")));
                };
                fields.insert("sealed_secret".into(), Value::Null);
                Ok(payload)
            }
            // Plaintext of before sealing: kept readable, marked legacy.
            (
                "registered"
                | "imported"
                | "app_password_created"
                | "username_chosen"
                | "email_change_requested"
                | "email_changed",
                1,
            ) => {
                if !payload.is_object() {
                    return Err(CodecError::Shape(format!("{event_type} of schema 1: not an object")));
                }
                for field in PERSONAL_FIELDS {
                    upcast_field(&mut payload, field);
                }
                Ok(payload)
            }
            _ => Err(CodecError::UnknownVersion { event_type: event_type.to_owned(), version }),
        }
    }

    fn retention(&self) -> Retention {
        use AccountEvent as E;
        match self {
            // The first login without a second factor is kept: it is what
            // makes every later login owe one.
            E::PasswordPassed { owed: Owed::Nothing, .. } => Retention::Kept,
            E::PasswordFailed {}
            | E::PasswordPassed { .. }
            | E::SessionStarted { .. }
            | E::SessionEnded { .. }
            | E::TotpSetupStarted { .. }
            | E::TotpAccepted { .. }
            | E::SecondFactorFailed { .. }
            | E::SmsCodeAccepted { .. }
            | E::PasswordResetRequested { .. }
            | E::LoginCancelled { .. }
            | E::EmailChangeRequested { .. }
            // The counter it carries only detects clones; a replay is
            // stopped by the single-use challenge, so after it expires the
            // fold's older counter is no false alarm.
            | E::PasskeyUsed { .. } => Retention::SignInActivity,
            // A setup code holds the number its confirmation makes the
            // factor; login and step-up codes are spent in minutes.
            E::SmsCodeIssued { purpose, .. } => match purpose {
                SmsPurpose::Setup { .. } => Retention::Kept,
                SmsPurpose::Login { .. } | SmsPurpose::StepUp { .. } => Retention::SignInActivity,
            },
            E::Registered { .. }
            | E::Imported { .. }
            | E::PasswordRehashed { .. }
            | E::SessionsEnded { .. }
            | E::TotpActivated { .. }
            | E::RecoveryCodesIssued { .. }
            | E::RecoveryCodeUsed { .. }
            | E::SmsActivated { .. }
            | E::SmsRemoved { .. }
            | E::AppPasswordCreated { .. }
            | E::AppPasswordRevoked { .. }
            | E::AppPasswordsRevoked { .. }
            | E::ResetRequested { .. }
            | E::SecondFactorsReset { .. }
            | E::ResetRequestClosed { .. }
            | E::PasswordReset { .. }
            | E::Disabled { .. }
            | E::Enabled { .. }
            | E::UsernameChosen { .. }
            | E::LanguageChanged { .. }
            | E::PasswordChanged { .. }
            | E::EmailChanged { .. }
            | E::AccountDeleted { .. }
            | E::DeletionApproved { .. }
            | E::PasskeyAdded { .. }
            | E::PasskeyRemoved { .. }
            | E::PasskeyCounterRegressed { .. } => Retention::Kept,
        }
    }
}
