//! Prints what an account's every-day requests cost against its age: the
//! password step, the authenticator's code and `GET /api/account` on
//! accounts with 0, 500, 2,000 and 10,000 past sign-ins (median wall-clock
//! and CPU time; on LocalStack also the DynamoDB round trips and the items
//! read). Run by `bench/account_age`. Figures, never assertions.
//!
//!   account_age [repeats] [--events-only] [--up-to N]   (PORTAL_TEST_BACKEND=aws: on LocalStack)
//!
//! `--up-to N` leaves out the ages above N (seeding 10,000 sign-ins on
//! LocalStack takes minutes).
//!
//! `--events-only` deletes the account's snapshots before every measured
//! request, so each load folds the whole stream: the cost before
//! snapshots (the same reads and the same fold as the code without them).
//!
//! The past sign-ins are appended through the decision runner
//! (`TestPortal::age_account`), not over HTTP: 10,000 argon2 runs would
//! take minutes. argon2 runs with tiny parameters, so the figures show the
//! handlers' own work, which is what grows with age.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use acceptance::flow_costs::{self, Cost};
use acceptance::harness::{TestPortal, aws_selected, settings};
use functions::password::Passwords;

const AGES: [usize; 4] = [0, 500, 2_000, 10_000];
const LABELS: [&str; 3] = ["login (password step)", "verify (totp)", "account"];

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let events_only = args.iter().any(|a| a == "--events-only");
    let up_to: usize = args.iter().position(|a| a == "--up-to").map_or(usize::MAX, |i| args[i + 1].parse().unwrap());
    let repeats: usize = args.iter().take_while(|a| *a != "--up-to").find_map(|a| a.parse().ok()).unwrap_or(20);
    let passwords = Passwords::with_params(8, 1, 1);
    let data_dir = std::env::temp_dir().join(format!("portal-age-{}", uuid::Uuid::new_v4()));
    let p = if aws_selected() {
        TestPortal::with_settings(settings(), passwords).await
    } else {
        // A data directory, as `portal` opens it: the real SQLite file.
        std::fs::create_dir_all(&data_dir).unwrap();
        TestPortal::embedded_in(&data_dir, settings(), passwords)
    };
    let backend = if aws_selected() { "LocalStack" } else { "embedded (SQLite file)" };
    let mode = if events_only { "every snapshot deleted before each request" } else { "with snapshots" };
    println!("{backend}, {mode}; median of {repeats} requests each");
    println!(
        "{:>7}  {:<22} {:>9} {:>9} {:>6}  {:>6} {:>10}",
        "sign-ins", "request", "wall ms", "cpu ms", "x new", "trips", "items read"
    );
    let mut new_wall: BTreeMap<&str, Duration> = BTreeMap::new();
    for age in AGES.into_iter().filter(|age| *age <= up_to) {
        let email = format!("age-{age}@example.de");
        let seeding = Instant::now();
        let secret = flow_costs::aged_account(&p, &email, age).await;
        let seeded = seeding.elapsed();
        let id = p.app.account_for_email(&email).await.unwrap().expect("the account");
        let stream = events::account::stream_id(id);
        flow_costs::sign_in(&p, &email, &secret).await;
        let mut samples: BTreeMap<&str, Vec<Cost>> = BTreeMap::new();
        for _ in 0..repeats {
            if events_only {
                p.app.store.drop_snapshots(&stream).await.unwrap();
            }
            for (label, cost) in flow_costs::sign_in(&p, &email, &secret).await.costs {
                samples.entry(label).or_default().push(cost);
            }
        }
        for label in LABELS {
            let costs = &samples[label];
            let wall = median(costs.iter().map(|c| c.wall).collect());
            let cpu = median(costs.iter().map(|c| c.cpu).collect());
            let base = *new_wall.entry(label).or_insert(wall);
            let last = costs.last().unwrap().calls;
            println!(
                "{age:>8}  {label:<22} {:>9.2} {:>9.2} {:>6.2}  {:>6} {:>10}",
                ms(wall),
                ms(cpu),
                wall.as_secs_f64() / base.as_secs_f64(),
                last.dynamodb(),
                last.dynamodb_items_read
            );
        }
        let latest = p.app.store.load_latest(&stream, <events::account::Account as events::Aggregate>::FOLD_VERSION);
        let latest = latest.await.unwrap();
        let snapshot = latest.snapshot.map_or(0, |s| s.state.to_string().len());
        println!(
            "{:>8}  (seeded in {:.1} s; snapshot {snapshot} bytes, {} events after it)",
            "",
            seeded.as_secs_f64(),
            latest.events.len()
        );
    }
    let _ = std::fs::remove_dir_all(&data_dir);
}
