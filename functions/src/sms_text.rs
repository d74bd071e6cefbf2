//! The words of the SMS, in the account's language. Short enough for one
//! GSM-7 segment where possible, and ending with the origin-bound line
//! (`@host #code`, WebOTP) so that phones offer to fill the code in, and
//! only on the portal's own site.

use events::account::Locale;

/// `https://portal.example:8443/app` → `portal.example`.
pub fn webotp_host(public_url: &str) -> &str {
    let rest = public_url.split_once("://").map_or(public_url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => host_port.split(':').next().unwrap_or(host_port),
    }
}

pub fn code_message(locale: Locale, issuer: &str, code: &str, public_url: &str) -> String {
    let host = webotp_host(public_url);
    match locale {
        Locale::De => format!(
            "Ihr {issuer}-Code: {code}\nGeben Sie ihn nicht weiter, auch nicht an unseren Support. Gültig 5 Minuten.\n\n@{host} #{code}"
        ),
        Locale::En => format!(
            "Your {issuer} code: {code}\nDo not share it with anyone, not even our support. Valid for 5 minutes.\n\n@{host} #{code}"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_of_the_public_url() {
        assert_eq!(webotp_host("https://portal.example"), "portal.example");
        assert_eq!(webotp_host("https://portal.example:8443/app?x=1"), "portal.example");
        assert_eq!(webotp_host("http://127.0.0.1:8080"), "127.0.0.1");
        assert_eq!(webotp_host("http://[::1]:8080/"), "::1");
    }

    #[test]
    fn names_the_issuer_warns_and_ends_with_the_webotp_line() {
        let en = code_message(Locale::En, "Acme", "123456", "https://portal.example/");
        assert!(en.starts_with("Your Acme code: 123456\nDo not share it"));
        assert!(en.ends_with("\n@portal.example #123456"), "{en}");
        let de = code_message(Locale::De, "Acme", "654321", "https://portal.example");
        assert!(de.contains("Acme-Code: 654321") && de.contains("nicht weiter"));
        assert_eq!(de.lines().last(), Some("@portal.example #654321"));
    }
}
