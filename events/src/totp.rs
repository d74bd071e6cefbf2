//! Time-based one-time passwords as authenticator apps compute them
//! (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps), and the rules for
//! accepting one.

use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use totp_rs::{Algorithm, Builder};

pub const DIGITS: usize = 6;
pub const STEP_SECONDS: u64 = 30;
/// 160 bits, the RFC 4226 recommendation and what every app accepts.
pub const SECRET_BYTES: usize = 20;

/// The 30-second step a moment falls in.
pub fn step_at(now: OffsetDateTime) -> u64 {
    u64::try_from(now.unix_timestamp()).unwrap_or(0) / STEP_SECONDS
}

/// The code for a step, with `digits` digits (6 in the product; the RFC's
/// own test vectors use 8).
pub fn code_at_step(secret: &[u8], step: u64, digits: usize) -> String {
    let totp = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(u8::try_from(digits).unwrap_or(6))
        .with_step_duration(STEP_SECONDS)
        .with_skew(0)
        .with_secret(secret)
        // Short test secrets (RFC 4226's are 160 bits, fine) must not panic:
        // the product's own secrets are checked at creation.
        .build_noncompliant();
    totp.generate(step * STEP_SECONDS).to_string()
}

/// What a presented code is, compared with the codes of the steps T-1, T
/// and T+1 (clock drift of one step either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// The code of this step, later than the last one the account accepted.
    Fresh(u64),
    /// The correct code of a step at or below the last accepted one: the
    /// code was used already (a second tab, a double click, a sign-in again
    /// within the same 30 seconds). Only the real code of such a step gets
    /// this answer, never a guess that merely falls in the window.
    Used,
    /// Not the code of any step in reach.
    Wrong,
}

/// Checks a presented code. A step at or below `last_accepted` is never
/// accepted again: that is what makes a code single-use.
pub fn check_code(secret: &[u8], code: &str, now: OffsetDateTime, last_accepted: Option<u64>) -> CodeCheck {
    let Some(code) = normalize_code(code) else { return CodeCheck::Wrong };
    let t = step_at(now);
    let (mut fresh, mut used) = (None, false);
    // Compare against every candidate so the time taken does not depend on
    // which step (if any) matched.
    for step in [t.saturating_sub(1), t, t + 1] {
        let expected = code_at_step(secret, step, DIGITS);
        let matches = bool::from(expected.as_bytes().ct_eq(code.as_bytes()));
        let is_fresh = last_accepted.is_none_or(|last| step > last);
        if matches && is_fresh && fresh.is_none() {
            fresh = Some(step);
        }
        used |= matches && !is_fresh;
    }
    match fresh {
        Some(step) => CodeCheck::Fresh(step),
        None if used => CodeCheck::Used,
        None => CodeCheck::Wrong,
    }
}

/// The step a presented code belongs to, if `check_code` finds it fresh.
pub fn matching_step(secret: &[u8], code: &str, now: OffsetDateTime, last_accepted: Option<u64>) -> Option<u64> {
    match check_code(secret, code, now, last_accepted) {
        CodeCheck::Fresh(step) => Some(step),
        CodeCheck::Used | CodeCheck::Wrong => None,
    }
}

/// Six digits, tolerating the spaces people type ("123 456").
pub fn normalize_code(code: &str) -> Option<String> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == DIGITS && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// The secret as authenticator apps want it typed: RFC 4648 base32, no padding.
pub fn secret_base32(secret: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(secret)
}

