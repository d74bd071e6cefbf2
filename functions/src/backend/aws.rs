//! The AWS backend: DynamoDB, SES, SNS, KMS and Secrets Manager through the
//! AWS SDK's own configuration (so `AWS_ENDPOINT_URL=http://localhost:4566`
//! means LocalStack). Every Lambda and `PORTAL_BACKEND=aws` build it once at
//! start.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextRef,
    BeforeTransmitInterceptorContextRef, Error as OperationError, Input, Output,
};
use aws_smithy_runtime_api::client::orchestrator::{Metadata, OrchestratorError};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use base64::Engine;
use zeroize::Zeroizing;

use crate::adapters::aws_messaging::{SesMailer, SnsSms};
use crate::adapters::dynamodb::Dynamo;
use crate::adapters::kms_keys::KmsKeyRing;
use crate::adapters::kms_signing::{KmsSigner, SigningAliases};
use crate::app::App;
use crate::crypto::ServerSecret;
use crate::password::Passwords;
use crate::ports::clock::Clock;
use crate::projector::Projector;
use crate::settings::Settings;

/// Names of the AWS resources, from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsResources {
    pub events_table: String,
    pub state_table: String,
    /// KMS key for TOTP secrets: id, ARN or alias.
    pub kms_key: String,
    /// The name of the OpenID Connect signing keys' aliases
    /// (`adapters::kms_signing::SigningAliases::named`).
    pub oidc_key_alias: String,
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
            state_table: or("PORTAL_STATE_TABLE", "portal-state"),
            kms_key: get("PORTAL_KMS_KEY_ID")
                .unwrap_or_else(|| format!("alias/{}", or("PORTAL_KMS_ALIAS", "portal-totp"))),
            oidc_key_alias: or("PORTAL_OIDC_KEY_ALIAS", "portal-oidc"),
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
    /// Items DynamoDB read for Queries (before any filter) and GetItems:
    /// with their sizes, what the read units are made of.
    pub dynamodb_items_read: u64,
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
            dynamodb_items_read: self.dynamodb_items_read - before.dynamodb_items_read,
            kms: self.kms - before.kms,
            ses: self.ses - before.ses,
            sns: self.sns - before.sns,
        }
    }
}

static CALLS: [AtomicU64; 6] = [const { AtomicU64::new(0) }; 6];
const ITEMS_READ: usize = 5;

/// The calls so far (see `AwsCalls`).
pub fn aws_calls() -> AwsCalls {
    let n = |i: usize| CALLS[i].load(Ordering::Relaxed);
    AwsCalls {
        dynamodb_reads: n(0),
        dynamodb_writes: n(1),
        dynamodb_items_read: n(ITEMS_READ),
        kms: n(2),
        ses: n(3),
        sns: n(4),
    }
}

/// An IAM permission a call needed: the action (`dynamodb:GetItem`) and
/// the resource as the call named it (a table's name, a KMS key id, ARN or
/// alias, the secret's id, the sender's address; `phone number` for an
/// SMS). The IAM audit (`tests/iam_audit.rs`) maps the resources to the
/// tokens of infra/iam_actions.tsv.
pub type Permission = (String, String);

/// Whether the interceptor records permissions: only a test switches it
/// on, so a Lambda's calls pay one relaxed load for it.
static RECORDING: AtomicBool = AtomicBool::new(false);
static NEEDED: Mutex<BTreeSet<Permission>> = Mutex::new(BTreeSet::new());

/// Starts or stops recording the permissions of this process's calls.
pub fn record_permissions(on: bool) {
    RECORDING.store(on, Ordering::Relaxed);
}

/// The permissions recorded since the last take (and forgets them).
pub fn take_permissions() -> BTreeSet<Permission> {
    std::mem::take(&mut *NEEDED.lock().unwrap_or_else(|e| e.into_inner()))
}

