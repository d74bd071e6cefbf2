//! The event-store conformance suite. Every adapter (SQLite, DynamoDB) runs
//! the same functions through `store_conformance!`; each test uses fresh
//! stream ids, so they can share one table.

use events::EventRecord;
use events::lockout::{Failures, LockoutPolicy};
use events::quota::Window;
use functions::ports::state::StateStore;
use functions::ports::store::{
    Claim, EventStore, Latest, MAX_ITEMS_PER_APPEND, Meta, SNAPSHOT_EVERY, Snapshot, StoreError, StreamAppend,
    snapshot_due,
};
use serde_json::json;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

const AT: OffsetDateTime = datetime!(2026-11-02 09:00:00 UTC);

fn stream() -> String {
    format!("test#{}", Uuid::new_v4())
}

/// With every optional field, so each store is seen to keep them.
fn meta() -> Meta {
    let client = functions::client::Client { browser: Some("Firefox".into()), os: Some("Linux".into()) };
    Meta { request_id: "req-1".into(), at: AT, source_ip: Some("192.0.2.1".into()), client: Some(client) }
}

fn event(n: usize) -> EventRecord {
    EventRecord {
        event_type: format!("happened_{}", n % 3),
        schema_version: 1 + (n % 2) as u32,
        payload: json!({"n": n, "text": "ä ß 漢字", "nested": {"list": [1, 2, 3], "flag": true, "none": null}}),
        // Every other event expires (whole seconds: DynamoDB's TTL counts
        // unix seconds), and the expiry loads back with it.
        expires_at: n.is_multiple_of(2).then(|| AT + time::Duration::days(90 + n as i64)),
    }
}

fn events(range: std::ops::Range<usize>) -> Vec<EventRecord> {
    range.map(event).collect()
}

pub async fn appended_events_load_back_unchanged(store: &dyn EventStore) {
    let s = stream();
    assert_eq!(store.append(&s, 0, &events(0..3), &meta(), &[]).await, Ok(3));
    assert_eq!(store.append(&s, 3, &events(3..4), &meta(), &[]).await, Ok(4));
    let loaded = store.load(&s).await.unwrap();
    assert_eq!(loaded.len(), 4);
    for (i, e) in loaded.iter().enumerate() {
        assert_eq!(e.stream, s);
        assert_eq!(e.version, i as u64 + 1);
        assert_eq!(e.record, event(i));
        assert_eq!(e.meta, meta());
    }
}

pub async fn an_unknown_stream_is_empty(store: &dyn EventStore) {
    assert_eq!(store.load(&stream()).await.unwrap(), vec![]);
    assert_eq!(store.load_latest(&stream(), 1).await.unwrap(), Latest::default(), "version 0, nothing else");
}

pub async fn a_stale_expected_version_conflicts_and_writes_nothing(store: &dyn EventStore) {
    let s = stream();
    store.append(&s, 0, &events(0..2), &meta(), &[]).await.unwrap();
    assert_eq!(store.append(&s, 1, &events(5..6), &meta(), &[]).await, Err(StoreError::Conflict));
    assert_eq!(store.append(&s, 0, &events(5..6), &meta(), &[]).await, Err(StoreError::Conflict));
    assert_eq!(store.append(&s, 7, &events(5..6), &meta(), &[]).await, Err(StoreError::Conflict));
    let loaded = store.load(&s).await.unwrap();
    assert_eq!(loaded.iter().map(|e| e.record.clone()).collect::<Vec<_>>(), events(0..2));
}

pub async fn of_concurrent_writers_of_one_version_exactly_one_wins(store: &dyn EventStore) {
    let s = stream();
    store.append(&s, 0, &events(0..1), &meta(), &[]).await.unwrap();
    let attempts = (0..20).map(|i| {
        let s = s.clone();
        async move { store.append(&s, 1, &events(100 + i..101 + i), &meta(), &[]).await }
    });
    let results = futures_join_all(attempts).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    assert!(results.iter().all(|r| matches!(r, Ok(2) | Err(StoreError::Conflict))));
    assert_eq!(store.load(&s).await.unwrap().len(), 2);
}

