//! Adapters of the ports.

pub mod aws_messaging;
pub mod dynamodb;
pub mod kms_keys;
pub mod local_keys;
pub mod sqlite;
