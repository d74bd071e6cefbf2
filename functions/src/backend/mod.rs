//! Building the application for a backend.

pub mod embedded;
