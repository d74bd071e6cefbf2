//! The `register` Lambda function.
//!
//! Registration: `POST /api/register`.

use functions::handlers::register;

#[tokio::main]
async fn main() -> Result<(), functions::lambda::Error> {
    functions::lambda::run_http(&[register::ROUTES]).await
}
