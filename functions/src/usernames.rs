//! User names at the store (the rules are `events::username`): the claim
//! that keeps a name to one account, and which account a name typed at
//! sign-in belongs to.
//!
//! Claims are never released today, so a name an account changed away from
//! stays held by it (nobody else can take it and pose as its owner to
//! support); it no longer signs in, though: the lookup also asks the
//! account's current name.

use events::account::{self, Account};
use events::username;
use uuid::Uuid;

use crate::app::App;
use crate::http::ApiError;
use crate::ports::store::Claim;

/// 409 `username_taken`: another account holds the name (in any case).
pub fn taken() -> ApiError {
    ApiError::new(409, "username_taken", "This user name is taken. Please choose another.")
}

/// A user name as typed, checked (`username::check`), or 400 naming the rule.
pub fn checked(raw: &str) -> Result<String, ApiError> {
    username::check(raw).map_err(|problem| ApiError::invalid_request(problem.to_string()))
}

fn owner_id(stream: &str) -> Option<Uuid> {
    stream.strip_prefix("account#").and_then(|id| Uuid::parse_str(id).ok())
}

impl App {
    /// The claims to take for `account_id` to hold `name` (a checked name):
    /// none when it holds the claim already (a change of case, or a name it
    /// had before), else the one claim, which the append takes atomically
    /// or fails on (`StoreError::ClaimTaken` → `taken()`).
    pub async fn username_claims(&self, account_id: Uuid, name: &str) -> Result<Vec<Claim>, ApiError> {
        let key = username::claim_key(name).ok_or_else(|| ApiError::invalid_request("The user name is not valid."))?;
        let owner = account::stream_id(account_id);
        match self.store.claim_owner(&key).await? {
            Some(holder) if holder == owner => Ok(vec![]),
            Some(_) => Err(taken()),
            None => Ok(vec![Claim { key, owner }]),
        }
    }

    /// The account whose current user name is `typed` (any case), if any.
    pub async fn account_for_username(&self, typed: &str) -> Result<Option<Uuid>, ApiError> {
        let Some(key) = username::claim_key(typed) else { return Ok(None) };
        let Some(account_id) = self.store.claim_owner(&key).await?.as_deref().and_then(owner_id) else {
            return Ok(None);
        };
        let account: Account = self.load_account(account_id).await?;
        let current = account.username.as_deref().and_then(username::claim_key);
        Ok((current.as_deref() == Some(key.as_str())).then_some(account_id))
    }

    /// The account named at sign-in: by user name when what was typed has
    /// no `@`, else by email address.
    pub async fn account_for_sign_in(&self, typed: &str) -> Result<Option<Uuid>, ApiError> {
        if username::is_username_shaped(typed) {
            self.account_for_username(typed).await
        } else {
            self.account_for_address(typed).await
        }
    }
}
