//! The `verify` Lambda function.
//!
//! The second step of a sign-in: `POST /api/mfa/verify`.

use functions::handlers::{passkey_sign_in, verify};

#[tokio::main]
async fn main() -> Result<(), functions::lambda::Error> {
    functions::lambda::run_http(&[verify::ROUTES, passkey_sign_in::ROUTES]).await
}