fn needed(found: impl IntoIterator<Item = (&'static str, String)>) {
    let mut set = NEEDED.lock().unwrap_or_else(|e| e.into_inner());
    set.extend(found.into_iter().map(|(action, resource)| (action.to_owned(), resource)));
}

/// The permissions one request needs, from its input. A transaction has
/// no action of its own: each member needs its item action. KMS Decrypt
/// names no key (the ciphertext does): it is read from the answer
/// (`decrypted_key`).
fn permissions_of(input: &Input) -> Vec<(&'static str, String)> {
    use aws_sdk_dynamodb::operation as ddb;
    let name = |n: Option<&str>| n.unwrap_or("(none)").to_owned();
    if let Some(i) = input.downcast_ref::<ddb::get_item::GetItemInput>() {
        return vec![("dynamodb:GetItem", name(i.table_name()))];
    }
    if let Some(i) = input.downcast_ref::<ddb::query::QueryInput>() {
        return vec![("dynamodb:Query", name(i.table_name()))];
    }
    if let Some(i) = input.downcast_ref::<ddb::put_item::PutItemInput>() {
        return vec![("dynamodb:PutItem", name(i.table_name()))];
    }
    if let Some(i) = input.downcast_ref::<ddb::update_item::UpdateItemInput>() {
        return vec![("dynamodb:UpdateItem", name(i.table_name()))];
    }
    if let Some(i) = input.downcast_ref::<ddb::delete_item::DeleteItemInput>() {
        return vec![("dynamodb:DeleteItem", name(i.table_name()))];
    }
    if let Some(i) = input.downcast_ref::<ddb::scan::ScanInput>() {
        return vec![("dynamodb:Scan", name(i.table_name()))];
    }
    if let Some(i) = input.downcast_ref::<ddb::transact_write_items::TransactWriteItemsInput>() {
        return i
            .transact_items()
            .iter()
            .flat_map(|item| {
                [
                    item.put().map(|m| ("dynamodb:PutItem", m.table_name().to_owned())),
                    item.condition_check().map(|m| ("dynamodb:ConditionCheckItem", m.table_name().to_owned())),
                    item.delete().map(|m| ("dynamodb:DeleteItem", m.table_name().to_owned())),
                    item.update().map(|m| ("dynamodb:UpdateItem", m.table_name().to_owned())),
                ]
            })
            .flatten()
            .collect();
    }
    // The roles allow the TOTP key only with this encryption context: a
    // call without it is recorded apart, so the audit names it.
    let without_context = |context: Option<&std::collections::HashMap<String, String>>, key: String| {
        let key_name = crate::adapters::kms_keys::CONTEXT_KEY;
        if context.is_some_and(|c| c.contains_key(key_name)) {
            key
        } else {
            format!("{key}, without the {key_name} encryption context the roles' condition asks")
        }
    };
    if let Some(i) = input.downcast_ref::<aws_sdk_kms::operation::encrypt::EncryptInput>() {
        return vec![("kms:Encrypt", without_context(i.encryption_context(), name(i.key_id())))];
    }
    if let Some(i) = input.downcast_ref::<aws_sdk_kms::operation::sign::SignInput>() {
        return vec![("kms:Sign", name(i.key_id()))];
    }
    if let Some(i) = input.downcast_ref::<aws_sdk_kms::operation::get_public_key::GetPublicKeyInput>() {
        return vec![("kms:GetPublicKey", name(i.key_id()))];
    }
    if let Some(i) = input.downcast_ref::<aws_sdk_kms::operation::describe_key::DescribeKeyInput>() {
        return vec![("kms:DescribeKey", name(i.key_id()))];
    }
    if let Some(i) = input.downcast_ref::<aws_sdk_kms::operation::decrypt::DecryptInput>() {
        return match without_context(i.encryption_context(), String::new()) {
            missing if !missing.is_empty() => vec![("kms:Decrypt", format!("the ciphertext's key{missing}"))],
            _ => Vec::new(),
        };
    }
    if let Some(i) = input.downcast_ref::<aws_sdk_ses::operation::send_email::SendEmailInput>() {
        return vec![("ses:SendEmail", name(i.source()))];
    }
    if let Some(i) = input.downcast_ref::<aws_sdk_sns::operation::publish::PublishInput>() {
        let target = match (i.phone_number(), i.topic_arn().or(i.target_arn())) {
            (Some(_), _) => "phone number".to_owned(),
            (None, arn) => name(arn),
        };
        return vec![("sns:Publish", target)];
    }
    if let Some(i) = input.downcast_ref::<aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueInput>() {
        return vec![("secretsmanager:GetSecretValue", name(i.secret_id()))];
    }
    // A call this list does not know yet: recorded as such, so the audit
    // fails until it is mapped.
    vec![("unknown operation", format!("{input:?}").chars().take(80).collect())]
}

/// The key a KMS Decrypt used: named by its answer (the key's ARN), or by
/// nothing when it failed.
fn decrypted_key(output: Result<&Output, &OrchestratorError<OperationError>>) -> Option<String> {
    use aws_sdk_kms::operation::decrypt::{DecryptError, DecryptOutput};
    match output {
        Ok(out) => out.downcast_ref::<DecryptOutput>().map(|d| d.key_id().unwrap_or("(none)").to_owned()),
        Err(e) => e
            .as_operation_error()
            .and_then(|e| e.downcast_ref::<DecryptError>())
            .map(|_| "(a Decrypt that failed)".to_owned()),
    }
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

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if RECORDING.load(Ordering::Relaxed) {
            needed(permissions_of(context.input()));
        }
        Ok(())
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

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        use aws_sdk_dynamodb::operation::{get_item::GetItemOutput, query::QueryOutput};
        if RECORDING.load(Ordering::Relaxed)
            && let Some(key) = decrypted_key(context.output_or_error())
        {
            needed([("kms:Decrypt", key)]);
        }
        let Ok(output) = context.output_or_error() else { return Ok(()) };
        let items = match (output.downcast_ref::<QueryOutput>(), output.downcast_ref::<GetItemOutput>()) {
            (Some(query), _) => query.scanned_count().max(0) as u64,
            (_, Some(get)) => u64::from(get.item().is_some()),
            _ => 0,
        };
        CALLS[ITEMS_READ].fetch_add(items, Ordering::Relaxed);
        Ok(())
    }
}

