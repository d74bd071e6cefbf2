//! Accounts beyond their stream: finding one by email, hashing a new
//! password, appending a new account with its claims.

use events::account::{self, AccountEvent};
use events::email;
use uuid::Uuid;

use crate::app::App;
use crate::http::ApiError;
use crate::ports::store::{Claim, Meta, StoreError};

impl App {
    /// The argon2 hash of a new password (one that passed
    /// `password_policy::check`), off the async threads and within the
    /// bound on argon2 runs: it is CPU work.
    pub async fn hash_password(&self, password: &str) -> Result<String, ApiError> {
        let password = zeroize::Zeroizing::new(password.to_owned());
        self.passwords.run(move |passwords| passwords.hash(&password)).await
    }

    /// The claim that binds an email (normalised) to one account:
    /// `email#<keyed hash>`, so no store holds an address as a key, and
    /// the claim says nothing once its account is deleted and the claim
    /// released.
    pub fn email_claim(&self, normalized_email: &str) -> String {
        self.keyed_claim("email", normalized_email)
    }

    /// The claim that binds a user name (normalised) to one account.
    pub fn username_claim(&self, normalized_name: &str) -> String {
        self.keyed_claim("username", normalized_name)
    }

    fn keyed_claim(&self, kind: &str, value: &str) -> String {
        format!("{kind}#{}", self.secret.keyed_hash("claim", &format!("{kind}#{value}")))
    }

    /// The stream that holds an email's claim (consistent read). A claim of
    /// before December 2026 (the address itself as its key) is moved to its
    /// keyed key the first time it is looked up here: the embedded backend
    /// moves them all when it opens, on AWS they move one by one as their
    /// accounts are used (a miss costs a second read, of the old key).
    pub async fn email_owner(&self, normalized_email: &str) -> Result<Option<String>, StoreError> {
        match self.store.claim_owner(&self.email_claim(normalized_email)).await? {
            Some(owner) => Ok(Some(owner)),
            None => self.moved_legacy_email_claim(normalized_email).await,
        }
    }

    /// The holder of an email's claim of before December 2026, if there is
    /// one, after moving it to its keyed key (`email_owner`).
    pub async fn moved_legacy_email_claim(&self, normalized_email: &str) -> Result<Option<String>, StoreError> {
        let legacy = account::legacy_email_claim(normalized_email);
        let Some(owner) = self.store.claim_owner(&legacy).await? else { return Ok(None) };
        let key = self.email_claim(normalized_email);
        match self.store.write_claims(&[Claim::take(key, owner.clone()), Claim::release(legacy, owner.clone())]).await {
            // Taken: a lookup at the same time moved it first.
            Ok(()) | Err(StoreError::ClaimTaken(_)) => Ok(Some(owner)),
            Err(e) => Err(e),
        }
    }

    /// The claims a new account's first append makes for its address: the
    /// keyed one, and the check that no claim of before keyed claims holds
    /// it (an account not signed in since, on AWS).
    pub fn new_email_claims(&self, normalized_email: &str, stream: &str) -> [Claim; 2] {
        [
            Claim::take(self.email_claim(normalized_email), stream),
            Claim::free(account::legacy_email_claim(normalized_email)),
        ]
    }

    /// The keyed key of a claim of before December 2026 (`email#` and the
    /// address), `None` for any other key: keyed keys hold no `@`.
    pub fn rekeyed_legacy_claim(&self, key: &str) -> Option<String> {
        key.strip_prefix("email#").filter(|email| email.contains('@')).map(|email| self.email_claim(email))
    }

    /// The account an email belongs to (`email_owner`).
    pub async fn account_for_email(&self, normalized_email: &str) -> Result<Option<Uuid>, ApiError> {
        let owner = self.email_owner(normalized_email).await?;
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
        let records = crate::decisions::records(events, &self.settings.retention, meta.at);
        self.store.append(&account::stream_id(account_id), expected_version, &records, meta, claims).await
    }
}
