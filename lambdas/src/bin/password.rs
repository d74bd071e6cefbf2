//! The `password` Lambda function.
//!
//! Password forgotten: `POST /api/password/forgot` and `/api/password/reset`.

use functions::handlers::password_reset;

#[tokio::main]
async fn main() -> Result<(), functions::lambda::Error> {
    functions::lambda::run_http(&[password_reset::ROUTES]).await
}
