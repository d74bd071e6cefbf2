//! The OpenID Connect token signer on AWS: RS256 by KMS asymmetric keys
//! (RSA_2048, SIGN_VERIFY, RSASSA_PKCS1_V1_5_SHA_256), so the private key
//! never leaves KMS.
//!
//! KMS does not rotate asymmetric keys, so rotation is three aliases that an
//! operator moves (README, "Sign in to your own apps"):
//! - `alias/<name>` signs new tokens;
//! - `alias/<name>-next` is published before it signs, so every verifier
//!   (API Gateway caches a JWKS for up to two hours) knows it when the first
//!   token signed by it arrives;
//! - `alias/<name>-previous` stays published until every token it signed
//!   has expired (`jwt::MAX_TOKEN_TTL`).
//!
//! The next and previous aliases may be missing. Their keys are read once
//! (`GetPublicKey`) and kept for `KEY_SET_TTL`, so a moved alias reaches
//! every warm Lambda within that time. A token's `kid` is the KMS key id
//! (what CloudTrail shows for its `Sign` call), and `Sign` names the key by
//! its ARN, not by the alias: a rotation between choosing the key and
//! signing cannot make the signature disagree with the `kid`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeySpec, KeyUsageType, MessageType, SigningAlgorithmSpec};
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};

use crate::jwt;
use crate::ports::signing::{KEY_BITS, KeyError, PublicKey, TokenSigner};

/// How long a warm function keeps the keys it read: a moved alias takes
/// effect everywhere within this time (see the rotation steps in README).
pub const KEY_SET_TTL: Duration = Duration::from_secs(300);

/// The three aliases of the signing keys, from one name (`PORTAL_OIDC_KEY_ALIAS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningAliases {
    pub current: String,
    pub next: String,
    pub previous: String,
}

impl SigningAliases {
    /// `portal-oidc` → `alias/portal-oidc`, `alias/portal-oidc-next`,
    /// `alias/portal-oidc-previous` (an `alias/` prefix given is kept once).
    pub fn named(name: &str) -> Self {
        let base = format!("alias/{}", name.trim_start_matches("alias/"));
        SigningAliases { next: format!("{base}-next"), previous: format!("{base}-previous"), current: base }
    }
}

/// A key of the set: its id (the `kid`), its ARN (what `Sign` names), its
/// public modulus and exponent, and its signatures' length.
#[derive(Debug, Clone)]
struct Key {
    arn: String,
    public: PublicKey,
    signature_len: usize,
}

#[derive(Debug)]
struct KeySet {
    /// The current key first, then next and previous when they exist (each
    /// key once, also while two aliases name it during a rotation).
    keys: Vec<Key>,
    read_at: Instant,
}

pub struct KmsSigner {
    client: aws_sdk_kms::Client,
    aliases: SigningAliases,
    ttl: Duration,
    cache: Mutex<Option<Arc<KeySet>>>,
}

fn unavailable<E: std::error::Error + 'static, R: std::fmt::Debug>(e: aws_sdk_kms::error::SdkError<E, R>) -> KeyError {
    let text = aws_sdk_kms::error::DisplayErrorContext(&e).to_string();
    if matches!(e, aws_sdk_kms::error::SdkError::ServiceError(_)) {
        tracing::error!(error = %text, "KMS refused");
    }
    KeyError::Unavailable(text)
}

/// A key KMS describes that cannot sign RS256: a misconfiguration, told in
/// the log and answered as unavailable.
fn misconfigured(message: String) -> KeyError {
    tracing::error!(error = %message, "token signing key");
    KeyError::Unavailable(message)
}

impl KmsSigner {
    pub fn new(client: aws_sdk_kms::Client, aliases: SigningAliases) -> Self {
        Self::with_ttl(client, aliases, KEY_SET_TTL)
    }

    /// With another cache time (the tests move aliases and read at once).
    pub fn with_ttl(client: aws_sdk_kms::Client, aliases: SigningAliases, ttl: Duration) -> Self {
        KmsSigner { client, aliases, ttl, cache: Mutex::new(None) }
    }

    async fn key_set(&self) -> Result<Arc<KeySet>, KeyError> {
        if let Some(set) = self.cache.lock().unwrap().as_ref().filter(|s| s.read_at.elapsed() < self.ttl) {
            return Ok(set.clone());
        }
        // Two requests may read at once after the cache expired: both get
        // the same keys, the later one is kept.
        let mut keys =
            vec![self.read_key(&self.aliases.current).await?.ok_or_else(|| {
                misconfigured(format!("the token signing key {} does not exist", self.aliases.current))
            })?];
        for alias in [&self.aliases.next, &self.aliases.previous] {
            if let Some(key) = self.read_key(alias).await?
                && keys.iter().all(|k| k.public.kid != key.public.kid)
            {
                keys.push(key);
            }
        }
        let set = Arc::new(KeySet { keys, read_at: Instant::now() });
        *self.cache.lock().unwrap() = Some(set.clone());
        Ok(set)
    }