pub async fn a_taken_claim_fails_the_whole_append(store: &dyn EventStore) {
    let (a, b) = (stream(), stream());
    let key = format!("email#{}@example.de", Uuid::new_v4());
    let other = format!("email#{}@example.de", Uuid::new_v4());
    let claim = |key: &str, owner: &str| Claim::take(key, owner);
    store.append(&a, 0, &events(0..1), &meta(), &[claim(&key, &a)]).await.unwrap();
    assert_eq!(store.claim_owner(&key).await.unwrap(), Some(a.clone()));
    let result = store.append(&b, 0, &events(0..1), &meta(), &[claim(&other, &b), claim(&key, &b)]).await;
    assert_eq!(result, Err(StoreError::ClaimTaken(key.clone())));
    assert!(store.load(&b).await.unwrap().is_empty(), "no event of the failed append");
    assert_eq!(store.claim_owner(&other).await.unwrap(), None, "no claim of the failed append");
    assert_eq!(store.claim_owner(&key).await.unwrap(), Some(a));
}

pub async fn of_concurrent_claims_of_one_key_exactly_one_wins(store: &dyn EventStore) {
    let key = format!("email#{}@example.de", Uuid::new_v4());
    let attempts = (0..10).map(|_| {
        let key = key.clone();
        async move {
            let s = stream();
            store.append(&s, 0, &events(0..1), &meta(), &[Claim::take(key, s.clone())]).await
        }
    });
    let results = futures_join_all(attempts).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
}

pub async fn a_claim_is_released_only_by_its_owner(store: &dyn EventStore) {
    let (a, b) = (stream(), stream());
    let key = format!("email#{}", Uuid::new_v4());
    store.append(&a, 0, &events(0..1), &meta(), &[Claim::take(&key, &a)]).await.unwrap();
    // Another owner's release fails the whole append, events and all.
    let other = format!("email#{}", Uuid::new_v4());
    let result =
        store.append(&b, 0, &events(0..1), &meta(), &[Claim::take(&other, &b), Claim::release(&key, &b)]).await;
    assert_eq!(result, Err(StoreError::ClaimTaken(key.clone())));
    assert!(store.load(&b).await.unwrap().is_empty(), "no event of the failed append");
    assert_eq!(store.claim_owner(&other).await.unwrap(), None, "no claim of the failed append");
    assert_eq!(store.claim_owner(&key).await.unwrap(), Some(a.clone()));
    // The owner releases it with an event, and it is free for anyone.
    store.append(&a, 1, &events(1..2), &meta(), &[Claim::release(&key, &a)]).await.unwrap();
    assert_eq!(store.claim_owner(&key).await.unwrap(), None);
    assert_eq!(
        store.append(&a, 2, &events(2..3), &meta(), &[Claim::release(&key, &a)]).await,
        Err(StoreError::ClaimTaken(key.clone())),
        "released twice"
    );
    store.append(&b, 0, &events(0..1), &meta(), &[Claim::take(&key, &b)]).await.unwrap();
    assert_eq!(store.claim_owner(&key).await.unwrap(), Some(b.clone()));
    // Without events: a claim moves to another key, or nothing happens.
    let moved = format!("email#{}", Uuid::new_v4());
    assert_eq!(
        store.write_claims(&[Claim::take(&moved, &a), Claim::release(&key, &a)]).await,
        Err(StoreError::ClaimTaken(key.clone()))
    );
    assert_eq!(store.claim_owner(&moved).await.unwrap(), None, "no claim of the failed write");
    store.write_claims(&[Claim::take(&moved, &b), Claim::release(&key, &b)]).await.unwrap();
    assert_eq!((store.claim_owner(&key).await.unwrap(), store.claim_owner(&moved).await.unwrap()), (None, Some(b)));
    assert!(matches!(store.write_claims(&[]).await, Err(StoreError::TooLarge(0))));
}

