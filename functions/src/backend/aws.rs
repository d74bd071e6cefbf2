//! The AWS backend: DynamoDB, SES, SNS, KMS and Secrets Manager through the
//! AWS SDK's own configuration (so `AWS_ENDPOINT_URL=http://localhost:4566`
//! means LocalStack). Every Lambda and `PORTAL_BACKEND=aws` build it once at
//! start.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use base64::Engine;
use zeroize::Zeroizing;

use crate::adapters::aws_messaging::{SesMailer, SnsSms};
use crate::adapters::dynamodb::Dynamo;
use crate::adapters::kms_keys::KmsKeyRing;
use crate::app::{App, Settings};
use crate::crypto::ServerSecret;
use crate::password::Passwords;
use crate::ports::clock::Clock;
use crate::projector::Projector;

/// Names of the AWS resources, from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsResources {
    pub events_table: String,
    pub views_table: String,
    /// KMS key for TOTP secrets: id, ARN or alias.
    pub kms_key: String,
    /// Secrets Manager secret holding the base64 master secret.
    pub signing_secret: String,
    /// The verified SES sender.
    pub mail_from: String,
}

impl AwsResources {
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let or = |name: &str, default: &str| get(name).unwrap_or_else(|| default.to_owned());
        AwsResources {
            events_table: or("PORTAL_EVENTS_TABLE", "portal-events"),
            views_table: or("PORTAL_VIEWS_TABLE", "portal-views"),
            kms_key: get("PORTAL_KMS_KEY_ID")
                .unwrap_or_else(|| format!("alias/{}", or("PORTAL_KMS_ALIAS", "portal-totp"))),
            signing_secret: or("PORTAL_SIGNING_SECRET", "portal/token-signing-key"),
            mail_from: or("PORTAL_MAIL_FROM", "no-reply@portal.example"),
        }
    }
}

/// Calls this process sent to the AWS services (each attempt is one round
/// trip), counted by an SDK interceptor on every client. The benchmarks and
/// the round-trip test read them per request; on Lambda they cost nothing
/// worth measuring (five relaxed atomic increments at most per request).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AwsCalls {
    pub dynamodb_reads: u64,
    pub dynamodb_writes: u64,
    pub kms: u64,
    pub ses: u64,
    pub sns: u64,
}

impl AwsCalls {
    pub fn dynamodb(&self) -> u64 {
        self.dynamodb_reads + self.dynamodb_writes
    }

    /// The calls made since `before`.
    pub fn since(self, before: AwsCalls) -> AwsCalls {
        AwsCalls {
            dynamodb_reads: self.dynamodb_reads - before.dynamodb_reads,
            dynamodb_writes: self.dynamodb_writes - before.dynamodb_writes,
            kms: self.kms - before.kms,
            ses: self.ses - before.ses,
            sns: self.sns - before.sns,
        }
    }
}

static CALLS: [AtomicU64; 5] = [const { AtomicU64::new(0) }; 5];

/// The calls so far (see `AwsCalls`).
pub fn aws_calls() -> AwsCalls {
    let n = |i: usize| CALLS[i].load(Ordering::Relaxed);
    AwsCalls { dynamodb_reads: n(0), dynamodb_writes: n(1), kms: n(2), ses: n(3), sns: n(4) }
}

#[derive(Debug)]
struct CountCalls;

impl CountCalls {
    /// The counter of an operation: DynamoDB's split into reads and writes
    /// (their capacity units are priced apart).
    fn counter(operation: &Metadata) -> Option<usize> {
        match (operation.service(), operation.name()) {
            ("DynamoDB", "PutItem" | "UpdateItem" | "DeleteItem" | "TransactWriteItems" | "BatchWriteItem") => Some(1),
            ("DynamoDB", _) => Some(0),
            ("KMS", _) => Some(2),
            ("SES", _) => Some(3),
            ("SNS", _) => Some(4),
            _ => None,
        }
    }
}

