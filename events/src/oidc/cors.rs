//! Which web pages may read the answers of the token, revocation and
//! userinfo endpoints (CORS). A single-page app calls them with `fetch` from
//! its own origin, the one its redirect URI is on; a browser lets the page
//! read the answer only when it names that origin in
//! `Access-Control-Allow-Origin`. So the allowed origins are those of the
//! registered apps' redirect URIs, nothing typed in beside them: removing a
//! client takes its origins away too.

use super::ClientKind;

/// The web origin (RFC 6454) a redirect URI is on, serialised as a browser
/// sends it in `Origin` (RFC 6454 6.2): `scheme://host[:port]`, scheme and
/// host in lowercase, the scheme's default port left out. Only for `https`
/// and loopback `http`, the redirects a page in a browser can have; a
/// custom scheme (`com.example.app:/cb`) is a native app, which no web
/// origin stands for.
pub fn web_origin(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host).to_ascii_lowercase();
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (inner, after) = v6.split_once(']')?;
            let port = if after.is_empty() { None } else { Some(after.strip_prefix(':')?) };
            if inner.is_empty() || !inner.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.') {
                return None;
            }
            (format!("[{inner}]"), port)
        }
        None => match authority.split_once(':') {
            Some((host, port)) => (host.to_owned(), Some(port)),
            None => (authority.clone(), None),
        },
    };
    let host_ok = !host.is_empty()
        && (host.starts_with('[') || host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'));
    if !host_ok || (scheme == "http" && !super::client::is_loopback(&host)) {
        return None;
    }
    let port = match port.filter(|p| !p.is_empty()) {
        None => None,
        Some(p) if p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()) => Some(p.parse::<u16>().ok()?),
        Some(_) => return None,
    };
    Some(match port {
        Some(port) if port != default_port => format!("{scheme}://{host}:{port}"),
        _ => format!("{scheme}://{host}"),
    })
}

/// Whether a page on `origin` (the request's `Origin` header, as the
/// browser sent it) may read the answers: it is the web origin of a
/// redirect URI of a registered public client (`clients`: each client's
/// kind and redirect URIs).
///
/// Public clients only. A single-page app is a public client: it cannot
/// keep a secret, so it has none. A confidential client's secret never
/// belongs in a browser, and its server calls the token endpoint without
/// CORS; allowing its origin would only invite putting the secret into a
/// page. The origin matches exactly, port included: unlike the redirect of
/// a native app on the loopback (RFC 8252 7.3), a page's port is part of
/// its origin, and a page on another port is another site to the browser.
pub fn origin_allowed<'a>(origin: &str, clients: impl IntoIterator<Item = (ClientKind, &'a [String])>) -> bool {
    // `null` (sandboxed frames, file: pages) and anything not in the
    // serialised form a browser sends match nothing.
    if web_origin(origin).as_deref() != Some(origin) {
        return false;
    }
    clients
        .into_iter()
        .filter(|(kind, _)| *kind == ClientKind::Public)
        .flat_map(|(_, uris)| uris)
        .any(|uri| web_origin(uri).as_deref() == Some(origin))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_of_a_redirect_uri_is_scheme_host_and_port() {
        for (uri, origin) in [
            ("https://app.example/cb", "https://app.example"),
            ("https://app.example", "https://app.example"),
            ("https://APP.Example:443/cb?x=1", "https://app.example"),
            ("HTTPS://app.example:8443/a/b", "https://app.example:8443"),
            ("https://user@app.example/cb", "https://app.example"),
            ("http://127.0.0.1:5173/callback", "http://127.0.0.1:5173"),
            ("http://localhost/cb", "http://localhost"),
            ("http://[::1]:8080/cb", "http://[::1]:8080"),
            ("http://127.0.0.1:80/cb", "http://127.0.0.1"),
        ] {
            assert_eq!(web_origin(uri).as_deref(), Some(origin), "{uri}");
        }
    }

    #[test]
    fn native_and_non_loopback_http_redirects_have_no_web_origin() {
        for uri in [
            "com.example.app:/oauth2redirect",
            "com.example.app://cb",
            "http://app.example/cb",
            "https:///cb",
            "https://app.example:99999/cb",
            "https://app.example:x/cb",
            "https://a b/cb",
            "https://[zz]/cb",
            "null",
            "",
        ] {
            assert_eq!(web_origin(uri), None, "{uri}");
        }
    }

    fn uris(u: &[&str]) -> Vec<String> {
        u.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn only_the_origins_of_public_clients_redirects_are_allowed() {
        let spa = uris(&["https://spa.example/cb", "http://127.0.0.1:5173/cb", "com.example.app:/cb"]);
        let web = uris(&["https://server.example/oidc/callback"]);
        let clients = || [(ClientKind::Public, spa.as_slice()), (ClientKind::Confidential, web.as_slice())];
        for allowed in ["https://spa.example", "http://127.0.0.1:5173"] {
            assert!(origin_allowed(allowed, clients()), "{allowed}");
        }
        for refused in [
            "https://server.example",
            "https://spa.example:8443",
            "http://spa.example",
            "https://evil.example",
            "https://spa.example.evil.example",
            "http://127.0.0.1:5174",
            "http://localhost:5173",
            "https://SPA.example",
            "https://spa.example/",
            "https://spa.example/cb",
            "null",
            "",
        ] {
            assert!(!origin_allowed(refused, clients()), "{refused}");
        }
        assert!(!origin_allowed("https://spa.example", []), "no clients, no origins");
    }
}
