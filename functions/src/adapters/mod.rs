//! Adapters of the ports.

#[cfg(feature = "aws")]
pub mod aws_messaging;
#[cfg(feature = "aws")]
pub mod dynamodb;
#[cfg(feature = "aws")]
pub mod kms_keys;
pub mod local_keys;
pub mod local_signing;
pub mod sqlite;
