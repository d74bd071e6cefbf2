//! The `account` Lambda function.
//!
//! The signed-in account: `GET /api/account`, `POST /api/logout`,
//! `POST /api/sessions/end-others`, its recent activity
//! (`GET /api/account/activity`), the data export (`POST /api/account/export`),
//! its app passwords (`/api/app-passwords`) and the language of its mails
//! (`PUT /api/account/language`).

use functions::handlers::{activity, app_passwords, export, language, passkeys, session};

#[tokio::main]
async fn main() -> Result<(), functions::lambda::Error> {
    functions::lambda::run_http(&[
        session::ROUTES,
        activity::ROUTES,
        export::ROUTES,
        app_passwords::ROUTES,
        language::ROUTES,
        passkeys::ROUTES,
    ])
    .await
}
