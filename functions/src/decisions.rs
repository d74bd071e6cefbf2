//! The one runner of decisions. It loads the streams a decision needs,
//! lets the decision look at their state, appends what it decided,
//! expecting each stream at the version it saw, and after a lost race
//! (another request appended first: two Lambdas on one account) loads and
//! decides again with the fresher state. One stream (`decide`) or an
//! account and a reset request together in one transaction (`decide_joint`).

use events::account::Account;
use events::factor_reset::{JointDecision, ResetRequest};
use events::{Aggregate, Decision, EventCodec, EventRecord};
use uuid::Uuid;

use crate::app::App;
use crate::http::ApiError;
use crate::metrics;
use crate::ports::store::{Meta, StoreError, StreamAppend, decode};

/// How often a decision is tried before the request gives up (503). Thirty
/// requests on one account at once settle well within this.
const MAX_ATTEMPTS: u32 = 64;

/// A stream's name, the version its decision saw, and the events to append.
type Append = (String, u64, Vec<EventRecord>);

fn records<E: EventCodec>(events: &[E]) -> Vec<EventRecord> {
    events.iter().map(EventCodec::encode).collect()
}

impl App {
    /// The state of stream `A::stream_id(id)`: empty (`!exists()`) when it
    /// has no events.
    pub async fn load<A: Aggregate>(&self, id: Uuid) -> Result<A, ApiError> {
        let stored = self.store.load(&A::stream_id(id)).await?;
        Ok(A::from_events(&decode(&stored)?))
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
            let state = match loaded.take() {
                Some(state) => state,
                None => self.load::<A>(id).await?,
            };
            if !state.exists() {
                return Err(A::MISSING.into());
            }
            let version = state.version();
            let decision = decide(state).await?;
            let appends = vec![(stream.clone(), version, records(&decision.events))];
            if self.append_decided(appends, meta).await? {
                return decision.outcome.map_err(ApiError::from);
            }
            backoff(attempt).await;
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
            let account = self.load::<Account>(account_id).await?;
            let request = self.load::<ResetRequest>(request_id).await?;
            let (account_version, request_version) = (account.version, request.version);
            let decision = decide(account, request).await?;
            let appends = vec![
                (Account::stream_id(account_id), account_version, records(&decision.account_events)),
                (ResetRequest::stream_id(request_id), request_version, records(&decision.reset_events)),
            ];
            if self.append_decided(appends, meta).await? {
                return decision.outcome.map_err(ApiError::from);
            }
            backoff(attempt).await;
        }
        Err(gave_up(&ResetRequest::stream_id(request_id)))
    }

    /// Appends the non-empty ones of `appends` together: true when stored
    /// (or nothing to store), false when another append came first.
    async fn append_decided(&self, appends: Vec<Append>, meta: &Meta) -> Result<bool, ApiError> {
        let appends: Vec<StreamAppend<'_>> = appends
            .iter()
            .filter(|(_, _, events)| !events.is_empty())
            .map(|(stream, expected_version, events)| StreamAppend {
                stream,
                expected_version: *expected_version,
                events,
            })
            .collect();
        let result = match appends.as_slice() {
            [] => return Ok(true),
            [one] => self.store.append(one.stream, one.expected_version, one.events, meta, &[]).await,
            all => self.store.append_all(all, meta, &[]).await.map(|_| 0),
        };
        match result {
            Ok(_) => {
                let counted: Vec<_> = appends.iter().flat_map(|a| metrics::of_events(a.stream, a.events)).collect();
                metrics::emit(&counted);
                Ok(true)
            }
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e.into()),
        }
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
