//! LocalStack plumbing for the tests: tables of a test's own, and reading
//! back what was stored and what SES captured.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, StreamSpecification,
    StreamViewType,
};
use functions::adapters::dynamodb::stream_record;
use functions::backend::aws::{Aws, AwsResources};
use functions::ports::store::StoredEvent;
use serde_json::{Value, json};

/// A DynamoDB client for the test plumbing (tables, reading back). Creating
/// a table on a busy LocalStack can take longer than the product's timeouts
/// give one call (backend/aws.rs), so this client has none.
pub async fn client() -> aws_sdk_dynamodb::Client {
    use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
    let sdk = functions::backend::aws::sdk_config().await;
    aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk).timeout_config(TimeoutConfig::disabled()).build(),
    )
}

fn key(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder().attribute_name(name).key_type(kind).build().unwrap()
}

fn attr(name: &str, kind: ScalarAttributeType) -> AttributeDefinition {
    AttributeDefinition::builder().attribute_name(name).attribute_type(kind).build().unwrap()
}

/// Waits until the events table's stream takes records. LocalStack backs a
/// new table's stream with a kinesis stream that becomes active only after
/// a moment; records written before that are dropped (its log says
/// "Stream ... is not currently ACTIVE"), which AWS never does. A shard
/// iterator is refused until then, so that is what is asked for. The
/// deadline is generous: on a loaded 2-core machine LocalStack once needed
/// more than a minute, and a slow start is not what any test is about.
pub async fn wait_for_stream(resources: &AwsResources, streams: &aws_sdk_dynamodbstreams::Client) {
    let ddb = client().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    loop {
        let table = ddb.describe_table().table_name(&resources.events_table).send().await.expect("the events table");
        let arn = table.table().and_then(|t| t.latest_stream_arn()).expect("the events table has a stream").to_owned();
        let ready = match streams.describe_stream().stream_arn(&arn).send().await {
            Ok(out) => match out.stream_description().and_then(|d| d.shards().first()).and_then(|s| s.shard_id()) {
                Some(shard) => streams
                    .get_shard_iterator()
                    .stream_arn(&arn)
                    .shard_id(shard)
                    .shard_iterator_type(aws_sdk_dynamodbstreams::types::ShardIteratorType::TrimHorizon)
                    .send()
                    .await
                    .is_ok(),
                None => false,
            },
            Err(_) => false,
        };
        if ready {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "the events table's stream did not become active in 180 s");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// A table was created, also when a busy LocalStack answered so late that
/// the SDK retried a call that had succeeded, and the retry found the table
/// (named for this test alone) already there.
fn created<T, R: std::fmt::Debug>(
    result: Result<
        T,
        aws_sdk_dynamodb::error::SdkError<aws_sdk_dynamodb::operation::create_table::CreateTableError, R>,
    >,
    what: &str,
) {
    use aws_sdk_dynamodb::operation::create_table::CreateTableError;
    match result {
        Ok(_) => {}
        Err(e) if matches!(e.as_service_error(), Some(CreateTableError::ResourceInUseException(_))) => {}
        Err(e) => panic!("{what}: {e:?}"),
    }
}

/// The two tables as `localstack/init.py` and the SAM template define them.
pub async fn create(resources: &AwsResources) {
    let ddb = client().await;
    let events = ddb
        .create_table()
        .table_name(&resources.events_table)
        .key_schema(key("stream", KeyType::Hash))
        .key_schema(key("version", KeyType::Range))
        .attribute_definitions(attr("stream", ScalarAttributeType::S))
        .attribute_definitions(attr("version", ScalarAttributeType::N))
        .billing_mode(BillingMode::PayPerRequest)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewImage)
                .build()
                .unwrap(),
        )
        .send()
        .await;
    created(events, "LocalStack creates the events table (is it running? tests/run starts it)");
    let views = ddb
        .create_table()
        .table_name(&resources.state_table)
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .attribute_definitions(attr("sk", ScalarAttributeType::S))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await;
    created(views, "LocalStack creates the views table");
    // Set-up, not the product under test: no 4 s operation timeout, like the
    // tables' client above (a busy LocalStack once took longer and failed a run).
    let sdk = functions::backend::aws::sdk_config().await;
    let ses = aws_sdk_ses::config::Builder::from(&sdk)
        .timeout_config(aws_sdk_ses::config::timeout::TimeoutConfig::disabled())
        .build();
    aws_sdk_ses::Client::from_conf(ses)
        .verify_email_identity()
        .email_address(&resources.mail_from)
        .send()
        .await
        .expect("LocalStack verifies the test's sender");
}

