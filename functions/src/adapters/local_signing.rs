//! The embedded backend's token signer: P-256 keys in files under the data
//! directory (`signing/<kid>.p256`, the 32-byte private scalar, mode 0600,
//! created on first use). A key signs for `rotate_after`; then a new one
//! takes over, and the old one stays in the JWKS for `keep_retired` (at
//! least the longest lifetime of a token it signed) before its file goes.
//! The key id names the creation time, so the order of keys and their age
//! come from the names alone, whatever the files' times say.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use time::{Duration, OffsetDateTime};

use crate::crypto::random_bytes;
use crate::jwt;
use crate::ports::clock::Clock;
use crate::ports::signing::{KeyError, PublicKey, TokenSigner};

const EXTENSION: &str = "p256";

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
    signing: SigningKey,
}

pub struct LocalSigner {
    /// `None`: keys live in memory only (tests).
    dir: Option<PathBuf>,
    clock: Arc<dyn Clock>,
    policy: RotationPolicy,
    /// Oldest first; the last one signs.
    keys: Mutex<Vec<Key>>,
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
        Ok(LocalSigner { dir: Some(dir.to_owned()), clock, policy, keys: Mutex::new(keys) })
    }

    pub fn in_memory(clock: Arc<dyn Clock>, policy: RotationPolicy) -> Self {
        LocalSigner { dir: None, clock, policy, keys: Mutex::new(Vec::new()) }
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

    fn new_key(&self, now: OffsetDateTime) -> Result<Key, KeyError> {
        let signing = loop {
            // A random 32-byte string is a valid scalar but with chance ~2^-32.
            if let Ok(key) = SigningKey::from_slice(&random_bytes::<32>()) {
                break key;
            }
        };
        let suffix = data_encoding::HEXLOWER.encode(&random_bytes::<4>());
        let kid = format!("{}-{suffix}", now.unix_timestamp());
        if let Some(dir) = &self.dir {
            write_private(&dir.join(format!("{kid}.{EXTENSION}")), &signing.to_bytes()).map_err(io_error)?;
        }
        Ok(Key { kid, created: now, signing })
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
    let bytes = zeroize::Zeroizing::new(std::fs::read(path)?);
    let signing = SigningKey::from_slice(&bytes).map_err(|_| invalid("not a P-256 private key"))?;
    Ok(Key { kid, created, signing })
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

    async fn sign(&self, kid: &str, signing_input: &[u8]) -> Result<[u8; 64], KeyError> {
        let signature: Option<Signature> =
            self.with_keys(|keys| keys.iter().find(|k| k.kid == kid).map(|k| k.signing.sign(signing_input)))?;
        let signature = signature.ok_or(KeyError::Invalid)?;
        Ok(signature.to_bytes().into())
    }

    async fn public_keys(&self) -> Result<Vec<PublicKey>, KeyError> {
        self.with_keys(|keys| keys.iter().map(|k| jwt::public_key(&k.kid, k.signing.verifying_key())).collect())
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

    #[tokio::test]
    async fn the_key_file_is_made_on_first_use_with_mode_0600_and_read_again() {
        let dir = temp_dir();
        let clock = Arc::new(ManualClock::new(datetime!(2026-11-02 10:00 UTC)));
        let signer = LocalSigner::open(&dir, clock.clone(), RotationPolicy::default()).unwrap();
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "nothing before the first token");
        let kid = signer.current_kid().await.unwrap();
        let path = dir.join(format!("{kid}.{EXTENSION}"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
            assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
        }
        let signature = signer.sign(&kid, b"input").await.unwrap();
        let reopened = LocalSigner::open(&dir, clock, RotationPolicy::default()).unwrap();
        assert_eq!(reopened.current_kid().await.unwrap(), kid, "the same key after a restart");
        assert_eq!(reopened.public_keys().await.unwrap(), signer.public_keys().await.unwrap());
        let key = jwt::verifying_key(&reopened.public_keys().await.unwrap()[0]).unwrap();
        use p256::ecdsa::signature::Verifier;
        assert!(key.verify(b"input", &Signature::from_slice(&signature).unwrap()).is_ok());
        std::fs::remove_dir_all(dir).unwrap();
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
        assert_eq!(kids(signer.public_keys().await.unwrap()), [second.clone()], "every token of the old key expired");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "its file is gone");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_retired_key_outlives_every_token() {
        assert!(RotationPolicy::default().keep_retired >= jwt::MAX_TOKEN_TTL);
    }
}