pub async fn of_concurrent_moves_of_one_claim_exactly_one_wins(store: &dyn EventStore) {
    let a = stream();
    let key = format!("email#{}", Uuid::new_v4());
    store.append(&a, 0, &events(0..1), &meta(), &[Claim::take(&key, &a)]).await.unwrap();
    // Ten streams each release a's claim and take a new one of their own
    // (a change of address racing itself): one wins, the rest write nothing.
    let attempts = (0..10).map(|_| {
        let (key, a) = (key.clone(), a.clone());
        async move {
            let s = stream();
            let new = format!("email#{}", Uuid::new_v4());
            let result =
                store.append(&s, 0, &events(0..1), &meta(), &[Claim::take(&new, &s), Claim::release(&key, &a)]).await;
            (result, s, new)
        }
    });
    let results = futures_join_all(attempts).await;
    assert_eq!(results.iter().filter(|(r, ..)| r.is_ok()).count(), 1, "{results:?}");
    for (result, s, new) in &results {
        assert!(matches!(result, Ok(1) | Err(StoreError::ClaimTaken(_) | StoreError::Conflict)), "{result:?}");
        let owner = store.claim_owner(new).await.unwrap();
        assert_eq!(owner.as_ref() == Some(s), result.is_ok(), "the new claim is there exactly when the append is");
        assert_eq!(store.load(s).await.unwrap().len(), usize::from(result.is_ok()));
    }
    assert_eq!(store.claim_owner(&key).await.unwrap(), None);
}

pub async fn long_streams_load_completely_in_order(store: &dyn EventStore) {
    let s = stream();
    let mut version = 0;
    for chunk in [0..99, 99..198, 198..250] {
        version = store.append(&s, version, &events(chunk), &meta(), &[]).await.unwrap();
    }
    let loaded = store.load(&s).await.unwrap();
    assert_eq!(loaded.len(), 250);
    assert!(loaded.iter().enumerate().all(|(i, e)| e.version == i as u64 + 1 && e.record == event(i)));
}

pub async fn appends_beyond_one_transaction_are_refused_whole(store: &dyn EventStore) {
    let s = stream();
    let claim = Claim::take(format!("k#{}", Uuid::new_v4()), s.clone());
    let too_many = events(0..MAX_ITEMS_PER_APPEND);
    assert!(matches!(
        store.append(&s, 0, &too_many, &meta(), std::slice::from_ref(&claim)).await,
        Err(StoreError::TooLarge(_))
    ));
    assert!(matches!(store.append(&s, 0, &[], &meta(), &[]).await, Err(StoreError::TooLarge(_))));
    assert!(store.load(&s).await.unwrap().is_empty());
    // Exactly the limit is fine, also after the first version.
    store.append(&s, 0, &events(0..1), &meta(), &[]).await.unwrap();
    let at_limit = events(1..MAX_ITEMS_PER_APPEND);
    assert_eq!(store.append(&s, 1, &at_limit, &meta(), &[claim]).await, Ok(MAX_ITEMS_PER_APPEND as u64));
}

pub async fn an_append_to_several_streams_is_all_or_nothing(store: &dyn EventStore) {
    let (a, b) = (stream(), stream());
    store.append(&b, 0, &events(0..2), &meta(), &[]).await.unwrap();
    let both = |b_version| {
        [
            StreamAppend { stream: &a, expected_version: 0, events: &EVENTS_1, snapshot: None },
            StreamAppend { stream: &b, expected_version: b_version, events: &EVENTS_2, snapshot: None },
        ]
    };
    // One stream moved on: nothing is written to either.
    assert_eq!(store.append_all(&both(1), &meta(), &[]).await, Err(StoreError::Conflict));
    assert!(store.load(&a).await.unwrap().is_empty(), "no event of the failed append");
    assert_eq!(store.load(&b).await.unwrap().len(), 2);
    assert_eq!(store.append_all(&both(2), &meta(), &[]).await, Ok(vec![1, 4]));
    assert_eq!(store.load(&a).await.unwrap().len(), 1);
    let loaded_b = store.load(&b).await.unwrap();
    assert_eq!(loaded_b.iter().map(|e| e.version).collect::<Vec<_>>(), [1, 2, 3, 4]);
    assert_eq!(loaded_b[2].record, EVENTS_2[0]);
    // A stream named twice, or one without events, is refused whole.
    let twice = [
        StreamAppend { stream: &a, expected_version: 1, events: &EVENTS_1, snapshot: None },
        StreamAppend { stream: &a, expected_version: 2, events: &EVENTS_1, snapshot: None },
    ];
    assert!(matches!(store.append_all(&twice, &meta(), &[]).await, Err(StoreError::TooLarge(_))));
    let empty = [StreamAppend { stream: &a, expected_version: 1, events: &[], snapshot: None }];
    assert!(matches!(store.append_all(&empty, &meta(), &[]).await, Err(StoreError::TooLarge(_))));
    assert_eq!(store.load(&a).await.unwrap().len(), 1);
}

