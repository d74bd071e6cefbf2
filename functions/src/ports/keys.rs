//! Keys: encryption of secrets at rest (TOTP secrets) and the server's own
//! secrets (token signing, the pepper of keyed hashes).

use async_trait::async_trait;
use zeroize::Zeroizing;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the key service is unavailable: {0}")]
    Unavailable(String),
    #[error("sealed data does not open with this key")]
    Invalid,
}

/// Seals (encrypts and authenticates) small secrets. `context` is bound to
/// the ciphertext (AEAD associated data / KMS encryption context), so a
/// sealed secret copied to another account does not open there.
#[async_trait]
pub trait KeyRing: Send + Sync {
    async fn seal(&self, plaintext: &[u8], context: &str) -> Result<String, KeyError>;
    async fn open(&self, sealed: &str, context: &str) -> Result<Zeroizing<Vec<u8>>, KeyError>;
}