/// How often a DynamoDB, KMS, SES or Secrets Manager call is sent: once
/// and, after throttling, a 5xx, a timeout or a dropped connection, up to
/// twice again (the SDK's standard retry classifies the errors; a refusal
/// such as a failed condition is never sent again). DynamoDB answers in
/// milliseconds, so the pauses start at 50 ms, not at the SDK's default
/// 1 s: at most 50 + 100 ms between the three attempts (full jitter).
pub const MAX_ATTEMPTS: u32 = 3;
pub const INITIAL_BACKOFF: Duration = Duration::from_millis(50);
pub const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// One attempt (connecting, sending, reading the answer) gives up after
/// this; a DynamoDB or KMS call takes milliseconds, an SMS publish well
/// under one second.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);
/// A whole call, its attempts and pauses together, gives up after this: the
/// worst case of one call (see `worst_case_call`).
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(4);
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// The one retry policy: the SDK's own standard retry, configured.
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff(INITIAL_BACKOFF)
        .with_max_backoff(MAX_BACKOFF)
}

pub fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

/// SNS sends each publish once: a publish that timed out or failed may
/// still have gone out, and sent again it would text the code twice. The
/// caller answers 503 and the user asks for a new code after the resend
/// interval.
pub fn sms_retry_config() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(1)
}

/// One attempt, so the attempt may take the whole operation's time.
pub fn sms_timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(OPERATION_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

/// The longest a call under `retry` and `timeout` takes before its caller
/// hears an error: every attempt timing out with the longest pauses between
/// them, cut off at the operation timeout.
pub fn worst_case(retry: &RetryConfig, timeout: &TimeoutConfig) -> Duration {
    let attempts = retry.max_attempts();
    let pauses: Duration =
        (1..attempts).map(|k| (retry.initial_backoff() * 2u32.pow(k - 1)).min(retry.max_backoff())).sum();
    let tries = timeout.operation_attempt_timeout().map(|each| each * attempts + pauses);
    match (tries, timeout.operation_timeout()) {
        (Some(tries), Some(whole)) => tries.min(whole),
        (Some(d), None) | (None, Some(d)) => d,
        (None, None) => Duration::MAX,
    }
}

/// The worst case of any one AWS call a function makes:
/// min(3 x 2 s + 50 ms + 100 ms, 4 s) = 4 s for DynamoDB, KMS and SES, and
/// 4 s for the single SNS attempt. A request whose call keeps failing
/// answers 503 after at most that plus the (millisecond) calls before it;
/// `tests/infra.rs` checks it is at most half of every function's Timeout
/// in infra/template.yaml (10 s for the HTTP functions).
pub fn worst_case_call() -> Duration {
    worst_case(&retry_config(), &timeout_config()).max(worst_case(&sms_retry_config(), &sms_timeout_config()))
}

/// The SDK configuration every client is built from: the environment's
/// region, credentials and endpoint (`AWS_ENDPOINT_URL` for LocalStack), the
/// retry and timeout policy above, and one HTTPS client (hyper 1, rustls
/// with ring; see the workspace Cargo.toml for why not the SDK's default
/// client).
pub async fn sdk_config() -> aws_config::SdkConfig {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    let http = aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http)
        .retry_config(retry_config())
        .timeout_config(timeout_config())
        .load()
        .await
}

/// The DynamoDB client: the shared configuration, calls counted.
pub fn dynamodb_client(sdk: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::from_conf(aws_sdk_dynamodb::config::Builder::from(sdk).interceptor(CountCalls).build())
}

