//! A portal under test: the embedded backend with an in-memory SQLite (or,
//! with `PORTAL_TEST_BACKEND=aws`, LocalStack with tables of its own), a
//! manual clock and cheap argon2 parameters, driven through `App::handle`,
//! the same entry point the Lambdas and the local server use.

use std::sync::{Arc, OnceLock};

use events::totp;
use functions::adapters::local_signing::{KeyDer, LocalSigner, RotationPolicy, generate_key};
use functions::adapters::sqlite::Sqlite;
use functions::app::App;
use functions::backend::aws::{Aws, AwsResources};
use functions::backend::embedded::Embedded;
use functions::password::Passwords;
use functions::ports::clock::ManualClock;
use functions::ports::signing::KeyError;
use functions::ports::store::StoredEvent;
use functions::projector::Projector;
use functions::settings::Settings;

use crate::aws_tables;
use lambda_http::{Body, http};
use serde_json::{Value, json};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

pub const PASSWORD: &str = "Lange-genug-1234";
/// Mid-step, so codes for T-1, T and T+1 are all in reach.
pub const START: OffsetDateTime = datetime!(2026-11-02 09:00:15 UTC);

/// Which backend the flows run on: `PORTAL_TEST_BACKEND=aws` (with the
/// LocalStack environment of `localstack/env`) runs them on DynamoDB, KMS,
/// Secrets Manager and SES; anything else on the embedded backend.
pub enum Backend {
    Embedded(Sqlite),
    Aws(Box<Aws>),
}

pub struct TestPortal {
    pub app: Arc<App>,
    pub clock: Arc<ManualClock>,
    pub projector: Projector,
    pub backend: Backend,
}

pub struct Enrolled {
    pub secret: Vec<u8>,
    pub recovery_codes: Vec<String>,
    pub session: String,
}

pub fn settings() -> Settings {
    let mut settings = Settings::new("Acme Portal", "http://portal.test");
    // Above what either path of `forgot` takes here, far below the 150 ms
    // for AWS (whose mail delivery is slower), so the tests stay quick.
    settings.policy.password_reset.answer_after = time::Duration::milliseconds(5);
    settings
}

/// argon2 with tiny parameters: the rules under test do not depend on its
/// cost, and hundreds of logins stay fast.
pub fn cheap_passwords() -> Passwords {
    Passwords::with_params(1024, 1, 1)
}

/// A German mobile number no other test uses (SMS on LocalStack are
/// listed for all tests together).
pub fn unique_phone() -> String {
    let n = uuid::Uuid::new_v4().as_u128() % 100_000_000;
    format!("+49151{n:08}")
}

/// The key material of every embedded test portal's token signer (each
/// signs under a `kid` of its own): generating a 2048-bit RSA key costs up
/// to a second, which the many portals that sign a token need not pay each.
fn shared_key() -> Result<KeyDer, KeyError> {
    static KEY: OnceLock<KeyDer> = OnceLock::new();
    if let Some(key) = KEY.get() {
        return Ok(key.clone());
    }
    let key = generate_key()?;
    // Two portals generating at once: the first one stored is kept.
    Ok(KEY.get_or_init(|| key).clone())
}

/// An `Authorization: Basic` header's value, as DAV clients send it.
pub fn basic_auth(user: &str, password: &str) -> String {
    format!("Basic {}", data_encoding::BASE64.encode(format!("{user}:{password}").as_bytes()))
}

/// Where a request comes from: a User-Agent and an address (`None`: as a
/// test request without them).
#[derive(Debug, Clone, Copy, Default)]
pub struct Device<'a> {
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
}

pub fn aws_selected() -> bool {
    std::env::var("PORTAL_TEST_BACKEND").is_ok_and(|b| b == "aws")
}

impl TestPortal {
    pub async fn new() -> Self {
        Self::with_passwords(cheap_passwords()).await
    }

    pub async fn with_passwords(passwords: Passwords) -> Self {
        Self::with_settings(settings(), passwords).await
    }

    pub async fn with_settings(settings: Settings, passwords: Passwords) -> Self {
        if aws_selected() { Self::aws(settings, passwords).await } else { Self::embedded(settings, passwords) }
    }

    pub fn embedded(settings: Settings, passwords: Passwords) -> Self {
        let clock = Arc::new(ManualClock::new(START));
        let mut embedded = Embedded::in_memory(settings, clock.clone(), passwords).expect("in-memory backend");
        let signer = LocalSigner::in_memory(clock.clone(), RotationPolicy::default()).with_key_maker(shared_key);
        Arc::get_mut(&mut embedded.app).expect("a new app").signer = Arc::new(signer);
        Self::of_embedded(embedded, clock)
    }

