//! Building the application for a backend.

#[cfg(feature = "aws")]
pub mod aws;
pub mod backup;
pub mod data_dir_lock;
pub mod embedded;
#[cfg(all(test, feature = "aws"))]
pub(crate) mod fake_aws;
