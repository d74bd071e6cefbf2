//! The one runner of decisions. It loads the streams a decision needs,
//! lets the decision look at their state, appends what it decided,
//! expecting each stream at the version it saw, and after a lost race
//! (another request appended first: two Lambdas on one account) loads and
//! decides again with the fresher state. One stream (`decide`) or an
//! account and a reset request together in one transaction (`decide_joint`).
//!
//! A load starts from the stream's latest snapshot of the aggregate's fold
//! and folds only the events after it, so its cost does not grow with the
//! stream's age. An append that takes a stream across a multiple of
//! `SNAPSHOT_EVERY` carries the new state's snapshot in the same atomic
//! write: no extra round trip, and no snapshot of a state that was never
//! stored. Snapshots are a cache: without one, a load folds every event.

use events::account::Account;
use events::factor_reset::{JointDecision, ResetRequest};
use events::retention::RetentionPolicy;
use events::{Aggregate, Decision, EventCodec, EventRecord};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::app::App;
use crate::http::ApiError;
use crate::metrics;
use crate::ports::store::{Claim, Meta, Snapshot, StoreError, StoredEvent, StreamAppend, decode, snapshot_due};

/// How often a decision is tried before the request gives up (503). Thirty
/// requests on one account at once settle well within this.
const MAX_ATTEMPTS: u32 = 64;

/// Snapshots larger than this are not written (DynamoDB holds at most
/// 400 KB an item); the states stay far below it (they drop what has
/// expired), so this only guards against a fold that would grow.
const MAX_SNAPSHOT_BYTES: usize = 256 * 1024;

/// A stream's name, the version its decision saw, the events to append and
/// the snapshot that goes with them.
type Append = (String, u64, Vec<EventRecord>, Option<Snapshot>);

/// The events as stored: encoded, each with the expiry its retention
/// class earns under `policy` (`events::retention`), counted from `at`.
pub(crate) fn records<E: EventCodec>(events: &[E], policy: &RetentionPolicy, at: OffsetDateTime) -> Vec<EventRecord> {
    events
        .iter()
        .map(|event| EventRecord { expires_at: policy.expires_at(event.retention(), at), ..event.encode() })
        .collect()
}

/// What to append to `stream` after a decision on `before`: the events,
/// and the state after them as a snapshot when the append crosses a
/// multiple of `SNAPSHOT_EVERY`. That state is folded from the records as
/// a later load decodes them, so it is the very state a load would fold.
fn append_of<A: Aggregate>(
    stream: String,
    (before, version): (A, u64),
    events: &[A::Event],
    meta: &Meta,
    policy: &RetentionPolicy,
) -> Result<Append, ApiError> {
    let records = records(events, policy, meta.at);
    let new_version = version + records.len() as u64;
    if !snapshot_due(version, new_version) {
        return Ok((stream, version, records, None));
    }
    let stored: Vec<StoredEvent> = (version + 1..)
        .zip(&records)
        .map(|(version, record)| StoredEvent {
            stream: stream.clone(),
            version,
            record: record.clone(),
            meta: meta.clone(),
        })
        .collect();
    let after = before.folded(&decode::<A::Event>(&stored)?);
    let state = serde_json::to_value(&after).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let size = state.to_string().len();
    let snapshot = if size <= MAX_SNAPSHOT_BYTES {
        Some(Snapshot { version: new_version, fold_version: A::FOLD_VERSION, state })
    } else {
        tracing::warn!(stream, size, "state too large for a snapshot");
        None
    };
    Ok((stream, version, records, snapshot))
}

impl App {
    /// The state of stream `A::stream_id(id)`: empty (`!exists()`) when it
    /// has no events.
    /// Starts from the latest snapshot of `A`'s fold, if there is one.
    pub async fn load<A: Aggregate>(&self, id: Uuid) -> Result<A, ApiError> {
        Ok(self.load_with_version::<A>(id).await?.0)
    }

    /// The state and the stream's version, which is ahead of the state's
    /// when the newest events have expired (`events::retention`: their
    /// effects ended long before): what an append must expect.
    async fn load_with_version<A: Aggregate>(&self, id: Uuid) -> Result<(A, u64), ApiError> {
        let stream = A::stream_id(id);
        let latest = self.store.load_latest(&stream, A::FOLD_VERSION).await?;
        let version = latest.version;
        let start = match latest.snapshot {
            None => A::default(),
            Some(snapshot) => match serde_json::from_value::<A>(snapshot.state) {
                Ok(state) if state.version() == snapshot.version => state,
                // A cache that does not read is no reason to refuse: the
                // events are the truth.
                _ => {
                    tracing::warn!(stream, version = snapshot.version, "unreadable snapshot passed over");
                    return Ok((A::from_events(&decode(&self.store.load(&stream).await?)?), version));
                }
            },
        };
        Ok((start.folded(&decode(&latest.events)?), version))
    }

    pub async fn load_account(&self, account_id: Uuid) -> Result<Account, ApiError> {
        self.load(account_id).await
    }

    /// Loads the stream, lets `decide` look at it, appends what it decided
    /// and returns its answer. `decide` may run several times (after a lost
    /// race, with the fresher state); only the last run's answer counts. A
    /// stream without events answers `A::MISSING`.
    pub async fn decide<A, T, F, Fut>(&self, id: Uuid, meta: &Meta, decide: F) -> Result<T, ApiError>
    where
        A: Aggregate,
        F: FnMut(A) -> Fut,
        Fut: Future<Output = Result<Decision<T, A::Event>, ApiError>>,
    {
        self.decide_from(None, id, meta, decide).await
    }

