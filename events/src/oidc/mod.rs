//! The portal as an OpenID Provider: the customer's own apps (clients),
//! what an authorization request may ask, PKCE, and the grant an app gets
//! when a person signs in for it (its code, its refresh-token family, and
//! their end). Each client and each grant is a stream of its own
//! (`client#<id>`, `grant#<id>`); codes and refresh tokens carry their
//! grant's id, so redeeming one is one stream read, and only keyed hashes
//! of them are stored.

pub mod claims;
pub mod client;
pub mod cors;
pub mod grant;
pub mod request;

pub use claims::{acr, amr};
pub use client::{Client, ClientEvent, ClientKind, NewClient};
pub use grant::{Grant, GrantEvent, Issued, NewGrant, RevokeReason, TokenError};
pub use request::{AuthorizationRequest, AuthorizeError, Prompt, pkce_s256_matches};

use time::Duration;

/// Lifetimes of what the provider hands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OidcPolicy {
    /// The issue: a code works for at most 60 s.
    pub code_ttl: Duration,
    /// The issue: at most 15 minutes.
    pub access_token_ttl: Duration,
    pub id_token_ttl: Duration,
    /// A refresh token unused this long expires; each use gives a new one.
    /// At most `account::state::ENDED_SESSIONS_KEPT`, so the account still
    /// knows whether the grant's session was ended.
    pub refresh_token_ttl: Duration,
    /// A sign-in request waits this long for the person (the page).
    pub request_ttl: Duration,
}

impl Default for OidcPolicy {
    fn default() -> Self {
        OidcPolicy {
            code_ttl: Duration::seconds(60),
            access_token_ttl: Duration::minutes(15),
            id_token_ttl: Duration::minutes(15),
            refresh_token_ttl: Duration::days(30),
            request_ttl: Duration::minutes(10),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_tokens_end_before_the_account_forgets_an_ended_session() {
        let p = OidcPolicy::default();
        assert!(p.refresh_token_ttl <= crate::account::state::ENDED_SESSIONS_KEPT);
        assert!(p.code_ttl <= Duration::seconds(60) && p.access_token_ttl <= Duration::minutes(15));
    }
}
