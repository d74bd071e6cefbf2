//! The server side of `bench/totp_verify`: the portal's HTTP server and
//! router on loopback, on the embedded backend with a file SQLite and the
//! projector following it, exactly as `portal` runs them, with `N` accounts
//! that each owe the authenticator's code of a login.
//!
//!   verify_load <accounts> <data dir> <requests file>
//!
//! Writes one `<mfa token> <code>` line per account to the requests file
//! (wrk's script sends each once), then prints `listening <port>` and serves
//! until its standard input closes.
//!
//! Why not the `portal` binary: each verify needs an account of its own (a
//! code works once per account and step, an mfa token once), and setting up
//! tens of thousands of accounts with the real argon2 parameters would take
//! most of an hour. Here the set-up runs in process with tiny argon2
//! parameters (the verify under test runs no argon2) and a manual clock that
//! holds the step, so every code is still valid when wrk sends it.

use std::io::{BufRead, Write};
use std::sync::Arc;

use events::totp;
use functions::app::{App, Settings};
use functions::backend::embedded::Embedded;
use functions::password::Passwords;
use functions::portal::server::{self, Server};
use functions::ports::clock::{Clock, ManualClock};
use lambda_http::{Body, http};
use serde_json::{Value, json};
use time::OffsetDateTime;

const PASSWORD: &str = "Bench-Passwort-2026";
/// Accounts set up at the same time (the machine has few cores; more only
/// queue on the SQLite connection).
const SETUP_TASKS: usize = 8;

async fn call(app: &App, method: &str, path: &str, token: Option<&str>, body: Value) -> Value {
    let mut req = http::Request::builder().method(method).uri(path).header("content-type", "application/json");
    if let Some(token) = token {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    let response = app.handle(req.body(Body::Text(body.to_string())).unwrap()).await;
    let status = response.status();
    let body: Value = match response.body() {
        Body::Text(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        Body::Binary(bytes) => serde_json::from_slice(bytes).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    assert!(status.is_success(), "{method} {path}: {status} {body}");
    body
}

fn code(secret: &[u8], at: OffsetDateTime) -> String {
    totp::code_at_step(secret, totp::step_at(at), totp::DIGITS)
}

/// Registers account `i`, spends its first login, and activates an
/// authenticator: the account's email and TOTP secret.
async fn enrolled(app: &App, clock: &ManualClock, i: usize) -> (String, Vec<u8>) {
    let email = format!("verify{i}@bench.example");
    call(app, "POST", "/api/register", None, json!({"email": email, "password": PASSWORD, "name": "B"})).await;
    let login = json!({"email": email, "password": PASSWORD});
    call(app, "POST", "/api/login", None, login.clone()).await;
    let token = call(app, "POST", "/api/login", None, login).await["mfa_token"].as_str().unwrap().to_owned();
    let setup = call(app, "POST", "/api/mfa/totp/setup", Some(&token), Value::Null).await;
    let secret = data_encoding::BASE32_NOPAD.decode(setup["secret"].as_str().unwrap().as_bytes()).unwrap();
    let code = code(&secret, clock.now());
    call(app, "POST", "/api/mfa/totp/confirm", Some(&token), json!({"code": code})).await;
    (email, secret)
}

async fn mfa_token(app: &App, email: &str) -> String {
    let body = call(app, "POST", "/api/login", None, json!({"email": email, "password": PASSWORD})).await;
    body["mfa_token"].as_str().expect("the login owes a code").to_owned()
}

/// Runs `work(i)` for `0..n`, `SETUP_TASKS` at a time, in order of `i`.
async fn in_parallel<T: Send + 'static, F>(n: usize, work: impl Fn(usize) -> F + Send + Sync + 'static) -> Vec<T>
where
    F: Future<Output = T> + Send + 'static,
{
    let work = Arc::new(work);
    let mut tasks = tokio::task::JoinSet::new();
    for lane in 0..SETUP_TASKS {
        let work = work.clone();
        tasks.spawn(async move {
            let mut done = Vec::new();
            for i in (lane..n).step_by(SETUP_TASKS) {
                done.push((i, work(i).await));
            }
            done
        });
    }
    let mut all: Vec<(usize, T)> = tasks.join_all().await.into_iter().flatten().collect();
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, t)| t).collect()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [accounts, data_dir, requests] = args.as_slice() else {
        panic!("usage: verify_load <accounts> <data dir> <requests file>");
    };
    let accounts: usize = accounts.parse().expect("a number of accounts");
    // Mid-step, so the step holds while the manual clock stands still.
    let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc().replace_second(15).unwrap()));
    let embedded = Embedded::open(
        std::path::Path::new(data_dir),
        Settings::new("Bench", "http://bench"),
        clock.clone(),
        Passwords::with_params(8, 1, 1),
    )
    .expect("data directory");
    let app = embedded.app.clone();

    let started = std::time::Instant::now();
    let (a, c) = (app.clone(), clock.clone());
    let enrolled = in_parallel(accounts, move |i| {
        let (a, c) = (a.clone(), c.clone());
        async move { enrolled(&a, &c, i).await }
    })
    .await;
    // The confirmations used this step's codes; the logins owe the next one.
    clock.advance(time::Duration::seconds(30));
    let emails: Arc<Vec<String>> = Arc::new(enrolled.iter().map(|(email, _)| email.clone()).collect());
    let a = app.clone();
    let tokens = in_parallel(accounts, move |i| {
        let (a, emails) = (a.clone(), emails.clone());
        async move { mfa_token(&a, &emails[i]).await }
    })
    .await;
    let mut file = std::io::BufWriter::new(std::fs::File::create(requests).expect("requests file"));
    for ((_, secret), token) in enrolled.iter().zip(&tokens) {
        writeln!(file, "{token} {}", code(secret, clock.now())).unwrap();
    }
    file.flush().unwrap();
    // The set-up's notifications are projected now, not during the run.
    functions::projector::embedded::catch_up(&embedded.db, &embedded.projector).await.expect("projection");
    eprintln!("set up {accounts} accounts in {:.1} s", started.elapsed().as_secs_f64());

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let follower =
        tokio::spawn(functions::projector::embedded::follow(embedded.db.clone(), embedded.projector.clone(), stop_rx));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("listening {}", listener.local_addr().unwrap().port());
    std::io::stdout().flush().unwrap();
    let stdin_closed = async {
        tokio::task::spawn_blocking(|| for _ in std::io::stdin().lock().lines() {}).await.unwrap();
    };
    server::run(listener, Server { app, web_dir: None }, stdin_closed).await.unwrap();
    stop_tx.send(true).unwrap();
    follower.await.unwrap();
}