    /// As `decide`, starting from a state the caller loaded already (saves
    /// a read); later attempts load afresh.
    pub async fn decide_from<A, T, F, Fut>(
        &self,
        mut loaded: Option<A>,
        id: Uuid,
        meta: &Meta,
        mut decide: F,
    ) -> Result<T, ApiError>
    where
        A: Aggregate,
        F: FnMut(A) -> Fut,
        Fut: Future<Output = Result<Decision<T, A::Event>, ApiError>>,
    {
        let stream = A::stream_id(id);
        for attempt in 0..MAX_ATTEMPTS {
            // A caller's state may stand behind its stream's version (its
            // newest events expired); the append then conflicts and the
            // next attempt loads the version too.
            let (state, version) = match loaded.take() {
                Some(state) => {
                    let version = state.version();
                    (state, version)
                }
                None => self.load_with_version::<A>(id).await?,
            };
            if !state.exists() {
                return Err(A::MISSING.into());
            }
            let before = (state.clone(), version);
            let decision = decide(state).await?;
            let appends = vec![append_of(stream.clone(), before, &decision.events, meta, self.retention())?];
            if self.append_decided(appends, meta, &[]).await? {
                return decision.outcome.map_err(ApiError::from);
            }
            backoff(attempt).await;
        }
        Err(gave_up(&stream))
    }

    /// As `decide`, with uniqueness claims taken (or released) in the same
    /// atomic append as the events: `decide` answers them beside its
    /// decision (only when it decided to append). A claim held by another
    /// stream refuses with `taken` and writes nothing; no use retrying,
    /// the other owner keeps it.
    pub async fn decide_claiming<A, T, F, Fut>(
        &self,
        id: Uuid,
        meta: &Meta,
        taken: fn() -> ApiError,
        mut decide: F,
    ) -> Result<T, ApiError>
    where
        A: Aggregate,
        F: FnMut(A) -> Fut,
        Fut: Future<Output = Result<(Decision<T, A::Event>, Vec<Claim>), ApiError>>,
    {
        let stream = A::stream_id(id);
        for attempt in 0..MAX_ATTEMPTS {
            let (state, version) = self.load_with_version::<A>(id).await?;
            if !state.exists() {
                return Err(A::MISSING.into());
            }
            let before = (state.clone(), version);
            let (decision, claims) = decide(state).await?;
            let appends = vec![append_of(stream.clone(), before, &decision.events, meta, self.retention())?];
            match self.append_decided(appends, meta, &claims).await {
                Ok(true) => return decision.outcome.map_err(ApiError::from),
                Ok(false) => backoff(attempt).await,
                // Refused by a claim: another owner holds it, or this very
                // stream moved on (a racing twin released or took it first),
                // which is a lost race like any other: decide again.
                Err(StoreError::ClaimTaken(_)) => {
                    if self.store.load_latest(&stream, A::FOLD_VERSION).await?.version == version {
                        return Err(taken());
                    }
                    backoff(attempt).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(gave_up(&stream))
    }

    /// Loads a reset request and its owner's account, lets `decide` look at
    /// both, and appends what it decided to both streams in one
    /// transaction; after a lost race, loads and decides again. A new
    /// request's stream is simply empty (the submission).
    pub async fn decide_joint<T, F, Fut>(
        &self,
        account_id: Uuid,
        request_id: Uuid,
        meta: &Meta,
        mut decide: F,
    ) -> Result<T, ApiError>
    where
        F: FnMut(Account, ResetRequest) -> Fut,
        Fut: Future<Output = Result<JointDecision<T>, ApiError>>,
    {
        for attempt in 0..MAX_ATTEMPTS {
            let account = self.load_with_version::<Account>(account_id).await?;
            let request = self.load_with_version::<ResetRequest>(request_id).await?;
            let decision = decide(account.0.clone(), request.0.clone()).await?;
            let policy = self.retention();
            let appends = vec![
                append_of(Account::stream_id(account_id), account, &decision.account_events, meta, policy)?,
                append_of(ResetRequest::stream_id(request_id), request, &decision.reset_events, meta, policy)?,
            ];
            if self.append_decided(appends, meta, &[]).await? {
                return decision.outcome.map_err(ApiError::from);
            }
            backoff(attempt).await;
        }
        Err(gave_up(&ResetRequest::stream_id(request_id)))
    }

    /// Appends the non-empty ones of `appends` together, with `claims`:
    /// true when stored (or nothing to store), false when another append
    /// came first.
    async fn append_decided(&self, appends: Vec<Append>, meta: &Meta, claims: &[Claim]) -> Result<bool, StoreError> {
        let appends: Vec<StreamAppend<'_>> = appends
            .iter()
            .filter(|(_, _, events, _)| !events.is_empty())
            .map(|(stream, expected_version, events, snapshot)| StreamAppend {
                stream,
                expected_version: *expected_version,
                events,
                snapshot: snapshot.as_ref(),
            })
            .collect();
        if appends.is_empty() {
            return Ok(true);
        }
        let result = self.store.append_all(&appends, meta, claims).await;
        match result {
            Ok(_) => {
                let counted: Vec<_> = appends.iter().flat_map(|a| metrics::of_events(a.stream, a.events)).collect();
                metrics::emit(&counted);
                Ok(true)
            }
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

impl App {
    fn retention(&self) -> &RetentionPolicy {
        &self.settings.retention
    }
}

fn gave_up(stream: &str) -> ApiError {
    tracing::warn!(stream, attempts = MAX_ATTEMPTS, "gave up after repeated write conflicts");
    ApiError::unavailable()
}

/// A short random pause so racing writers spread out.
pub(crate) async fn backoff(attempt: u32) {
    let jitter = u64::from(crate::crypto::random_bytes::<1>()[0] % 8);
    let millis = (u64::from(attempt.min(6)) * 2 + jitter).min(40);
    tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
}
