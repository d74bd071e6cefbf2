//! Email addresses as accounts are keyed by them.

/// Normalises an address for lookup and uniqueness: trimmed and lower-cased
/// (providers treat the local part case-insensitively in practice, and users
/// type it both ways). Returns `None` for anything that is not a plausible
/// single address.
pub fn normalize(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (local, domain) = email.rsplit_once('@')?;
    let local_ok = !local.is_empty() && local.len() <= 64 && !local.contains('@');
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.');
    (local_ok && domain_ok).then_some(email)
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn trims_and_lowercases() {
        assert_eq!(normalize("  Anna.Muster@Example.DE "), Some("anna.muster@example.de".into()));
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        for bad in [
            "",
            "anna",
            "anna@",
            "@example.de",
            "anna@example",
            "an na@example.de",
            "a@b@c.de",
            "anna@exa..mple.de",
            "anna@.example.de",
        ] {
            assert_eq!(normalize(bad), None, "{bad:?}");
        }
    }
}