    /// The embedded backend on a data directory, as `portal` opens it (file
    /// SQLite, key files), for benchmarks that should see the real store.
    pub fn embedded_in(data_dir: &std::path::Path, settings: Settings, passwords: Passwords) -> Self {
        let clock = Arc::new(ManualClock::new(START));
        let embedded = Embedded::open(data_dir, settings, clock.clone(), passwords).expect("data directory");
        Self::of_embedded(embedded, clock)
    }

    fn of_embedded(embedded: Embedded, clock: Arc<ManualClock>) -> Self {
        TestPortal { app: embedded.app, clock, projector: embedded.projector, backend: Backend::Embedded(embedded.db) }
    }

    /// A portal on LocalStack with tables of its own, so tests running at
    /// the same time cannot see each other's accounts.
    pub async fn aws(settings: Settings, passwords: Passwords) -> Self {
        // Warnings of the adapters and the poller show in a failing test's output.
        let _ = tracing_subscriber::fmt().with_test_writer().with_env_filter("warn").try_init();
        let clock = Arc::new(ManualClock::new(START));
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let mut resources = AwsResources::from_env();
        resources.events_table = format!("test-events-{tag}");
        resources.state_table = format!("test-state-{tag}");
        resources.mail_from = format!("portal-{tag}@portal.example");
        aws_tables::create(&resources).await;
        let aws = Aws::connect(resources, settings, clock.clone(), passwords).await.expect("LocalStack answers");
        TestPortal {
            app: aws.app.clone(),
            clock,
            projector: aws.projector.clone(),
            backend: Backend::Aws(Box::new(aws)),
        }
    }

    /// The same backend and data with other argon2 parameters, as after a
    /// deployment that changed the policy.
    pub fn with_other_passwords(&self, passwords: Passwords) -> TestPortal {
        self.rebuilt(self.app.store.clone(), passwords)
    }

    /// The same backend with the event store seen through `store` (e.g. a
    /// fault-injecting wrapper of the real one).
    pub fn with_store(&self, store: Arc<dyn functions::ports::store::EventStore>) -> TestPortal {
        self.rebuilt(store, self.app.passwords.clone())
    }

