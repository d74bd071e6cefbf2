//! Randomness and keyed hashes.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

/// Bytes from the operating system's CSPRNG. Failure to get randomness is
/// not recoverable for an authentication service.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).expect("the OS random number generator is unavailable");
    buf
}

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// The server's own secret and the keys derived from it. One master secret
/// (a key file embedded, Secrets Manager on AWS) so there is one thing to
/// provision and protect; each purpose gets its own subkey.
#[derive(Clone)]
pub struct ServerSecret {
    token_key: Zeroizing<[u8; 32]>,
    pepper: Zeroizing<[u8; 32]>,
    altcha_key: Zeroizing<[u8; 32]>,
}

impl ServerSecret {
    pub fn from_master(master: &[u8]) -> Self {
        ServerSecret {
            token_key: Zeroizing::new(hmac_sha256(master, &[b"portal token signing v1"])),
            pepper: Zeroizing::new(hmac_sha256(master, &[b"portal code pepper v1"])),
            altcha_key: Zeroizing::new(hmac_sha256(master, &[b"portal altcha v1"])),
        }
    }

    /// MAC for tokens.
    pub fn sign(&self, data: &[u8]) -> [u8; 32] {
        hmac_sha256(&*self.token_key, &[data])
    }

    /// Signs ALTCHA challenges, so only this server's challenges count.
    pub fn altcha_key(&self) -> &[u8] {
        &*self.altcha_key
    }

    /// A keyed hash (HMAC-SHA256, hex) of a random secret such as a recovery
    /// code. `purpose` separates the kinds, so a hash of one kind never
    /// matches another. Fast on purpose: the inputs carry >= 64 random bits,
    /// and without the pepper a leaked hash cannot be searched offline.
    pub fn keyed_hash(&self, purpose: &str, secret: &str) -> String {
        data_encoding::HEXLOWER.encode(&hmac_sha256(&*self.pepper, &[purpose.as_bytes(), b"\0", secret.as_bytes()]))
    }
}

impl std::fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerSecret(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subkeys_differ_and_hashes_are_separated_by_purpose() {
        let s = ServerSecret::from_master(&[7u8; 32]);
        assert_ne!(*s.token_key, *s.pepper);
        assert_ne!(s.keyed_hash("recovery", "abc"), s.keyed_hash("sms", "abc"));
        assert_eq!(s.keyed_hash("recovery", "abc"), s.keyed_hash("recovery", "abc"));
        let other = ServerSecret::from_master(&[8u8; 32]);
        assert_ne!(s.keyed_hash("recovery", "abc"), other.keyed_hash("recovery", "abc"));
    }

    #[test]
    fn random_bytes_are_not_constant() {
        assert_ne!(random_bytes::<16>(), random_bytes::<16>());
    }
}
