//! The `reset_form` Lambda function.
//!
//! The lost-second-factor form: its ALTCHA challenge and
//! `POST /api/reset-requests`.

use functions::handlers::reset_form;

#[tokio::main]
async fn main() -> Result<(), functions::lambda::Error> {
    functions::lambda::run_http(&[reset_form::ROUTES]).await
}
