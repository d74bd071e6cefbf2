//! The OpenID Connect signer on KMS (`adapters::kms_signing`), against
//! LocalStack: keys of the test's own under aliases of its own, the RS256
//! signatures checked with the `rsa` crate against the JWKS modulus and
//! exponent alone, the way a relying party checks them, through a rotation
//! of the aliases.

use std::time::Duration;

use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use functions::adapters::kms_signing::{KmsSigner, SigningAliases};
use functions::ports::signing::{PublicKey, TokenSigner};

async fn kms() -> aws_sdk_kms::Client {
    aws_sdk_kms::Client::new(&functions::backend::aws::sdk_config().await)
}

/// A new RSA_2048 SIGN_VERIFY key; its id.
async fn new_key(kms: &aws_sdk_kms::Client) -> String {
    let out = kms
        .create_key()
        .key_spec(KeySpec::Rsa2048)
        .key_usage(KeyUsageType::SignVerify)
        .description("portal test: OpenID Connect signing")
        .send()
        .await
        .expect("LocalStack creates the key");
    out.key_metadata().unwrap().key_id().to_owned()
}

/// Points `alias` at `key` (made or moved), as an operator's rotation does.
async fn point(kms: &aws_sdk_kms::Client, alias: &str, key: &str) {
    if kms.update_alias().alias_name(alias).target_key_id(key).send().await.is_err() {
        kms.create_alias().alias_name(alias).target_key_id(key).send().await.expect("the alias");
    }
}

/// The key of a JWKS entry, from its modulus and exponent alone: a 2048-bit
/// modulus, exponent 65537.
fn from_jwks(k: &PublicKey) -> rsa::PublicKey {
    let n = B64URL.decode(&k.n).unwrap();
    assert!(n.len() == 256 && n[0] >= 0x80, "a 2048-bit modulus without leading zeros");
    assert_eq!(k.e, "AQAB");
    rsa::PublicKey::new(rsa::BoxedUint::from_be_slice_vartime(&n), rsa::BoxedUint::from_be_slice_vartime(&[1, 0, 1]))
        .expect("the JWKS entry is an RSA key")
}

fn verify(key: &rsa::PublicKey, input: &[u8], signature: &[u8]) -> bool {
    key.pkcs1v15_verify::<sha2::Sha256>(input, signature).is_ok()
}

/// Signs with the current key and checks the signature with the JWKS entry
/// of its kid; the kid.
async fn sign_and_verify(signer: &KmsSigner, input: &[u8]) -> String {
    let kid = signer.current_kid().await.unwrap();
    let signature = signer.sign(&kid, input).await.unwrap();
    assert_eq!(signature.len(), 256);
    let jwks = signer.public_keys().await.unwrap();
    let published = jwks.iter().find(|k| k.kid == kid).expect("the signing key is in the JWKS");
    assert!(verify(&from_jwks(published), input, &signature), "the JWKS key verifies the KMS signature");
    assert!(!verify(&from_jwks(published), b"another input", &signature));
    kid
}

fn kids(keys: &[PublicKey]) -> Vec<String> {
    keys.iter().map(|k| k.kid.clone()).collect()
}

#[tokio::test]
#[ignore = "needs LocalStack; tests/run runs it"]
async fn kms_signs_rs256_that_the_jwks_verifies_through_a_rotation_of_the_aliases() {
    let kms = kms().await;
    let name = format!("test-oidc-{}", uuid::Uuid::new_v4().simple());
    let aliases = SigningAliases::named(&name);
    // No cache: every call sees the aliases as they are now.
    let signer = KmsSigner::with_ttl(kms.clone(), aliases.clone(), Duration::ZERO);
    let (a, b) = (new_key(&kms).await, new_key(&kms).await);
    point(&kms, &aliases.current, &a).await;

    // One key: it signs, and the JWKS holds it alone. A long signing input
    // (over KMS's 4 KiB for a raw message) signs too: KMS gets the digest.
    let input = b"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImEifQ.eyJzdWIiOiIxIn0";
    assert_eq!(sign_and_verify(&signer, input).await, a);
    assert_eq!(sign_and_verify(&signer, &[b'x'; 6000]).await, a);
    assert_eq!(kids(&signer.public_keys().await.unwrap()), [a.as_str()]);

    // Rotation, step 1: B is published before it signs.
    point(&kms, &aliases.next, &b).await;
    assert_eq!(kids(&signer.public_keys().await.unwrap()), [a.as_str(), b.as_str()]);
    assert_eq!(sign_and_verify(&signer, input).await, a, "the next key does not sign yet");

    // Step 2: B signs, A stays published for the tokens it signed.
    point(&kms, &aliases.previous, &a).await;
    point(&kms, &aliases.current, &b).await;
    kms.delete_alias().alias_name(&aliases.next).send().await.unwrap();
    assert_eq!(kids(&signer.public_keys().await.unwrap()), [b.as_str(), a.as_str()]);
    assert_eq!(sign_and_verify(&signer, input).await, b);
    let old = signer.sign(&a, input).await.unwrap();
    let jwks = signer.public_keys().await.unwrap();
    assert!(verify(&from_jwks(jwks.iter().find(|k| k.kid == a).unwrap()), input, &old), "A still verifies");

    // Step 3, after A's tokens expired: A leaves the JWKS.
    kms.delete_alias().alias_name(&aliases.previous).send().await.unwrap();
    assert_eq!(kids(&signer.public_keys().await.unwrap()), [b.as_str()]);
    assert!(signer.sign(&a, input).await.is_err(), "a key no longer published signs nothing");

    kms.delete_alias().alias_name(&aliases.current).send().await.unwrap();
    for key in [a, b] {
        kms.schedule_key_deletion().key_id(key).pending_window_in_days(7).send().await.unwrap();
    }
}
