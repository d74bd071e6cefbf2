//! Bearer tokens: `v1.<claims>.<mac>`, both parts base64url, the MAC an
//! HMAC-SHA256 under the server's token key. A token alone proves only that
//! the server issued it; whether its session or login is still live is
//! decided from the account's event stream (so logout and factor changes
//! end tokens at once).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::crypto::ServerSecret;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenKind {
    /// After the password, while a second factor is owed.
    #[serde(rename = "m")]
    Mfa,
    #[serde(rename = "s")]
    Session,
    /// The single sign-on cookie of the OpenID Provider (`portal_sso`): it
    /// names a session but is no bearer token (`handlers::auth::caller`
    /// refuses it), so a cookie read by some script cannot call the API.
    #[serde(rename = "o")]
    Sso,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenClaims {
    #[serde(rename = "k")]
    pub kind: TokenKind,
    /// The account.
    #[serde(rename = "a")]
    pub account_id: Uuid,
    /// The login (mfa token) or session (session token).
    #[serde(rename = "i")]
    pub id: Uuid,
    /// Expiry, Unix seconds.
    #[serde(rename = "e")]
    pub expires_at: i64,
}

pub fn issue(secret: &ServerSecret, claims: &TokenClaims) -> String {
    let body = B64.encode(serde_json::to_vec(claims).expect("claims serialize"));
    let signed = format!("v1.{body}");
    let mac = B64.encode(secret.sign(signed.as_bytes()));
    format!("{signed}.{mac}")
}

/// The claims of a token this server issued and that has not expired.
pub fn check(secret: &ServerSecret, token: &str, now: OffsetDateTime) -> Option<TokenClaims> {
    let (signed, mac) = token.rsplit_once('.')?;
    let mac = B64.decode(mac).ok()?;
    if !bool::from(secret.sign(signed.as_bytes()).as_slice().ct_eq(&mac)) {
        return None;
    }
    let body = signed.strip_prefix("v1.")?;
    let claims: TokenClaims = serde_json::from_slice(&B64.decode(body).ok()?).ok()?;
    (claims.expires_at > now.unix_timestamp()).then_some(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn claims(expires_at: i64) -> TokenClaims {
        TokenClaims { kind: TokenKind::Session, account_id: Uuid::new_v4(), id: Uuid::new_v4(), expires_at }
    }

    #[test]
    fn a_token_checks_until_it_expires() {
        let s = ServerSecret::from_master(b"k");
        let now = datetime!(2026-11-02 10:00 UTC);
        let c = claims(now.unix_timestamp() + 60);
        let t = issue(&s, &c);
        assert_eq!(check(&s, &t, now), Some(c));
        assert_eq!(check(&s, &t, now + time::Duration::seconds(60)), None);
    }

    #[test]
    fn tampered_or_foreign_tokens_do_not_check() {
        let s = ServerSecret::from_master(b"k");
        let now = datetime!(2026-11-02 10:00 UTC);
        let t = issue(&s, &claims(now.unix_timestamp() + 60));
        let other = ServerSecret::from_master(b"other");
        assert_eq!(check(&other, &t, now), None);
        let (body, mac) = t.rsplit_once('.').unwrap();
        let forged = issue(&other, &claims(i64::MAX));
        let forged_body = forged.rsplit_once('.').unwrap().0;
        assert_eq!(check(&s, &format!("{forged_body}.{mac}"), now), None);
        assert_eq!(check(&s, &format!("{body}x.{mac}"), now), None);
        for junk in ["", ".", "v1..", "abc", "v1.e30.AAAA"] {
            assert_eq!(check(&s, junk, now), None);
        }
    }
}
