//! ALTCHA proof of work (protocol v1, what the `altcha` web component
//! speaks), in front of the reset form so that a script cannot flood the
//! support queue cheaply.
//!
//! The server picks a random salt and a secret number `n <= maxnumber` and
//! publishes `challenge = hex(sha256(salt + n))`, signed with
//! `hex(hmac_sha256(key, challenge))`. The browser tries numbers until the
//! hash matches and posts back base64(JSON) of what it found. The salt
//! carries `?expires=<unix seconds>`, and since the salt is bound to the
//! challenge by the hash and the challenge to the key by the signature,
//! no one can stretch the expiry without the key.
//!
//! Nothing is stored to make a challenge; to verify, the caller must also
//! remember each accepted `replay_key` until `expires_at`, and refuse it a
//! second time (one solved challenge, one submission).
//!
//! The crate `altcha-lib-rs` does the same but reads the wall clock and
//! brings its own random numbers and another copy of the digests; these few
//! lines keep time passed in and the randomness with the caller.

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};

pub const ALGORITHM: &str = "SHA-256";

/// A sensible difficulty: the widget needs about half of this many hashes
/// on average, well under a second in a browser.
pub const DEFAULT_MAX_NUMBER: u64 = 100_000;

/// How long a challenge can be solved and posted.
pub const DEFAULT_TTL: Duration = Duration::minutes(10);

/// The JSON for `GET /api/altcha/challenge`, exactly as the widget expects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    pub algorithm: String,
    pub challenge: String,
    pub maxnumber: u64,
    pub salt: String,
    pub signature: String,
}

/// What a solved payload proves. The caller must accept `replay_key` only
/// once (e.g. a uniqueness claim or a view row kept until `expires_at`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Solved {
    pub replay_key: String,
    pub expires_at: OffsetDateTime,
}

/// Why a payload does not count. All map to 400 at the form; the kinds are
/// told apart for logs and tests only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AltchaError {
    #[error("the ALTCHA payload is not base64 JSON of a v1 SHA-256 solution")]
    Malformed,
    #[error("the ALTCHA challenge was not signed by this server")]
    WrongSignature,
    #[error("the ALTCHA number does not solve the challenge")]
    WrongSolution,
    #[error("the ALTCHA challenge has expired")]
    Expired,
}

/// The payload the widget posts (it may add fields such as `took`).
#[derive(Debug, Deserialize)]
struct Payload {
    algorithm: String,
    challenge: String,
    number: u64,
    salt: String,
    signature: String,
}

/// A challenge from a random salt (at least 12 bytes is plenty) and a
/// random secret number, both made by the caller. A number above
/// `max_number` is reduced into range, so any random `u64` will do.
pub fn make_challenge(
    key: &[u8],
    salt_bytes: &[u8],
    secret_number: u64,
    max_number: u64,
    now: OffsetDateTime,
    ttl: Duration,
) -> Challenge {
    let number = secret_number % max_number.saturating_add(1).max(1);
    let expires = (now + ttl).unix_timestamp();
    let salt = format!("{}?expires={expires}", data_encoding::HEXLOWER.encode(salt_bytes));
    let challenge = hash(&salt, number);
    Challenge {
        algorithm: ALGORITHM.to_owned(),
        signature: sign(key, &challenge),
        challenge,
        maxnumber: max_number,
        salt,
    }
}

/// Checks a posted payload: signed by `key`, solved, not expired.
pub fn verify(key: &[u8], payload_base64: &str, now: OffsetDateTime) -> Result<Solved, AltchaError> {
    let raw = payload_base64.trim();
    let json = data_encoding::BASE64
        .decode(raw.as_bytes())
        .or_else(|_| data_encoding::BASE64_NOPAD.decode(raw.as_bytes()))
        .map_err(|_| AltchaError::Malformed)?;
    let p: Payload = serde_json::from_slice(&json).map_err(|_| AltchaError::Malformed)?;
    if p.algorithm != ALGORITHM {
        return Err(AltchaError::Malformed);
    }
    if !eq(&sign(key, &p.challenge), &p.signature) {
        return Err(AltchaError::WrongSignature);
    }
    // Only once the hash matches is the salt (and its expiry) the one the
    // server signed.
    if !eq(&hash(&p.salt, p.number), &p.challenge) {
        return Err(AltchaError::WrongSolution);
    }
    let expires_at = expires(&p.salt).ok_or(AltchaError::Malformed)?;
    if now >= expires_at {
        return Err(AltchaError::Expired);
    }
    Ok(Solved { replay_key: p.challenge, expires_at })
}

fn hash(salt: &str, number: u64) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(number.to_string().as_bytes());
    data_encoding::HEXLOWER.encode(&h.finalize())
}

fn sign(key: &[u8], challenge: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(challenge.as_bytes());
    data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes())
}

