//! The embedded backend's token signer: 2048-bit RSA keys in files under
//! the data directory (`signing/<kid>.rsa`, PKCS#8 DER, mode 0600, created
//! on first use). A key signs for `rotate_after`; then a new one takes over,
//! and the old one stays in the JWKS for `keep_retired` (at least the
//! longest lifetime of a token it signed) before its file goes. The key id
//! names the creation time, so the order of keys and their age come from
//! the names alone, whatever the files' times say.
//!
//! `rsa` generates the keys (from the OS generator); `ring` signs, in
//! constant time: the `rsa` crate's private-key operation has an open timing
//! advisory (RUSTSEC-2023-0071), and a token endpoint is a remote timing
//! oracle. Generating a key takes a fraction of a second to a second, so it
//! happens when a token is first signed or the JWKS first asked, never when
//! the signer is made (every test portal makes one).
//!
//! Files of other extensions (the `.p256` keys of an unreleased ES256
//! version) are not read.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair, RsaPublicKeyComponents};
use rsa::pkcs8::EncodePrivateKey;
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use crate::crypto::random_bytes;
use crate::jwt;
use crate::ports::clock::Clock;
use crate::ports::signing::{KEY_BITS, KeyError, PublicKey, TokenSigner};

const EXTENSION: &str = "rsa";

/// When keys rotate and how long a retired one stays published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationPolicy {
    /// A key signs new tokens for this long.
    pub rotate_after: Duration,
    /// A retired key stays in the JWKS this long after its successor took
    /// over: at least the longest lifetime of a JWT (`jwt::MAX_TOKEN_TTL`).
    pub keep_retired: Duration,
}

impl Default for RotationPolicy {
    fn default() -> Self {
        RotationPolicy { rotate_after: Duration::days(30), keep_retired: jwt::MAX_TOKEN_TTL * 2 }
    }
}

struct Key {
    kid: String,
    created: OffsetDateTime,
    pair: Arc<RsaKeyPair>,
}

impl Key {
    fn public(&self) -> PublicKey {
        let public = RsaPublicKeyComponents::<Vec<u8>>::from(self.pair.public());
        jwt::public_key(&self.kid, &public.n, &public.e)
    }
}

/// The PKCS#8 DER of a private key, zeroed when dropped.
pub type KeyDer = Zeroizing<Vec<u8>>;

/// Makes a new key.
pub type KeyMaker = fn() -> Result<KeyDer, KeyError>;

pub struct LocalSigner {
    /// `None`: keys live in memory only (tests).
    dir: Option<PathBuf>,
    clock: Arc<dyn Clock>,
    policy: RotationPolicy,
    make_key: KeyMaker,
    /// Oldest first; the last one signs.
    keys: Mutex<Vec<Key>>,
}

/// A new 2048-bit RSA key (exponent 65537) from the OS's random source,
/// as PKCS#8 DER.
pub fn generate_key() -> Result<KeyDer, KeyError> {
    let unavailable = |what: String| KeyError::Unavailable(format!("new signing key: {what}"));
    let private = rsa::PrivateKey::new(&mut getrandom::SysRng, KEY_BITS).map_err(|e| unavailable(e.to_string()))?;
    let pkcs8 = private.to_pkcs8_der().map_err(|e| unavailable(e.to_string()))?;
    Ok(Zeroizing::new(pkcs8.as_bytes().to_vec()))
}

fn io_error(e: std::io::Error) -> KeyError {
    KeyError::Unavailable(format!("signing key file: {e}"))
}

