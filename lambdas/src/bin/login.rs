//! The `login` Lambda function.
//!
//! The password step of a sign-in: `POST /api/login`; and the operator's
//! brand, `GET /api/brand`, which the sign-in page loads first (so it also
//! warms this function before the password arrives).

use functions::handlers::{brand, login};

#[tokio::main]
async fn main() -> Result<(), functions::lambda::Error> {
    functions::lambda::run_http(&[login::ROUTES, brand::ROUTES]).await
}
