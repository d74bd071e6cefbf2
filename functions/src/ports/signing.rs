//! Signing the OpenID Connect tokens: ES256 (ECDSA on P-256 with SHA-256).
//! The private key never leaves its adapter (a key file embedded, KMS on
//! AWS); the handlers see key ids, signatures and the public keys for the
//! JWKS. JWT encoding itself is `crate::jwt`.

use async_trait::async_trait;

pub use super::keys::KeyError;

/// A public key of the JWKS: EC P-256 coordinates, base64url without padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub kid: String,
    pub x: String,
    pub y: String,
}

#[async_trait]
pub trait TokenSigner: Send + Sync {
    /// The key id new tokens are signed with now.
    async fn current_kid(&self) -> Result<String, KeyError>;
    /// The ES256 signature (64 bytes, r || s, as JWS wants) of `signing_input` with key `kid`.
    async fn sign(&self, kid: &str, signing_input: &[u8]) -> Result<[u8; 64], KeyError>;
    /// Every key a token still in its lifetime may carry: the JWKS.
    async fn public_keys(&self) -> Result<Vec<PublicKey>, KeyError>;
}