impl LocalSigner {
    /// The keys in `dir` (made 0700 if missing). Reads what is there; a
    /// first key is made when the first token is signed.
    pub fn open(dir: &Path, clock: Arc<dyn Clock>, policy: RotationPolicy) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
        let mut keys = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.extension().and_then(|e| e.to_str()) != Some(EXTENSION) {
                continue;
            }
            keys.push(read_key(&path)?);
        }
        keys.sort_by_key(|k| k.created);
        Ok(LocalSigner { dir: Some(dir.to_owned()), clock, policy, make_key: generate_key, keys: Mutex::new(keys) })
    }

    pub fn in_memory(clock: Arc<dyn Clock>, policy: RotationPolicy) -> Self {
        LocalSigner { dir: None, clock, policy, make_key: generate_key, keys: Mutex::new(Vec::new()) }
    }

    /// With another source of new keys than `generate_key`: the test
    /// harness gives all its portals of one run the same key material
    /// (each under a `kid` of its own), made once, as generating one costs
    /// up to a second.
    pub fn with_key_maker(mut self, make_key: KeyMaker) -> Self {
        self.make_key = make_key;
        self
    }

    /// Rotates when the newest key is due (or there is none), drops the
    /// retired keys no live token can carry any more, and lets `f` look at
    /// the keys kept.
    fn with_keys<T>(&self, f: impl FnOnce(&[Key]) -> T) -> Result<T, KeyError> {
        let now = self.clock.now();
        let mut keys = self.keys.lock().expect("signing keys lock");
        if keys.last().is_none_or(|k| k.created + self.policy.rotate_after <= now) {
            let key = self.new_key(now)?;
            keys.push(key);
        }
        // Key i was replaced when key i+1 was made; tokens it signed are
        // expired `keep_retired` after that.
        let successors: Vec<OffsetDateTime> = keys.iter().skip(1).map(|k| k.created).collect();
        let mut i = 0;
        keys.retain(|key| {
            let keep = successors.get(i).is_none_or(|next| *next + self.policy.keep_retired > now);
            i += 1;
            if !keep && let Some(dir) = &self.dir {
                // A file left behind is read again and dropped at the next start.
                let _ = std::fs::remove_file(dir.join(format!("{}.{EXTENSION}", key.kid)));
            }
            keep
        });
        Ok(f(&keys))
    }

    /// Generates a key (under the lock of `with_keys`: one new key, also
    /// when requests arrive together) and writes its file.
    fn new_key(&self, now: OffsetDateTime) -> Result<Key, KeyError> {
        let pkcs8 = (self.make_key)()?;
        let pair =
            RsaKeyPair::from_pkcs8(&pkcs8).map_err(|e| KeyError::Unavailable(format!("new signing key: {e}")))?;
        let suffix = data_encoding::HEXLOWER.encode(&random_bytes::<4>());
        let kid = format!("{}-{suffix}", now.unix_timestamp());
        if let Some(dir) = &self.dir {
            write_private(&dir.join(format!("{kid}.{EXTENSION}")), &pkcs8).map_err(io_error)?;
        }
        Ok(Key { kid, created: now, pair: Arc::new(pair) })
    }
}

fn read_key(path: &Path) -> std::io::Result<Key> {
    let invalid =
        |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{}: {what}", path.display()));
    let kid = path.file_stem().and_then(|s| s.to_str()).ok_or_else(|| invalid("not a key name"))?.to_owned();
    let created = kid
        .split_once('-')
        .and_then(|(secs, _)| secs.parse::<i64>().ok())
        .and_then(|secs| OffsetDateTime::from_unix_timestamp(secs).ok())
        .ok_or_else(|| invalid("the name does not start with its creation time"))?;
    let bytes = Zeroizing::new(std::fs::read(path)?);
    let pair = RsaKeyPair::from_pkcs8(&bytes).map_err(|_| invalid("not an RSA private key in PKCS#8 DER"))?;
    Ok(Key { kid, created, pair: Arc::new(pair) })
}

/// Creates `path` with mode 0600 (never replacing a file) holding `bytes`.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[async_trait]
impl TokenSigner for LocalSigner {
    async fn current_kid(&self) -> Result<String, KeyError> {
        self.with_keys(|keys| keys.last().map(|k| k.kid.clone()))?.ok_or(KeyError::Invalid)
    }

