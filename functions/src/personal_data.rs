//! Personal data sealed under a data key of each account's own
//! (crypto-shredding, issue 16): email, name, user name and app-password
//! names in the account's events (`events::sealed`).
//!
//! Keys, three levels:
//! - the **key ring** (`ports::keys`: KMS on AWS, `data.key` embedded)
//!   seals one **key-encryption key** (KEK), 32 random bytes made once and
//!   stored sealed in the state store (`KEK`). It is opened once per warm
//!   process and kept in memory (`OnceCell`): on AWS a single KMS Decrypt
//!   per warm function, so a sign-in (which opens nothing anyway) and the
//!   output paths make no KMS call;
//! - the KEK seals each account's **data key** (AES-256-GCM, the stream id
//!   as associated data), stored in the state store (`DATA_KEYS`, one
//!   document per account), never in the event log;
//! - the data key seals the account's personal data, with the stream id as
//!   associated data, so a value copied into another stream does not open.
//!
//! Deleting an account deletes its data-key document: every sealed value
//! in its events, snapshots and backups is unreadable from then on.
//! Opening costs one consistent read of the data-key document and two
//! AES-GCM operations; sealing at registration one conditional write more.

use std::sync::Arc;

use events::Sealed;
use events::account::{Account, stream_id};
use events::sealed::Content;
use time::OffsetDateTime;
use tokio::sync::OnceCell;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::adapters::local_keys::LocalKeyRing;
use crate::crypto::random_bytes;
use crate::ports::keys::{KeyError, KeyRing};
use crate::ports::state::StateStore;
use crate::ports::store::StoreError;

/// State collection of the accounts' sealed data keys (id: account id).
pub const DATA_KEYS: &str = "account-data-key";
/// State collection of the sealed key-encryption key (one document).
pub const KEK: &str = "key-encryption-key";
const KEK_ID: &str = "1";
/// Marks a phone number sealed under the account's data key (`seal_phone`).
pub const PHONE_PREFIX: &str = "account-key:";
/// Associated data of the KEK's sealing by the key ring.
const KEK_CONTEXT: &str = "personal-data-kek";

/// The keys of personal data, shared by the handlers and the projector so
/// the KEK is opened once per process.
pub struct PersonalKeys {
    state: Arc<dyn StateStore>,
    keys: Arc<dyn KeyRing>,
    kek: OnceCell<LocalKeyRing>,
}

/// One account's data key, open: seals and opens its personal data.
pub struct AccountKey {
    ring: LocalKeyRing,
    context: String,
}

/// What an account holds of its owner, opened for an output path.
#[derive(Clone, PartialEq, Eq)]
pub struct Person {
    pub email: String,
    pub name: String,
}

impl std::fmt::Debug for Person {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Person(..)")
    }
}

fn key_error(e: KeyError) -> StoreError {
    match e {
        KeyError::Unavailable(m) => StoreError::Unavailable(m),
        KeyError::Invalid => StoreError::Corrupt("personal data: sealed data does not open".into()),
    }
}

impl PersonalKeys {
    pub fn new(state: Arc<dyn StateStore>, keys: Arc<dyn KeyRing>) -> Self {
        PersonalKeys { state, keys, kek: OnceCell::new() }
    }

    /// The KEK, opened at the first use in this process and kept. Made at
    /// the very first use of the installation; of two processes making it
    /// at once, the first write wins and the other reads it back.
    async fn kek(&self) -> Result<&LocalKeyRing, StoreError> {
        self.kek
            .get_or_try_init(|| async {
                let epoch = OffsetDateTime::UNIX_EPOCH;
                let sealed = match self.state.doc(KEK, KEK_ID, epoch).await? {
                    Some(doc) => sealed_key_of(&doc)?,
                    None => {
                        let fresh = Zeroizing::new(random_bytes::<32>());
                        let sealed = self.keys.seal(&*fresh, KEK_CONTEXT).await.map_err(key_error)?;
                        let doc = serde_json::json!({ "sealed_key": sealed });
                        if self.state.put_doc(KEK, KEK_ID, 1, &doc, None).await? {
                            sealed
                        } else {
                            let doc = self.state.doc(KEK, KEK_ID, epoch).await?;
                            sealed_key_of(&doc.ok_or_else(|| StoreError::Corrupt("the KEK vanished".into()))?)?
                        }
                    }
                };
                let plain = self.keys.open(&sealed, KEK_CONTEXT).await.map_err(key_error)?;
                Ok(LocalKeyRing::new(&key_bytes(&plain)?))
            })
            .await
    }

