//! What the activity view says about where a request came from: an
//! approximate client ("Firefox on Linux") and the network, never more.
//!
//! Data minimisation: the User-Agent header is a fingerprint (versions,
//! build numbers, device models), so only its browser family and system
//! are kept, worked out when the event is written; the raw header is never
//! stored. The IP address is shown only as its network (/24 for IPv4, /48
//! for IPv6): enough for a person to tell "my home" from "somewhere else",
//! not enough to point at one line. The events' metadata keeps no more
//! than that network (its first address) since December 2026; older
//! events' full addresses are truncated when shown. A short list of substrings is all this
//! needs, so no user-agent crate (their regex databases are megabytes and
//! keep the versions we throw away).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

/// The browser family and the system of a User-Agent; `None` where it is
/// none of the well-known ones (curl, DAV clients, bots).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
}

/// Browser families, most specific first: Edge and Opera also say
/// "Chrome", Chrome also says "Safari", so the first match wins.
const BROWSERS: &[(&str, &str)] = &[
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Version/", "Safari"),
];

/// Systems, most specific first: iPhones say "like Mac OS X", Android
/// says "Linux".
const SYSTEMS: &[(&str, &str)] = &[
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("CrOS", "ChromeOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
];

/// The client of a User-Agent header, `None` when nothing in it is known.
pub fn classify(user_agent: &str) -> Option<Client> {
    let find = |table: &[(&str, &'static str)]| {
        table.iter().find(|(needle, _)| user_agent.contains(needle)).map(|(_, name)| (*name).to_owned())
    };
    // Every browser's header starts with "Mozilla/5.0"; a DAV client or
    // curl that mentions "Version/" or "Chrome/" is still no browser.
    let browser = user_agent.starts_with("Mozilla/").then(|| find(BROWSERS)).flatten();
    let browser = browser.filter(|b| b != "Safari" || user_agent.contains("Safari/"));
    let os = find(SYSTEMS);
    (browser.is_some() || os.is_some()).then_some(Client { browser, os })
}

/// The network of an address: `203.0.113.0/24`, `2001:db8:1::/48`. An
/// IPv4 address written as IPv6 (`::ffff:203.0.113.7`) counts as IPv4.
pub fn network(ip: &str) -> Option<String> {
    let address = network_address(ip)?;
    let bits = if address.is_ipv4() { 24 } else { 48 };
    Some(format!("{address}/{bits}"))
}

/// The first address of an address's network (`203.0.113.0`): what the
/// events' metadata keeps of where a request came from (`App::ctx`), so
/// the full address is never written to the log.
pub fn network_address(ip: &str) -> Option<IpAddr> {
    let ip = ip.trim().parse::<IpAddr>().ok()?;
    let v4 = match ip {
        IpAddr::V4(v4) => v4,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4,
            None => {
                let s = v6.segments();
                return Some(IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0)));
            }
        },
    };
    let [a, b, c, _] = v4.octets();
    Some(IpAddr::V4(Ipv4Addr::new(a, b, c, 0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(ua: &str) -> (Option<String>, Option<String>) {
        classify(ua).map_or((None, None), |c| (c.browser, c.os))
    }

    fn pair(browser: Option<&str>, os: Option<&str>) -> (Option<String>, Option<String>) {
        (browser.map(str::to_owned), os.map(str::to_owned))
    }

    #[test]
    fn real_browsers_are_named_with_their_system() {
        let cases = [
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                ("Chrome", "Windows"),
            ),
            ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", ("Firefox", "Linux")),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
                ("Firefox", "Windows"),
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
                ("Safari", "iPhone"),
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
                ("Safari", "macOS"),
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
                ("Edge", "Windows"),
            ),
            (
                "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
                ("Chrome", "Android"),
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
                ("Samsung Internet", "Android"),
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
                ("Chrome", "iPhone"),
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0",
                ("Opera", "macOS"),
            ),
        ];
        for (ua, (browser, os)) in cases {
            assert_eq!(label(ua), pair(Some(browser), Some(os)), "{ua}");
        }
    }

    #[test]
    fn tools_and_dav_clients_are_no_browser() {
        assert_eq!(classify("curl/8.11.0"), None);
        assert_eq!(classify(""), None);
        assert_eq!(
            label("DAVx5/4.4.3-ose (2024/09/03; dav4jvm; okhttp/4.12.0) Android/14"),
            pair(None, Some("Android"))
        );
        assert_eq!(
            label("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.5.0"),
            pair(None, Some("Linux"))
        );
        assert_eq!(label("macOS/15.1 (24B83) dataaccessd/1.0"), pair(None, None), "Apple's calendar names no browser");
        assert_eq!(label("Version/1.0 (Windows) sync-tool"), pair(None, Some("Windows")));
    }

    #[test]
    fn networks_are_truncated_to_24_and_48_bits() {
        assert_eq!(network("203.0.113.77").as_deref(), Some("203.0.113.0/24"));
        assert_eq!(network("2001:db8:abcd:12:1:2:3:4").as_deref(), Some("2001:db8:abcd::/48"));
        assert_eq!(network("::ffff:198.51.100.9").as_deref(), Some("198.51.100.0/24"));
        assert_eq!(network("::1").as_deref(), Some("::/48"));
        assert_eq!(network("not an address"), None);
        assert_eq!(network(""), None);
    }
}
