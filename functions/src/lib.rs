//! What runs: the ports and their adapters, the HTTP handlers, the
//! projections, and the wiring for each backend. `src/bin/portal.rs` is the
//! local server; the Lambda functions' small binaries are the `lambdas`
//! package (lambdas/src/bin).

pub mod accounts;
pub mod adapters;
pub mod app;
pub mod backend;
pub mod brand;
pub mod client;
pub mod crypto;
pub mod dav;
pub mod decisions;
pub mod handlers;
pub mod http;
pub mod import;
pub mod jwt;
#[cfg(feature = "aws")]
pub mod lambda;
pub mod legacy_hash;
pub mod link_token;
pub mod mail_text;
pub mod metrics;
pub mod oidc;
pub mod oidc_clients;
pub mod passkeys;
pub mod password;
pub mod personal_data;
pub mod portal;
pub mod ports;
pub mod projector;
pub mod reset_requests;
pub mod settings;
pub mod sla_watch;
pub mod sms_text;
pub mod staff;
pub mod time_fmt;
pub mod tokens;
pub mod usernames;
