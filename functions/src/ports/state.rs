//! The state port: everything beside the event log that is not an event.
//! Lockout counters, quotas and single-use markers, which decisions read
//! and write with conditions (so they hold under concurrency); the sealed
//! data keys of reset forms (crypto-shredding); and the projections' read
//! models (the support queue), which are eventually consistent. On AWS it
//! is the DynamoDB table `PORTAL_STATE_TABLE`, on the embedded backend
//! tables of the SQLite file.
//!
//! Every key, in one place. The adapter prefixes the caller's key by kind
//! (DynamoDB `pk`; SQLite keeps each kind in its own table):
//!
//! | kind (`pk` prefix) | method | callers' keys |
//! | --- | --- | --- |
//! | `counter#` | `record_failure`, `failures`, `clear_failures` | `login-failures#<keyed hash of an unknown email>` (login), `dav-failures#<account id or keyed hash>` (DAV), `password-reset#<keyed hash>` (forgot-password limit for unknown emails) |
//! | `quota#` | `take_slot` | `sms-number#<keyed hash of the number>`, `sms-global` (the hourly SMS ceiling), `passkey-options#<keyed hash of the network>` (passkey sign-ins started) |
//! | `marker#` | `mark_once`, `unmark` | `altcha#<replay key>` (a solved challenge), `mail#<stream>#<version>` (a notification sent) |
//! | `used#` | `touch`, `last_touched` | `app-password#<id>` (last use, at most every five minutes) |
//! | `doc#<collection>` (`sk`: id) | `put_doc`, `doc`, `docs`, `delete_doc`, `take_doc` | `support-queue` and `reset-decided` (projections), `reset-data-key` (a request's sealed data key), `account-data-key` (an account's data key, sealed by the KEK) and `key-encryption-key` (the KEK, sealed by the key ring; `personal_data`), `passkey-challenge` (a WebAuthn ceremony's server state, taken once) |
//! | `claim#` (events store) | `EventStore::append` and `write_claims` claims | `email#<keyed hash of the normalised email>` (`App::email_claim`), `username#<keyed hash>` (`App::username_claim`), owned by `account#<id>`; before December 2026 `email#<normalised email>` (`events::account::legacy_email_claim`, moved at lookup) |
//!
//! Event streams are `account#<id>` and `reset#<id>` (the lost-factor
//! process), in the events table.

use async_trait::async_trait;
use events::lockout::{Failures, LockoutPolicy};
use events::quota::Window;
use time::OffsetDateTime;

use super::store::StoreError;

#[async_trait]
pub trait StateStore: Send + Sync {
    /// Counts one more failure under `key` (kept until `expires_at`) unless
    /// the failures so far lock it at `at` (`Failures::try_record`): read,
    /// decide and write as one atomic step, so of racing callers exactly as
    /// many are counted as the policy lets through, and the others are
    /// refused, as an account's stream counts them under optimistic
    /// appends. Used for what has no event stream, e.g. failed logins for
    /// emails that have no account. `Ok(Err(s))`: locked, retry in `s`
    /// seconds; nothing is counted then.
    async fn record_failure(
        &self,
        key: &str,
        policy: &LockoutPolicy,
        at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<Result<Failures, u64>, StoreError>;

    async fn failures(&self, key: &str, now: OffsetDateTime) -> Result<Failures, StoreError>;

    /// Forgets the failures under `key` (a success ends the run of
    /// consecutive failures).
    async fn clear_failures(&self, key: &str) -> Result<(), StoreError>;

    /// Records that `key` was used at `at`, unless an earlier use within
    /// `resolution` is recorded already (then nothing is written): a
    /// last-used time without a write per use. True when it wrote.
    async fn touch(&self, key: &str, at: OffsetDateTime, resolution: time::Duration) -> Result<bool, StoreError>;

    /// The last recorded use of each key, in the order asked.
    async fn last_touched(&self, keys: &[String]) -> Result<Vec<Option<OffsetDateTime>>, StoreError>;

    /// Sets a marker if it is not set yet; true when this call set it.
    /// Delivery markers make notifications at-most-once per event.
    async fn mark_once(&self, marker: &str, at: OffsetDateTime) -> Result<bool, StoreError>;

    /// Removes a marker again, when the work it guarded failed.
    async fn unmark(&self, marker: &str) -> Result<(), StoreError>;

    /// Writes a read-model document (`collection`, `id`) projected from a
    /// stream at `version`, unless one from that version or later is stored:
    /// replays and late deliveries never move a view back. True when
    /// written. `expires_at`: the document may be dropped after it (TTL).
    async fn put_doc(
        &self,
        collection: &str,
        id: &str,
        version: u64,
        doc: &serde_json::Value,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<bool, StoreError>;

    /// One document (consistent read), unless expired at `now`.
    async fn doc(
        &self,
        collection: &str,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<Option<serde_json::Value>, StoreError>;

    /// Every unexpired document of a collection, in no particular order.
    async fn docs(&self, collection: &str, now: OffsetDateTime) -> Result<Vec<serde_json::Value>, StoreError>;

    /// Removes a document for good (e.g. a data key, for crypto-shredding).
    async fn delete_doc(&self, collection: &str, id: &str) -> Result<(), StoreError>;

    /// Removes a document and answers it, unless expired at `now`, in one
    /// atomic step: of racing callers for one document exactly one gets it
    /// (single-use things, e.g. a passkey ceremony's challenge).
    async fn take_doc(
        &self,
        collection: &str,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<Option<serde_json::Value>, StoreError>;

    /// Takes one use under `key` at `now` if it fits every window
    /// (`events::quota::admit`), atomically across processes: of racing
    /// callers for the last free use, one gets it. `Ok(Err(s))`: refused,
    /// retry in `s` seconds; nothing is counted then.
    async fn take_slot(
        &self,
        key: &str,
        windows: &[Window],
        now: OffsetDateTime,
    ) -> Result<Result<(), u64>, StoreError>;
}
