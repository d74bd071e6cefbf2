//! The account aggregate: one event stream per account (`account#<uuid>`).
//!
//! `event` holds what happened, `state` what that adds up to, `decide` what
//! a command may change. Credentials each have their own rules module
//! (`recovery`, `sms`, `app_password`, `password_reset`,
//! `password_change`, `email_change`; the mails' `language`), following the one-module-per-credential layout.

pub mod activity;
pub mod app_password;
pub mod decide;
pub mod deletion;
pub mod disablement;
pub mod email_change;
pub mod event;
pub mod export;
pub mod language;
pub mod passkey;
pub mod password_change;
pub mod password_reset;
pub mod recovery;
pub mod sms;
pub mod state;

pub use decide::{
    Activation, Auth, Decision, LoginOutcome, NewRecoveryCodes, PasswordCheck, Registration, SecondFactorProof,
    SessionGrant, TotpSetup, Verified, register,
};
pub use event::{AccountEvent, AppPasswordsRevokedReason, Locale, Method, Owed, Role, SessionEndReason};
pub use state::{Account, AccountPolicy, Session};

use uuid::Uuid;

/// The stream an account's events live in.
pub fn stream_id(account_id: Uuid) -> String {
    format!("account#{account_id}")
}

/// The uniqueness claim that bound an email to one account before claims
/// were keyed (December 2026): the address itself. Only read, to move such
/// claims to their keyed key (`functions::App::email_claim`); never written.
pub fn legacy_email_claim(normalized_email: &str) -> String {
    format!("email#{normalized_email}")
}