    /// The key `alias` names, or `None` when there is no such alias.
    async fn read_key(&self, alias: &str) -> Result<Option<Key>, KeyError> {
        let out = match self.client.get_public_key().key_id(alias).send().await {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found_exception()) => return Ok(None),
            Err(e) => return Err(unavailable(e)),
        };
        let arn = out.key_id().ok_or_else(|| misconfigured(format!("KMS named no key for {alias}")))?.to_owned();
        let spec_ok = out.key_spec() == Some(&KeySpec::Rsa2048)
            && out.key_usage() == Some(&KeyUsageType::SignVerify)
            && out.signing_algorithms().contains(&SigningAlgorithmSpec::RsassaPkcs1V15Sha256);
        if !spec_ok {
            return Err(misconfigured(format!(
                "{alias} ({arn}) is not an RSA_2048 SIGN_VERIFY key (spec {:?}, usage {:?})",
                out.key_spec(),
                out.key_usage()
            )));
        }
        let der = out.public_key().ok_or_else(|| misconfigured(format!("KMS gave no public key for {alias}")))?;
        // The SubjectPublicKeyInfo DER of an RSA key: its modulus and exponent.
        let public = rsa::PublicKey::from_public_key_der(der.as_ref())
            .ok()
            .filter(|k| k.size() * 8 == KEY_BITS)
            .ok_or_else(|| misconfigured(format!("the public key of {alias} is not a 2048-bit RSA key")))?;
        let kid = key_id(&arn).to_owned();
        let signature_len = public.size();
        Ok(Some(Key { public: jwt::public_key(&kid, &public.n_bytes(), &public.e_bytes()), arn, signature_len }))
    }
}

/// The key id of a key ARN (`arn:aws:kms:<region>:<account>:key/<id>`).
fn key_id(arn: &str) -> &str {
    arn.rsplit_once("key/").map_or(arn, |(_, id)| id)
}

#[async_trait]
impl TokenSigner for KmsSigner {
    async fn current_kid(&self) -> Result<String, KeyError> {
        Ok(self.key_set().await?.keys[0].public.kid.clone())
    }

    async fn sign(&self, kid: &str, signing_input: &[u8]) -> Result<Vec<u8>, KeyError> {
        let set = self.key_set().await?;
        let key = set.keys.iter().find(|k| k.public.kid == kid).ok_or(KeyError::Invalid)?;
        // The digest, not the message: KMS takes at most 4 KiB of message,
        // and 32 bytes travel instead of the whole token.
        let digest = Sha256::digest(signing_input);
        let out = self
            .client
            .sign()
            .key_id(&key.arn)
            .message(Blob::new(digest.as_slice()))
            .message_type(MessageType::Digest)
            .signing_algorithm(SigningAlgorithmSpec::RsassaPkcs1V15Sha256)
            .send()
            .await
            .map_err(unavailable)?;
        // An RSASSA-PKCS1-v1_5 signature is the raw integer, as long as the
        // modulus: what JWS wants, as KMS gives it.
        let signature = out.signature().ok_or(KeyError::Invalid)?.as_ref().to_vec();
        if signature.len() != key.signature_len {
            return Err(KeyError::Invalid);
        }
        Ok(signature)
    }