/// The KMS client: the shared configuration, calls counted.
pub fn kms_client(sdk: &aws_config::SdkConfig) -> aws_sdk_kms::Client {
    aws_sdk_kms::Client::from_conf(aws_sdk_kms::config::Builder::from(sdk).interceptor(CountCalls).build())
}

/// The SNS client: the shared configuration but one attempt per publish
/// (`sms_retry_config`).
pub fn sns_client(sdk: &aws_config::SdkConfig) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::from_conf(
        aws_sdk_sns::config::Builder::from(sdk)
            .retry_config(sms_retry_config())
            .timeout_config(sms_timeout_config())
            .interceptor(CountCalls)
            .build(),
    )
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
        let dynamo = Dynamo::new(dynamodb_client(&sdk), &resources.events_table, &resources.state_table);
        // Counted (as nothing) only so that the IAM audit sees its permission.
        let secrets = aws_sdk_secretsmanager::Client::from_conf(
            aws_sdk_secretsmanager::config::Builder::from(&sdk).interceptor(CountCalls).build(),
        );
        let secret = master_secret(&secrets, &resources.signing_secret).await?;
        let store = Arc::new(dynamo.clone());
        let mailer = Arc::new(SesMailer {
            client: aws_sdk_ses::Client::from_conf(
                aws_sdk_ses::config::Builder::from(&sdk).interceptor(CountCalls).build(),
            ),
            from: resources.mail_from.clone(),
        });
        let keys: Arc<dyn crate::ports::keys::KeyRing> =
            Arc::new(KmsKeyRing { client: kms_client(&sdk), key_id: resources.kms_key.clone() });
        // The KEK is opened by KMS at the first use, then kept for the
        // warm function's life (`personal_data`).
        let personal = Arc::new(crate::personal_data::PersonalKeys::new(store.clone(), keys.clone()));
        let app = App {
            store: store.clone(),
            state: store.clone(),
            mailer: mailer.clone(),
            sms: Arc::new(SnsSms { client: sns_client(&sdk) }),
            keys,
            secret,
            // Reads its keys at the first token or JWKS, not here: the
            // functions that never sign make no KMS call at a cold start.
            signer: Arc::new(KmsSigner::new(kms_client(&sdk), SigningAliases::named(&resources.oidc_key_alias))),
            clock,
            passwords,
            settings: settings.clone(),
            outbox: None,
            personal: personal.clone(),
        };
        let projector =
            Projector { store: store.clone(), state: store, mailer, keys: app.keys.clone(), settings, personal };
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
    use crate::backend::fake_aws::{Answer, FakeAws};
    use crate::ports::sms::{Sms, SmsSender};

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
    fn each_call_needs_its_iam_action_on_the_resource_it_names() {
        use aws_sdk_dynamodb::operation::{get_item::GetItemInput, transact_write_items::TransactWriteItemsInput};
        use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put, TransactWriteItem};
        let of = |input: Input| permissions_of(&input).into_iter().map(|(a, r)| format!("{a} {r}")).collect::<Vec<_>>();
        let get = GetItemInput::builder().table_name("state").build().unwrap();
        assert_eq!(of(Input::erase(get)), ["dynamodb:GetItem state"]);
        // A transaction has no action of its own: its members' item actions.
        let put = Put::builder().table_name("events").set_item(Some(Default::default())).build().unwrap();
        let check = ConditionCheck::builder()
            .table_name("state")
            .set_key(Some(Default::default()))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .unwrap();
        let delete = Delete::builder().table_name("state").set_key(Some(Default::default())).build().unwrap();
        let members = [
            TransactWriteItem::builder().put(put).build(),
            TransactWriteItem::builder().condition_check(check).build(),
            TransactWriteItem::builder().delete(delete).build(),
        ];
        let transaction = TransactWriteItemsInput::builder().set_transact_items(Some(members.into())).build().unwrap();
        assert_eq!(
            of(Input::erase(transaction)),
            ["dynamodb:PutItem events", "dynamodb:ConditionCheckItem state", "dynamodb:DeleteItem state"]
        );
        let publish = aws_sdk_sns::operation::publish::PublishInput::builder().phone_number("+4915112345678").build();
        assert_eq!(of(Input::erase(publish.unwrap())), ["sns:Publish phone number"], "never the number itself");
        let sign = aws_sdk_kms::operation::sign::SignInput::builder().key_id("arn:aws:kms:k").build().unwrap();
        assert_eq!(of(Input::erase(sign)), ["kms:Sign arn:aws:kms:k"]);
        // Decrypt: the key is named by the answer, not the request.
        let decrypt = aws_sdk_kms::operation::decrypt::DecryptInput::builder()
            .encryption_context("portal:stream", "account-1")
            .build()
            .unwrap();
        assert!(of(Input::erase(decrypt)).is_empty());
        // Without the context the roles' condition asks: a resource no row names.
        let bare = aws_sdk_kms::operation::decrypt::DecryptInput::builder().build().unwrap();
        assert!(of(Input::erase(bare))[0].contains("without the portal:stream encryption context"));
        let encrypt = aws_sdk_kms::operation::encrypt::EncryptInput::builder()
            .key_id("alias/totp")
            .encryption_context("portal:stream", "account-1")
            .build()
            .unwrap();
        assert_eq!(of(Input::erase(encrypt)), ["kms:Encrypt alias/totp"]);
        let answer = aws_sdk_kms::operation::decrypt::DecryptOutput::builder().key_id("arn:aws:kms:totp").build();
        assert_eq!(decrypted_key(Ok(&Output::erase(answer))).as_deref(), Some("arn:aws:kms:totp"));
        // An operation nobody mapped is recorded as such, so the audit fails.
        let scan = aws_sdk_dynamodb::operation::describe_table::DescribeTableInput::builder().build().unwrap();
        assert_eq!(of(Input::erase(scan))[0].split(' ').next(), Some("unknown"));
    }

    #[test]
    fn one_retry_policy_with_timeouts_and_a_known_worst_case() {
        let retry = retry_config();
        assert_eq!(retry.mode(), aws_smithy_types::retry::RetryMode::Standard);
        assert_eq!(
            (retry.max_attempts(), retry.initial_backoff(), retry.max_backoff()),
            (3, Duration::from_millis(50), Duration::from_secs(1))
        );
        let timeout = timeout_config();
        assert_eq!(timeout.connect_timeout(), Some(Duration::from_secs(1)));
        assert_eq!(timeout.operation_attempt_timeout(), Some(Duration::from_secs(2)));
        assert_eq!(timeout.operation_timeout(), Some(Duration::from_secs(4)));
        // Three 2 s attempts and 150 ms of pauses would take 6.15 s: the
        // operation timeout cuts them off at 4 s.
        assert_eq!(worst_case(&retry, &timeout), Duration::from_secs(4));
        let short = TimeoutConfig::builder().operation_attempt_timeout(Duration::from_millis(500)).build();
        assert_eq!(worst_case(&retry, &short), Duration::from_millis(1650));
        // SNS: one attempt, never sent again.
        assert_eq!(sms_retry_config().max_attempts(), 1);
        assert_eq!(worst_case(&sms_retry_config(), &sms_timeout_config()), Duration::from_secs(4));
        assert_eq!(worst_case_call(), Duration::from_secs(4));
    }

    fn sms() -> Sms {
        Sms { to: "+4915112345678".into(), body: "Your code: 123456".into() }
    }

    #[tokio::test]
    async fn an_sms_publish_is_sent_once_even_when_it_fails() {
        // A 500 may come after SNS took the message: never publish again.
        let fake = FakeAws::new(vec![Answer::sns_error(500, "InternalError")]);
        assert!(SnsSms { client: sns_client(&fake.sdk()) }.send(&sms()).await.is_err());
        assert_eq!(fake.requests().len(), 1);
        // (The shared configuration alone would have sent it three times.)
        let fake = FakeAws::new(vec![Answer::sns_error(500, "InternalError")]);
        assert!(SnsSms { client: aws_sdk_sns::Client::new(&fake.sdk()) }.send(&sms()).await.is_err());
        assert_eq!(fake.requests().len(), MAX_ATTEMPTS as usize);
    }

    #[tokio::test]
    async fn an_sms_publish_without_an_answer_is_not_sent_again() {
        let fake = FakeAws::new(vec![Answer::Hang]);
        let sns = SnsSms { client: sns_client(&fake.sdk()) };
        // The guard only keeps a regression from hanging the test run.
        let sent = tokio::time::timeout(Duration::from_secs(60), sns.send(&sms())).await.expect("the publish ended");
        assert!(sent.is_err());
        assert_eq!(fake.requests().len(), 1);
    }

    #[test]
    fn resource_names_default_to_what_localstack_up_creates() {
        let r = AwsResources::from_lookup(|_| None);
        assert_eq!(r.events_table, "portal-events");
        assert_eq!(r.state_table, "portal-state");
        assert_eq!(r.kms_key, "alias/portal-totp");
        assert_eq!(r.oidc_key_alias, "portal-oidc");
        let r = AwsResources::from_lookup(|n| (n == "PORTAL_KMS_ALIAS").then(|| "other".to_owned()));
        assert_eq!(r.kms_key, "alias/other");
    }
}
