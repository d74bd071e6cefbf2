//! JSON Web Tokens signed with RS256 (RFC 7515/7519/7518): the one place
//! that encodes them, for ID tokens (`typ: JWT`) and access tokens
//! (`typ: at+jwt`, RFC 9068), and that checks them (userinfo, logout's
//! `id_token_hint`). The signature is made by the `TokenSigner` port, so the
//! private key stays in its adapter (a key file, or KMS).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::ports::signing::{KeyError, PublicKey, TokenSigner};

/// No JWT this server signs lives longer: access tokens and ID tokens both
/// (`events::oidc::OidcPolicy` checks its lifetimes against this). A
/// retired key stays in the JWKS at least this long.
pub const MAX_TOKEN_TTL: Duration = Duration::minutes(15);

/// The JOSE `typ` of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typ {
    /// An ID token.
    Jwt,
    /// An OAuth 2.0 access token (RFC 9068 section 2.1).
    AccessToken,
}

impl Typ {
    pub fn as_str(self) -> &'static str {
        match self {
            Typ::Jwt => "JWT",
            Typ::AccessToken => "at+jwt",
        }
    }
}

/// The one JWS algorithm signed and accepted (see `ports::signing`).
pub const ALG: &str = "RS256";

/// Signs `claims` with the signer's current key.
pub async fn encode(signer: &dyn TokenSigner, typ: Typ, claims: &Value) -> Result<String, KeyError> {
    let kid = signer.current_kid().await?;
    let header = json!({ "alg": ALG, "typ": typ.as_str(), "kid": kid });
    let signing_input = format!("{}.{}", B64.encode(header.to_string()), B64.encode(claims.to_string()));
    let signature = signer.sign(&kid, signing_input.as_bytes()).await?;
    Ok(format!("{signing_input}.{}", B64.encode(signature)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("not a compact JWS")]
    Malformed,
    #[error("not RS256 or not the expected typ")]
    Header,
    #[error("signed by no key of the JWKS")]
    UnknownKey,
    #[error("the signature does not verify")]
    Signature,
    #[error("expired, not yet valid, or from another issuer")]
    Claims,
}

/// A token whose signature verified.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub header: Value,
    pub claims: Value,
}

/// Checks the header (`alg` RS256 and nothing else, `typ`) and the signature
/// by the key the header's `kid` names among `keys`. Claims are not looked
/// at: see `check_time`.
pub fn verify(keys: &[PublicKey], typ: Typ, token: &str) -> Result<Verified, JwtError> {
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let decode = |part: &str| -> Result<Value, JwtError> {
        serde_json::from_slice(&B64.decode(part).map_err(|_| JwtError::Malformed)?).map_err(|_| JwtError::Malformed)
    };
    let header_json = decode(header)?;
    // Only the algorithm of our keys: a token that names another (none,
    // HS256 keyed with the public key, ES256) is refused before any key is
    // looked at.
    if header_json["alg"] != ALG || header_json["typ"] != typ.as_str() {
        return Err(JwtError::Header);
    }
    let kid = header_json["kid"].as_str().ok_or(JwtError::Header)?;
    let key = keys.iter().find(|k| k.kid == kid).ok_or(JwtError::UnknownKey)?;
    let (n, e) =
        (B64.decode(&key.n).map_err(|_| JwtError::UnknownKey)?, B64.decode(&key.e).map_err(|_| JwtError::UnknownKey)?);
    let signature = B64.decode(signature).map_err(|_| JwtError::Malformed)?;
    let signing_input = &token[..header.len() + 1 + claims.len()];
    // ring also refuses moduli under 2048 bits.
    RsaPublicKeyComponents { n, e }
        .verify(&RSA_PKCS1_2048_8192_SHA256, signing_input.as_bytes(), &signature)
        .map_err(|_| JwtError::Signature)?;
    Ok(Verified { header: header_json, claims: decode(claims)? })
}

/// `iss` is `issuer`, `exp` is after `now`, and `nbf` (if present) is not after it.
pub fn check_time_and_issuer(claims: &Value, issuer: &str, now: OffsetDateTime) -> Result<(), JwtError> {
    let now = now.unix_timestamp();
    let exp = claims["exp"].as_i64().ok_or(JwtError::Claims)?;
    let nbf_ok = claims.get("nbf").is_none_or(|nbf| nbf.as_i64().is_some_and(|nbf| nbf <= now));
    if claims["iss"] != issuer || exp <= now || !nbf_ok {
        return Err(JwtError::Claims);
    }
    Ok(())
}

/// The JWK (RFC 7517/7518) of a public key, as the JWKS lists it.
pub fn jwk(key: &PublicKey) -> Value {
    json!({ "kty": "RSA", "use": "sig", "alg": ALG, "kid": key.kid, "n": key.n, "e": key.e })
}

