//! The `password` Lambda function.
//!
//! Password forgotten: `POST /api/password/forgot` and `/api/password/reset`;
//! a signed-in owner's new password, `POST /api/account/password` (argon2
//! both: this function has the memory for it); the email change
//! (`POST /api/account/email` and `/confirm`), which mails its link as the
//! reset does.

use functions::handlers::{email_change, password_change, password_reset};

#[tokio::main]
async fn main() -> Result<(), functions::lambda::Error> {
    functions::lambda::run_http(&[password_reset::ROUTES, password_change::ROUTES, email_change::ROUTES]).await
}