pub async fn of_concurrent_joint_appends_on_one_stream_exactly_one_wins(store: &dyn EventStore) {
    let shared = stream();
    store.append(&shared, 0, &events(0..1), &meta(), &[]).await.unwrap();
    let others: Vec<String> = (0..10).map(|_| stream()).collect();
    let attempts = others.iter().map(|other| {
        let shared = shared.clone();
        async move {
            let appends = [
                StreamAppend { stream: other, expected_version: 0, events: &EVENTS_1, snapshot: None },
                StreamAppend { stream: &shared, expected_version: 1, events: &EVENTS_2, snapshot: None },
            ];
            store.append_all(&appends, &meta(), &[]).await
        }
    });
    let results = futures_join_all(attempts).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    let mut written = 0;
    for other in &others {
        written += store.load(other).await.unwrap().len();
    }
    assert_eq!(written, 1, "only the winner's other stream was written");
}

fn snapshot(version: u64, fold_version: u32) -> Snapshot {
    Snapshot { version, fold_version, state: json!({"folded_to": version, "text": "ä ß 漢字", "list": [1, 2]}) }
}

/// Appends events `from..to` three at a time, each append that crosses a
/// multiple of `SNAPSHOT_EVERY` with a snapshot of `fold_version`, as the
/// decision runner does.
async fn append_with_snapshots(store: &dyn EventStore, s: &str, from: u64, to: u64, fold_version: u32) {
    let mut version = from;
    while version < to {
        let new_version = (version + 3).min(to);
        let records = events(version as usize..new_version as usize);
        let snap = snapshot_due(version, new_version).then(|| snapshot(new_version, fold_version));
        let append = StreamAppend { stream: s, expected_version: version, events: &records, snapshot: snap.as_ref() };
        assert_eq!(store.append_all(&[append], &meta(), &[]).await, Ok(vec![new_version]));
        version = new_version;
    }
}

/// `latest` covers a stream of `total` events: the snapshot (of
/// `fold_version`, if any) and exactly the events after it.
fn assert_covers(latest: &Latest, total: u64, fold_version: u32) {
    let after = latest.snapshot.as_ref().map_or(0, |s| s.version);
    if let Some(s) = &latest.snapshot {
        assert_eq!(s, &snapshot(after, fold_version));
    }
    let versions: Vec<u64> = latest.events.iter().map(|e| e.version).collect();
    assert_eq!(versions, (after + 1..=total).collect::<Vec<_>>());
    assert_eq!(latest.version, total, "the stream's version");
    assert!(latest.events.iter().all(|e| e.record == event(e.version as usize - 1)));
}

pub async fn the_latest_snapshot_comes_with_the_events_after_it(store: &dyn EventStore) {
    let s = stream();
    let total = 3 * SNAPSHOT_EVERY + 5;
    append_with_snapshots(store, &s, 0, total, 1).await;
    let latest = store.load_latest(&s, 1).await.unwrap();
    // Appends of three from 0: the last crossing ends at a multiple of three.
    assert_eq!(latest.snapshot.as_ref().map(|s| s.version), Some(3 * SNAPSHOT_EVERY));
    assert_covers(&latest, total, 1);
    // The full load is the events alone, every one of them.
    let all = store.load(&s).await.unwrap();
    assert!(all.iter().enumerate().all(|(i, e)| e.version == i as u64 + 1 && e.record == event(i)));
    assert_eq!(all.len() as u64, total);
    // A stream without snapshots: every event.
    let young = stream();
    append_with_snapshots(store, &young, 0, SNAPSHOT_EVERY - 1, 1).await;
    let latest = store.load_latest(&young, 1).await.unwrap();
    assert!(latest.snapshot.is_none());
    assert_covers(&latest, SNAPSHOT_EVERY - 1, 1);
}

pub async fn a_snapshot_of_another_fold_is_passed_over(store: &dyn EventStore) {
    let s = stream();
    let total = 2 * SNAPSHOT_EVERY + 1;
    append_with_snapshots(store, &s, 0, total, 1).await;
    // The fold changed (version 2): its first snapshot.
    append_with_snapshots(store, &s, total, total + SNAPSHOT_EVERY, 2).await;
    let total = total + SNAPSHOT_EVERY;
    let of_2 = store.load_latest(&s, 2).await.unwrap();
    assert!(of_2.snapshot.is_some());
    assert_covers(&of_2, total, 2);
    // Version 1 (an older build still running) never starts from a
    // snapshot of version 2; version 3 knows none and reads every event.
    assert_covers(&store.load_latest(&s, 1).await.unwrap(), total, 1);
    let of_3 = store.load_latest(&s, 3).await.unwrap();
    assert!(of_3.snapshot.is_none());
    assert_covers(&of_3, total, 3);
}

