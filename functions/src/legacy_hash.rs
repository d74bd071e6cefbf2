//! Password hashes of accounts brought over by `portal import`, verified
//! once, at the account's first sign-in, which then rehashes the password
//! to argon2id (`Passwords::verify`). The formats and their caps are
//! recognised by `events::import::LegacyHash` (at import, so a hash that
//! gets here is known and within the caps); argon2 PHC strings are not
//! here: `Passwords` verifies them with the argon2 it always uses.
//!
//! Every comparison is in constant time (`subtle`; bcrypt's own `verify`
//! uses it too).

use events::import::LegacyHash;
use subtle::ConstantTimeEq;

/// Whether `password` matches `stored` (a non-argon2 legacy hash). `None`
/// when `stored` is not such a hash.
pub fn verify(stored: &str, password: &str) -> Option<bool> {
    let correct = match LegacyHash::parse(stored).ok()? {
        // bcrypt truncates at 72 bytes, as every implementation that wrote
        // these hashes did (PHP, Ruby, Node; Python's raises instead).
        LegacyHash::Bcrypt { .. } => bcrypt::verify(password, stored).unwrap_or(false),
        LegacyHash::Pbkdf2Django { iterations, salt, digest }
        | LegacyHash::Pbkdf2Werkzeug { iterations, salt, digest } => {
            let mut out = [0u8; 32];
            pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password.as_bytes(), salt.as_bytes(), iterations, &mut out);
            bool::from(out.ct_eq(digest.as_slice()))
        }
        LegacyHash::ScryptWerkzeug { log_n, r, p, salt, digest } => {
            let Ok(params) = scrypt::Params::new(log_n, r, p) else {
                return Some(false);
            };
            let mut out = vec![0u8; digest.len()];
            if scrypt::scrypt(password.as_bytes(), salt.as_bytes(), &params, &mut out).is_err() {
                return Some(false);
            }
            bool::from(out.as_slice().ct_eq(digest.as_slice()))
        }
        LegacyHash::Argon2 { .. } => return None,
    };
    Some(correct)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::password::Passwords;

    /// `tests/fixtures/legacy_hashes/hashes.json`, made by the real
    /// libraries (`make.py` next to it).
    fn vectors() -> Vec<(String, String, String)> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/legacy_hashes/hashes.json");
        let all: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        all.as_array()
            .unwrap()
            .iter()
            .map(|v| {
                let s = |k: &str| v[k].as_str().unwrap().to_owned();
                (s("source"), s("password"), s("hash"))
            })
            .collect()
    }

    #[test]
    fn every_vector_of_the_real_libraries_verifies_its_password_and_no_other() {
        let passwords = Passwords::with_params(1024, 1, 1);
        let all = vectors();
        assert!(all.len() >= 10, "every format has vectors");
        for (source, password, raw) in all {
            let stored = LegacyHash::stored_form(&raw);
            assert!(LegacyHash::parse(stored).is_ok(), "{source}: the import takes it");
            let right = passwords.verify(stored, &password);
            assert!(right.correct, "{source}: the right password");
            let rehashed = right.rehashed.expect("a legacy hash is always rehashed");
            assert!(rehashed.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{source}: {rehashed}");
            assert!(passwords.verify(&rehashed, &password).correct);
            for wrong in [format!("{password}x"), password.to_uppercase(), String::new(), password[1..].to_owned()] {
                let check = passwords.verify(stored, &wrong);
                assert!(!check.correct && check.rehashed.is_none(), "{source}: wrong {wrong:?}");
            }
        }
    }

    #[test]
    fn each_legacy_family_is_verified_here_and_argon2_is_left_to_passwords() {
        let all = vectors();
        let family = |prefix: &str| all.iter().filter(|(_, _, h)| h.starts_with(prefix)).count();
        for prefix in [
            "$2a$",
            "$2b$",
            "$2y$",
            "pbkdf2_sha256$",
            "pbkdf2:sha256",
            "scrypt:",
            "$argon2i$",
            "$argon2d$",
            "$argon2id$",
            "argon2$",
        ] {
            assert!(family(prefix) > 0, "a vector of {prefix}");
        }
        for (source, password, raw) in all {
            let expected = if LegacyHash::stored_form(&raw).starts_with("$argon2") { None } else { Some(true) };
            assert_eq!(verify(LegacyHash::stored_form(&raw), &password), expected, "{source}");
        }
        assert_eq!(verify("not a hash", "x"), None);
    }
}
