//! The `password` Lambda function.
//!
//! Password forgotten: `POST /api/password/forgot` and `/api/password/reset`;
//! the owner's deletion of the account, `POST /api/account/delete` (it
//! verifies the password: argon2, within this function's reserved
//! concurrency).

use functions::handlers::{deletion, password_reset};

#[tokio::main]
async fn main() -> Result<(), functions::lambda::Error> {
    functions::lambda::run_http(&[password_reset::ROUTES, deletion::ROUTES]).await
}
