//! A portal in memory: the embedded backend with an in-memory SQLite, a
//! manual clock and cheap argon2 parameters, driven through `App::handle`,
//! the same entry point the Lambdas and the local server use.

use std::sync::Arc;

use events::totp;
use functions::app::{App, Settings};
use functions::backend::embedded::Embedded;
use functions::password::Passwords;
use functions::ports::clock::ManualClock;
use lambda_http::{Body, http};
use serde_json::{Value, json};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

pub const PASSWORD: &str = "Lange-genug-1234";
/// Mid-step, so codes for T-1, T and T+1 are all in reach.
pub const START: OffsetDateTime = datetime!(2026-11-02 09:00:15 UTC);

pub struct TestPortal {
    pub embedded: Embedded,
    pub clock: Arc<ManualClock>,
}

pub struct Enrolled {
    pub secret: Vec<u8>,
    pub recovery_codes: Vec<String>,
    pub session: String,
}

pub fn settings() -> Settings {
    Settings { issuer: "Acme Portal".into(), public_url: "http://portal.test".into(), policy: Default::default() }
}

impl Default for TestPortal {
    fn default() -> Self {
        Self::new()
    }
}

impl TestPortal {
    /// argon2 with tiny parameters: the rules under test do not depend on
    /// its cost, and hundreds of logins stay fast.
    pub fn new() -> Self {
        Self::with_passwords(Passwords::with_params(1024, 1, 1))
    }

    pub fn with_passwords(passwords: Passwords) -> Self {
        let clock = Arc::new(ManualClock::new(START));
        let embedded = Embedded::in_memory(settings(), clock.clone(), passwords).expect("in-memory backend");
        TestPortal { embedded, clock }
    }

    pub fn app(&self) -> &App {
        &self.embedded.app
    }

    pub fn now(&self) -> OffsetDateTime {
        use functions::ports::clock::Clock;
        self.clock.now()
    }

    /// Sends a request with a raw body and headers; returns status and JSON.
    pub async fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> (u16, Value) {
        let mut builder = http::Request::builder().method(method).uri(path);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let body = if body.is_empty() { Body::Empty } else { Body::Binary(body) };
        let response = self.app().handle(builder.body(body).expect("valid request")).await;
        assert_eq!(
            response.headers().get("cache-control").map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{method} {path}: every response carries Cache-Control: no-store"
        );
        let status = response.status().as_u16();
        let body: &[u8] = response.body().as_ref();
        let json = if body.is_empty() { Value::Null } else { serde_json::from_slice(body).expect("JSON body") };
        if status >= 400 {
            assert!(json["error"].is_string() && json["message"].is_string(), "error shape: {json}");
        }
        (status, json)
    }

    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("content-type", "application/json")];
        if let Some(auth) = auth.as_deref() {
            headers.push(("authorization", auth));
        }
        let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        self.send(method, path, &headers, body).await
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
        let (status, setup) = self.call("POST", "/api/mfa/totp/setup", Some(&token), None).await;
        assert_eq!(status, 200, "{setup}");
        let secret = data_encoding::BASE32_NOPAD.decode(setup["secret"].as_str().unwrap().as_bytes()).unwrap();
        let code = self.code(&secret, 0);
        let (status, confirmed) =
            self.call("POST", "/api/mfa/totp/confirm", Some(&token), Some(json!({"code": code}))).await;
        assert_eq!(status, 200, "{confirmed}");
        self.next_step();
        Enrolled {
            secret,
            recovery_codes: serde_json::from_value(confirmed["recovery_codes"].clone()).unwrap(),
            session: confirmed["session_token"].as_str().unwrap().to_owned(),
        }
    }

    /// The authenticator's code for the current step plus `offset` steps.
    pub fn code(&self, secret: &[u8], offset: i64) -> String {
        let step = totp::step_at(self.now()).checked_add_signed(offset).unwrap();
        totp::code_at_step(secret, step, totp::DIGITS)
    }

    /// Moves the clock to the same point of the next 30-second step.
    pub fn next_step(&self) {
        self.clock.advance(Duration::seconds(30));
    }

    /// Runs the projector over everything appended so far.
    pub async fn project(&self) -> usize {
        functions::projector::embedded::catch_up(&self.embedded.db, &self.embedded.projector).await.unwrap()
    }

    pub async fn outbox(&self) -> Vec<Value> {
        self.project().await;
        let (status, body) = self.call("GET", "/dev/outbox", None, None).await;
        assert_eq!(status, 200);
        body["items"].as_array().unwrap().clone()
    }

    /// Every stored event as text (payload and metadata), for scanning.
    pub async fn event_log_text(&self) -> String {
        let events = self.embedded.db.read_after(0, usize::MAX >> 1).await.unwrap();
        events.iter().map(|(_, e)| format!("{} {} {:?}\n", e.record.event_type, e.record.payload, e.meta)).collect()
    }

    pub async fn event_count(&self) -> usize {
        self.embedded.db.read_after(0, usize::MAX >> 1).await.unwrap().len()
    }
}
