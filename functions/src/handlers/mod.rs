//! One module per group of endpoints, each with its `ROUTES`; each handler
//! reads its request, lets the account decide, and shapes the answer.

use crate::http::routes::Routes;

pub mod activity;
pub mod app_passwords;
pub mod auth;
pub mod brand;
pub mod dav_auth;
pub mod deletion;
pub mod dev;
pub mod email_change;
pub mod export;
pub mod language;
pub mod login;
pub mod oidc_authorize;
pub mod oidc_discovery;
pub mod oidc_session;
pub mod oidc_token;
pub mod passkey_sign_in;
pub mod passkeys;
pub mod password_change;
pub mod password_reset;
pub mod proof;
pub mod recovery_codes;
pub mod register;
pub mod reset_form;
pub mod session;
pub mod sms;
pub mod sms_factor;
pub mod support;
pub mod support_accounts;
pub mod totp;
pub mod verify;

/// Every route of the contract: what the portal mounts. A Lambda binary
/// names its own lists instead (`lambdas/src/bin/`), so it links only those handlers.
pub const ALL: &[Routes] = &[
    register::ROUTES,
    login::ROUTES,
    session::ROUTES,
    activity::ROUTES,
    export::ROUTES,
    totp::ROUTES,
    verify::ROUTES,
    recovery_codes::ROUTES,
    sms::ROUTES,
    sms_factor::ROUTES,
    app_passwords::ROUTES,
    dav_auth::ROUTES,
    deletion::ROUTES,
    reset_form::ROUTES,
    support::ROUTES,
    support_accounts::ROUTES,
    password_reset::ROUTES,
    oidc_discovery::ROUTES,
    oidc_authorize::ROUTES,
    oidc_token::ROUTES,
    oidc_session::ROUTES,
    dev::ROUTES,
    brand::ROUTES,
    language::ROUTES,
    password_change::ROUTES,
    email_change::ROUTES,
    passkeys::ROUTES,
    passkey_sign_in::ROUTES,
];