    async fn public_keys(&self) -> Result<Vec<PublicKey>, KeyError> {
        Ok(self.key_set().await?.keys.iter().map(|k| k.public.clone()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::fake_aws::{Answer, FakeAws};
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
    use ring::signature::{RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair, RsaPublicKeyComponents};
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey};
    use serde_json::json;
    use std::sync::OnceLock;

    const ARN_A: &str = "arn:aws:kms:eu-central-1:111122223333:key/0b6c4e1a-1111-4c3e-9d7a-00000000000a";
    const ARN_B: &str = "arn:aws:kms:eu-central-1:111122223333:key/0b6c4e1a-2222-4c3e-9d7a-00000000000b";
    const INPUT: &[u8] = b"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhY2NvdW50In0";

    /// Two 2048-bit keys, generated once for all tests of the module (each
    /// generation takes a good part of a second).
    fn key(i: usize) -> &'static rsa::PrivateKey {
        static KEYS: OnceLock<[rsa::PrivateKey; 2]> = OnceLock::new();
        let new = || rsa::PrivateKey::new(&mut getrandom::SysRng, KEY_BITS).unwrap();
        &KEYS.get_or_init(|| [new(), new()])[i]
    }

    /// The SubjectPublicKeyInfo DER that GetPublicKey gives.
    fn spki(key: &rsa::PrivateKey) -> Vec<u8> {
        key.to_public_key().to_public_key_der().unwrap().into_vec()
    }

    /// What KMS signs with the key: RSASSA-PKCS1-v1_5 with SHA-256 (here by
    /// ring over the message; KMS gets its digest).
    fn kms_signature(key: &rsa::PrivateKey, input: &[u8]) -> Vec<u8> {
        let pair = RsaKeyPair::from_pkcs8(key.to_pkcs8_der().unwrap().as_bytes()).unwrap();
        let mut signature = vec![0; pair.public().modulus_len()];
        pair.sign(&RSA_PKCS1_SHA256, &ring::rand::SystemRandom::new(), input, &mut signature).unwrap();
        signature
    }

    fn public_key(arn: &str, key: &rsa::PrivateKey, spec: &str, usage: &str, algorithms: &[&str]) -> Answer {
        Answer::kms(
            200,
            json!({"KeyId": arn, "PublicKey": B64.encode(spki(key)), "KeySpec": spec, "KeyUsage": usage,
                   "SigningAlgorithms": algorithms}),
        )
    }

    fn rsa_key(arn: &str, key: &rsa::PrivateKey) -> Answer {
        public_key(arn, key, "RSA_2048", "SIGN_VERIFY", &["RSASSA_PSS_SHA_256", "RSASSA_PKCS1_V1_5_SHA_256"])
    }

    fn no_alias() -> Answer {
        Answer::kms(400, json!({"__type": "NotFoundException", "message": "Alias is not found."}))
    }

    fn signed(arn: &str, signature: &[u8]) -> Answer {
        Answer::kms(
            200,
            json!({"KeyId": arn, "Signature": B64.encode(signature), "SigningAlgorithm": "RSASSA_PKCS1_V1_5_SHA_256"}),
        )
    }

    fn signer(fake: &FakeAws, ttl: Duration) -> KmsSigner {
        KmsSigner::with_ttl(aws_sdk_kms::Client::new(&fake.sdk()), SigningAliases::named("portal-oidc"), ttl)
    }

    /// Whether the JWKS entry, from its `n` and `e` alone, verifies `signature` of `input`.
    fn verifies(k: &PublicKey, input: &[u8], signature: &[u8]) -> bool {
        RsaPublicKeyComponents { n: B64URL.decode(&k.n).unwrap(), e: B64URL.decode(&k.e).unwrap() }
            .verify(&RSA_PKCS1_2048_8192_SHA256, input, signature)
            .is_ok()
    }

    #[test]
    fn the_aliases_come_from_one_name() {
        let want = SigningAliases {
            current: "alias/portal-oidc".into(),
            next: "alias/portal-oidc-next".into(),
            previous: "alias/portal-oidc-previous".into(),
        };
        assert_eq!(SigningAliases::named("portal-oidc"), want);
        assert_eq!(SigningAliases::named("alias/portal-oidc"), want);
    }

    #[tokio::test]
    async fn kms_signs_the_digest_and_the_published_modulus_and_exponent_verify_its_signature() {
        let k = key(0);
        let fake =
            FakeAws::new(vec![rsa_key(ARN_A, k), no_alias(), no_alias(), signed(ARN_A, &kms_signature(k, INPUT))]);
        let signer = signer(&fake, KEY_SET_TTL);

        let kid = signer.current_kid().await.unwrap();
        assert_eq!(kid, "0b6c4e1a-1111-4c3e-9d7a-00000000000a");
        let jwks = signer.public_keys().await.unwrap();
        assert_eq!(jwks.len(), 1);
        assert_eq!(jwks[0].kid, kid);
        assert_eq!(jwks[0].e, "AQAB");
        assert_eq!(B64URL.decode(&jwks[0].n).unwrap(), k.n_bytes().as_ref(), "n without leading zeros");
        let signature = signer.sign(&kid, INPUT).await.unwrap();
        assert_eq!(signature.len(), 256);
        assert!(verifies(&jwks[0], INPUT, &signature), "the JWKS key verifies");
        assert!(!verifies(&jwks[0], b"another input", &signature));

        // KMS got the SHA-256 digest, for the key's ARN (not the alias).
        let requests = fake.requests();
        assert_eq!(requests.len(), 4, "three keys read once, one signature");
        let sign: serde_json::Value = serde_json::from_str(&requests[3]).unwrap();
        assert_eq!(sign["KeyId"], ARN_A);
        assert_eq!(sign["MessageType"], "DIGEST");
        assert_eq!(sign["SigningAlgorithm"], "RSASSA_PKCS1_V1_5_SHA_256");
        assert_eq!(sign["Message"], B64.encode(Sha256::digest(INPUT)));
    }

    #[tokio::test]
    async fn a_signature_not_as_long_as_the_modulus_is_refused() {
        let k = key(0);
        let mut short = kms_signature(k, INPUT);
        short.remove(0);
        let fake = FakeAws::new(vec![rsa_key(ARN_A, k), no_alias(), no_alias(), signed(ARN_A, &short)]);
        let signer = signer(&fake, KEY_SET_TTL);
        let kid = signer.current_kid().await.unwrap();
        assert!(matches!(signer.sign(&kid, INPUT).await, Err(KeyError::Invalid)));
    }

    #[tokio::test]
    async fn a_key_that_cannot_sign_rs256_is_refused_before_anything_is_signed() {
        let pkcs1 = ["RSASSA_PKCS1_V1_5_SHA_256"];
        for (spec, usage, algorithms) in [
            ("ECC_NIST_P256", "SIGN_VERIFY", &["ECDSA_SHA_256"][..]),
            ("RSA_3072", "SIGN_VERIFY", &pkcs1[..]),
            ("RSA_2048", "ENCRYPT_DECRYPT", &["RSAES_OAEP_SHA_256"][..]),
            ("RSA_2048", "SIGN_VERIFY", &["RSASSA_PSS_SHA_256"][..]),
        ] {
            let fake = FakeAws::new(vec![public_key(ARN_A, key(0), spec, usage, algorithms)]);
            let signer = signer(&fake, KEY_SET_TTL);
            assert!(matches!(signer.current_kid().await, Err(KeyError::Unavailable(_))), "{spec} {usage}");
            assert!(signer.public_keys().await.is_err(), "{spec} {usage}");
            assert!(fake.requests().iter().all(|r| !r.contains("MessageType")), "{spec} {usage}: nothing signed");
        }
        // Said to be RSA_2048, but the public key is no RSA key.
        let not_rsa = Answer::kms(
            200,
            json!({"KeyId": ARN_A, "PublicKey": B64.encode(b"not a key"), "KeySpec": "RSA_2048",
                   "KeyUsage": "SIGN_VERIFY", "SigningAlgorithms": ["RSASSA_PKCS1_V1_5_SHA_256"]}),
        );
        assert!(signer(&FakeAws::new(vec![not_rsa]), KEY_SET_TTL).current_kid().await.is_err());
        // No current key at all: refused too.
        let fake = FakeAws::new(vec![no_alias()]);
        assert!(signer(&fake, KEY_SET_TTL).current_kid().await.is_err());
    }

    #[tokio::test]
    async fn during_a_rotation_the_jwks_holds_each_published_key_once_and_the_current_one_signs() {
        let (a, b) = (key(0), key(1));
        // Mid-rotation: the current alias and the next one name B, the previous one A.
        let fake = FakeAws::new(vec![rsa_key(ARN_B, b), rsa_key(ARN_B, b), rsa_key(ARN_A, a), signed(ARN_A, &[])]);
        let signer = signer(&fake, KEY_SET_TTL);
        let jwks = signer.public_keys().await.unwrap();
        let kids: Vec<&str> = jwks.iter().map(|k| k.kid.as_str()).collect();
        assert_eq!(kids, ["0b6c4e1a-2222-4c3e-9d7a-00000000000b", "0b6c4e1a-1111-4c3e-9d7a-00000000000a"]);
        assert_eq!(signer.current_kid().await.unwrap(), jwks[0].kid);
        assert_eq!(B64URL.decode(&jwks[1].n).unwrap(), a.n_bytes().as_ref(), "the previous key is still published");
        // A kid nobody published is refused without asking KMS.
        assert!(matches!(signer.sign("0b6c4e1a-3333", INPUT).await, Err(KeyError::Invalid)));
        assert_eq!(fake.requests().len(), 3);
    }

    #[tokio::test]
    async fn the_keys_are_read_once_until_the_cache_time_passed() {
        let k = key(0);
        let fake = FakeAws::new(vec![rsa_key(ARN_A, k), no_alias(), no_alias()]);
        let cached = signer(&fake, KEY_SET_TTL);
        cached.current_kid().await.unwrap();
        cached.public_keys().await.unwrap();
        assert_eq!(fake.requests().len(), 3);

        let fake = FakeAws::new(vec![rsa_key(ARN_A, k), no_alias(), no_alias(), rsa_key(ARN_A, k), no_alias()]);
        let expired = signer(&fake, Duration::ZERO);
        expired.current_kid().await.unwrap();
        expired.public_keys().await.unwrap();
        assert_eq!(fake.requests().len(), 6, "read again: a moved alias is seen");
    }
}
