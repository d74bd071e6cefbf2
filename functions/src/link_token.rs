//! The tokens of emailed links (a password reset, an email change):
//! base64url(account id ‖ token id ‖ secret), 16 bytes each from the OS
//! CSPRNG for the last two. The account id lets the link find the account
//! without a lookup table, the 128-bit secret is what makes it unguessable.
//! Only its keyed hash, bound to the token id and to the link's purpose (a
//! reset token is no email-change token), enters the event log; the token
//! itself exists only in the email, which is why the handlers send those
//! emails and not the projection.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::app::App;
use crate::crypto::random_bytes;

const TOKEN_BYTES: usize = 48;

/// What a token says once decoded; `hash` is what the event log holds.
pub struct Token {
    pub account_id: Uuid,
    pub token_id: Uuid,
    pub hash: String,
}

fn token_hash(app: &App, purpose: &str, token_id: Uuid, secret: &[u8]) -> String {
    let secret = Zeroizing::new(data_encoding::HEXLOWER.encode(secret));
    app.secret.keyed_hash(purpose, &format!("{token_id}:{}", secret.as_str()))
}

/// A fresh token for the account: the text for the link, and its parts.
pub fn new(app: &App, purpose: &str, account_id: Uuid) -> (Zeroizing<String>, Token) {
    let token_id = Uuid::from_bytes(random_bytes::<16>());
    let secret = Zeroizing::new(random_bytes::<16>());
    let mut raw = Zeroizing::new([0u8; TOKEN_BYTES]);
    raw[..16].copy_from_slice(account_id.as_bytes());
    raw[16..32].copy_from_slice(token_id.as_bytes());
    raw[32..].copy_from_slice(&*secret);
    let text = Zeroizing::new(URL_SAFE_NO_PAD.encode(raw.as_slice()));
    (text, Token { account_id, token_id, hash: token_hash(app, purpose, token_id, &*secret) })
}

/// Reads a token as it came back from the link; `None` for anything that is
/// not one of ours in shape (it may still be unknown, used or expired).
pub fn parse(app: &App, purpose: &str, text: &str) -> Option<Token> {
    let text = text.trim();
    if text.len() > 128 {
        return None;
    }
    let raw = Zeroizing::new(URL_SAFE_NO_PAD.decode(text).ok()?);
    if raw.len() != TOKEN_BYTES {
        return None;
    }
    let account_id = Uuid::from_slice(&raw[..16]).ok()?;
    let token_id = Uuid::from_slice(&raw[16..32]).ok()?;
    Some(Token { account_id, token_id, hash: token_hash(app, purpose, token_id, &raw[32..]) })
}

/// `<PORTAL_PUBLIC_URL><path>?token=<token>`; never from a request header,
/// so a forged Host cannot redirect the link.
pub fn link(app: &App, path: &str, token: &str) -> String {
    format!("{}{path}?token={token}", app.settings.public_url.trim_end_matches('/'))
}