/// `otpauth://totp/<Issuer>:<email>?secret=...&issuer=<Issuer>&algorithm=SHA1&digits=6&period=30`
/// with label and issuer percent-encoded, as the Key URI Format asks.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let issuer = percent_encode(issuer);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        account = percent_encode(account),
        secret = secret_base32(secret),
    )
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    /// RFC 6238 Appendix B, SHA1 rows (seed "12345678901234567890", 8 digits).
    #[test]
    fn rfc6238_appendix_b_sha1_vectors() {
        let seed = b"12345678901234567890";
        for (unix, expected) in [
            (59u64, "94287082"),
            (1111111109, "07081804"),
            (1111111111, "14050471"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
            (20000000000, "65353130"),
        ] {
            assert_eq!(code_at_step(seed, unix / STEP_SECONDS, 8), expected, "T={unix}");
        }
    }

    /// RFC 4226 Appendix D: HOTP values for counters 0..9. TOTP is HOTP with
    /// the step as counter, so the same code path must produce them.
    #[test]
    fn rfc4226_appendix_d_vectors() {
        let seed = b"12345678901234567890";
        let expected =
            ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(code_at_step(seed, counter as u64, 6), *code, "counter {counter}");
        }
    }

    const SECRET: &[u8] = b"0123456789abcdefghij";

    #[test]
    fn accepts_the_previous_current_and_next_step_only() {
        let now = datetime!(2026-11-02 10:00:15 UTC);
        let t = step_at(now);
        for step in [t - 1, t, t + 1] {
            let code = code_at_step(SECRET, step, DIGITS);
            assert_eq!(matching_step(SECRET, &code, now, None), Some(step));
        }
        for step in [t - 2, t + 2] {
            let code = code_at_step(SECRET, step, DIGITS);
            assert_eq!(matching_step(SECRET, &code, now, None), None);
        }
    }

    #[test]
    fn never_accepts_a_step_at_or_below_the_last_accepted() {
        let now = datetime!(2026-11-02 10:00:15 UTC);
        let t = step_at(now);
        let code = code_at_step(SECRET, t, DIGITS);
        assert_eq!(matching_step(SECRET, &code, now, Some(t)), None);
        assert_eq!(matching_step(SECRET, &code, now, Some(t + 1)), None);
        let previous = code_at_step(SECRET, t - 1, DIGITS);
        assert_eq!(matching_step(SECRET, &previous, now, Some(t - 1)), None);
        let next = code_at_step(SECRET, t + 1, DIGITS);
        assert_eq!(matching_step(SECRET, &next, now, Some(t)), Some(t + 1));
    }

    #[test]
    fn tells_a_used_code_from_a_wrong_one() {
        let now = datetime!(2026-11-02 10:00:15 UTC);
        let t = step_at(now);
        let current = code_at_step(SECRET, t, DIGITS);
        assert_eq!(check_code(SECRET, &current, now, Some(t)), CodeCheck::Used);
        let previous = code_at_step(SECRET, t - 1, DIGITS);
        assert_eq!(check_code(SECRET, &previous, now, Some(t)), CodeCheck::Used, "below the last accepted");
        let next = code_at_step(SECRET, t + 1, DIGITS);
        assert_eq!(check_code(SECRET, &next, now, Some(t)), CodeCheck::Fresh(t + 1));
        // A code outside the window is wrong, used step or not.
        let old = code_at_step(SECRET, t - 2, DIGITS);
        assert_eq!(check_code(SECRET, &old, now, Some(t)), CodeCheck::Wrong);
        let wrong = if current == "000000" { "111111" } else { "000000" };
        assert_eq!(check_code(SECRET, wrong, now, Some(t)), CodeCheck::Wrong);
        assert_eq!(check_code(SECRET, "12a456", now, Some(t)), CodeCheck::Wrong);
    }

    #[test]
    fn refuses_malformed_codes() {
        let now = datetime!(2026-11-02 10:00:15 UTC);
        for bad in ["", "12345", "1234567", "12a456", "１２３４５６"] {
            assert_eq!(matching_step(SECRET, bad, now, None), None, "{bad:?}");
        }
        let code = code_at_step(SECRET, step_at(now), DIGITS);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(matching_step(SECRET, &spaced, now, None), Some(step_at(now)));
    }

    #[test]
    fn uri_has_the_key_uri_format() {
        let uri = otpauth_uri("Acme Portal", "anna+x@example.de", b"12345678901234567890");
        assert_eq!(
            uri,
            "otpauth://totp/Acme%20Portal:anna%2Bx%40example.de?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme%20Portal&algorithm=SHA1&digits=6&period=30"
        );
    }
}
