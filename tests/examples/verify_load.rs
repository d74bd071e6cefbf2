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
//! most of an hour. Here the set-up runs in process through the test
//! harness, with tiny argon2 parameters (the verify under test runs no
//! argon2) and its manual clock, which holds the step, so every code is
//! still valid when wrk sends it.

use std::io::{BufRead, Write};
use std::sync::Arc;

use acceptance::harness::{Backend, PASSWORD, TestPortal, settings};
use functions::password::Passwords;
use functions::portal::server::{self, Server};

/// Accounts set up at the same time (the machine has few cores; more only
/// queue on the SQLite connection).
const SETUP_TASKS: usize = 8;

fn email(i: usize) -> String {
    format!("verify{i}@bench.example")
}

/// Runs `work(i)` for `0..n`, `SETUP_TASKS` at a time, in order of `i`.
async fn in_parallel<T: Send + 'static, F>(
    p: &Arc<TestPortal>,
    n: usize,
    work: impl Fn(Arc<TestPortal>, usize) -> F + Send + Sync + Copy + 'static,
) -> Vec<T>
where
    F: Future<Output = T> + Send + 'static,
{
    let mut tasks = tokio::task::JoinSet::new();
    for lane in 0..SETUP_TASKS {
        let p = p.clone();
        tasks.spawn(async move {
            let mut done = Vec::new();
            for i in (lane..n).step_by(SETUP_TASKS) {
                done.push((i, work(p.clone(), i).await));
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
    let p =
        Arc::new(TestPortal::embedded_in(std::path::Path::new(data_dir), settings(), Passwords::with_params(8, 1, 1)));

    let started = std::time::Instant::now();
    // Register, spend the first login, activate an authenticator: the
    // manual clock stands still, so every confirmation uses this step's code.
    let secrets = in_parallel(&p, accounts, |p, i| async move {
        p.register(&email(i)).await;
        p.login(&email(i), PASSWORD).await;
        let token = p.mfa_token(&email(i)).await;
        p.activate_totp(&token).await.0
    })
    .await;
    // The logins owe the next step's code.
    p.next_step();
    let tokens = in_parallel(&p, accounts, |p, i| async move { p.mfa_token(&email(i)).await }).await;
    let mut file = std::io::BufWriter::new(std::fs::File::create(requests).expect("requests file"));
    for (secret, token) in secrets.iter().zip(&tokens) {
        writeln!(file, "{token} {}", p.code(secret, 0)).unwrap();
    }
    file.flush().unwrap();
    // The set-up's notifications are projected now, not during the run.
    p.project().await;
    eprintln!("set up {accounts} accounts in {:.1} s", started.elapsed().as_secs_f64());

    let Backend::Embedded(db) = &p.backend else { unreachable!("an embedded portal") };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let follower =
        tokio::spawn(functions::projector::embedded::follow(db.clone(), p.projector.clone(), p.clock.clone(), stop_rx));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("listening {}", listener.local_addr().unwrap().port());
    std::io::stdout().flush().unwrap();
    let stdin_closed = async {
        tokio::task::spawn_blocking(|| for _ in std::io::stdin().lock().lines() {}).await.unwrap();
    };
    let server = Server { app: p.app.clone(), web_dir: None, dev_outbox: false, limits: Default::default() };
    server::run(listener, server, stdin_closed).await.unwrap();
    stop_tx.send(true).unwrap();
    follower.await.unwrap();
}
