//! The `sms_send` Lambda function (routes: see `http::routes::ROUTES`).

#[tokio::main]
async fn main() -> Result<(), functions::lambda::Error> {
    functions::lambda::run_http::<functions::http::routes::of::SmsSend>().await
}
