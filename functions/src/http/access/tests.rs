//! The access lines of requests through the router, captured as the Lambda
//! functions write them (`json_logs`).

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::*;
use crate::app::App;
use crate::backend::embedded::Embedded;
use crate::password::Passwords;
use crate::ports::clock::SystemClock;
use crate::settings::Settings;

const PASSWORD: &str = "Zugangs-Zeile-2026";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    fn access_lines(&self) -> Vec<Value> {
        let lines = self.text().lines().map(|l| serde_json::from_str::<Value>(l).unwrap()).collect::<Vec<_>>();
        lines.into_iter().filter(|l| l["target"] == "access").collect()
    }
}

async fn send(app: &App, method: &str, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut req =
        lambda_http::http::Request::builder().method(method).uri(path).header("content-type", "application/json");
    if let Some(token) = token {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    let body = if body.is_null() { crate::http::Body::Empty } else { crate::http::Body::Text(body.to_string()) };
    let res = crate::http::routes::serve(app, crate::handlers::ALL, req.body(body).unwrap()).await;
    let json = serde_json::from_slice(res.body().as_ref()).unwrap_or(Value::Null);
    (res.status().as_u16(), json)
}

/// Register, the first login, a login owing a factor, the authenticator's
/// setup and confirmation, a wrong password, a path carrying a token: what
/// each of them sent and got that is secret.
async fn a_sign_up_and_sign_in(app: &App) -> (String, Vec<String>) {
    let email = "zeile@example.de";
    let (status, registered) =
        send(app, "POST", "/api/register", None, json!({"email": email, "password": PASSWORD, "name": "Z"})).await;
    assert_eq!(status, 201, "{registered}");
    let user_id = registered["user_id"].as_str().unwrap().to_owned();
    let login = json!({"email": email, "password": PASSWORD});
    let (_, first) = send(app, "POST", "/api/login", None, login.clone()).await;
    let (_, second) = send(app, "POST", "/api/login", None, login).await;
    let mfa = second["mfa_token"].as_str().unwrap().to_owned();
    let (_, setup) = send(app, "POST", "/api/mfa/totp/setup", Some(&mfa), Value::Null).await;
    let secret = setup["secret"].as_str().unwrap().to_owned();
    let raw = data_encoding::BASE32_NOPAD.decode(secret.as_bytes()).unwrap();
    let code = events::totp::code_at_step(&raw, events::totp::step_at(app.clock.now()), events::totp::DIGITS);
    let (status, confirmed) = send(app, "POST", "/api/mfa/totp/confirm", Some(&mfa), json!({"code": code})).await;
    assert_eq!(status, 200, "{confirmed}");
    let (status, _) =
        send(app, "POST", "/api/login", None, json!({"email": email, "password": "Falsch-Falsch-2026"})).await;
    assert_eq!(status, 401);
    let (status, _) = send(app, "GET", &format!("/api/nope/{mfa}"), None, Value::Null).await;
    assert_eq!(status, 404);
    let mut secrets = vec![email.to_owned(), PASSWORD.to_owned(), "Falsch-Falsch-2026".into(), mfa, secret, code];
    secrets.push(first["session_token"].as_str().unwrap().to_owned());
    secrets.push(confirmed["session_token"].as_str().unwrap().to_owned());
    secrets.extend(confirmed["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()));
    (user_id, secrets)
}

#[tokio::test]
async fn one_access_line_per_request_with_its_route_status_and_account_and_no_secret() {
    let captured = Captured::default();
    let _logs = tracing::subscriber::set_default(json_logs(EnvFilter::new("info"), captured.clone()));
    let clock = Arc::new(SystemClock);
    let embedded = Embedded::in_memory(Settings::new("T", "http://t"), clock, Passwords::with_params(1024, 1, 1));
    let app = embedded.unwrap().app;
    let (user_id, secrets) = a_sign_up_and_sign_in(&app).await;

    let lines = captured.access_lines();
    let seen: Vec<(&str, &str, u64)> = lines
        .iter()
        .map(|l| (l["method"].as_str().unwrap(), l["route"].as_str().unwrap(), l["status"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            ("POST", "/api/register", 201),
            ("POST", "/api/login", 200),
            ("POST", "/api/login", 200),
            ("POST", "/api/mfa/totp/setup", 200),
            ("POST", "/api/mfa/totp/confirm", 200),
            ("POST", "/api/login", 401),
            ("GET", "-", 404),
        ]
    );
    for line in &lines[1..6] {
        assert_eq!(line["account_id"], user_id.as_str(), "{line}");
    }
    assert_eq!(lines[6]["account_id"], "", "no account is known on an unknown path");
    let ids: Vec<&str> = lines.iter().map(|l| l["request_id"].as_str().unwrap()).collect();
    assert!(ids.iter().all(|id| uuid::Uuid::parse_str(id).is_ok()), "{ids:?}");
    assert!(ids.iter().enumerate().all(|(i, id)| !ids[..i].contains(id)), "one id per request: {ids:?}");
    for line in &lines {
        assert_eq!(line["function"], "portal");
        assert!(line["duration_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{line}");
        assert_eq!(line["level"], "INFO");
    }
    let text = captured.text();
    for secret in secrets {
        assert!(!text.contains(&secret), "a secret in the logs: {secret}\n{text}");
    }
}

/// The metrics a request wrote, as the portal logs them (`debug` events
/// of target `metrics`, the EMF document as the message).
fn metrics_written(captured: &Captured) -> Vec<(String, String)> {
    let lines = captured.text().lines().map(|l| serde_json::from_str::<Value>(l).unwrap()).collect::<Vec<_>>();
    lines
        .iter()
        .filter(|l| l["target"] == "metrics")
        .map(|l| serde_json::from_str::<Value>(l["message"].as_str().unwrap()).unwrap())
        .map(|emf| {
            let directive = &emf["_aws"]["CloudWatchMetrics"][0];
            let name = directive["Metrics"][0]["Name"].as_str().unwrap().to_owned();
            let dimension = directive["Dimensions"][0][0].as_str().map(|d| emf[d].as_str().unwrap().to_owned());
            (name, dimension.unwrap_or_default())
        })
        .collect()
}

#[tokio::test]
async fn sign_ins_and_failed_logins_are_counted_from_the_events_appended() {
    let captured = Captured::default();
    let _logs = tracing::subscriber::set_default(json_logs(EnvFilter::new("info,metrics=debug"), captured.clone()));
    let clock = Arc::new(SystemClock);
    let embedded = Embedded::in_memory(Settings::new("T", "http://t"), clock, Passwords::with_params(1024, 1, 1));
    let app = embedded.unwrap().app;
    let (_, secrets) = a_sign_up_and_sign_in(&app).await;
    let written = metrics_written(&captured);
    for expected in [("SignIns", "password"), ("SignIns", "totp"), ("FailedLogins", "password")] {
        let count = written.iter().filter(|(n, d)| (n.as_str(), d.as_str()) == expected).count();
        assert_eq!(count, 1, "{expected:?} once in {written:?}");
    }
    let text = captured.text();
    assert!(secrets.iter().all(|s| !text.contains(s.as_str())), "no secret in a metric line");
}
