//! Loading accounts and appending their decisions, with optimistic
//! concurrency: when another request appended first, reload and decide again.

use std::future::Future;

use events::account::{self, Account, AccountEvent, Decision};
use events::{EventCodec, email};
use uuid::Uuid;

use crate::app::App;
use crate::http::ApiError;
use crate::ports::store::{Claim, Meta, StoreError, decode};

/// How often a decision is retried after losing a race. Thirty requests on
/// one account at once settle well within this.
const MAX_ATTEMPTS: u32 = 64;

impl App {
    /// The argon2 hash of a new password (one that passed
    /// `password_policy::check`), off the async threads and within the
    /// bound on argon2 runs: it is CPU work.
    pub async fn hash_password(&self, password: &str) -> Result<String, ApiError> {
        let password = zeroize::Zeroizing::new(password.to_owned());
        self.passwords.run(move |passwords| passwords.hash(&password)).await
    }

    pub async fn load_account(&self, account_id: Uuid) -> Result<Account, ApiError> {
        let stored = self.store.load(&account::stream_id(account_id)).await?;
        Ok(Account::from_events(&decode(&stored)?))
    }

    /// The account an email belongs to (consistent read of the claim).
    pub async fn account_for_email(&self, normalized_email: &str) -> Result<Option<Uuid>, ApiError> {
        let owner = self.store.claim_owner(&account::email_claim(normalized_email)).await?;
        Ok(owner.and_then(|stream| stream.strip_prefix("account#").and_then(|id| Uuid::parse_str(id).ok())))
    }

    /// The account an address as typed belongs to, under any form it may be
    /// stored under (`email::lookup_forms`: today's, and that of accounts
    /// made before UTS 46). Every form is read, found or not, so the time
    /// does not tell which one matched.
    pub async fn account_for_address(&self, raw_email: &str) -> Result<Option<Uuid>, ApiError> {
        let mut found = None;
        for form in email::lookup_forms(raw_email) {
            let owner = self.account_for_email(&form).await?;
            found = found.or(owner);
        }
        Ok(found)
    }

    pub async fn append_account(
        &self,
        account_id: Uuid,
        expected_version: u64,
        events: &[AccountEvent],
        meta: &Meta,
        claims: &[Claim],
    ) -> Result<u64, StoreError> {
        let records: Vec<_> = events.iter().map(EventCodec::encode).collect();
        self.store.append(&account::stream_id(account_id), expected_version, &records, meta, claims).await
    }

    /// Loads the account, lets `decide` look at it, appends what it decided
    /// and returns its answer. `decide` may run several times (after a lost
    /// race, with the fresher state); only the last run's answer counts.
    pub async fn decide<T, F, Fut>(&self, account_id: Uuid, meta: &Meta, decide: F) -> Result<T, ApiError>
    where
        F: FnMut(Account) -> Fut,
        Fut: Future<Output = Result<Decision<T>, ApiError>>,
    {
        self.decide_from(None, account_id, meta, decide).await
    }

    /// As `decide`, starting from an account the caller loaded already
    /// (saves a read); later attempts load afresh.
    pub async fn decide_from<T, F, Fut>(
        &self,
        mut loaded: Option<Account>,
        account_id: Uuid,
        meta: &Meta,
        mut decide: F,
    ) -> Result<T, ApiError>
    where
        F: FnMut(Account) -> Fut,
        Fut: Future<Output = Result<Decision<T>, ApiError>>,
    {
        for attempt in 0..MAX_ATTEMPTS {
            let account = match loaded.take() {
                Some(account) => account,
                None => self.load_account(account_id).await?,
            };
            if !account.exists() {
                return Err(ApiError::unauthorized());
            }
            let version = account.version;
            let decision = decide(account).await?;
            if decision.events.is_empty() {
                return decision.outcome.map_err(ApiError::from);
            }
            match self.append_account(account_id, version, &decision.events, meta, &[]).await {
                Ok(_) => return decision.outcome.map_err(ApiError::from),
                Err(StoreError::Conflict) => backoff(attempt).await,
                Err(e) => return Err(e.into()),
            }
        }
        tracing::warn!(%account_id, "gave up after repeated write conflicts");
        Err(ApiError::unavailable())
    }
}

/// A short random pause so racing writers spread out.
pub(crate) async fn backoff(attempt: u32) {
    let jitter = u64::from(crate::crypto::random_bytes::<1>()[0] % 8);
    let millis = (u64::from(attempt.min(6)) * 2 + jitter).min(40);
    tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
}
