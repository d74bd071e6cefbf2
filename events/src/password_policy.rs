//! What a new password must be. Hashing happens outside (argon2 is CPU work
//! with a random salt); this module only decides acceptability.

use crate::Refusal;
use std::collections::HashSet;
use std::sync::OnceLock;

pub const MIN_CHARS: usize = 8;
/// Far above the contract's "at least 128", and low enough that hashing a
/// maximal password costs nothing extra (argon2 pre-hashes the input).
pub const MAX_CHARS: usize = 1024;

static COMMON: &str = include_str!("common_passwords.txt");

fn common() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| COMMON.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).collect())
}

/// Checks a new password. `email` is the (normalised) account email: a
/// password equal to it is as guessable as one from the list.
pub fn check(password: &str, email: &str) -> Result<(), Refusal> {
    problem(password, email).map_or(Ok(()), |p| Err(Refusal::WeakPassword(p)))
}

/// What is wrong with a password, so the page can say it at the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort,
    TooLong,
    /// On the list of common passwords (or one with digits or punctuation
    /// added), or the email address itself.
    WellKnown,
}

impl PasswordProblem {
    /// The contract's `reason` beside `invalid_request`.
    pub fn reason(self) -> &'static str {
        match self {
            PasswordProblem::TooShort => "password_too_short",
            PasswordProblem::TooLong => "password_too_long",
            PasswordProblem::WellKnown => "password_well_known",
        }
    }

    pub fn message(self) -> String {
        match self {
            PasswordProblem::TooShort => format!("password must have at least {MIN_CHARS} characters"),
            PasswordProblem::TooLong => format!("password must have at most {MAX_CHARS} characters"),
            PasswordProblem::WellKnown => "this password is well known and easy to guess; choose another".into(),
        }
    }
}

fn problem(password: &str, email: &str) -> Option<PasswordProblem> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Some(PasswordProblem::TooShort);
    }
    if chars > MAX_CHARS {
        return Some(PasswordProblem::TooLong);
    }
    let lowered = password.to_lowercase();
    // "password123", "Monkey2024!": a listed word with a suffix people add
    // to pass composition rules is just as easy to guess.
    let stem = lowered.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation());
    if common().contains(lowered.as_str()) || common().contains(stem) || lowered == email {
        return Some(PasswordProblem::WellKnown);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_names_its_problem() {
        let refused = |p: &str| check(p, "anna@example.de").unwrap_err();
        assert_eq!(refused("Ab3$xyz"), Refusal::WeakPassword(PasswordProblem::TooShort));
        assert_eq!(refused(&"y".repeat(MAX_CHARS + 1)), Refusal::WeakPassword(PasswordProblem::TooLong));
        assert_eq!(refused("password123"), Refusal::WeakPassword(PasswordProblem::WellKnown));
        assert_eq!(refused("anna@example.de"), Refusal::WeakPassword(PasswordProblem::WellKnown));
        assert_eq!(PasswordProblem::WellKnown.reason(), "password_well_known");
    }

    #[test]
    fn refuses_short_passwords() {
        assert!(check("Ab3$xyz", "a@b.de").is_err());
        assert!(check("Ab3$xyzq", "a@b.de").is_ok());
    }

    #[test]
    fn counts_characters_not_bytes() {
        // seven characters, fourteen bytes
        assert!(check("ääääääö", "a@b.de").is_err());
        assert!(check("äääääääö", "a@b.de").is_ok());
    }

    #[test]
    fn accepts_long_passwords_untruncated() {
        let long = "x7!".repeat(100);
        assert!(check(&long, "a@b.de").is_ok());
        assert!(check(&"y".repeat(MAX_CHARS + 1), "a@b.de").is_err());
    }

    #[test]
    fn refuses_well_known_passwords_in_any_case() {
        for weak in [
            "password",
            "PassWord",
            "12345678",
            "iloveyou",
            "sunshine",
            "baseball",
            "password123",
            "Monkey2024!",
            "dragon!!!!",
        ] {
            assert!(check(weak, "a@b.de").is_err(), "{weak}");
        }
    }

    #[test]
    fn accepts_passwords_that_merely_contain_a_listed_word() {
        for fine in ["Tr0ub4dor&3x", "correct horse battery staple", "Lange-genug-1234", "monkey-wrench-42"] {
            assert!(check(fine, "a@b.de").is_ok(), "{fine}");
        }
    }

    #[test]
    fn refuses_the_email_as_password() {
        assert!(check("Anna@Example.de", "anna@example.de").is_err());
    }

    #[test]
    fn the_list_is_loaded() {
        assert!(common().len() > 9000);
    }
}
