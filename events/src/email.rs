//! Email addresses as accounts are keyed by them.
//!
//! One mailbox, one account: every spelling of a domain that reaches the
//! same mailbox (upper case, fullwidth letters, Unicode or punycode) maps to
//! one ASCII form by UTS 46 (IDNA), and local parts with characters that
//! are invisible, blank or markup are refused rather than kept apart.

use email_address::{EmailAddress, Options};
use icu_properties::CodePointMapData;
use icu_properties::props::{GeneralCategory, GeneralCategoryGroup};

/// Normalises an address for lookup and uniqueness: trimmed and lower-cased
/// (providers treat the local part case-insensitively in practice, and users
/// type it both ways), the domain in its ASCII (punycode) form. Returns
/// `None` for anything that is not a plausible single address: RFC 5322
/// syntax with a dot-atom local part (no quoted local parts, so no quotes,
/// spaces or markup `<>()"`), no control, format (e.g. the soft hyphen
/// U+00AD), separator, private-use or unassigned characters in the local
/// part, and a domain that UTS 46 accepts with the STD3 and DNS length rules.
pub fn normalize(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email.rsplit_once('@')?;
    if !local.chars().all(allowed_in_local_part) {
        return None;
    }
    let domain = idna::domain_to_ascii_strict(domain).ok()?;
    let email = format!("{local}@{domain}");
    let syntax = Options::default().without_display_text().without_domain_literal().with_minimum_sub_domains(2);
    (email.len() <= 254 && EmailAddress::parse_with_options(&email, syntax).is_ok()).then_some(email)
}

/// Refused in a local part: what cannot be seen or told apart (control,
/// format, separators, private use, unassigned) and markup: `<>()` are not
/// RFC 5322 atoms anyway, and refusing `"` and `\\` refuses quoted local
/// parts, the one way to smuggle them in. The apostrophe stays: real
/// people are called O'Brien, and pages escape what they show.
fn allowed_in_local_part(c: char) -> bool {
    let refused = GeneralCategoryGroup::Other.union(GeneralCategoryGroup::Separator);
    !refused.contains(CodePointMapData::<GeneralCategory>::new().get(c))
        && !c.is_whitespace()
        && !matches!(c, '"' | '\\' | '`')
}

/// The forms an address may be stored under, newest first: `normalize`'s,
/// and the form of accounts registered before domains were mapped by UTS 46
/// (only trimmed and lower-cased, a Unicode domain kept as typed), of the
/// address as typed and with its domain in Unicode, so that such accounts
/// keep signing in under every spelling of their domain. Lookups try every
/// form (all of them, so the time does not tell which one matched).
pub fn lookup_forms(raw: &str) -> Vec<String> {
    let normalized = normalize(raw);
    let unicode = normalized.as_deref().and_then(|email| {
        let (local, domain) = email.rsplit_once('@')?;
        let (domain, ok) = idna::domain_to_unicode(domain);
        ok.ok().map(|()| format!("{local}@{domain}"))
    });
    let mut forms: Vec<String> = normalized.into_iter().collect();
    for legacy in [legacy_normalize(raw), unicode.as_deref().and_then(legacy_normalize)].into_iter().flatten() {
        if !forms.contains(&legacy) {
            forms.push(legacy);
        }
    }
    forms
}

/// The normalisation before UTS 46: kept only to find accounts made then.
fn legacy_normalize(raw: &str) -> Option<String> {
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
    use super::{lookup_forms, normalize};

    #[test]
    fn trims_and_lowercases() {
        assert_eq!(normalize("  Anna.Muster@Example.DE "), Some("anna.muster@example.de".into()));
        assert_eq!(normalize("ÄNNA+tag@example.de"), Some("änna+tag@example.de".into()), "case folding as before");
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
            "anna@example.de.",
            "anna@exa_mple.de",
            "anna@[192.0.2.1]",
            "Anna <anna@example.de>",
            ".anna@example.de",
            "an..na@example.de",
        ] {
            assert_eq!(normalize(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_unicode_domain_and_its_punycode_are_one_address() {
        assert_eq!(normalize("leser@bücher.de"), Some("leser@xn--bcher-kva.de".into()));
        assert_eq!(normalize("leser@xn--bcher-kva.de"), Some("leser@xn--bcher-kva.de".into()));
        assert_eq!(normalize("leser@BÜCHER.de"), Some("leser@xn--bcher-kva.de".into()));
    }

    #[test]
    fn fullwidth_letters_in_the_domain_map_to_ascii() {
        assert_eq!(normalize("name@ｅxample.com"), Some("name@example.com".into()));
        assert_eq!(normalize("name@ＥＸＡＭＰＬＥ．ＣＯＭ"), Some("name@example.com".into()), "fullwidth dot too");
    }

    #[test]
    fn a_soft_hyphen_in_the_domain_is_ignored_as_uts_46_says() {
        assert_eq!(normalize("name@exam\u{ad}ple.com"), Some("name@example.com".into()));
    }

    #[test]
    fn invisible_or_blank_characters_in_the_local_part_are_refused() {
        for bad in [
            "na\u{ad}me@example.com",   // soft hyphen (Cf)
            "na\u{200b}me@example.com", // zero width space (Cf)
            "na\u{200d}me@example.com", // zero width joiner (Cf)
            "na\u{202e}me@example.com", // right-to-left override (Cf)
            "na\u{feff}me@example.com", // byte order mark (Cf)
            "na\u{7}me@example.com",    // bell (Cc)
            "na\u{85}me@example.com",   // next line (Cc)
            "na\u{a0}me@example.com",   // no-break space (Zs)
            "na\u{3000}me@example.com", // ideographic space (Zs)
            "na\u{2028}me@example.com", // line separator (Zl)
            "na\u{e000}me@example.com", // private use (Co)
        ] {
            assert_eq!(normalize(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn markup_is_refused() {
        for bad in [
            "<img/src=x/onerror=alert(1)>@x.example",
            "<b>anna</b>@example.de",
            "\"anna\"@example.de",
            "\"<script>\"@example.de",
            "an`na@example.de",
            "a\\<b@example.de",
            "anna(comment)@example.de",
            "anna@exa<mple.de",
        ] {
            assert_eq!(normalize(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn ordinary_addresses_still_pass() {
        for good in [
            "anna.muster@example.de",
            "a+b-c_d@mail.example.co.uk",
            "jörg@example.de",
            "o'brien@example.ie",
            "x1@sub.x.example",
        ] {
            assert_eq!(normalize(good).as_deref(), Some(good), "{good:?}");
        }
    }

    #[test]
    fn lookups_also_try_the_form_of_accounts_made_before_uts_46() {
        assert_eq!(lookup_forms(" Anna@Example.de"), ["anna@example.de"], "one form where both agree");
        assert_eq!(lookup_forms("leser@bücher.de"), ["leser@xn--bcher-kva.de", "leser@bücher.de"]);
        assert_eq!(lookup_forms("Leser@xn--BCHER-kva.de"), ["leser@xn--bcher-kva.de", "leser@bücher.de"]);
        assert_eq!(lookup_forms("na\u{ad}me@example.com"), ["na\u{ad}me@example.com"], "refused now, found as before");
        assert_eq!(lookup_forms("no address"), Vec::<String>::new());
    }
}
