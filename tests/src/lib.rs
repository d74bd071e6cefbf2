//! Shared pieces of the integration tests: a portal in memory driven
//! through its real router, and the event-store conformance suite that
//! every adapter must pass.

pub mod authenticator;
pub mod aws_tables;
pub mod conformance;
pub mod faulty;
pub mod flow_costs;
pub mod harness;
pub mod iam_audit;
pub mod oidc_rp;
