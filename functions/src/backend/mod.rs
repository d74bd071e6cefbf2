//! Building the application for a backend.

pub mod aws;
pub mod embedded;
#[cfg(test)]
pub(crate) mod fake_aws;
