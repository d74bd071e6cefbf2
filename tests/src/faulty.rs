//! An event store that fails on purpose: before a write (nothing stored)
//! or after it (stored, but the caller hears an error, as after a timeout),
//! or lets another writer in first. Wraps any adapter, so the fault tests
//! run on SQLite and DynamoDB alike.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use async_trait::async_trait;
use functions::ports::store::{Claim, EventStore, Latest, Meta, StoreError, StoredEvent, StreamAppend};

pub struct FaultyStore {
    pub inner: Arc<dyn EventStore>,
    /// Faults happen only while this is on.
    pub enabled: AtomicBool,
    /// One call in `every` fails (deterministic, so a run can be repeated).
    pub every: u64,
    calls: AtomicU64,
    pub injected: AtomicU64,
    /// Armed, the next append is preceded by a `LanguageChanged` on the
    /// same stream at the same expected version, so the caller's append
    /// conflicts and its decision runs again on the newer state, as when
    /// two Lambdas handle one account at once. What a decision does only
    /// once per request (a passkey's single-use ceremony) shows here
    /// whether it survives the retry. Independent of `enabled`.
    pub race_next: AtomicBool,
    /// How many appends were raced.
    pub raced: AtomicU64,
}

impl FaultyStore {
    pub fn new(inner: Arc<dyn EventStore>, every: u64) -> Self {
        FaultyStore {
            inner,
            enabled: AtomicBool::new(false),
            every,
            calls: AtomicU64::new(0),
            injected: AtomicU64::new(0),
            race_next: AtomicBool::new(false),
            raced: AtomicU64::new(0),
        }
    }

    /// Which fault this call gets: 0 none, 1 before, 2 after.
    fn roll(&self) -> u64 {
        if !self.enabled.load(Ordering::Relaxed) {
            return 0;
        }
        let n = self.calls.fetch_add(1, Ordering::Relaxed);
        if n.is_multiple_of(self.every) {
            self.injected.fetch_add(1, Ordering::Relaxed);
            1 + (n / self.every) % 2
        } else {
            0
        }
    }
}

fn fault() -> StoreError {
    StoreError::Unavailable("injected fault".into())
}

#[async_trait]
impl EventStore for FaultyStore {
    async fn load(&self, stream: &str) -> Result<Vec<StoredEvent>, StoreError> {
        if self.roll() != 0 {
            return Err(fault());
        }
        self.inner.load(stream).await
    }

    async fn load_latest(&self, stream: &str, fold_version: u32) -> Result<Latest, StoreError> {
        if self.roll() != 0 {
            return Err(fault());
        }
        self.inner.load_latest(stream, fold_version).await
    }

    async fn drop_snapshots(&self, stream: &str) -> Result<(), StoreError> {
        self.inner.drop_snapshots(stream).await
    }

    async fn redact(&self, stream: &str, version: u64, record: &events::EventRecord) -> Result<(), StoreError> {
        self.inner.redact(stream, version, record).await
    }

    async fn append_all(
        &self,
        appends: &[StreamAppend<'_>],
        meta: &Meta,
        claims: &[Claim],
    ) -> Result<Vec<u64>, StoreError> {
        if let Some(first) = appends.first().filter(|_| self.race_next.swap(false, Ordering::SeqCst)) {
            use events::EventCodec;
            let other =
                [events::account::AccountEvent::LanguageChanged { locale: events::account::Locale::De }.encode()];
            let race = StreamAppend {
                stream: first.stream,
                expected_version: first.expected_version,
                events: &other,
                snapshot: None,
            };
            self.inner.append_all(&[race], meta, &[]).await?;
            self.raced.fetch_add(1, Ordering::SeqCst);
        }
        match self.roll() {
            1 => Err(fault()),
            2 => {
                self.inner.append_all(appends, meta, claims).await?;
                Err(fault())
            }
            _ => self.inner.append_all(appends, meta, claims).await,
        }
    }

    async fn write_claims(&self, claims: &[Claim]) -> Result<(), StoreError> {
        if self.roll() == 1 {
            return Err(fault());
        }
        self.inner.write_claims(claims).await
    }

    async fn claim_owner(&self, key: &str) -> Result<Option<String>, StoreError> {
        if self.roll() != 0 {
            return Err(fault());
        }
        self.inner.claim_owner(key).await
    }
}
