//! Follows the events table's DynamoDB Stream and calls the same projector
//! the projector Lambda runs. What `portal` does with `PORTAL_BACKEND=aws`,
//! so projections behave locally as they do on AWS.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodbstreams::Client;
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use tokio::sync::watch;

use super::Projector;
use crate::adapters::dynamodb::{Dynamo, stream_record};

#[derive(Debug, thiserror::Error)]
#[error("stream: {0}")]
pub struct StreamError(String);

fn err(e: impl std::fmt::Display) -> StreamError {
    StreamError(e.to_string())
}

/// Shard ids of the stream and, for those being read, the next iterator.
struct Shards {
    arn: String,
    iterators: HashMap<String, Option<String>>,
}

impl Shards {
    /// Starts reading every shard not yet known from its oldest record;
    /// projections are idempotent, so records seen before change nothing.
    async fn discover(&mut self, client: &Client) -> Result<(), StreamError> {
        let mut start: Option<String> = None;
        loop {
            let out = client
                .describe_stream()
                .stream_arn(&self.arn)
                .set_exclusive_start_shard_id(start.clone())
                .send()
                .await
                .map_err(|e| err(aws_sdk_dynamodbstreams::error::DisplayErrorContext(e)))?;
            let description = out.stream_description().ok_or_else(|| err("no stream description"))?;
            for shard in description.shards() {
                let Some(id) = shard.shard_id() else { continue };
                if self.iterators.contains_key(id) {
                    continue;
                }
                let iterator = client
                    .get_shard_iterator()
                    .stream_arn(&self.arn)
                    .shard_id(id)
                    .shard_iterator_type(ShardIteratorType::TrimHorizon)
                    .send()
                    .await
                    .map_err(|e| err(aws_sdk_dynamodbstreams::error::DisplayErrorContext(e)))?;
                self.iterators.insert(id.to_owned(), iterator.shard_iterator().map(str::to_owned));
            }
            match description.last_evaluated_shard_id() {
                Some(last) => start = Some(last.to_owned()),
                None => return Ok(()),
            }
        }
    }
}

/// Reads every open shard once; returns how many records were projected.
async fn poll(client: &Client, shards: &mut Shards, projector: &Projector) -> Result<usize, StreamError> {
    let mut done = 0;
    for (shard, slot) in shards.iterators.iter_mut() {
        let Some(iterator) = slot.clone() else { continue };
        let out = client
            .get_records()
            .shard_iterator(iterator)
            .limit(100)
            .send()
            .await
            .map_err(|e| err(aws_sdk_dynamodbstreams::error::DisplayErrorContext(e)))?;
        for record in out.records() {
            // A REMOVE (the TTL deleting an expired event) has no new image.
            let Some(image) = record.dynamodb().and_then(|d| d.new_image()) else { continue };
            // A snapshot or a stream's head: nothing to project.
            let Some(event) = stream_record(image.clone()).map_err(err)? else { continue };
            // On failure the iterator stays where it was: the batch is read
            // again next time, and projections that already ran skip it.
            projector.project(&event).await.map_err(|e| err(format!("{shard}: {e}")))?;
            done += 1;
        }
        *slot = out.next_shard_iterator().map(str::to_owned);
    }
    Ok(done)
}

/// Runs until `shutdown` turns true.
pub async fn follow(dynamo: Dynamo, client: Client, projector: Projector, mut shutdown: watch::Receiver<bool>) {
    let mut shards: Option<Shards> = None;
    let mut since_discovery = Duration::MAX;
    loop {
        let result: Result<usize, StreamError> = async {
            if shards.is_none() {
                let table = dynamo
                    .client()
                    .describe_table()
                    .table_name(dynamo.events_table())
                    .send()
                    .await
                    .map_err(|e| err(aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
                let arn = table
                    .table()
                    .and_then(|t| t.latest_stream_arn())
                    .ok_or_else(|| err("the events table has no stream"))?;
                shards = Some(Shards { arn: arn.to_owned(), iterators: HashMap::new() });
            }
            let s = shards.as_mut().expect("set above");
            // New shards appear as old ones close (about every four hours).
            if since_discovery >= Duration::from_secs(10) {
                s.discover(&client).await?;
                since_discovery = Duration::ZERO;
            }
            poll(&client, s, &projector).await
        }
        .await;
        let wait = match result {
            Ok(0) => Duration::from_millis(500),
            Ok(_) => Duration::from_millis(50),
            Err(e) => {
                tracing::warn!(error = %e, "stream polling failed; retrying");
                Duration::from_secs(2)
            }
        };
        since_discovery = since_discovery.saturating_add(wait);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
    }
}
