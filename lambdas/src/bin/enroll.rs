//! The `enroll` Lambda function.
//!
//! Changes of second factor: the authenticator app's setup and confirmation,
//! new recovery codes, and confirming or removing an SMS number.

use functions::handlers::{recovery_codes, sms_factor, totp};

#[tokio::main]
async fn main() -> Result<(), functions::lambda::Error> {
    functions::lambda::run_http(&[totp::ROUTES, recovery_codes::ROUTES, sms_factor::ROUTES]).await
}