    async fn sign(&self, kid: &str, signing_input: &[u8]) -> Result<Vec<u8>, KeyError> {
        // Signed outside the lock: requests do not wait for each other's signatures.
        let pair = self.with_keys(|keys| keys.iter().find(|k| k.kid == kid).map(|k| k.pair.clone()))?;
        let pair = pair.ok_or(KeyError::Invalid)?;
        let mut signature = vec![0; pair.public().modulus_len()];
        pair.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), signing_input, &mut signature)
            .map_err(|_| KeyError::Invalid)?;
        Ok(signature)
    }

    async fn public_keys(&self) -> Result<Vec<PublicKey>, KeyError> {
        self.with_keys(|keys| keys.iter().map(Key::public).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::clock::ManualClock;
    use time::macros::datetime;

    fn temp_dir() -> PathBuf {
        std::env::temp_dir().join(format!("portal-signing-{}", uuid::Uuid::new_v4()))
    }

    /// Whether `signature` is `key`'s RS256 signature of `input`.
    fn verifies(key: &PublicKey, input: &[u8], signature: &[u8]) -> bool {
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap();
        RsaPublicKeyComponents { n: b64(&key.n), e: b64(&key.e) }
            .verify(&ring::signature::RSA_PKCS1_2048_8192_SHA256, input, signature)
            .is_ok()
    }

    #[tokio::test]
    async fn the_key_file_is_made_on_first_use_with_mode_0600_and_read_again() {
        let dir = temp_dir();
        let clock = Arc::new(ManualClock::new(datetime!(2026-11-02 10:00 UTC)));
        let signer = LocalSigner::open(&dir, clock.clone(), RotationPolicy::default()).unwrap();
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "nothing before the first token");
        let kid = signer.current_kid().await.unwrap();
        let path = dir.join(format!("{kid}.rsa"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
            assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
        }
        // PKCS#8 DER of a 2048-bit key with the usual exponent, as other tools read it.
        use rsa::pkcs8::DecodePrivateKey;
        use rsa::traits::PublicKeyParts;
        let written = rsa::PrivateKey::from_pkcs8_der(&std::fs::read(&path).unwrap()).expect("PKCS#8 DER");
        assert_eq!((written.size(), written.e_bytes().as_ref()), (256, &[1u8, 0, 1][..]));
        let signature = signer.sign(&kid, b"input").await.unwrap();
        assert_eq!(signature.len(), 256);
        let reopened = LocalSigner::open(&dir, clock, RotationPolicy::default()).unwrap();
        assert_eq!(reopened.current_kid().await.unwrap(), kid, "the same key after a restart");
        assert_eq!(reopened.public_keys().await.unwrap(), signer.public_keys().await.unwrap());
        let published = &reopened.public_keys().await.unwrap()[0];
        assert!(verifies(published, b"input", &signature));
        assert!(!verifies(published, b"inpuT", &signature));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn an_es256_key_file_of_before_is_not_read() {
        let dir = temp_dir();
        std::fs::create_dir_all(&dir).unwrap();
        // The 32-byte P-256 scalar an ES256 signer wrote, named as now.
        let old = dir.join("1793613600-0a0b0c0d.p256");
        std::fs::write(&old, [7u8; 32]).unwrap();
        let clock = Arc::new(ManualClock::new(datetime!(2026-11-02 10:00 UTC)));
        let signer = LocalSigner::open(&dir, clock, RotationPolicy::default()).unwrap();
        let keys = signer.public_keys().await.unwrap();
        assert_eq!(keys.len(), 1, "only the new RSA key is published");
        assert_ne!(keys[0].kid, "1793613600-0a0b0c0d");
        assert!(old.exists(), "left alone");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_signer_made_in_memory_generates_no_key_before_it_is_used() {
        let signer = LocalSigner::in_memory(
            Arc::new(ManualClock::new(datetime!(2026-11-02 10:00 UTC))),
            RotationPolicy::default(),
        );
        assert!(signer.keys.lock().unwrap().is_empty(), "RSA key generation costs up to a second");
    }

    #[tokio::test]
    async fn rotation_keeps_the_old_key_in_the_jwks_until_its_tokens_expired() {
        let dir = temp_dir();
        let clock = Arc::new(ManualClock::new(datetime!(2026-11-02 10:00 UTC)));
        let policy = RotationPolicy { rotate_after: Duration::days(30), keep_retired: Duration::minutes(30) };
        let signer = LocalSigner::open(&dir, clock.clone(), policy).unwrap();
        let first = signer.current_kid().await.unwrap();
        clock.advance(Duration::days(30) - Duration::seconds(1));
        assert_eq!(signer.current_kid().await.unwrap(), first, "not due yet");
        clock.advance(Duration::seconds(1));
        let second = signer.current_kid().await.unwrap();
        assert_ne!(second, first, "rotated by age");
        let kids = |keys: Vec<PublicKey>| keys.into_iter().map(|k| k.kid).collect::<Vec<_>>();
        assert_eq!(kids(signer.public_keys().await.unwrap()), [first.clone(), second.clone()]);
        assert!(signer.sign(&first, b"x").await.is_ok(), "the old key is still there");
        clock.advance(Duration::minutes(30) - Duration::seconds(1));
        assert_eq!(kids(signer.public_keys().await.unwrap()), [first.clone(), second.clone()]);
        clock.advance(Duration::seconds(1));
        let second_file = dir.join(format!("{second}.rsa"));
        assert_eq!(kids(signer.public_keys().await.unwrap()), [second], "every token of the old key expired");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "its file is gone");
        assert!(second_file.exists());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_retired_key_outlives_every_token() {
        assert!(RotationPolicy::default().keep_retired >= jwt::MAX_TOKEN_TTL);
    }
}
