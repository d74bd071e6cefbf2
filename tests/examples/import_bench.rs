//! Prints how fast `portal import` brings accounts over: N generated
//! accounts (100,000 by default) through `functions::import::run`, the
//! code the command runs, on a data directory as `portal` opens it (the
//! SQLite file) or, with `PORTAL_TEST_BACKEND=aws`, on LocalStack. Run by
//! `bench/import`. Figures, never assertions.
//!
//!   import_bench [accounts] [accounts per atomic write] [writes at once]
//!
//! The hashes are Django's PBKDF2-SHA256 with one iteration (one HMAC each,
//! so generating 100,000 takes a moment; the import does not verify
//! hashes, so their cost does not change its speed). The last account then
//! signs in, so the figures are of accounts that work.

use std::time::Instant;

use acceptance::harness::{TestPortal, aws_selected, settings};
use functions::import::{self, Options};
use functions::password::Passwords;
use hmac::{KeyInit, Mac};
use serde_json::json;

const PASSWORD: &str = "Lange genug 1";

/// Django's `pbkdf2_sha256$1$<salt>$<base64>`: with one iteration PBKDF2
/// is HMAC-SHA256(password, salt ‖ 00000001).
fn django_pbkdf2_once(salt: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(PASSWORD.as_bytes()).unwrap();
    mac.update(salt.as_bytes());
    mac.update(&1u32.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    format!("pbkdf2_sha256$1${salt}${}", data_encoding::BASE64.encode(&digest))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let accounts = args.first().copied().unwrap_or(100_000);
    // As `portal import` chooses them for the backend.
    let defaults = if aws_selected() { Options::default().for_dynamodb() } else { Options::default().for_sqlite() };
    let options = Options {
        batch: args.get(1).copied().unwrap_or(defaults.batch),
        concurrent: args.get(2).copied().unwrap_or(defaults.concurrent),
        ..defaults
    };
    let data_dir = std::env::temp_dir().join(format!("portal-import-{}", uuid::Uuid::new_v4()));
    let passwords = Passwords::with_params(1024, 1, 1);
    let p = if aws_selected() {
        TestPortal::with_settings(settings(), passwords).await
    } else {
        std::fs::create_dir_all(&data_dir).unwrap();
        TestPortal::embedded_in(&data_dir, settings(), passwords)
    };
    let backend = if aws_selected() { "LocalStack (DynamoDB)" } else { "embedded (SQLite file)" };
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let generating = Instant::now();
    let mut file = String::with_capacity(accounts * 160);
    for i in 0..accounts {
        let line = json!({
            "email": format!("kunde-{i}-{tag}@example.de"),
            "name": format!("Kunde {i}"),
            "password_hash": django_pbkdf2_once(&format!("salt{i}")),
            "created_at": "2020-01-01T00:00:00Z",
        });
        file.push_str(&line.to_string());
        file.push('\n');
    }
    let generated = generating.elapsed();
    println!(
        "{backend}: {accounts} accounts ({} MB of JSON Lines, generated in {:.1} s)",
        file.len() / 1_000_000,
        generated.as_secs_f64()
    );
    println!("{} accounts per atomic write, {} writes at once", options.batch, options.concurrent);
    let started = Instant::now();
    let summary = import::run(&p.app, file.as_bytes(), options, |_, _| {}).await.unwrap();
    let took = started.elapsed().as_secs_f64();
    println!("{summary} in {took:.1} s: {:.0} accounts/s", accounts as f64 / took);
    if accounts < 100_000 {
        println!("100,000 accounts at this rate: {:.1} min", 100_000.0 / (accounts as f64 / took) / 60.0);
    }
    if aws_selected() {
        // Per account, in a transaction: its claim, its event and its
        // stream's head item; a transactional write of an item up to 1 KB
        // costs 2 write units.
        println!("DynamoDB write units per account: 3 items x 2 = 6 (100,000 accounts: 600,000 WCU)");
    }
    let last = format!("kunde-{}-{tag}@example.de", accounts - 1);
    let (status, body) = p.login(&last, PASSWORD).await;
    println!("the last account signs in: {status} {}", body["status"]);
    let again = Instant::now();
    let sample = file.lines().take(1_000).collect::<Vec<_>>().join("\n");
    let rerun = import::run(&p.app, sample.as_bytes(), Options::default(), |_, _| {}).await.unwrap();
    println!("re-run of the first 1,000 lines: {rerun} in {:.2} s", again.elapsed().as_secs_f64());
    let _ = std::fs::remove_dir_all(&data_dir);
}
