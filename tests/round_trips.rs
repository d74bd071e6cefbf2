//! DynamoDB round trips per request on LocalStack, counted by an SDK
//! interceptor. Alone in its test binary: the counter is per process.

use acceptance::flow_costs;
use acceptance::harness::{TestPortal, cheap_passwords};
use functions::ports::store::LATEST_WINDOW;

/// Round trips to DynamoDB per request, as the closing note and the cost
/// estimate use them, asserted against the goals (login <= 3, verify <= 2)
/// because the count is exact, not a timing. `bench/flows` prints them with
/// the CPU time of every request.
#[tokio::test]
#[ignore = "needs LocalStack; tests/run runs it"]
async fn dynamodb_round_trips_per_flow() {
    let p = TestPortal::aws(acceptance::harness::settings(), cheap_passwords()).await;
    let pass = flow_costs::flows(&p, "trips").await;
    for (label, cost) in &pass.costs {
        println!("round trips: {label:<32} {} ({:?})", cost.calls.dynamodb(), cost.calls);
    }
    let trips = |label| pass.cost(label).calls.dynamodb();
    let calls = |label| pass.cost(label).calls;
    // An SMS login: password step, send, verify. A send reads the account
    // and its data key (the number is sealed under it: a DynamoDB read
    // instead of the KMS Decrypt of before), takes the number's and the
    // global quota (a read and a conditional write each) and appends: 7.
    let sms_login = trips("login (sms account)") + trips("sms send") + trips("verify (sms)");
    println!("round trips: one SMS login = {sms_login} (+1 SNS publish, no KMS call)");
    assert_eq!(p.sms_to(&pass.sms_phone).await.len(), 2, "one SNS publish per send (setup and login)");
    assert!(trips("login (password step)") <= 3, "login took {} round trips", trips("login (password step)"));
    assert!(trips("verify (totp)") <= 2, "verify took {} round trips", trips("verify (totp)"));
    // The setup's QR code is labelled with the email, opened with the
    // account's data key: one read more than before sealing (2).
    assert!(trips("totp setup") <= 3 && trips("totp confirm") <= 2);
    // The profile reads the account and its data key; a sign-in (above)
    // opens nothing.
    assert_eq!(trips("account"), 2);
    assert!(trips("sms send") <= 7 && trips("verify (sms)") <= 2 && trips("sms setup (send to new number)") <= 7);
    assert_eq!(calls("sms send").kms, 0, "the number opens with the data key, not KMS");
    // DAV: an app password is checked with three reads (the email's claim,
    // the failure counter, the account's events) and the last-used time is
    // written at most every five minutes: the first check writes it, the
    // next ones within five minutes do not even try.
    assert!(trips("dav auth (first use)") <= 4 && trips("dav auth (again)") <= 3);
    // Every request of the pass reached DynamoDB: the counter counts.
    assert!(pass.costs.iter().all(|(_, c)| c.calls.dynamodb() > 0), "{:?}", pass.costs);
    // The other services are counted too: a TOTP verify opens the sealed
    // secret with KMS, a send publishes once, a forgotten password mails.
    assert!(calls("verify (totp)").kms == 1 && calls("sms send").sns == 1 && calls("password forgot").ses == 1);
    assert!(calls("account").kms == 0 && calls("account").sns == 0 && calls("account").dynamodb_writes == 0);

    // An account with hundreds of past sign-ins (600 events, many
    // snapshots) costs what a new one costs: the same round trips, and
    // its stream's Query reads at most the events after the latest
    // snapshot and the snapshot, `LATEST_WINDOW` items, however old it is.
    let new_secret = flow_costs::aged_account(&p, "age-new@example.de", 0).await;
    let old_secret = flow_costs::aged_account(&p, "age-old@example.de", 200).await;
    let new = flow_costs::sign_in(&p, "age-new@example.de", &new_secret).await;
    let old = flow_costs::sign_in(&p, "age-old@example.de", &old_secret).await;
    for label in ["login (password step)", "verify (totp)", "account"] {
        let (new, old) = (new.cost(label).calls, old.cost(label).calls);
        println!("old account: {label:<24} new {new:?}\n{:>38} old {old:?}", "");
        assert_eq!((old.dynamodb_reads, old.dynamodb_writes), (new.dynamodb_reads, new.dynamodb_writes), "{label}");
        // The other reads (the email's claim, the failure counter) are the
        // same for both; the new account's stream is read whole.
        assert!(
            old.dynamodb_items_read <= new.dynamodb_items_read + LATEST_WINDOW,
            "{label}: {} items read, a new account {}",
            old.dynamodb_items_read,
            new.dynamodb_items_read
        );
    }
}
