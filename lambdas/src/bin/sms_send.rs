//! The `sms_send` Lambda function.
//!
//! SMS codes through SNS (`/api/mfa/sms/setup`, `/api/mfa/sms/send`) and
//! the countries numbers may come from.

use functions::handlers::sms;

#[tokio::main]
async fn main() -> Result<(), functions::lambda::Error> {
    functions::lambda::run_http(&[sms::ROUTES]).await
}