    /// A fresh data key for a new account, stored (sealed by the KEK)
    /// before anything is sealed with it: a failure in between leaves an
    /// unused key, never sealed data without one.
    pub async fn create(&self, account_id: Uuid) -> Result<AccountKey, StoreError> {
        let context = stream_id(account_id);
        let data_key = Zeroizing::new(random_bytes::<32>());
        let sealed = self.kek().await?.seal(&*data_key, &context).await.map_err(key_error)?;
        let doc = serde_json::json!({ "sealed_key": sealed });
        if !self.state.put_doc(DATA_KEYS, &account_id.to_string(), 1, &doc, None).await? {
            // Only an account made before sealing gets its key late
            // (`for_sealing`); two of its requests may race: the stored one wins.
            return self.open(account_id).await?.ok_or_else(|| StoreError::Corrupt("a data key vanished".into()));
        }
        Ok(AccountKey { ring: LocalKeyRing::new(&data_key), context })
    }

    /// The account's data key, or `None` when it has none (destroyed by a
    /// deletion, or an account of before sealing that never needed one).
    pub async fn open(&self, account_id: Uuid) -> Result<Option<AccountKey>, StoreError> {
        let epoch = OffsetDateTime::UNIX_EPOCH;
        let Some(doc) = self.state.doc(DATA_KEYS, &account_id.to_string(), epoch).await? else { return Ok(None) };
        let context = stream_id(account_id);
        let plain = self.kek().await?.open(&sealed_key_of(&doc)?, &context).await.map_err(key_error)?;
        Ok(Some(AccountKey { ring: LocalKeyRing::new(&key_bytes(&plain)?), context }))
    }

    /// The key to seal something new of an existing account with. An
    /// account registered before sealing has none yet: it gets one now.
    pub async fn for_sealing(&self, account: &Account) -> Result<AccountKey, StoreError> {
        match self.open(account.id).await? {
            Some(key) => Ok(key),
            None if account.email.is_legacy() => self.create(account.id).await,
            None => Err(StoreError::Corrupt(format!("account {}: no data key", account.id))),
        }
    }

    /// A phone number sealed under the account's data key, marked
    /// `PHONE_PREFIX` (numbers sealed before December 2026 are the key
    /// ring's, unmarked: `open_phone` tells them apart).
    pub async fn seal_phone(&self, account: &Account, e164: &str) -> Result<String, StoreError> {
        let sealed = self.for_sealing(account).await?.seal(e164).await?;
        Ok(format!("{PHONE_PREFIX}{}", sealed.as_stored()))
    }

    /// A sealed phone number of the account `account_id`, opened: by its
    /// data key (`None` once destroyed), or by the key ring for a number
    /// sealed before.
    pub async fn open_phone(&self, account_id: Uuid, sealed: &str) -> Result<Option<String>, StoreError> {
        let plain = match sealed.strip_prefix(PHONE_PREFIX) {
            Some(ciphertext) => {
                let Some(key) = self.open(account_id).await? else { return Ok(None) };
                return open(Some(&key), &Sealed::from_ciphertext(ciphertext.to_owned()));
            }
            None => self.keys.open(sealed, &stream_id(account_id)).await.map_err(key_error)?,
        };
        String::from_utf8(plain.to_vec()).map(Some).map_err(|_| StoreError::Corrupt("a phone number: not UTF-8".into()))
    }

    /// Destroys the account's data key (crypto-shredding).
    pub async fn destroy(&self, account_id: Uuid) -> Result<(), StoreError> {
        self.state.delete_doc(DATA_KEYS, &account_id.to_string()).await
    }

    /// The account's email and name, opened; `None` once its key is gone.
    pub async fn person(&self, account: &Account) -> Result<Option<Person>, StoreError> {
        let key = self.key_if_needed(account, [&account.email, &account.name]).await?;
        let (Some(email), Some(name)) = (open(key.as_ref(), &account.email)?, open(key.as_ref(), &account.name)?)
        else {
            return Ok(None);
        };
        Ok(Some(Person { email, name }))
    }

    /// One value of the account `account_id`, opened (`open`).
    pub async fn open_value(&self, account_id: Uuid, value: &Sealed) -> Result<Option<String>, StoreError> {
        let key = if value.is_legacy() { None } else { self.open(account_id).await? };
        open(key.as_ref(), value)
    }

