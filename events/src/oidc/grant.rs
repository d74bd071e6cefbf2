//! A grant: what one app got when a person signed in for it, one stream
//! each (`grant#<id>`). It starts with its code; the code is exchanged
//! once for tokens (and, with `offline_access`, a refresh token); each
//! refresh rotates the refresh token. Reusing the code revokes what it
//! issued (RFC 6749 4.1.2), reusing a rotated-out refresh token revokes
//! the family (RFC 9700 4.14.2): in both cases someone else holds a copy.
//! Single use under concurrency comes from the stream version: of two
//! exchanges of one code, one appends `CodeExchanged`, the other reloads
//! and sees a used code.

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use uuid::Uuid;

use super::OidcPolicy;
use super::request::pkce_s256_matches;
use crate::account::Method;
use crate::account::passkey::PasskeySignIn;
use crate::codec::{EventCodec, Recorded};
use crate::{Decision, Refusal};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevokeReason {
    /// The code was presented again after its exchange.
    CodeReused,
    /// A refresh token was presented again after it was rotated out.
    RefreshTokenReused,
    /// The client asked (RFC 7009).
    RevokedByClient,
    /// The portal session it was made in ended: logout, a password reset
    /// or change, a changed or reset second factor.
    SessionEnded,
    /// The client was removed.
    ClientRemoved,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum GrantEvent {
    Granted {
        grant_id: Uuid,
        client_id: Uuid,
        account_id: Uuid,
        /// The portal session the person signed in with (`sid`).
        session_id: Uuid,
        redirect_uri: String,
        scope: Vec<String>,
        nonce: Option<String>,
        code_challenge: String,
        /// Keyed hash (HMAC-SHA256) of the code, hex.
        code_hash: String,
        #[serde(with = "time::serde::rfc3339")]
        code_expires_at: OffsetDateTime,
        /// When the session's sign-in completed.
        #[serde(with = "time::serde::rfc3339")]
        auth_time: OffsetDateTime,
        second_factor: Option<Method>,
        /// How a passkey made the session, if one did (the session's own,
        /// `SessionStarted`): the `amr` beyond `mfa`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        passkey: Option<PasskeySignIn>,
    },
    /// The code was exchanged for tokens.
    CodeExchanged {
        /// Keyed hash of the refresh token, when `offline_access` was granted.
        refresh_hash: Option<String>,
        #[serde(default, with = "time::serde::rfc3339::option")]
        refresh_expires_at: Option<OffsetDateTime>,
    },
    /// The refresh token was used: a new one replaces it.
    Refreshed {
        refresh_hash: String,
        #[serde(with = "time::serde::rfc3339")]
        refresh_expires_at: OffsetDateTime,
    },
    /// Nothing of this grant works any more.
    Revoked { reason: RevokeReason },
}

impl EventCodec for GrantEvent {
    fn schema_version(_event_type: &str) -> u32 {
        1
    }
}

pub fn stream_id(grant_id: Uuid) -> String {
    format!("grant#{grant_id}")
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    pub version: u64,
    pub id: Uuid,
    pub client_id: Uuid,
    pub account_id: Uuid,
    pub session_id: Uuid,
    pub redirect_uri: String,
    pub scope: Vec<String>,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub code_hash: String,
    pub code_expires_at: Option<OffsetDateTime>,
    pub auth_time: Option<OffsetDateTime>,
    pub second_factor: Option<Method>,
    #[serde(default)]
    pub passkey: Option<PasskeySignIn>,
    pub code_used: bool,
    /// The live refresh token's hash and expiry.
    pub refresh: Option<(String, OffsetDateTime)>,
    /// Refresh tokens rotated out, with the time each would have expired:
    /// presenting one again before then revokes the grant. Those past it
    /// leave at the next refresh, so a grant refreshed for years keeps a
    /// bounded state (and snapshot).
    pub rotated_out: Vec<(String, OffsetDateTime)>,
    pub revoked: Option<RevokeReason>,
}

/// A new grant, with its code (hashed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGrant {
    pub grant_id: Uuid,
    pub client_id: Uuid,
    pub account_id: Uuid,
    pub session_id: Uuid,
    pub redirect_uri: String,
    pub scope: Vec<String>,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub code_hash: String,
    pub auth_time: OffsetDateTime,
    pub second_factor: Option<Method>,
    pub passkey: Option<PasskeySignIn>,
}

