//! The `account` Lambda function.
//!
//! The signed-in account: `GET /api/account`, `POST /api/logout`,
//! `POST /api/sessions/end-others`, its recent activity
//! (`GET /api/account/activity`) and its app passwords (`/api/app-passwords`).

use functions::handlers::{activity, app_passwords, session};

#[tokio::main]
async fn main() -> Result<(), functions::lambda::Error> {
    functions::lambda::run_http(&[session::ROUTES, activity::ROUTES, app_passwords::ROUTES]).await
}