fn eq(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The `expires` parameter of a salt such as `ab12?expires=1767225600`.
/// A salt without one is refused: every challenge this server makes has it.
fn expires(salt: &str) -> Option<OffsetDateTime> {
    let (_, query) = salt.split_once('?')?;
    let value = query.split('&').find_map(|kv| kv.strip_prefix("expires="))?;
    OffsetDateTime::from_unix_timestamp(value.parse().ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    const KEY: &[u8] = b"altcha test key, 32 bytes long!!";
    const NOW: OffsetDateTime = datetime!(2026-11-02 09:00:00 UTC);

    fn challenge(number: u64) -> Challenge {
        make_challenge(KEY, &[7; 12], number, 1000, NOW, DEFAULT_TTL)
    }

    /// What the widget does: try every number up to `maxnumber`.
    fn solve(c: &Challenge) -> u64 {
        (0..=c.maxnumber).find(|n| hash(&c.salt, *n) == c.challenge).expect("solvable")
    }

    fn payload(c: &Challenge, number: u64) -> String {
        let v = json!({"algorithm": c.algorithm, "challenge": c.challenge, "number": number,
                       "salt": c.salt, "signature": c.signature, "took": 12});
        data_encoding::BASE64.encode(v.to_string().as_bytes())
    }

    #[test]
    fn the_challenge_has_the_widgets_shape() {
        let c = challenge(421);
        let v = serde_json::to_value(&c).unwrap();
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["algorithm", "challenge", "maxnumber", "salt", "signature"]);
        assert_eq!(c.algorithm, "SHA-256");
        assert_eq!(c.salt, format!("{}?expires={}", "07".repeat(12), (NOW + DEFAULT_TTL).unix_timestamp()));
        assert_eq!(c.challenge.len(), 64);
        assert_eq!(c.signature.len(), 64);
    }

    #[test]
    fn a_solved_challenge_verifies_and_names_its_replay_key() {
        let c = challenge(421);
        let n = solve(&c);
        assert_eq!(n, 421);
        let solved = verify(KEY, &payload(&c, n), NOW + Duration::minutes(9)).unwrap();
        assert_eq!(solved, Solved { replay_key: c.challenge.clone(), expires_at: NOW + DEFAULT_TTL });
    }

    #[test]
    fn a_known_vector_matches_the_reference_library() {
        // sha256("abc" + "123") and hmac-sha256("key", that hex), computed
        // independently (Python's hashlib), as altcha-lib does.
        assert_eq!(hash("abc", 123), "6ca13d52ca70c883e0f0bb101e425a89e8624de51db2d2392593af6a84118090");
        assert_eq!(
            sign(b"key", "6ca13d52ca70c883e0f0bb101e425a89e8624de51db2d2392593af6a84118090"),
            "b2d566a13cb9ef57ae66880d0a9a7eb2e98d9e64d8d7125b54358600cbeff763"
        );
    }

    #[test]
    fn a_number_out_of_range_is_reduced_into_it() {
        let c = make_challenge(KEY, &[1; 12], 1_000_000_007, 1000, NOW, DEFAULT_TTL);
        assert!(solve(&c) <= 1000);
    }

    #[test]
    fn a_wrong_number_is_no_solution() {
        let c = challenge(421);
        assert_eq!(verify(KEY, &payload(&c, 420), NOW), Err(AltchaError::WrongSolution));
    }

    #[test]
    fn a_foreign_key_or_tampered_signature_is_refused() {
        let c = challenge(421);
        assert_eq!(verify(b"another key", &payload(&c, 421), NOW), Err(AltchaError::WrongSignature));
        let mut forged = c.clone();
        forged.signature = sign(b"another key", &c.challenge);
        assert_eq!(verify(KEY, &payload(&forged, 421), NOW), Err(AltchaError::WrongSignature));
        // A challenge made up by the client, with its own easy salt.
        let mut own = c.clone();
        own.salt = "00?expires=9999999999".into();
        own.challenge = hash(&own.salt, 1);
        assert_eq!(verify(KEY, &payload(&own, 1), NOW), Err(AltchaError::WrongSignature));
    }

    #[test]
    fn a_stretched_expiry_breaks_the_solution() {
        let c = challenge(421);
        let mut late = c.clone();
        late.salt = late.salt.replace(&(NOW + DEFAULT_TTL).unix_timestamp().to_string(), "9999999999");
        assert_eq!(verify(KEY, &payload(&late, 421), NOW + Duration::hours(1)), Err(AltchaError::WrongSolution));
    }

    #[test]
    fn an_expired_challenge_is_refused() {
        let c = challenge(421);
        assert_eq!(verify(KEY, &payload(&c, 421), NOW + DEFAULT_TTL), Err(AltchaError::Expired));
    }

    #[test]
    fn a_salt_without_expiry_is_refused() {
        let salt = "0707".to_owned();
        let challenge = hash(&salt, 5);
        let c =
            Challenge { algorithm: ALGORITHM.into(), signature: sign(KEY, &challenge), challenge, maxnumber: 10, salt };
        assert_eq!(verify(KEY, &payload(&c, 5), NOW), Err(AltchaError::Malformed));
    }

    #[test]
    fn garbage_is_malformed() {
        let b64 = |s: &str| data_encoding::BASE64.encode(s.as_bytes());
        let c = challenge(421);
        let other_algorithm = payload(&Challenge { algorithm: "SHA-1".into(), ..c.clone() }, 421);
        for bad in [
            "".to_owned(),
            "not base64!".to_owned(),
            b64("not json"),
            b64("[]"),
            b64(r#"{"algorithm":"SHA-256","challenge":"ab","salt":"x","signature":"y"}"#),
            b64(r#"{"algorithm":"SHA-256","challenge":"ab","number":-1,"salt":"x","signature":"y"}"#),
            other_algorithm,
        ] {
            assert_eq!(verify(KEY, &bad, NOW), Err(AltchaError::Malformed), "{bad:?}");
        }
    }

    #[test]
    fn unpadded_base64_is_accepted() {
        let c = challenge(421);
        let padded = payload(&c, 421);
        assert!(verify(KEY, padded.trim_end_matches('='), NOW).is_ok());
    }
}