pub async fn without_its_snapshots_a_stream_loads_from_its_events(store: &dyn EventStore) {
    let s = stream();
    let total = 2 * SNAPSHOT_EVERY + 7;
    append_with_snapshots(store, &s, 0, total, 1).await;
    assert!(store.load_latest(&s, 1).await.unwrap().snapshot.is_some());
    store.drop_snapshots(&s).await.unwrap();
    let latest = store.load_latest(&s, 1).await.unwrap();
    assert!(latest.snapshot.is_none());
    assert_covers(&latest, total, 1);
    assert_eq!(store.load(&s).await.unwrap().len() as u64, total);
    // The next crossing snapshots again.
    append_with_snapshots(store, &s, total, 3 * SNAPSHOT_EVERY + 1, 1).await;
    let latest = store.load_latest(&s, 1).await.unwrap();
    assert!(latest.snapshot.is_some());
    assert_covers(&latest, 3 * SNAPSHOT_EVERY + 1, 1);
}

pub async fn the_snapshot_of_a_lost_race_is_not_stored(store: &dyn EventStore) {
    let s = stream();
    append_with_snapshots(store, &s, 0, SNAPSHOT_EVERY - 1, 1).await;
    let records = events(0..3);
    let late = snapshot(SNAPSHOT_EVERY + 1, 1);
    let stale =
        StreamAppend { stream: &s, expected_version: SNAPSHOT_EVERY - 2, events: &records, snapshot: Some(&late) };
    assert_eq!(store.append_all(&[stale], &meta(), &[]).await, Err(StoreError::Conflict));
    let latest = store.load_latest(&s, 1).await.unwrap();
    assert!(latest.snapshot.is_none(), "{latest:?}");
    assert_covers(&latest, SNAPSHOT_EVERY - 1, 1);
}

static EVENTS_1: std::sync::LazyLock<Vec<EventRecord>> = std::sync::LazyLock::new(|| events(10..11));
static EVENTS_2: std::sync::LazyLock<Vec<EventRecord>> = std::sync::LazyLock::new(|| events(20..22));

pub async fn uses_are_touched_at_most_once_per_resolution(state: &dyn StateStore) {
    let key = format!("app-password#{}", Uuid::new_v4());
    let other = format!("app-password#{}", Uuid::new_v4());
    assert_eq!(state.last_touched(&[key.clone(), other.clone()]).await.unwrap(), [None, None]);
    assert!(state.touch(&key, AT, Duration::minutes(5)).await.unwrap());
    assert!(!state.touch(&key, AT + Duration::minutes(4), Duration::minutes(5)).await.unwrap());
    assert_eq!(state.last_touched(&[key.clone(), other.clone()]).await.unwrap(), [Some(AT), None]);
    assert!(state.touch(&key, AT + Duration::minutes(5), Duration::minutes(5)).await.unwrap());
    assert_eq!(state.last_touched(std::slice::from_ref(&key)).await.unwrap(), [Some(AT + Duration::minutes(5))]);
}

pub async fn failures_can_be_cleared(state: &dyn StateStore) {
    let key = format!("dav-failures#{}", Uuid::new_v4());
    record(state, &key, AT).await;
    record(state, &key, AT).await;
    state.clear_failures(&key).await.unwrap();
    assert_eq!(state.failures(&key, AT).await.unwrap().count, 0);
    assert_eq!(record(state, &key, AT).await.count, 1);
}

