//! Prints what every request of the product's flows costs besides argon2:
//! the CPU time of this process (median and mean over the passes) and, on
//! LocalStack, the DynamoDB round trips. Run by `bench/flows`.
//!
//!   flow_figures [passes [json file]]   (PORTAL_TEST_BACKEND=aws: on LocalStack)
//!
//! The json file gets the same figures for `bench/cost`.
//!
//! argon2 runs with tiny parameters here and its measured cost per run is
//! taken out, so the figure is the handler's own work: routing, JSON,
//! decisions, sealing, the store (and on LocalStack the AWS SDK).

use std::collections::BTreeMap;
use std::time::Duration;

use acceptance::flow_costs::{self, Cost, process_cpu};
use acceptance::harness::{TestPortal, aws_selected, settings};
use functions::password::Passwords;

const PARAMS: (u32, u32, u32) = (8, 1, 1);

/// CPU time of one argon2 verification and one hash at `PARAMS`.
fn argon2_costs(passwords: &Passwords) -> (Duration, Duration) {
    const RUNS: u32 = 200;
    let hash = passwords.hash("Bench-Passwort-2026");
    let start = process_cpu();
    for _ in 0..RUNS {
        std::hint::black_box(passwords.verify(&hash, "Bench-Passwort-2026"));
    }
    let verify = (process_cpu() - start) / RUNS;
    let start = process_cpu();
    for _ in 0..RUNS {
        std::hint::black_box(passwords.hash("Bench-Passwort-2026"));
    }
    (verify, (process_cpu() - start) / RUNS)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let passes: usize = std::env::args().nth(1).map_or(20, |n| n.parse().expect("a number of passes"));
    let json_file = std::env::args().nth(2);
    let passwords = Passwords::with_params(PARAMS.0, PARAMS.1, PARAMS.2);
    let (verify_cost, hash_cost) = argon2_costs(&passwords);
    let p = TestPortal::with_settings(settings(), passwords).await;
    // One pass warms caches and connections; it is not counted.
    flow_costs::flows(&p, "warm-up").await;
    let mut order = Vec::new();
    let mut samples: BTreeMap<&str, Vec<(Duration, Cost)>> = BTreeMap::new();
    for i in 0..passes {
        for (label, cost) in flow_costs::flows(&p, &format!("pass{i}")).await.costs {
            let argon2 = verify_cost * cost.argon2_verifications as u32 + hash_cost * cost.argon2_hashes as u32;
            if !order.contains(&label) {
                order.push(label);
            }
            samples.entry(label).or_default().push((cost.cpu.saturating_sub(argon2), cost));
        }
    }
    let backend = if aws_selected() { "LocalStack (DynamoDB, KMS, SES, SNS)" } else { "embedded (in-memory SQLite)" };
    println!("per request on the {backend} backend, {passes} passes, one process on {} cores:", num_cpus());
    println!(
        "  CPU time of the process besides argon2 (argon2id m={} KiB t={} p={}: verify {:.3} ms, hash {:.3} ms, taken out)",
        PARAMS.0,
        PARAMS.1,
        PARAMS.2,
        ms(verify_cost),
        ms(hash_cost)
    );
    println!(
        "  {:<32} {:>10} {:>10} {:>7} {:>12} {:>7}",
        "request", "median ms", "mean ms", "argon2", "round trips", "events"
    );
    let mut json = Vec::new();
    for label in order {
        let mut cpu: Vec<Duration> = samples[label].iter().map(|(cpu, _)| *cpu).collect();
        cpu.sort();
        let mean = cpu.iter().sum::<Duration>() / cpu.len() as u32;
        let last = samples[label].last().unwrap().1;
        let argon2 = last.argon2_verifications + last.argon2_hashes;
        let trips = if aws_selected() { last.calls.dynamodb().to_string() } else { "-".into() };
        let (median, events) = (ms(cpu[cpu.len() / 2]), last.events);
        println!("  {label:<32} {median:>10.3} {:>10.3} {argon2:>7} {trips:>12} {events:>7}", ms(mean));
        json.push(serde_json::json!({
            "request": label, "cpu_median_ms": median, "cpu_mean_ms": ms(mean), "argon2_runs": argon2,
            "round_trips": last.calls.dynamodb(), "dynamodb_writes": last.calls.dynamodb_writes,
            "kms_calls": last.calls.kms, "ses_calls": last.calls.ses, "sns_calls": last.calls.sns, "events": events,
        }));
    }
    sealing_costs(&p).await;
    if let Some(path) = json_file {
        let doc = serde_json::json!({"backend": backend, "passes": passes, "requests": json});
        std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).expect("the json file");
    }
}

/// What sealing personal data costs (`functions::personal_data`), apart
/// from the flows: sealing and opening one value under an open data key
/// (AES-256-GCM, CPU only), and getting an account's data key (one
/// consistent read of the state store and the KEK's unwrap; the KEK itself
/// is opened once per process). Wall time in this one-threaded process.
async fn sealing_costs(p: &TestPortal) {
    const N: u32 = 2000;
    const READS: u32 = 50;
    let id = uuid::Uuid::new_v4();
    let key = p.app.personal.create(id).await.expect("a data key");
    let value = "anna.muster@example.de";
    let started = std::time::Instant::now();
    let mut sealed = events::Sealed::default();
    for _ in 0..N {
        sealed = key.seal(value).await.expect("sealed");
    }
    let seal = started.elapsed() / N;
    let started = std::time::Instant::now();
    for _ in 0..N {
        assert_eq!(functions::personal_data::open(Some(&key), &sealed).unwrap().as_deref(), Some(value));
    }
    let open = started.elapsed() / N;
    let started = std::time::Instant::now();
    for _ in 0..READS {
        p.app.personal.open(id).await.expect("read").expect("the key");
    }
    let read_key = started.elapsed() / READS;
    println!("sealing personal data (wall time per operation):");
    println!("  seal one value {:.4} ms, open one value {:.4} ms (AES-256-GCM)", ms(seal), ms(open));
    println!(
        "  get an account's data key {:.3} ms (one consistent read + the KEK's unwrap; no KMS call)",
        ms(read_key)
    );
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}
