//! Adapters of the ports.

pub mod local_keys;
pub mod sqlite;
