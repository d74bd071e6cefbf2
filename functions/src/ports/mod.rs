//! The ports: what the handlers and projections need from the outside
//! world, as traits. Adapters (SQLite, DynamoDB, SNS, SES, local outbox,
//! key files, KMS) implement them; tests can swap any of them.

pub mod clock;
pub mod keys;
pub mod mail;
pub mod outbox;
pub mod signing;
pub mod sms;
pub mod state;
pub mod store;
