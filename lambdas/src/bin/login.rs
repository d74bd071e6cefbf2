//! The `login` Lambda function.
//!
//! The password step of a sign-in: `POST /api/login`.

use functions::handlers::login;

#[tokio::main]
async fn main() -> Result<(), functions::lambda::Error> {
    functions::lambda::run_http(&[login::ROUTES]).await
}