pub fn grant(new: NewGrant, now: OffsetDateTime, policy: &OidcPolicy) -> GrantEvent {
    GrantEvent::Granted {
        grant_id: new.grant_id,
        client_id: new.client_id,
        account_id: new.account_id,
        session_id: new.session_id,
        redirect_uri: new.redirect_uri,
        scope: new.scope,
        nonce: new.nonce,
        code_challenge: new.code_challenge,
        code_hash: new.code_hash,
        code_expires_at: now + policy.code_ttl,
        auth_time: new.auth_time,
        second_factor: new.second_factor,
        passkey: new.passkey,
    }
}

/// Why the token endpoint says `invalid_grant` (RFC 6749 5.2); the text
/// is safe to show and the same for a wrong and a used code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError(pub &'static str);

const INVALID_CODE: TokenError = TokenError("The code is invalid, expired or used.");
const INVALID_REFRESH: TokenError = TokenError("The refresh token is invalid, expired or revoked.");

/// Tokens may be issued: `refresh` says whether with a refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Issued {
    pub refresh: bool,
}

type TokenDecision = Decision<Result<Issued, TokenError>, GrantEvent>;

fn same(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl Grant {
    pub fn apply(&mut self, recorded: &Recorded<GrantEvent>) {
        self.version = recorded.version;
        match &recorded.event {
            GrantEvent::Granted {
                grant_id,
                client_id,
                account_id,
                session_id,
                redirect_uri,
                scope,
                nonce,
                code_challenge,
                code_hash,
                code_expires_at,
                auth_time,
                second_factor,
                passkey,
            } => {
                self.id = *grant_id;
                self.client_id = *client_id;
                self.account_id = *account_id;
                self.session_id = *session_id;
                self.redirect_uri.clone_from(redirect_uri);
                self.scope.clone_from(scope);
                self.nonce.clone_from(nonce);
                self.code_challenge.clone_from(code_challenge);
                self.code_hash.clone_from(code_hash);
                self.code_expires_at = Some(*code_expires_at);
                self.auth_time = Some(*auth_time);
                self.second_factor = *second_factor;
                self.passkey = *passkey;
            }
            GrantEvent::CodeExchanged { refresh_hash, refresh_expires_at } => {
                self.code_used = true;
                self.refresh = refresh_hash.clone().zip(*refresh_expires_at);
            }
            GrantEvent::Refreshed { refresh_hash, refresh_expires_at } => {
                let at = recorded.at;
                self.rotated_out.retain(|(_, expires_at)| *expires_at > at);
                if let Some(old) = self.refresh.take().filter(|(_, expires_at)| *expires_at > at) {
                    self.rotated_out.push(old);
                }
                self.refresh = Some((refresh_hash.clone(), *refresh_expires_at));
            }
            GrantEvent::Revoked { reason } => {
                self.revoked.get_or_insert(*reason);
                self.refresh = None;
            }
        }
    }

    /// Whether `hash` is of a refresh token rotated out that would still
    /// be live at `now`.
    pub fn was_rotated_out(&self, hash: &str, now: OffsetDateTime) -> bool {
        self.rotated_out.iter().any(|(old, expires_at)| now < *expires_at && same(hash, old))
    }

    pub fn offline_access(&self) -> bool {
        self.scope.iter().any(|s| s == "offline_access")
    }

    /// Ends the grant (once): `None` when it has ended already.
    pub fn revoke(&self, reason: RevokeReason) -> Decision<(), GrantEvent> {
        let events = if self.revoked.is_some() { vec![] } else { vec![GrantEvent::Revoked { reason }] };
        Decision::ok(events, ())
    }

    /// The code exchange (RFC 6749 4.1.3 with RFC 7636 4.6). `refresh_hash`
    /// is the keyed hash of the refresh token the answer will carry if
    /// `offline_access` was granted.
    #[allow(clippy::too_many_arguments)]
    pub fn exchange(
        &self,
        code_hash: &str,
        client_id: Uuid,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
        refresh_hash: String,
        now: OffsetDateTime,
        policy: &OidcPolicy,
    ) -> TokenDecision {
        // Only the holder of the real code for this client may set off the
        // revocation below: a guess must change nothing.
        if self.revoked.is_some() || client_id != self.client_id || !same(code_hash, &self.code_hash) {
            return Decision::ok(vec![], Err(INVALID_CODE));
        }
        if self.code_used {
            return Decision::ok(vec![GrantEvent::Revoked { reason: RevokeReason::CodeReused }], Err(INVALID_CODE));
        }
        let fresh = self.code_expires_at.is_some_and(|t| now < t);
        let pkce = verifier.is_some_and(|v| pkce_s256_matches(v, &self.code_challenge));
        if !fresh || redirect_uri != Some(self.redirect_uri.as_str()) || !pkce {
            return Decision::ok(vec![], Err(INVALID_CODE));
        }
        let refresh = self.offline_access();
        let event = GrantEvent::CodeExchanged {
            refresh_hash: refresh.then_some(refresh_hash),
            refresh_expires_at: refresh.then_some(now + policy.refresh_token_ttl),
        };
        Decision::ok(vec![event], Ok(Issued { refresh }))
    }

    /// A refresh (RFC 6749 6): the presented token is the live one, which
    /// `new_hash` replaces; a rotated-out one revokes the whole grant.
    pub fn refresh(
        &self,
        presented_hash: &str,
        client_id: Uuid,
        new_hash: String,
        now: OffsetDateTime,
        policy: &OidcPolicy,
    ) -> TokenDecision {
        if self.revoked.is_some() || client_id != self.client_id {
            return Decision::ok(vec![], Err(INVALID_REFRESH));
        }
        match &self.refresh {
            Some((live, expires_at)) if same(presented_hash, live) => {
                if now >= *expires_at {
                    return Decision::ok(vec![], Err(INVALID_REFRESH));
                }
                let event = GrantEvent::Refreshed {
                    refresh_hash: new_hash,
                    refresh_expires_at: now + policy.refresh_token_ttl,
                };
                Decision::ok(vec![event], Ok(Issued { refresh: true }))
            }
            _ if self.was_rotated_out(presented_hash, now) => Decision::ok(
                vec![GrantEvent::Revoked { reason: RevokeReason::RefreshTokenReused }],
                Err(INVALID_REFRESH),
            ),
            _ => Decision::ok(vec![], Err(INVALID_REFRESH)),
        }
    }
}

impl crate::Aggregate for Grant {
    type Event = GrantEvent;

    const FOLD_VERSION: u32 = 1;

    const MISSING: Refusal = Refusal::NotFound;

    fn stream_id(id: Uuid) -> String {
        stream_id(id)
    }

    fn apply(&mut self, recorded: &Recorded<GrantEvent>) {
        Grant::apply(self, recorded)
    }

    fn version(&self) -> u64 {
        self.version
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Aggregate;
    use time::Duration;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-11-02 10:00 UTC);
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    const CLIENT: Uuid = Uuid::from_u128(7);
    const URI: &str = "https://app.example/cb";

    fn granted(scope: &[&str]) -> Vec<GrantEvent> {
        vec![grant(
            NewGrant {
                grant_id: Uuid::from_u128(1),
                client_id: CLIENT,
                account_id: Uuid::from_u128(2),
                session_id: Uuid::from_u128(3),
                redirect_uri: URI.into(),
                scope: scope.iter().map(|s| s.to_string()).collect(),
                nonce: Some("n".into()),
                code_challenge: CHALLENGE.into(),
                code_hash: "code".into(),
                auth_time: T0,
                second_factor: Some(Method::Totp),
                passkey: None,
            },
            T0,
            &OidcPolicy::default(),
        )]
    }

    fn fold(events: &[GrantEvent]) -> Grant {
        let recorded: Vec<_> = events
            .iter()
            .enumerate()
            .map(|(i, e)| Recorded { version: i as u64 + 1, at: T0, event: e.clone() })
            .collect();
        Grant::from_events(&recorded)
    }

    fn exchange(g: &Grant, code: &str, verifier: &str, at: OffsetDateTime) -> TokenDecision {
        g.exchange(code, CLIENT, Some(URI), Some(verifier), "r1".into(), at, &OidcPolicy::default())
    }

    #[test]
    fn a_code_works_once_within_60_seconds_and_reuse_revokes() {
        let mut events = granted(&["openid", "offline_access"]);
        let g = fold(&events);
        assert_eq!(exchange(&g, "code", VERIFIER, T0 + Duration::seconds(60)).outcome, Ok(Err(INVALID_CODE)));
        let d = exchange(&g, "code", VERIFIER, T0 + Duration::seconds(59));
        assert_eq!(d.outcome, Ok(Ok(Issued { refresh: true })));
        events.extend(d.events);
        let d = exchange(&fold(&events), "code", VERIFIER, T0 + Duration::seconds(1));
        assert_eq!(d.events, [GrantEvent::Revoked { reason: RevokeReason::CodeReused }]);
        assert_eq!(d.outcome, Ok(Err(INVALID_CODE)));
    }

    #[test]
    fn wrong_verifier_client_code_or_redirect_change_nothing() {
        let g = fold(&granted(&["openid"]));
        let wrong = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj";
        for d in [
            exchange(&g, "code", wrong, T0),
            exchange(&g, "other", VERIFIER, T0),
            g.exchange("code", Uuid::from_u128(8), Some(URI), Some(VERIFIER), "r".into(), T0, &OidcPolicy::default()),
            g.exchange(
                "code",
                CLIENT,
                Some("https://app.example/x"),
                Some(VERIFIER),
                "r".into(),
                T0,
                &OidcPolicy::default(),
            ),
            g.exchange("code", CLIENT, Some(URI), None, "r".into(), T0, &OidcPolicy::default()),
        ] {
            assert!(d.events.is_empty());
            assert_eq!(d.outcome, Ok(Err(INVALID_CODE)));
        }
        assert_eq!(exchange(&g, "code", VERIFIER, T0).outcome, Ok(Ok(Issued { refresh: false })));
    }

    #[test]
    fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
        let mut events = granted(&["openid", "offline_access"]);
        events.extend(exchange(&fold(&events), "code", VERIFIER, T0).events);
        let p = OidcPolicy::default();
        let d = fold(&events).refresh("r1", CLIENT, "r2".into(), T0, &p);
        assert_eq!(d.outcome, Ok(Ok(Issued { refresh: true })));
        events.extend(d.events);
        let d = fold(&events).refresh("r2", Uuid::from_u128(8), "r3".into(), T0, &p);
        assert!(d.events.is_empty() && d.outcome == Ok(Err(INVALID_REFRESH)), "another client");
        let d = fold(&events).refresh("r1", CLIENT, "r3".into(), T0, &p);
        assert_eq!(d.events, [GrantEvent::Revoked { reason: RevokeReason::RefreshTokenReused }]);
        events.extend(d.events);
        let g = fold(&events);
        assert_eq!(
            g.refresh("r2", CLIENT, "r3".into(), T0, &p).outcome,
            Ok(Err(INVALID_REFRESH)),
            "the family is gone"
        );
        assert!(g.revoked.is_some());
    }

    #[test]
    fn rotated_out_refresh_tokens_leave_the_state_once_they_would_have_expired() {
        let p = OidcPolicy::default();
        let mut events = granted(&["openid", "offline_access"]);
        events.extend(exchange(&fold(&events), "code", VERIFIER, T0).events);
        let mut recorded: Vec<_> = events
            .into_iter()
            .enumerate()
            .map(|(i, event)| Recorded { version: i as u64 + 1, at: T0, event })
            .collect();
        // An app refreshing daily for a year: `r{n}` is rotated out on day n.
        for day in 1..=365 {
            let now = T0 + Duration::days(day);
            let d = Grant::from_events(&recorded).refresh(&format!("r{day}"), CLIENT, format!("r{}", day + 1), now, &p);
            assert_eq!(d.outcome, Ok(Ok(Issued { refresh: true })), "day {day}");
            for event in d.events {
                recorded.push(Recorded { version: recorded.len() as u64 + 1, at: now, event });
            }
        }
        let g = Grant::from_events(&recorded);
        assert!(g.rotated_out.len() <= 31, "{} rotated-out tokens kept", g.rotated_out.len());
        let now = T0 + Duration::days(366);
        // Rotated out on day 360, it would have lived until day 389.
        let d = g.refresh("r360", CLIENT, "x".into(), now, &p);
        assert_eq!(d.events, [GrantEvent::Revoked { reason: RevokeReason::RefreshTokenReused }]);
        // Expired long ago (day 31): refused, and it ends nothing.
        let d = g.refresh("r2", CLIENT, "x".into(), now, &p);
        assert!(d.events.is_empty() && d.outcome == Ok(Err(INVALID_REFRESH)));
    }

    #[test]
    fn a_refresh_token_expires_unused() {
        let mut events = granted(&["openid", "offline_access"]);
        events.extend(exchange(&fold(&events), "code", VERIFIER, T0).events);
        let p = OidcPolicy::default();
        let late = T0 + p.refresh_token_ttl;
        assert_eq!(fold(&events).refresh("r1", CLIENT, "r2".into(), late, &p).outcome, Ok(Err(INVALID_REFRESH)));
    }
}