    fn rebuilt(&self, store: Arc<dyn functions::ports::store::EventStore>, passwords: Passwords) -> TestPortal {
        let old = &self.app;
        let app = App {
            store,
            state: old.state.clone(),
            mailer: old.mailer.clone(),
            sms: old.sms.clone(),
            keys: old.keys.clone(),
            signer: old.signer.clone(),
            secret: old.secret.clone(),
            clock: old.clock.clone(),
            passwords,
            settings: old.settings.clone(),
            outbox: old.outbox.clone(),
            personal: old.personal.clone(),
        };
        let app = Arc::new(app);
        let backend = match &self.backend {
            Backend::Embedded(db) => Backend::Embedded(db.clone()),
            Backend::Aws(aws) => Backend::Aws(Box::new(Aws {
                app: app.clone(),
                projector: aws.projector.clone(),
                dynamo: aws.dynamo.clone(),
                streams: aws.streams.clone(),
                resources: aws.resources.clone(),
            })),
        };
        TestPortal { app, clock: self.clock.clone(), projector: self.projector.clone(), backend }
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    pub fn now(&self) -> OffsetDateTime {
        use functions::ports::clock::Clock;
        self.clock.now()
    }

    /// Sends a request with a raw body and headers; returns status and JSON.
    pub async fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> (u16, Value) {
        let (status, _, json) = self.send_full(method, path, headers, body).await;
        (status, json)
    }

    /// As `send`, with the response headers.
    pub async fn send_full(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> (u16, http::HeaderMap, Value) {
        self.send_from(None, method, path, headers, body).await
    }

    /// As `send_full`, from the address `ip` as the local server would see
    /// it (what the events' metadata records; `None`: no address).
    pub async fn send_from(
        &self,
        ip: Option<&str>,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> (u16, http::HeaderMap, Value) {
        let mut builder = http::Request::builder().method(method).uri(path);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        if let Some(ip) = ip {
            builder = builder.extension(functions::http::request::ClientIp(ip.to_owned()));
        }
        let body = if body.is_empty() { Body::Empty } else { Body::Binary(body) };
        // While the IAM audit runs, the function that serves the route
        // answers, and its calls are written down against it.
        let audited = crate::iam_audit::serving(&self.app, method, path);
        let app = audited.as_ref().map_or(self.app(), |(_, app)| &**app);
        let response =
            functions::http::routes::serve(app, functions::handlers::ALL, builder.body(body).expect("valid request"))
                .await;
        if let Some((function, _)) = audited {
            crate::iam_audit::served(function, method, path);
        }
        // The brand is public and the same for everyone: the one answer a
        // browser may keep.
        let cache = match path {
            "/api/brand" => format!("public, max-age={}", functions::handlers::brand::MAX_AGE_SECS),
            _ => "no-store".to_owned(),
        };
        assert_eq!(
            response.headers().get("cache-control").map(|v| v.to_str().unwrap()),
            Some(cache.as_str()),
            "{method} {path}: every response carries Cache-Control: no-store, but the brand"
        );
        let status = response.status().as_u16();
        let body: &[u8] = response.body().as_ref();
        let json = if body.is_empty() { Value::Null } else { serde_json::from_slice(body).expect("JSON body") };
        if status >= 400 {
            assert!(json["error"].is_string() && json["message"].is_string(), "error shape: {json}");
        }
        (status, response.headers().clone(), json)
    }

    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
        self.call_from(&Device::default(), method, path, token, body).await
    }

    /// As `call`, from a device: its User-Agent and address.
    pub async fn call_from(
        &self,
        device: &Device<'_>,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("content-type", "application/json")];
        if let Some(auth) = auth.as_deref() {
            headers.push(("authorization", auth));
        }
        if let Some(user_agent) = device.user_agent {
            headers.push(("user-agent", user_agent));
        }
        let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let (status, _, json) = self.send_from(device.ip, method, path, &headers, body).await;
        (status, json)
    }

    pub async fn register(&self, email: &str) -> String {
        let (status, body) = self
            .call(
                "POST",
                "/api/register",
                None,
                Some(json!({"email": email, "password": PASSWORD, "name": "Anna Muster"})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["user_id"].as_str().unwrap().to_owned()
    }

    pub async fn login(&self, email: &str, password: &str) -> (u16, Value) {
        self.call("POST", "/api/login", None, Some(json!({"email": email, "password": password}))).await
    }

    /// Logs in and returns the mfa token (the login must owe a factor).
    pub async fn mfa_token(&self, email: &str) -> String {
        let (status, body) = self.login(email, PASSWORD).await;
        assert_eq!(status, 200, "{body}");
        body["mfa_token"].as_str().unwrap_or_else(|| panic!("no mfa token: {body}")).to_owned()
    }

    /// `POST /api/mfa/verify` with an mfa token.
    pub async fn verify(&self, token: &str, method: &str, code: &str) -> (u16, Value) {
        self.call("POST", "/api/mfa/verify", Some(token), Some(json!({"method": method, "code": code}))).await
    }

    /// Registers, uses up the first login, and activates an authenticator.
    pub async fn enrolled(&self, email: &str) -> Enrolled {
        self.register(email).await;
        let (_, first) = self.login(email, PASSWORD).await;
        assert_eq!(first["status"], "authenticated");
        let token = self.mfa_token(email).await;
        let (secret, confirmed) = self.activate_totp(&token).await;
        self.next_step();
        Enrolled {
            secret,
            recovery_codes: serde_json::from_value(confirmed["recovery_codes"].clone()).unwrap(),
            session: confirmed["session_token"].as_str().unwrap().to_owned(),
        }
    }

    /// Sets up an authenticator with `token` and confirms it with its
    /// current code: the secret, and the confirmation's answer (recovery
    /// codes, session).
    pub async fn activate_totp(&self, token: &str) -> (Vec<u8>, Value) {
        let (status, setup) = self.call("POST", "/api/mfa/totp/setup", Some(token), None).await;
        assert_eq!(status, 200, "{setup}");
        let secret = data_encoding::BASE32_NOPAD.decode(setup["secret"].as_str().unwrap().as_bytes()).unwrap();
        let code = self.code(&secret, 0);
        let (status, confirmed) =
            self.call("POST", "/api/mfa/totp/confirm", Some(token), Some(json!({"code": code}))).await;
        assert_eq!(status, 200, "{confirmed}");
        (secret, confirmed)
    }

    /// The authenticator's code for the current step plus `offset` steps.
    pub fn code(&self, secret: &[u8], offset: i64) -> String {
        let step = totp::step_at(self.now()).checked_add_signed(offset).unwrap();
        totp::code_at_step(secret, step, totp::DIGITS)
    }

    /// A proof of the authenticator for a change of a credential (the
    /// step-up's `verification`): the app's code of the next step, which
    /// the clock moves to, so every proof is a code not used before.
    pub fn step_up(&self, secret: &[u8]) -> Value {
        self.next_step();
        json!({"method": "totp", "code": self.code(secret, 0)})
    }

    /// Moves the clock to the same point of the next 30-second step.
    pub fn next_step(&self) {
        self.clock.advance(Duration::seconds(30));
    }

    /// Every stored event, in append order per stream.
    pub async fn events(&self) -> Vec<StoredEvent> {
        match &self.backend {
            Backend::Embedded(db) => {
                db.read_after(0, usize::MAX >> 1).await.unwrap().into_iter().map(|(_, e)| e).collect()
            }
            Backend::Aws(aws) => aws_tables::all_events(aws).await,
        }
    }

    /// Runs the projector over everything appended so far (on AWS the
    /// stream poller does this; here it is done directly, idempotently).
    pub async fn project(&self) -> usize {
        match &self.backend {
            Backend::Embedded(db) => functions::projector::embedded::catch_up(db, &self.projector).await.unwrap(),
            Backend::Aws(_) => {
                let events = self.events().await;
                for e in &events {
                    self.projector.project(e).await.unwrap();
                }
                events.len()
            }
        }
    }

    /// What was sent: the local outbox, or on LocalStack what SES captured
    /// from this portal's sender.
    pub async fn outbox(&self) -> Vec<Value> {
        self.project().await;
        match &self.backend {
            Backend::Embedded(_) => {
                let (status, body) = self.call("GET", "/dev/outbox", None, None).await;
                assert_eq!(status, 200);
                body["items"].as_array().unwrap().clone()
            }
            Backend::Aws(aws) => aws_tables::sent_mail(&aws.resources.mail_from).await,
        }
    }

    /// The SMS sent to a number, oldest first: the local outbox, or what
    /// LocalStack's SNS captured.
    pub async fn sms_to(&self, phone: &str) -> Vec<String> {
        let items = match &self.backend {
            Backend::Embedded(_) => {
                let (status, body) = self.call("GET", "/dev/outbox", None, None).await;
                assert_eq!(status, 200);
                body["items"].as_array().unwrap().clone()
            }
            // LocalStack's SNS delivers SMS on a thread of its own, a moment
            // after Publish answered: read until the list holds still.
            Backend::Aws(_) => {
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(4);
                let mut seen = aws_tables::sent_sms(phone).await;
                loop {
                    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
                    let now = aws_tables::sent_sms(phone).await;
                    let settled = now.len() == seen.len() && !now.is_empty();
                    seen = now;
                    if settled || std::time::Instant::now() > deadline {
                        break seen;
                    }
                }
            }
        };
        items
            .iter()
            .filter(|m| m["channel"] == "sms" && m["to"] == phone)
            .map(|m| m["body"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The code of the newest SMS to a number, from its WebOTP line.
    pub async fn sms_code(&self, phone: &str) -> String {
        let all = self.sms_to(phone).await;
        let last = all.last().unwrap_or_else(|| panic!("no SMS to {phone}"));
        let line = last.lines().last().unwrap();
        line.rsplit_once(" #").map(|(_, code)| code.to_owned()).unwrap_or_else(|| panic!("no code in {last:?}"))
    }

    /// Every stored item as text (events, and on AWS the views table too),
    /// for scanning for secrets.
    pub async fn event_log_text(&self) -> String {
        let mut text: String = self
            .events()
            .await
            .iter()
            .map(|e| format!("{} {} {:?}\n", e.record.event_type, e.record.payload, e.meta))
            .collect();
        if let Backend::Aws(aws) = &self.backend {
            text.push_str(&aws_tables::views_text(aws).await);
        }
        text
    }

    /// Every DynamoDB table's items as text (AWS only): the scan for
    /// plaintext personal data.
    pub async fn all_tables_text(&self) -> String {
        match &self.backend {
            Backend::Aws(aws) => aws_tables::all_tables_text(aws).await,
            Backend::Embedded(_) => panic!("the embedded backend is scanned as its file"),
        }
    }

    /// A support staff member with an authenticator, signed in: (session,
    /// account id). Made the way `portal staff add` makes one (the role
    /// in the registration), then the forced setup of the first login.
    pub async fn staff(&self, email: &str, name: &str) -> (String, uuid::Uuid) {
        let id = self.registered_directly(email, name, vec![events::account::Role::Support]).await;
        let token = self.mfa_token(email).await;
        let (_, confirmed) = self.activate_totp(&token).await;
        (confirmed["session_token"].as_str().unwrap().to_owned(), id)
    }

    /// An account registered by appending its events and its email claim
    /// as given, unnormalised: as `portal staff add` does, or as an account
    /// made under an older normalisation is stored. Password `PASSWORD`.
    pub async fn registered_directly(&self, email: &str, name: &str, roles: Vec<events::account::Role>) -> uuid::Uuid {
        use events::account::{self, Locale, Registration};
        use functions::ports::store::{Claim, Meta};
        let id = uuid::Uuid::new_v4();
        let key = self.app.personal.create(id).await.unwrap();
        let registered = account::register(Registration {
            account_id: id,
            email: key.seal(email).await.unwrap(),
            name: key.seal(name).await.unwrap(),
            password_hash: self.app.passwords.hash(PASSWORD),
            roles,
            locale: Locale::En,
        });
        let meta = Meta { request_id: "test-direct".into(), at: self.now(), source_ip: None, client: None };
        let claim = Claim::take(self.app.email_claim(email), account::stream_id(id));
        self.app.append_account(id, 0, &registered, &meta, &[claim]).await.unwrap();
        id
    }

    /// Fetches an ALTCHA challenge and solves it as the page does.
    pub async fn altcha(&self) -> String {
        use sha2::Digest;
        let (status, c) = self.call("GET", "/api/altcha/challenge", None, None).await;
        assert_eq!(status, 200, "{c}");
        let salt = c["salt"].as_str().unwrap();
        let target = c["challenge"].as_str().unwrap();
        let number = (0..=c["maxnumber"].as_u64().unwrap())
            .find(|n| data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(format!("{salt}{n}"))) == target)
            .expect("the challenge has a solution");
        let payload = json!({
            "algorithm": c["algorithm"], "challenge": target, "number": number, "salt": salt, "signature": c["signature"],
        });
        data_encoding::BASE64.encode(payload.to_string().as_bytes())
    }

    /// Ages an account by `sign_ins` past sign-ins, three a day (the
    /// clock moves on a day each): the events a sign-in with the
    /// authenticator and its logout append (password passed, session
    /// started, session ended), appended straight through the decision
    /// runner, so snapshots are written as in production, without the
    /// requests' argon2 and HTTP work.
    pub async fn age_account(&self, account_id: uuid::Uuid, sign_ins: usize) {
        use events::Decision;
        use events::account::{Account, AccountEvent, Method, Owed};
        let mut left = sign_ins;
        while left > 0 {
            let today = left.min(3);
            left -= today;
            let now = self.now();
            let meta =
                functions::ports::store::Meta { request_id: "aging".into(), at: now, source_ip: None, client: None };
            let events: Vec<AccountEvent> = (0..today)
                .flat_map(|_| {
                    let (login_id, session_id) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
                    [
                        AccountEvent::PasswordPassed {
                            login_id,
                            owed: Owed::Verify,
                            expires_at: now + Duration::minutes(5),
                        },
                        AccountEvent::SessionStarted {
                            session_id,
                            login_id: Some(login_id),
                            expires_at: now + Duration::hours(8),
                            second_factor: Some(Method::Totp),
                            passkey: None,
                        },
                        AccountEvent::SessionEnded { session_id },
                    ]
                })
                .collect();
            self.app
                .decide(account_id, &meta, |_: Account| {
                    std::future::ready(Ok(Decision { events: events.clone(), outcome: Ok(()) }))
                })
                .await
                .expect("aging appends");
            self.clock.advance(Duration::days(1));
        }
    }

    /// Deletes the events expired by the clock's now, as the backend does
    /// on its own: the embedded projector's hourly delete (after the
    /// projections have passed them; a stream's newest stays), DynamoDB's
    /// TTL (every expired item, a stream's newest too). How many went.
    pub async fn delete_expired(&self) -> usize {
        self.project().await;
        match &self.backend {
            Backend::Embedded(db) => db.delete_expired(self.now()).await.unwrap(),
            Backend::Aws(aws) => aws_tables::delete_expired(aws, self.now()).await,
        }
    }

    pub async fn event_count(&self) -> usize {
        self.events().await.len()
    }
}
