//! The `account` Lambda function.
//!
//! The signed-in account: `GET /api/account`, `POST /api/logout`, and its app
//! passwords (`/api/app-passwords`).

use functions::handlers::{app_passwords, session};

#[tokio::main]
async fn main() -> Result<(), functions::lambda::Error> {
    functions::lambda::run_http(&[session::ROUTES, app_passwords::ROUTES]).await
}
