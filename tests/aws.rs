//! What only the AWS backend has, against LocalStack: projections fed by
//! the DynamoDB Stream.
//! (The flows themselves run on LocalStack too: `PORTAL_TEST_BACKEND=aws`.)

use std::time::{Duration, Instant};

use acceptance::harness::{Backend, TestPortal, cheap_passwords};
use functions::projector::stream_poller;
use tokio::sync::watch;

async fn aws_portal() -> TestPortal {
    let p = TestPortal::aws(acceptance::harness::settings(), cheap_passwords()).await;
    let Backend::Aws(aws) = &p.backend else { unreachable!() };
    acceptance::aws_tables::wait_for_stream(&aws.resources, &aws.streams).await;
    p
}

/// Mail SES captured with this subject, once `at_least` arrived or `wait` passed.
async fn mail_from_stream(
    p: &TestPortal,
    subject_part: &str,
    at_least: usize,
    wait: Duration,
) -> Vec<serde_json::Value> {
    let Backend::Aws(aws) = &p.backend else { unreachable!() };
    let deadline = Instant::now() + wait;
    loop {
        let mails: Vec<_> = acceptance::aws_tables::sent_mail(&aws.resources.mail_from)
            .await
            .into_iter()
            .filter(|m| m["subject"].as_str().unwrap_or("").contains(subject_part))
            .collect();
        if mails.len() >= at_least || Instant::now() > deadline {
            return mails;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
#[ignore = "needs LocalStack; tests/run runs it"]
async fn the_stream_feeds_the_notifications_once_even_when_read_again() {
    let p = aws_portal().await;
    let Backend::Aws(aws) = &p.backend else { unreachable!() };
    let (stop, stopped) = watch::channel(false);
    let poller =
        tokio::spawn(stream_poller::follow(aws.dynamo.clone(), aws.streams.clone(), aws.projector.clone(), stopped));
    let e = p.enrolled("stream@example.de").await;
    let token = p.mfa_token("stream@example.de").await;
    assert_eq!(p.verify(&token, "recovery_code", &e.recovery_codes[0]).await.0, 200);
    // Returns as soon as the mail is there; the deadline is for a LocalStack
    // whose kinesis-local already serves many test tables.
    let mails = mail_from_stream(&p, "recovery code", 1, Duration::from_secs(90)).await;
    assert_eq!(mails.len(), 1, "the projector sent the mail through SES: {mails:?}");
    assert_eq!(mails[0]["to"], "stream@example.de");
    stop.send(true).unwrap();
    poller.await.unwrap();

    // A second poller reads the whole stream again from its start: the
    // delivery markers keep it from sending anything twice.
    let (stop, stopped) = watch::channel(false);
    let again =
        tokio::spawn(stream_poller::follow(aws.dynamo.clone(), aws.streams.clone(), aws.projector.clone(), stopped));
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.send(true).unwrap();
    again.await.unwrap();
    assert_eq!(mail_from_stream(&p, "recovery code", 2, Duration::from_secs(2)).await.len(), 1);
    assert_eq!(mail_from_stream(&p, "Authenticator app set up", 2, Duration::ZERO).await.len(), 1);
}
