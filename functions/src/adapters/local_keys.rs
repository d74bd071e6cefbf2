//! Keys of the embedded backend: files in the data directory, created on
//! first start with mode 0600.
//!
//! `data.key` seals TOTP secrets with AES-256-GCM (random 96-bit nonce per
//! seal, the account as associated data); `server.key` is the master secret
//! for token signing and keyed hashes.

use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use zeroize::Zeroizing;

use crate::crypto::random_bytes;
use crate::ports::keys::{KeyError, KeyRing};

const PREFIX: &str = "aesgcm1:";

pub struct LocalKeyRing {
    cipher: Aes256Gcm,
}

impl LocalKeyRing {
    pub fn new(key: &[u8; 32]) -> Self {
        LocalKeyRing { cipher: Aes256Gcm::new(key.into()) }
    }

    /// `KeyRing::open` without the `async`: it is CPU work of microseconds,
    /// and callers inside a synchronous step (claims of a decision) need it.
    pub fn open_now(&self, sealed: &str, context: &str) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let raw = sealed.strip_prefix(PREFIX).ok_or(KeyError::Invalid)?;
        let raw = B64.decode(raw).map_err(|_| KeyError::Invalid)?;
        if raw.len() < 12 {
            return Err(KeyError::Invalid);
        }
        let (nonce, ciphertext) = raw.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| KeyError::Invalid)?;
        self.cipher
            .decrypt(&Nonce::from(nonce), Payload { msg: ciphertext, aad: context.as_bytes() })
            .map(Zeroizing::new)
            .map_err(|_| KeyError::Invalid)
    }
}

#[async_trait]
impl KeyRing for LocalKeyRing {
    async fn seal(&self, plaintext: &[u8], context: &str) -> Result<String, KeyError> {
        let nonce_bytes = random_bytes::<12>();
        let nonce = Nonce::from(nonce_bytes);
        let ciphertext = self
            .cipher
            .encrypt(&nonce, Payload { msg: plaintext, aad: context.as_bytes() })
            .map_err(|_| KeyError::Invalid)?;
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&ciphertext);
        Ok(format!("{PREFIX}{}", B64.encode(out)))
    }

    async fn open(&self, sealed: &str, context: &str) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        self.open_now(sealed, context)
    }
}

/// Reads a 32-byte key file, creating it (mode 0600, random) if missing.
/// A file of the wrong size is an error rather than silently replaced:
/// replacing it would make every sealed secret unreadable.
pub fn load_or_create_key(path: &Path) -> std::io::Result<Zeroizing<[u8; 32]>> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{} must hold exactly 32 bytes", path.display()),
                )
            })?;
            Ok(Zeroizing::new(key))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = Zeroizing::new(random_bytes::<32>());
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut file = options.open(path)?;
            file.write_all(&*key)?;
            file.sync_all()?;
            Ok(key)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn seals_and_opens_only_in_the_same_context() {
        let ring = LocalKeyRing::new(&[9u8; 32]);
        let sealed = ring.seal(b"secret bytes", "account#1").await.unwrap();
        assert!(!sealed.contains("secret"));
        assert_eq!(&*ring.open(&sealed, "account#1").await.unwrap(), b"secret bytes");
        assert!(ring.open(&sealed, "account#2").await.is_err());
        assert!(LocalKeyRing::new(&[8u8; 32]).open(&sealed, "account#1").await.is_err());
        assert_ne!(sealed, ring.seal(b"secret bytes", "account#1").await.unwrap(), "fresh nonce each time");
    }

    #[test]
    fn key_files_are_created_once_with_mode_0600() {
        let dir = std::env::temp_dir().join(format!("portal-key-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("k.key");
        let first = load_or_create_key(&path).unwrap();
        let second = load_or_create_key(&path).unwrap();
        assert_eq!(*first, *second);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&path, b"short").unwrap();
        assert!(load_or_create_key(&path).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
