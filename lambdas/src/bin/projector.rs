//! The `projector` Lambda function, fed by the events table's DynamoDB Stream.

#[tokio::main]
async fn main() -> Result<(), functions::lambda::Error> {
    functions::lambda::run_projector().await
}
