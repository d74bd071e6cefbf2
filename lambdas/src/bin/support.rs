//! The `support` Lambda function.
//!
//! The support console's API: the queue of reset requests and the decisions.

use functions::handlers::support;

#[tokio::main]
async fn main() -> Result<(), functions::lambda::Error> {
    functions::lambda::run_http(&[support::ROUTES]).await
}
