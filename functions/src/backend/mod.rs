//! Building the application for a backend.

pub mod aws;
pub mod embedded;
