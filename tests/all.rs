//! Every acceptance test, one module per file (see tests/README.md for
//! which need LocalStack). One binary: the files share the harness, and
//! each would otherwise be a compile and link of the whole program.

mod account_changes;
mod activity;
mod app_passwords;
mod aws;
mod bad_input;
mod brand;
mod claims;
mod deletion;
mod disabling;
mod faults;
mod flows;
mod iam_audit;
mod import;
mod infra;
mod kms_signing;
mod oidc;
mod old_accounts;
mod passkeys;
mod password_reset;
mod projector_lambda;
mod reset_requests;
mod retention;
mod round_trips;
mod sealing;
mod sms;
mod store_dynamodb;
mod store_sqlite;
mod usernames;