async fn scan(table: &str) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    let ddb = client().await;
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page =
            ddb.scan().table_name(table).consistent_read(true).set_exclusive_start_key(start).send().await.unwrap();
        items.extend(page.items().iter().cloned());
        match page.last_evaluated_key() {
            Some(k) if !k.is_empty() => start = Some(k.clone()),
            _ => return items,
        }
    }
}

pub async fn all_events(aws: &Aws) -> Vec<StoredEvent> {
    let mut events: Vec<StoredEvent> =
        scan(&aws.resources.events_table).await.into_iter().filter_map(|i| stream_record(i).unwrap()).collect();
    events.sort_by(|a, b| (a.meta.at, &a.stream, a.version).cmp(&(b.meta.at, &b.stream, b.version)));
    events
}

/// What DynamoDB's TTL does some time after `now`: deletes every event
/// item whose `expires_at` (unix seconds) has passed, a stream's newest
/// included. LocalStack's own TTL sweep runs on the wall clock, not on a
/// test's clock. Returns how many it deleted.
pub async fn delete_expired(aws: &Aws, now: time::OffsetDateTime) -> usize {
    let ddb = client().await;
    let mut deleted = 0;
    for item in scan(&aws.resources.events_table).await {
        let expires_at = item.get("expires_at").and_then(|v| v.as_n().ok()).and_then(|n| n.parse::<i64>().ok());
        if expires_at.is_some_and(|t| t <= now.unix_timestamp()) {
            let key = ["stream", "version"].map(|k| (k.to_owned(), item[k].clone()));
            ddb.delete_item().table_name(&aws.resources.events_table).set_key(Some(key.into())).send().await.unwrap();
            deleted += 1;
        }
    }
    deleted
}

/// Every item of every table the portal has (events and state), as text:
/// what a scan for plaintext reads.
pub async fn all_tables_text(aws: &Aws) -> String {
    let mut text = String::new();
    for table in [&aws.resources.events_table, &aws.resources.state_table] {
        text.extend(scan(table).await.iter().map(|i| format!("{i:?}\n")));
    }
    text
}

pub async fn views_text(aws: &Aws) -> String {
    scan(&aws.resources.state_table).await.iter().map(|i| format!("{i:?}\n")).collect()
}

fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| "http://127.0.0.1:4566".into())
}

/// Mail SES captured from `from`, in the shape of `/dev/outbox` items.
pub async fn sent_mail(from: &str) -> Vec<Value> {
    let body: Value = reqwest::get(format!("{}/_aws/ses", endpoint())).await.unwrap().json().await.unwrap();
    body["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m["Source"] == from)
        .map(|m| {
            json!({
                "channel": "email",
                "to": m["Destination"]["ToAddresses"][0],
                "subject": m["Subject"],
                "body": m["Body"]["text_part"],
            })
        })
        .collect()
}

/// SMS SNS captured for a number, newest last.
pub async fn sent_sms(to: &str) -> Vec<Value> {
    // LocalStack keeps SMS per region and lists us-east-1 unless told.
    let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "eu-central-1".into());
    let url = format!("{}/_aws/sns/sms-messages?region={region}", endpoint());
    let body: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    let mut found = Vec::new();
    if let Some(by_region) = body["sms_messages"].as_object() {
        for messages in by_region.values() {
            for m in messages.as_array().into_iter().flatten() {
                if m["PhoneNumber"] == to {
                    found.push(json!({"channel": "sms", "to": to, "body": m["Message"]}));
                }
            }
        }
    }
    found
}
