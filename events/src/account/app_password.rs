//! App passwords: what calendar and contacts clients (CalDAV, CardDAV) use
//! instead of the account password, because they cannot answer a second
//! factor. One per client, named by the user, revocable one by one.
//!
//! A password is 28 lower-case letters from the OS CSPRNG (131 bits), shown
//! once as seven groups of four so it can be typed on a phone without
//! switching keyboards. Only a keyed hash is stored: the secret is random,
//! so a fast keyed hash is as strong as argon2 here, and DAV clients
//! authenticate on every request, where argon2 would cost 30 ms each.

use time::OffsetDateTime;
use uuid::Uuid;

use super::decide::{Auth, Decision, SecondFactorProof};
use super::event::{AccountEvent, AppPasswordsRevokedReason};
use super::state::{Account, AccountPolicy};
use crate::Refusal;

pub const LETTERS: usize = 28;
/// log2(26) * 28 ≈ 131.6 bits; the issue asks for at least 128.
pub const BITS: f64 = 131.6;
/// Longest name shown in the list (characters).
pub const MAX_NAME_CHARS: usize = 64;
/// Enough for every client a person syncs, few enough that each DAV request
/// compares against a short list.
pub const MAX_PER_ACCOUNT: usize = 25;
/// `last_used_at` is written at most this often per app password, so a
/// client syncing every minute costs a write per five minutes, not an event
/// per request.
pub const LAST_USED_RESOLUTION: time::Duration = time::Duration::minutes(5);

/// Turns random bytes into a password: each letter from one byte, bytes of
/// 234 and above skipped (234 = 9 × 26) so every letter is equally likely.
/// `None` when the bytes ran out before 28 letters (ask for more).
pub fn from_random(bytes: &[u8]) -> Option<String> {
    let letters: String = bytes.iter().filter(|b| **b < 234).take(LETTERS).map(|b| char::from(b'a' + b % 26)).collect();
    (letters.len() == LETTERS).then_some(letters)
}

/// `abcd efgh ijkl mnop qrst uvwx yzab`, as the page shows it.
pub fn grouped(password: &str) -> String {
    password.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}

/// The canonical form that gets hashed: lower case, without the spaces or
/// dashes people copy along. `None` when it cannot be an app password (so
/// an account password never even reaches the comparison).
pub fn normalize(input: &str) -> Option<String> {
    let plain: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).map(|c| c.to_ascii_lowercase()).collect();
    (plain.len() == LETTERS && plain.bytes().all(|b| b.is_ascii_lowercase())).then_some(plain)
}

/// A name as the user typed it, trimmed; refused when empty, too long or
/// holding control characters (it is shown in the page and in emails).
pub fn validate_name(name: &str) -> Result<String, Refusal> {
    checked_name(name, "give the app password a name, e.g. \"Thunderbird calendar\"")
}

/// The rule for every name a person gives a credential (app passwords,
/// passkeys); `hint` is what an empty one is told.
pub(super) fn checked_name(name: &str, hint: &str) -> Result<String, Refusal> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Refusal::InvalidRequest(format!("name: {hint}")));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Refusal::InvalidRequest(format!("name: at most {MAX_NAME_CHARS} characters")));
    }
    if name.chars().any(char::is_control) {
        return Err(Refusal::InvalidRequest("name: no control characters".into()));
    }
    Ok(name.to_owned())
}

/// The command to create an app password: who asks, and the new
/// password's id, name as typed and keyed hash.
#[derive(Debug, Clone)]
pub struct NewAppPassword<'a> {
    pub session_id: Uuid,
    pub id: Uuid,
    /// As typed (checked here).
    pub name: &'a str,
    /// The checked name (`validate_name`) sealed by the caller under the
    /// account's data key: what the event keeps.
    pub sealed_name: crate::Sealed,
    pub hash: String,
}

/// An app password as the account keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AppPassword {
    pub id: Uuid,
    pub name: crate::Sealed,
    /// Keyed hash (HMAC-SHA256, hex) of the normalised password.
    pub hash: String,
    pub created_at: OffsetDateTime,
}