    /// The data key if any of `values` needs it (legacy ones do not): an
    /// account of before sealing costs no read.
    pub async fn key_if_needed<'a>(
        &self,
        account: &Account,
        values: impl IntoIterator<Item = &'a Sealed>,
    ) -> Result<Option<AccountKey>, StoreError> {
        if values.into_iter().all(Sealed::is_legacy) { Ok(None) } else { self.open(account.id).await }
    }
}

impl AccountKey {
    pub async fn seal(&self, plain: &str) -> Result<Sealed, StoreError> {
        let sealed = self.ring.seal(plain.as_bytes(), &self.context).await.map_err(key_error)?;
        Ok(Sealed::from_ciphertext(sealed))
    }

    fn open_sealed(&self, ciphertext: &str) -> Result<String, StoreError> {
        let plain = self.ring.open_now(ciphertext, &self.context).map_err(key_error)?;
        String::from_utf8(plain.to_vec()).map_err(|_| StoreError::Corrupt("personal data: not UTF-8".into()))
    }
}

/// A sealed value opened: legacy plaintext as it is, ciphertext with the
/// account's key; `None` when that key is gone (or was never given).
/// Synchronous (microseconds of AES), for the synchronous steps of a
/// decision too.
pub fn open(key: Option<&AccountKey>, value: &Sealed) -> Result<Option<String>, StoreError> {
    match (value.content(), key) {
        (Content::Legacy(plain), _) => Ok(Some(plain.to_owned())),
        (Content::Sealed(ciphertext), Some(key)) => key.open_sealed(ciphertext).map(Some),
        (Content::Sealed(_), None) => Ok(None),
    }
}

/// `open`, for output that shows something in any case: an empty string
/// where the key is gone.
pub fn open_or_empty(key: Option<&AccountKey>, value: &Sealed) -> Result<String, StoreError> {
    Ok(open(key, value)?.unwrap_or_default())
}

fn sealed_key_of(doc: &serde_json::Value) -> Result<String, StoreError> {
    doc["sealed_key"].as_str().map(str::to_owned).ok_or_else(|| StoreError::Corrupt("a sealed key item".into()))
}

fn key_bytes(plain: &[u8]) -> Result<[u8; 32], StoreError> {
    plain.try_into().map_err(|_| StoreError::Corrupt("a key of the wrong length".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::sqlite::Sqlite;

    fn keys() -> PersonalKeys {
        let store = Arc::new(Sqlite::in_memory().unwrap());
        PersonalKeys::new(store, Arc::new(LocalKeyRing::new(&[7u8; 32])))
    }

    #[tokio::test]
    async fn sealed_values_open_with_their_accounts_key_until_it_is_destroyed() {
        let keys = keys();
        let (anna, bernd) = (Uuid::new_v4(), Uuid::new_v4());
        let sealed = keys.create(anna).await.unwrap().seal("anna@example.de").await.unwrap();
        assert!(!sealed.as_stored().contains("anna"));
        keys.create(bernd).await.unwrap();
        let anna_key = keys.open(anna).await.unwrap().unwrap();
        assert_eq!(open(Some(&anna_key), &sealed).unwrap().as_deref(), Some("anna@example.de"));
        let bernd_key = keys.open(bernd).await.unwrap().unwrap();
        assert!(open(Some(&bernd_key), &sealed).is_err(), "another account's key does not open it");
        keys.destroy(anna).await.unwrap();
        assert!(keys.open(anna).await.unwrap().is_none());
        assert_eq!(open(None, &sealed).unwrap(), None);
        assert_eq!(open(None, &Sealed::legacy("old")).unwrap().as_deref(), Some("old"));
    }

    #[tokio::test]
    async fn the_kek_is_made_once_and_shared_by_every_process() {
        let store = Arc::new(Sqlite::in_memory().unwrap());
        let ring: Arc<dyn KeyRing> = Arc::new(LocalKeyRing::new(&[7u8; 32]));
        let (one, two) = (PersonalKeys::new(store.clone(), ring.clone()), PersonalKeys::new(store.clone(), ring));
        let id = Uuid::new_v4();
        let sealed = one.create(id).await.unwrap().seal("Anna").await.unwrap();
        let key = two.open(id).await.unwrap().unwrap();
        assert_eq!(open(Some(&key), &sealed).unwrap().as_deref(), Some("Anna"));
        let kek_doc = store.doc(KEK, KEK_ID, OffsetDateTime::UNIX_EPOCH).await.unwrap().unwrap();
        assert!(kek_doc["sealed_key"].as_str().unwrap().starts_with("aesgcm1:"), "stored sealed by the key ring");
    }
}