impl Intercept for CountCalls {
    fn name(&self) -> &'static str {
        "CountCalls"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(i) = cfg.load::<Metadata>().and_then(Self::counter) {
            CALLS[i].fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// The SDK configuration every client is built from: the environment's
/// region, credentials and endpoint (`AWS_ENDPOINT_URL` for LocalStack), and
/// one HTTPS client (hyper 1, rustls with ring; see the workspace
/// Cargo.toml for why not the SDK's default client).
pub async fn sdk_config() -> aws_config::SdkConfig {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    let http = aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https();
    aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(http).load().await
}

pub struct Aws {
    pub app: Arc<App>,
    pub projector: Projector,
    pub dynamo: Dynamo,
    pub streams: aws_sdk_dynamodbstreams::Client,
    pub resources: AwsResources,
}

impl Aws {
    pub async fn connect(
        resources: AwsResources,
        settings: Settings,
        clock: Arc<dyn Clock>,
        passwords: Passwords,
    ) -> Result<Self, String> {
        let sdk = sdk_config().await;
        let dynamodb = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&sdk).interceptor(CountCalls).build(),
        );
        let dynamo = Dynamo::new(dynamodb, &resources.events_table, &resources.views_table);
        let secret = master_secret(&aws_sdk_secretsmanager::Client::new(&sdk), &resources.signing_secret).await?;
        let store = Arc::new(dynamo.clone());
        let mailer = Arc::new(SesMailer {
            client: aws_sdk_ses::Client::from_conf(
                aws_sdk_ses::config::Builder::from(&sdk).interceptor(CountCalls).build(),
            ),
            from: resources.mail_from.clone(),
        });
        let app = App {
            store: store.clone(),
            views: store.clone(),
            mailer: mailer.clone(),
            sms: Arc::new(SnsSms {
                client: aws_sdk_sns::Client::from_conf(
                    aws_sdk_sns::config::Builder::from(&sdk).interceptor(CountCalls).build(),
                ),
            }),
            keys: Arc::new(KmsKeyRing {
                client: aws_sdk_kms::Client::from_conf(
                    aws_sdk_kms::config::Builder::from(&sdk).interceptor(CountCalls).build(),
                ),
                key_id: resources.kms_key.clone(),
            }),
            secret,
            clock,
            passwords,
            settings: settings.clone(),
            outbox: None,
        };
        let projector = Projector { store: store.clone(), views: store, mailer, keys: app.keys.clone(), settings };
        Ok(Aws {
            app: Arc::new(app),
            projector,
            dynamo,
            streams: aws_sdk_dynamodbstreams::Client::new(&sdk),
            resources,
        })
    }
}

async fn master_secret(client: &aws_sdk_secretsmanager::Client, id: &str) -> Result<ServerSecret, String> {
    let out = client.get_secret_value().secret_id(id).send().await.map_err(|e| {
        format!("cannot read the secret {id}: {}", aws_sdk_secretsmanager::error::DisplayErrorContext(e))
    })?;
    let text = out.secret_string().ok_or_else(|| format!("the secret {id} holds no string"))?;
    let master = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| format!("the secret {id} is not base64"))?,
    );
    if master.len() < 32 {
        return Err(format!("the secret {id} must hold at least 32 bytes"));
    }
    Ok(ServerSecret::from_master(&master))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_counted_per_service_and_dynamodb_writes_apart() {
        let of = |operation, service| CountCalls::counter(&Metadata::new(operation, service));
        assert_eq!(of("Query", "DynamoDB"), Some(0));
        assert_eq!(of("GetItem", "DynamoDB"), Some(0));
        assert_eq!(of("TransactWriteItems", "DynamoDB"), Some(1));
        assert_eq!(of("PutItem", "DynamoDB"), Some(1));
        assert_eq!(of("Decrypt", "KMS"), Some(2));
        assert_eq!(of("SendEmail", "SES"), Some(3));
        assert_eq!(of("Publish", "SNS"), Some(4));
        assert_eq!(of("GetSecretValue", "Secrets Manager"), None);
    }

    #[test]
    fn resource_names_default_to_what_localstack_up_creates() {
        let r = AwsResources::from_lookup(|_| None);
        assert_eq!(r.events_table, "portal-events");
        assert_eq!(r.views_table, "portal-views");
        assert_eq!(r.kms_key, "alias/portal-totp");
        let r = AwsResources::from_lookup(|n| (n == "PORTAL_KMS_ALIAS").then(|| "other".to_owned()));
        assert_eq!(r.kms_key, "alias/other");
    }
}
