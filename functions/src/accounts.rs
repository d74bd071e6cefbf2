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
        let records = crate::decisions::records(events, &self.settings.retention, meta.at);
        self.store.append(&account::stream_id(account_id), expected_version, &records, meta, claims).await
    }
}
