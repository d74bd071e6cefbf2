//! HTTP on `lambda_http` types, so the same handler runs behind API Gateway
//! (one Lambda per function) and behind the local portal's router.

pub mod access;
pub mod cors;
pub mod error;
pub mod path;
pub mod request;
pub mod response;
pub mod routes;

pub use error::ApiError;
pub use lambda_http::{Body, Request, Response};
