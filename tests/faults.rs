//! A burst of logins and verifies while the event store fails one call in
//! four (half before writing, half after writing while reporting an error):
//! every request ends in success, a refusal, or a clean 503 with
//! Retry-After; afterwards every stream is gap-free, nothing is duplicated,
//! every accepted login has its event, and projections equal a rebuild.
//! Runs on the backend `PORTAL_TEST_BACKEND` selects.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use acceptance::conformance::futures_join_all;
use acceptance::faulty::FaultyStore;
use acceptance::harness::{PASSWORD, TestPortal};
use events::EventCodec;
use events::account::AccountEvent;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_under_store_faults_ends_cleanly_and_leaves_consistent_streams() {
    let base = TestPortal::new().await;
    let mut accounts = Vec::new();
    for i in 0..4 {
        let email = format!("burst{i}@example.de");
        let enrolled = base.enrolled(&email).await;
        accounts.push((email, enrolled));
    }
    let faulty = Arc::new(FaultyStore::new(base.app.store.clone(), 4));
    let p = base.with_store(faulty.clone());
    faulty.enabled.store(true, Ordering::Relaxed);

    let rounds = accounts.iter().map(|(email, enrolled)| {
        let p = &p;
        async move {
            // (request, status, whether a Retry-After came) and the sessions given.
            let mut answers = Vec::new();
            let mut sessions = Vec::new();
            for k in 0..8 {
                let login = json!({"email": email, "password": PASSWORD});
                let (status, headers, body) = p
                    .send_full(
                        "POST",
                        "/api/login",
                        &[("content-type", "application/json")],
                        login.to_string().into_bytes(),
                    )
                    .await;
                answers.push(("login", status, headers.contains_key("retry-after")));
                let Some(token) = body["mfa_token"].as_str() else { continue };
                let auth = format!("Bearer {token}");
                let verify = json!({"method": "recovery_code", "code": enrolled.recovery_codes[k]});
                let (status, headers, body) = p
                    .send_full("POST", "/api/mfa/verify", &[("authorization", &auth)], verify.to_string().into_bytes())
                    .await;
                answers.push(("verify", status, headers.contains_key("retry-after")));
                if status == 200 {
                    let token = body["session_token"].as_str().unwrap();
                    sessions.push(functions::tokens::check(&p.app.secret, token, p.now()).unwrap().id.to_string());
                }
            }
            (answers, sessions)
        }
    });
    let (answers, sessions): (Vec<_>, Vec<_>) = futures_join_all(rounds).await.into_iter().unzip();
    let (answers, given): (Vec<_>, Vec<String>) =
        (answers.into_iter().flatten().collect(), sessions.into_iter().flatten().collect());
    faulty.enabled.store(false, Ordering::Relaxed);
    assert!(faulty.injected.load(Ordering::Relaxed) >= 10, "faults were injected");

    // Every request ended in success, a refusal, or a 503 that says when to retry.
    let mut by_status: HashMap<u16, usize> = HashMap::new();
    for (what, status, retry_after) in &answers {
        assert!(matches!(status, 200 | 401 | 503), "{what}: {status}");
        if *status == 503 {
            assert!(retry_after, "{what}: 503 without Retry-After");
        }
        *by_status.entry(*status).or_default() += 1;
    }
    println!("burst answers by status: {by_status:?}, faults injected: {}", faulty.injected.load(Ordering::Relaxed));
    assert!(by_status.get(&503).copied().unwrap_or(0) > 0, "some requests met a fault");
    assert!(by_status.get(&200).copied().unwrap_or(0) > 0, "some requests succeeded");

    let events = base.events().await;
    let mut streams: HashMap<&str, Vec<u64>> = HashMap::new();
    for e in &events {
        streams.entry(e.stream.as_str()).or_default().push(e.version);
    }
    for (stream, mut versions) in streams {
        versions.sort_unstable();
        assert_eq!(versions, (1..=versions.len() as u64).collect::<Vec<_>>(), "{stream} has a gap or a duplicate");
    }
    let decoded: Vec<AccountEvent> = events.iter().filter_map(|e| AccountEvent::decode(&e.record).ok()).collect();
    // No recovery code was used twice, whatever the faults did.
    let mut used = HashSet::new();
    for e in &decoded {
        if let AccountEvent::RecoveryCodeUsed { set_id, index } = e {
            assert!(used.insert((*set_id, *index)), "recovery code {index} of {set_id} used twice");
        }
    }
    // Every session the client was given exists as an event.
    let started: HashSet<String> = decoded
        .iter()
        .filter_map(|e| match e {
            AccountEvent::SessionStarted { session_id, .. } => Some(session_id.to_string()),
            _ => None,
        })
        .collect();
    assert!(!given.is_empty());
    for session in &given {
        assert!(started.contains(session), "session {session} was answered but not stored");
    }
    // Projections equal a rebuild: one mail per used code, and projecting
    // everything again from the start sends nothing more.
    let mails = base.outbox().await;
    let recovery_mails = mails.iter().filter(|m| m["subject"].as_str().unwrap().contains("recovery code")).count();
    assert_eq!(recovery_mails, used.len());
    base.project().await;
    assert_eq!(base.outbox().await.len(), mails.len());
}