pub async fn documents_only_move_forward_and_can_be_deleted(state: &dyn StateStore) {
    let collection = format!("queue-{}", Uuid::new_v4().simple());
    assert_eq!(state.docs(&collection, AT).await.unwrap(), Vec::<serde_json::Value>::new());
    assert!(state.put_doc(&collection, "r1", 2, &json!({"v": 2}), None).await.unwrap());
    assert!(!state.put_doc(&collection, "r1", 1, &json!({"v": 1}), None).await.unwrap(), "an older version");
    assert!(!state.put_doc(&collection, "r1", 2, &json!({"v": 2.5}), None).await.unwrap(), "the same version");
    assert_eq!(state.doc(&collection, "r1", AT).await.unwrap(), Some(json!({"v": 2})));
    assert!(state.put_doc(&collection, "r1", 5, &json!({"v": 5}), Some(AT + Duration::hours(1))).await.unwrap());
    assert!(state.put_doc(&collection, "r2", 1, &json!({"v": "two"}), None).await.unwrap());
    let mut all: Vec<String> = state.docs(&collection, AT).await.unwrap().iter().map(|d| d["v"].to_string()).collect();
    all.sort();
    assert_eq!(all, ["\"two\"", "5"]);
    assert_eq!(state.doc(&collection, "r1", AT + Duration::hours(2)).await.unwrap(), None, "expired");
    assert_eq!(state.docs(&collection, AT + Duration::hours(2)).await.unwrap().len(), 1);
    state.delete_doc(&collection, "r2").await.unwrap();
    assert_eq!(state.doc(&collection, "r2", AT).await.unwrap(), None);
    assert_eq!(state.doc("other", "r1", AT).await.unwrap(), None);
}

pub async fn failure_counters_count_and_expire(state: &dyn StateStore) {
    let key = format!("failures#{}", Uuid::new_v4());
    assert_eq!(state.failures(&key, AT).await.unwrap().count, 0);
    for n in 1..=3 {
        let f = record(state, &key, AT + Duration::seconds(n)).await;
        assert_eq!(f.count, n as u32);
    }
    let f = state.failures(&key, AT + Duration::minutes(5)).await.unwrap();
    assert_eq!((f.count, f.last_at), (3, Some(AT + Duration::seconds(3))));
    assert_eq!(state.failures(&key, AT + Duration::hours(2)).await.unwrap().count, 0, "expired");
    let later = AT + Duration::hours(2);
    assert_eq!(record(state, &key, later).await.count, 1);
}

/// Counts a failure under the standard policy, expecting it counted.
async fn record(state: &dyn StateStore, key: &str, at: OffsetDateTime) -> Failures {
    state.record_failure(key, &LockoutPolicy::STANDARD, at, at + Duration::hours(1)).await.unwrap().expect("not locked")
}

pub async fn a_locked_counter_refuses_without_counting(state: &dyn StateStore) {
    let key = format!("failures#{}", Uuid::new_v4());
    let policy = LockoutPolicy::STANDARD;
    for _ in 0..10 {
        record(state, &key, AT).await;
    }
    let refused = state.record_failure(&key, &policy, AT + Duration::seconds(30), AT + Duration::hours(1)).await;
    assert_eq!(refused.unwrap(), Err(30));
    assert_eq!(state.failures(&key, AT).await.unwrap(), Failures { count: 10, last_at: Some(AT) });
    assert_eq!(record(state, &key, AT + Duration::minutes(1)).await.count, 11, "counted again once the lock is over");
}

pub async fn of_concurrent_failures_only_the_unlocked_ones_count(state: &dyn StateStore) {
    let key = format!("failures#{}", Uuid::new_v4());
    let policy = LockoutPolicy::STANDARD;
    let results =
        futures_join_all((0..15).map(|_| state.record_failure(&key, &policy, AT, AT + Duration::hours(1)))).await;
    let mut counts: Vec<u32> = results.iter().filter_map(|r| r.as_ref().ok()?.as_ref().ok()).map(|f| f.count).collect();
    counts.sort();
    assert_eq!(counts, (1..=10).collect::<Vec<_>>(), "{results:?}");
    assert_eq!(results.iter().filter(|r| matches!(r, Ok(Err(60)))).count(), 5, "{results:?}");
    assert_eq!(state.failures(&key, AT).await.unwrap().count, 10);
}

pub async fn markers_are_set_once(state: &dyn StateStore) {
    let marker = format!("mail#{}", Uuid::new_v4());
    assert!(state.mark_once(&marker, AT).await.unwrap());
    assert!(!state.mark_once(&marker, AT).await.unwrap());
    state.unmark(&marker).await.unwrap();
    assert!(state.mark_once(&marker, AT).await.unwrap());
}

