//! The event-store conformance suite on the DynamoDB adapter, against
//! LocalStack (tests/run starts it; run by hand with `localstack/up`,
//! `source localstack/env`, then
//! `cargo test --release -p acceptance --test all -- --include-ignored store_dynamodb::`).

use acceptance::aws_tables;
use functions::adapters::dynamodb::Dynamo;
use functions::backend::aws::AwsResources;

async fn dynamo() -> Dynamo {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let mut resources = AwsResources::from_env();
    resources.events_table = format!("test-events-{tag}");
    resources.state_table = format!("test-state-{tag}");
    aws_tables::create(&resources).await;
    Dynamo::new(aws_tables::client().await, resources.events_table, resources.state_table)
}

acceptance::store_conformance!(ignore = "needs LocalStack; tests/run runs it"; dynamo().await);
