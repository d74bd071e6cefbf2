//! The `support` Lambda function.
//!
//! The support console's API: the queue of reset requests and the decisions,
//! and finding, disabling and enabling an account.

use functions::handlers::{support, support_accounts};

#[tokio::main]
async fn main() -> Result<(), functions::lambda::Error> {
    functions::lambda::run_http(&[support::ROUTES, support_accounts::ROUTES]).await
}
