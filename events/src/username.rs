//! User names: an optional second way to name an account at sign-in ("User
//! name or email"), chosen at registration or in Settings, or brought over
//! by `portal import`.
//!
//! The rules keep a name easy to say on the phone and impossible to mix up
//! with another account's or with an address:
//! - 3 to 32 characters, after trimming;
//! - ASCII letters and digits, and `.`, `_`, `-` between them (not first,
//!   not last, never two in a row): no look-alike letters from other
//!   scripts (a Cyrillic "а" is not an "a"), no spaces, nothing a page or
//!   a log must escape;
//! - no `@`, so it never has an email's shape and the sign-in field knows
//!   at once which of the two it holds;
//! - unique without regard to case: "Anna.M" and "anna.m" are one name.
//!   The name keeps the case it was chosen in; its claim is of the
//!   lower-case form (`normalize`), under a keyed key the store side makes
//!   (`App::username_claim`), so no store keeps a name as a key.

use std::fmt;

pub const MIN_CHARS: usize = 3;
pub const MAX_CHARS: usize = 32;

/// Why a user name is refused; the message names the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Length,
    Email,
    Characters,
    Punctuation,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Problem::Length => "The user name must have 3 to 32 characters.",
            Problem::Email => "A user name cannot be an email address; leave out the @.",
            Problem::Characters => "A user name may hold only the letters a to z, digits, and . _ -",
            Problem::Punctuation => {
                "A user name must start and end with a letter or digit, without . _ - twice in a row."
            }
        })
    }
}

/// The user name as it will be kept (trimmed, case as typed), or the rule
/// it breaks.
pub fn check(raw: &str) -> Result<String, Problem> {
    let name = raw.trim();
    if name.contains('@') {
        return Err(Problem::Email);
    }
    let chars = name.chars().count();
    if !(MIN_CHARS..=MAX_CHARS).contains(&chars) {
        return Err(Problem::Length);
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || is_joiner(c)) {
        return Err(Problem::Characters);
    }
    let bytes = name.as_bytes();
    let joiner_at_end = is_joiner(bytes[0] as char) || is_joiner(bytes[bytes.len() - 1] as char);
    let joiners_in_a_row = bytes.windows(2).any(|w| is_joiner(w[0] as char) && is_joiner(w[1] as char));
    if joiner_at_end || joiners_in_a_row {
        return Err(Problem::Punctuation);
    }
    Ok(name.to_owned())
}

fn is_joiner(c: char) -> bool {
    matches!(c, '.' | '_' | '-')
}

/// Whether what was typed into the sign-in field is meant as a user name
/// rather than an address: it has no `@` (no address lacks one).
pub fn is_username_shaped(typed: &str) -> bool {
    !typed.contains('@')
}

/// The form a user name is unique in: one per name, whatever its case.
/// `None` for what is no valid user name (it cannot be held).
pub fn normalize(raw: &str) -> Option<String> {
    check(raw).ok().map(|name| name.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_names_are_kept_as_typed_and_trimmed() {
        for (raw, kept) in [
            ("anna", "anna"),
            ("  Anna.Muster ", "Anna.Muster"),
            ("a_b-c.d", "a_b-c.d"),
            ("007", "007"),
            (&"x".repeat(32), &"x".repeat(32)),
        ] {
            assert_eq!(check(raw).as_deref(), Ok(kept), "{raw:?}");
        }
    }

    #[test]
    fn each_rule_is_named() {
        for (raw, problem) in [
            ("ab", Problem::Length),
            ("", Problem::Length),
            (&"x".repeat(33), Problem::Length),
            ("anna@example.de", Problem::Email),
            ("@anna", Problem::Email),
            ("anna muster", Problem::Characters),
            ("аnna", Problem::Characters), // a Cyrillic а first
            ("jürgen", Problem::Characters),
            ("<b>bold</b>", Problem::Characters),
            (".anna", Problem::Punctuation),
            ("anna-", Problem::Punctuation),
            ("an..na", Problem::Punctuation),
            ("an_-na", Problem::Punctuation),
        ] {
            assert_eq!(check(raw), Err(problem), "{raw:?}");
            assert!(!problem.to_string().is_empty());
        }
    }

    #[test]
    fn the_unique_form_ignores_case_and_exists_only_for_valid_names() {
        assert_eq!(normalize("Anna.M").as_deref(), Some("anna.m"));
        assert_eq!(normalize(" anna.m "), normalize("ANNA.M"));
        assert_eq!(normalize("anna@example.de"), None);
        assert_eq!(normalize("a"), None);
    }

    #[test]
    fn the_sign_in_field_tells_a_name_from_an_address_by_the_at_sign() {
        assert!(is_username_shaped("anna.m"));
        assert!(is_username_shaped("not even valid!"));
        assert!(!is_username_shaped("anna@example.de"));
    }
}