impl Account {
    /// A new app password (its hash made by the caller); answers the name
    /// as stored (trimmed). Needs a session: an mfa token only proves the
    /// password, and an app password must not be a way around the second
    /// factor. With a second factor it also needs a proof of it
    /// (`step_up`): a stolen session alone must not gain a long-lived DAV
    /// login. The name and the limit are checked first, so a refused
    /// request does not use up the proof.
    pub fn create_app_password(
        &self,
        new: NewAppPassword<'_>,
        proof: Option<SecondFactorProof<'_>>,
        now: OffsetDateTime,
        policy: &AccountPolicy,
    ) -> Decision<String> {
        let NewAppPassword { session_id, id, name, sealed_name, hash } = new;
        if let Err(refusal) = self.authorize(&Auth::Session { session_id }, now) {
            return Decision::refuse(refusal);
        }
        let name = match validate_name(name) {
            Ok(name) => name,
            Err(refusal) => return Decision::refuse(refusal),
        };
        if self.app_passwords.len() >= MAX_PER_ACCOUNT {
            return Decision::refuse(Refusal::InvalidRequest(format!(
                "at most {MAX_PER_ACCOUNT} app passwords; revoke one you no longer use first"
            )));
        }
        let mut events = match self.credential_step_up(session_id, proof, now, policy) {
            Ok(accepted) => Vec::from_iter(accepted),
            Err(decision) => return decision,
        };
        events.push(AccountEvent::AppPasswordCreated { app_password_id: id, name: sealed_name, hash });
        Decision { events, outcome: Ok(name) }
    }

    pub fn revoke_app_password(&self, session_id: Uuid, id: Uuid, now: OffsetDateTime) -> Decision<()> {
        if let Err(refusal) = self.authorize(&Auth::Session { session_id }, now) {
            return Decision::refuse(refusal);
        }
        if !self.app_passwords.iter().any(|p| p.id == id) {
            return Decision::refuse(Refusal::NotFound);
        }
        Decision { events: vec![AccountEvent::AppPasswordRevoked { app_password_id: id }], outcome: Ok(()) }
    }

    /// The app password with this hash, if one is active. Every stored hash
    /// is compared in constant time, whichever matches.
    pub fn app_password_matching(&self, hash: &str) -> Option<&AppPassword> {
        use subtle::ConstantTimeEq;
        let mut found = None;
        for p in &self.app_passwords {
            if bool::from(p.hash.as_bytes().ct_eq(hash.as_bytes())) && found.is_none() {
                found = Some(p);
            }
        }
        // Compared all the same, so a disabled account takes as long.
        found.filter(|_| !self.is_disabled())
    }

    /// The event that revokes every app password, for the decisions that
    /// must end them all (a password change or reset, an approved reset of
    /// the second factor); `None` when there are none.
    pub fn revoke_all_app_passwords(&self, reason: AppPasswordsRevokedReason) -> Option<AccountEvent> {
        (!self.app_passwords.is_empty()).then_some(AccountEvent::AppPasswordsRevoked { reason })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_28_unbiased_letters() {
        let bytes: Vec<u8> = (0..=255).collect();
        let password = from_random(&bytes).unwrap();
        assert_eq!(password.len(), LETTERS);
        assert!(password.bytes().all(|b| b.is_ascii_lowercase()));
        // 234..=255 would make a..v likelier than w..z: they are skipped.
        assert_eq!(from_random(&[234; 64]), None);
        assert_eq!(from_random(&[0; 27]), None);
        assert_eq!(from_random(&[25; 28]).unwrap(), "z".repeat(28));
        assert!(BITS <= (26f64).log2() * LETTERS as f64 && BITS >= 128.0);
    }

    #[test]
    fn grouped_and_typed_forms_normalise_to_the_same() {
        let password = "abcdefghijklmnopqrstuvwxyzab";
        let shown = grouped(password);
        assert_eq!(shown, "abcd efgh ijkl mnop qrst uvwx yzab");
        assert_eq!(normalize(&shown).as_deref(), Some(password));
        assert_eq!(normalize(&shown.to_uppercase().replace(' ', "-")).as_deref(), Some(password));
    }

    #[test]
    fn what_cannot_be_an_app_password_is_refused_before_hashing() {
        for bad in [
            "",
            "Lange-genug-1234",
            "abcdefghijklmnopqrstuvwxya",
            "abcdefghijklmnopqrstuvwxyzab1",
            "äbcdefghijklmnopqrstuvwxyzab",
        ] {
            assert_eq!(normalize(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(validate_name("  Thunderbird calendar ").unwrap(), "Thunderbird calendar");
        assert_eq!(validate_name(&"ä".repeat(64)).unwrap().chars().count(), 64);
        for bad in ["", "   ", &"x".repeat(65), "a\nb", "tab\there"] {
            assert!(matches!(validate_name(bad), Err(Refusal::InvalidRequest(_))), "{bad:?}");
        }
    }
}
