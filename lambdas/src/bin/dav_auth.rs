//! The `dav_auth` Lambda function.
//!
//! `GET /api/dav/auth` for DAV servers that ask an endpoint (e.g. nginx
//! `auth_request`).

use functions::handlers::dav_auth;

#[tokio::main]
async fn main() -> Result<(), functions::lambda::Error> {
    functions::lambda::run_http(&[dav_auth::ROUTES]).await
}
