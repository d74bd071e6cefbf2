//! Signing the OpenID Connect tokens: RS256 (RSASSA-PKCS1-v1_5 with
//! SHA-256, 2048-bit keys), the one algorithm API Gateway's JWT authorizer
//! takes and OpenID Connect's default for ID tokens. The private key never
//! leaves its adapter (a key file embedded, KMS on AWS); the handlers see
//! key ids, signatures and the public keys for the JWKS. JWT encoding
//! itself is `crate::jwt`.

use async_trait::async_trait;

pub use super::keys::KeyError;

/// The size of the signing keys' modulus.
pub const KEY_BITS: usize = 2048;

/// A public key of the JWKS: the RSA modulus `n` and exponent `e`, big-endian
/// without leading zeros (RFC 7518 6.3.1), base64url without padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub kid: String,
    pub n: String,
    pub e: String,
}

#[async_trait]
pub trait TokenSigner: Send + Sync {
    /// The key id new tokens are signed with now.
    async fn current_kid(&self) -> Result<String, KeyError>;
    /// The RS256 signature of `signing_input` with key `kid`: as long as the
    /// modulus (256 bytes for a 2048-bit key), as JWS wants it.
    async fn sign(&self, kid: &str, signing_input: &[u8]) -> Result<Vec<u8>, KeyError>;
    /// Every key a token still in its lifetime may carry: the JWKS.
    async fn public_keys(&self) -> Result<Vec<PublicKey>, KeyError>;
}
