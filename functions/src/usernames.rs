//! User names at the store (the rules are `events::username`): the claim
//! that keeps a name to one account (`App::username_claim`, a keyed key of
//! the lower-case name), and which account a name typed at sign-in
//! belongs to.
//!
//! A change of name releases the old name's claim in the same append that
//! takes the new one (`Claim::release`), so the old name is free for others
//! at once and never signs in again.

use events::account;
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
    /// The key of a valid user name's claim, any case.
    fn username_key(&self, name: &str) -> Option<String> {
        username::normalize(name).map(|normalized| self.username_claim(&normalized))
    }

    /// The claims for a new account `account_id` to hold `name` (a checked
    /// name): the one claim, or 409 when another account holds it already
    /// (said before any password is hashed); a race is settled by the
    /// append, which takes the claim atomically or fails (`taken()`).
    pub async fn new_username_claims(&self, account_id: Uuid, name: &str) -> Result<Vec<Claim>, ApiError> {
        self.username_claims(None, account_id, name).await
    }

    /// The claims for the account `account_id` (holding the name `before`,
    /// opened, if any) to hold `name` (a checked name) instead: the new
    /// name's, unless the account holds it already (a change of case), and
    /// the release of the old one's when it is another name. 409 when
    /// another account holds the new name.
    pub async fn username_claims(
        &self,
        before: Option<&str>,
        account_id: Uuid,
        name: &str,
    ) -> Result<Vec<Claim>, ApiError> {
        let key = self.username_key(name).ok_or_else(|| ApiError::invalid_request("The user name is not valid."))?;
        let owner = account::stream_id(account_id);
        let old = before.and_then(|old| self.username_key(old));
        if old.as_deref() == Some(key.as_str()) {
            return Ok(vec![]);
        }
        if self.store.claim_owner(&key).await?.is_some() {
            return Err(taken());
        }
        let mut claims = vec![Claim::take(key, owner.clone())];
        claims.extend(old.map(|old| Claim::release(old, owner)));
        Ok(claims)
    }

    /// The release of an account's user name's claim (`username`, opened),
    /// held by `owner` (its stream), when it has a name: what its deletion
    /// gives back.
    pub fn username_release(&self, username: Option<&str>, owner: String) -> Option<Claim> {
        let key = self.username_key(username?)?;
        Some(Claim::release(key, owner))
    }

    /// The account whose user name is `typed` (any case), if any.
    pub async fn account_for_username(&self, typed: &str) -> Result<Option<Uuid>, ApiError> {
        let Some(key) = self.username_key(typed) else { return Ok(None) };
        Ok(self.store.claim_owner(&key).await?.as_deref().and_then(owner_id))
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