/// The JWKS entry of a key from its modulus and exponent (big-endian; leading
/// zero bytes are dropped, as RFC 7518 6.3.1 wants).
pub fn public_key(kid: &str, n: &[u8], e: &[u8]) -> PublicKey {
    let trim = |b: &[u8]| B64.encode(&b[b.iter().position(|&x| x != 0).unwrap_or(b.len())..]);
    PublicKey { kid: kid.to_owned(), n: trim(n), e: trim(e) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::local_signing::{LocalSigner, RotationPolicy};
    use crate::ports::clock::ManualClock;
    use std::sync::Arc;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-02 10:00 UTC);

    fn signer() -> LocalSigner {
        LocalSigner::in_memory(Arc::new(ManualClock::new(NOW)), RotationPolicy::default())
    }

    #[tokio::test]
    async fn a_signed_token_verifies_with_the_jwks_and_only_unchanged() {
        let signer = signer();
        let claims = json!({"iss": "https://p.example", "sub": "a", "exp": NOW.unix_timestamp() + 60});
        let token = encode(&signer, Typ::AccessToken, &claims).await.unwrap();
        let keys = signer.public_keys().await.unwrap();
        let verified = verify(&keys, Typ::AccessToken, &token).unwrap();
        assert_eq!(verified.claims, claims);
        assert_eq!(verified.header["typ"], "at+jwt");
        assert_eq!(verified.header["kid"], keys[0].kid);
        assert_eq!(verify(&keys, Typ::Jwt, &token), Err(JwtError::Header), "an access token is no ID token");
        let (input, _) = token.rsplit_once('.').unwrap();
        let forged_claims = B64.encode(json!({"iss": "https://p.example", "sub": "b"}).to_string());
        let (header, _) = input.split_once('.').unwrap();
        let signature = token.rsplit_once('.').unwrap().1;
        assert_eq!(
            verify(&keys, Typ::AccessToken, &format!("{header}.{forged_claims}.{signature}")).unwrap_err(),
            JwtError::Signature
        );
        assert_eq!(verify(&signer_keys_of_another().await, Typ::AccessToken, &token), Err(JwtError::UnknownKey));
        for junk in ["", "a.b", "a.b.c.d", "..."] {
            assert!(verify(&keys, Typ::AccessToken, junk).is_err());
        }
    }

    /// `token` with its header replaced by `header`, signed again by `signer`
    /// (a valid RS256 signature by our own key) or, without one, unsigned.
    async fn with_header(token: &str, header: Value, signer: Option<&LocalSigner>) -> String {
        let claims = token.split('.').nth(1).unwrap();
        let input = format!("{}.{claims}", B64.encode(header.to_string()));
        let signature = match signer {
            Some(s) => B64.encode(s.sign(&s.current_kid().await.unwrap(), input.as_bytes()).await.unwrap()),
            None => String::new(),
        };
        format!("{input}.{signature}")
    }

    #[tokio::test]
    async fn only_rs256_is_accepted_whatever_else_the_header_names() {
        let signer = signer();
        let claims = json!({"iss": "https://p.example", "sub": "a", "exp": NOW.unix_timestamp() + 60});
        let token = encode(&signer, Typ::AccessToken, &claims).await.unwrap();
        let keys = signer.public_keys().await.unwrap();
        let kid = keys[0].kid.clone();
        assert_eq!(verify(&keys, Typ::AccessToken, &token).unwrap().header["alg"], "RS256");
        let same = with_header(&token, json!({"alg": "RS256", "typ": "at+jwt", "kid": kid}), Some(&signer)).await;
        assert!(verify(&keys, Typ::AccessToken, &same).is_ok(), "the re-signing itself is sound");
        for alg in ["none", "HS256", "ES256", "RS512", "PS256", "rs256"] {
            let header = json!({"alg": alg, "typ": "at+jwt", "kid": kid});
            // Even a valid RS256 signature by our key does not make another alg acceptable.
            for signed in [true, false] {
                let forged = with_header(&token, header.clone(), signed.then_some(&signer)).await;
                assert_eq!(verify(&keys, Typ::AccessToken, &forged), Err(JwtError::Header), "{alg} {signed}");
            }
        }
    }

    #[test]
    fn the_jwk_is_an_rsa_signing_key_without_leading_zeros() {
        let key = public_key("k1", &[0, 0, 0xc3, 0x01], &[0, 1, 0, 1]);
        assert_eq!((key.n.as_str(), key.e.as_str()), ("wwE", "AQAB"));
        assert_eq!(
            jwk(&key),
            json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "k1", "n": "wwE", "e": "AQAB"})
        );
    }

    async fn signer_keys_of_another() -> Vec<PublicKey> {
        signer().public_keys().await.unwrap()
    }

    #[test]
    fn time_and_issuer_are_checked() {
        let iss = "https://p.example";
        let t = NOW.unix_timestamp();
        assert!(check_time_and_issuer(&json!({"iss": iss, "exp": t + 1, "nbf": t}), iss, NOW).is_ok());
        assert!(check_time_and_issuer(&json!({"iss": iss, "exp": t}), iss, NOW).is_err());
        assert!(check_time_and_issuer(&json!({"iss": iss, "exp": t + 9, "nbf": t + 1}), iss, NOW).is_err());
        assert!(check_time_and_issuer(&json!({"iss": "https://other", "exp": t + 9}), iss, NOW).is_err());
    }
}