pub async fn quota_slots_slide_and_refuse_without_counting(state: &dyn StateStore) {
    let key = format!("sms-number#{}", Uuid::new_v4());
    let windows = [Window::new(Duration::HOUR, 2)];
    assert_eq!(state.take_slot(&key, &windows, AT).await.unwrap(), Ok(()));
    assert_eq!(state.take_slot(&key, &windows, AT + Duration::minutes(10)).await.unwrap(), Ok(()));
    // Full until the first use leaves the hour; a refusal is not counted.
    for minutes in [20, 30] {
        assert_eq!(
            state.take_slot(&key, &windows, AT + Duration::minutes(minutes)).await.unwrap(),
            Err(3600 - 60 * minutes as u64)
        );
    }
    assert_eq!(state.take_slot(&key, &windows, AT + Duration::HOUR).await.unwrap(), Ok(()));
    assert!(state.take_slot(&key, &windows, AT + Duration::HOUR).await.unwrap().is_err());
}

pub async fn of_concurrent_takers_of_the_last_slots_only_so_many_win(state: &dyn StateStore) {
    let key = format!("sms-global#{}", Uuid::new_v4());
    let windows = [Window::new(Duration::HOUR, 3)];
    let results = futures_join_all((0..12).map(|_| state.take_slot(&key, &windows, AT))).await;
    let taken = results.iter().filter(|r| matches!(r, Ok(Ok(())))).count();
    assert_eq!(taken, 3, "{results:?}");
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
}

/// The statuses of requests sent at once, sorted: a multiset to compare
/// between two kinds of request, or to count by status.
pub async fn sorted_statuses<F, B>(requests: impl IntoIterator<Item = F>) -> Vec<u16>
where
    F: std::future::Future<Output = (u16, B)>,
{
    let mut statuses: Vec<u16> = futures_join_all(requests).await.into_iter().map(|(s, _)| s).collect();
    statuses.sort_unstable();
    statuses
}

/// Runs futures concurrently on the current task (no extra dependency).
pub async fn futures_join_all<F: std::future::Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in futures {
        set.push(Box::pin(f));
    }
    let mut results: Vec<Option<F::Output>> = set.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in set.iter_mut().enumerate() {
            if results[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => results[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending { std::task::Poll::Pending } else { std::task::Poll::Ready(()) }
    })
    .await;
    results.into_iter().map(|r| r.expect("all done")).collect()
}

/// One `#[tokio::test]` per conformance function, for the store `$make`
/// (an async expression yielding something that implements both ports).
#[macro_export]
macro_rules! store_conformance {
    (ignore = $reason:literal; $make:expr) => {
        $crate::store_conformance!(@all [#[ignore = $reason]] $make);
    };
    ($make:expr) => {
        $crate::store_conformance!(@all [] $make);
    };
    (@all $attrs:tt $make:expr) => {
        $crate::store_conformance!(@each $attrs $make;
            appended_events_load_back_unchanged,
            an_unknown_stream_is_empty,
            a_stale_expected_version_conflicts_and_writes_nothing,
            of_concurrent_writers_of_one_version_exactly_one_wins,
            a_taken_claim_fails_the_whole_append,
            of_concurrent_claims_of_one_key_exactly_one_wins,
            a_claim_is_released_only_by_its_owner,
            of_concurrent_moves_of_one_claim_exactly_one_wins,
            long_streams_load_completely_in_order,
            appends_beyond_one_transaction_are_refused_whole,
            an_append_to_several_streams_is_all_or_nothing,
            of_concurrent_joint_appends_on_one_stream_exactly_one_wins,
            the_latest_snapshot_comes_with_the_events_after_it,
            a_snapshot_of_another_fold_is_passed_over,
            without_its_snapshots_a_stream_loads_from_its_events,
            the_snapshot_of_a_lost_race_is_not_stored,
            uses_are_touched_at_most_once_per_resolution,
            failures_can_be_cleared,
            documents_only_move_forward_and_can_be_deleted,
            failure_counters_count_and_expire,
            a_locked_counter_refuses_without_counting,
            of_concurrent_failures_only_the_unlocked_ones_count,
            markers_are_set_once,
            quota_slots_slide_and_refuse_without_counting,
            of_concurrent_takers_of_the_last_slots_only_so_many_win);
    };
    (@each $attrs:tt $make:expr; $($name:ident),*) => {
        $($crate::store_conformance!(@one $attrs $make; $name);)*
    };
    (@one [$(#[$attr:meta])*] $make:expr; $name:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        $(#[$attr])*
        async fn $name() {
            let store = $make;
            $crate::conformance::$name(&store).await;
        }
    };
}
