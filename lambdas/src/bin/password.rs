//! The `password` Lambda function.
//!
//! Password forgotten: `POST /api/password/forgot` and `/api/password/reset`;
//! a signed-in owner's new password, `POST /api/account/password` (argon2
//! both: this function has the memory for it); the email change
//! (`POST /api/account/email` and `/confirm`), which mails its link as the
//! reset does; the owner's deletion of the account, `POST
//! /api/account/delete` (it verifies the password: argon2, within this
//! function's reserved concurrency).

use functions::handlers::{deletion, email_change, password_change, password_reset};

#[tokio::main]
async fn main() -> Result<(), functions::lambda::Error> {
    functions::lambda::run_http(&[
        password_reset::ROUTES,
        password_change::ROUTES,
        email_change::ROUTES,
        deletion::ROUTES,
    ])
    .await
}
