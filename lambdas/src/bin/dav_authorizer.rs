//! The `dav_authorizer` Lambda function: an API Gateway authorizer for a
//! CalDAV/CardDAV backend, allowing requests that carry an app password.

#[tokio::main]
async fn main() -> Result<(), functions::lambda::Error> {
    functions::lambda::run_dav_authorizer().await
}
