//! One module per group of endpoints; each handler reads its request,
//! lets the account decide, and shapes the answer.

pub mod app_passwords;
pub mod auth;
pub mod dev;
pub mod login;
pub mod proof;
pub mod recovery_codes;
pub mod register;
pub mod reset_form;
pub mod session;
pub mod sms;
pub mod support;
pub mod totp;
pub mod verify;
