//! The customer's own apps (OAuth clients), one stream each
//! (`client#<id>`). Confidential clients (server-side web apps) prove
//! themselves with a secret, kept only as a keyed hash; public clients
//! (native and single-page apps) have none and rely on PKCE.

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::codec::{EventCodec, Recorded};
use crate::{Decision, Refusal};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    Confidential,
    Public,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum ClientEvent {
    Registered {
        client_id: Uuid,
        name: String,
        kind: ClientKind,
        redirect_uris: Vec<String>,
        #[serde(default)]
        post_logout_redirect_uris: Vec<String>,
        /// Keyed hash (HMAC-SHA256) of the secret, hex; `None` for public clients.
        secret_hash: Option<String>,
    },
    /// The client is gone: its grants end, refresh tokens included.
    Removed {},
}

impl EventCodec for ClientEvent {
    fn schema_version(_event_type: &str) -> u32 {
        1
    }
}

pub fn stream_id(client_id: Uuid) -> String {
    format!("client#{client_id}")
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Client {
    pub version: u64,
    pub id: Uuid,
    pub name: String,
    pub kind: Option<ClientKind>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub secret_hash: Option<String>,
    pub removed: bool,
}

/// What `portal client add` registers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClient {
    pub client_id: Uuid,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// The keyed hash of the new secret; `None` makes a public client.
    pub secret_hash: Option<String>,
}

/// Whether `uri` may be registered: absolute, no fragment, and plain
/// `http` only on the loopback (RFC 8252 section 7.3; and for trying an
/// app on one's own machine). Custom schemes (`com.example.app:/cb`, RFC
/// 8252 section 7.1) and `https` are fine.
pub fn acceptable_redirect_uri(uri: &str) -> bool {
    let Some((scheme, rest)) = uri.split_once(':') else { return false };
    let scheme_ok = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !scheme_ok || rest.is_empty() || uri.contains('#') || uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => host_of(rest).is_some_and(|h| !h.is_empty()),
        "http" => host_of(rest).is_some_and(is_loopback),
        "javascript" | "data" | "file" | "vbscript" => false,
        _ => true,
    }
}

/// The host of `//host[:port]/...` (brackets kept for IPv6).
fn host_of(after_scheme: &str) -> Option<&str> {
    let authority = after_scheme.strip_prefix("//")?.split(['/', '?']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    if authority.starts_with('[') {
        return authority.split_once(']').map(|(h, _)| &authority[..h.len() + 1]);
    }
    Some(authority.split(':').next().unwrap_or(authority))
}

pub(crate) fn is_loopback(host: &str) -> bool {
    matches!(host, "127.0.0.1" | "[::1]" | "localhost")
}

/// A loopback redirect without its port: native apps listen on a port
/// the system gives them, so RFC 8252 section 7.3 has the port of a
/// loopback redirect ignored. `None` for every other URI.
fn loopback_without_port(uri: &str) -> Option<String> {
    let rest = uri.strip_prefix("http://")?;
    let (authority, path) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    let host = match authority.strip_prefix('[') {
        Some(v6) => format!("[{}", &v6[..=v6.find(']')?]),
        None => authority.split(':').next()?.to_owned(),
    };
    (host == "127.0.0.1" || host == "[::1]").then(|| format!("http://{host}{path}"))
}

impl Client {
    pub fn apply(&mut self, recorded: &Recorded<ClientEvent>) {
        self.version = recorded.version;
        match &recorded.event {
            ClientEvent::Registered {
                client_id,
                name,
                kind,
                redirect_uris,
                post_logout_redirect_uris,
                secret_hash,
            } => {
                self.id = *client_id;
                self.name.clone_from(name);
                self.kind = Some(*kind);
                self.redirect_uris.clone_from(redirect_uris);
                self.post_logout_redirect_uris.clone_from(post_logout_redirect_uris);
                self.secret_hash.clone_from(secret_hash);
            }
            ClientEvent::Removed {} => self.removed = true,
        }
    }

    /// Registered and not removed.
    pub fn active(&self) -> bool {
        self.version > 0 && !self.removed
    }

    pub fn is_public(&self) -> bool {
        self.kind == Some(ClientKind::Public)
    }

    /// Exact string match against a registered redirect URI; for a public
    /// client's loopback redirect any port (RFC 8252 section 7.3).
    pub fn redirect_uri_registered(&self, uri: &str) -> bool {
        if self.redirect_uris.iter().any(|r| r == uri) {
            return true;
        }
        self.is_public()
            && loopback_without_port(uri)
                .is_some_and(|want| self.redirect_uris.iter().any(|r| loopback_without_port(r).as_ref() == Some(&want)))
    }

    pub fn post_logout_redirect_registered(&self, uri: &str) -> bool {
        self.post_logout_redirect_uris.iter().any(|r| r == uri)
    }

    /// Client authentication at the token and revocation endpoints, given
    /// the keyed hash of the secret presented (if any). A confidential
    /// client must present its secret (compared in constant time); a
    /// public client must present none: one that sends a secret is
    /// misconfigured, and the answer says so rather than ignoring it.
    pub fn authenticate(&self, presented_secret_hash: Option<&str>) -> bool {
        if !self.active() {
            return false;
        }
        match (&self.secret_hash, presented_secret_hash) {
            (Some(stored), Some(presented)) => bool::from(stored.as_bytes().ct_eq(presented.as_bytes())),
            (None, None) => self.is_public(),
            _ => false,
        }
    }

    /// `portal client remove`.
    pub fn remove(&self) -> Decision<(), ClientEvent> {
        if !self.active() {
            return Decision::refuse(Refusal::NotFound);
        }
        Decision::ok(vec![ClientEvent::Removed {}], ())
    }
}

/// `portal client add`: the registration, or why not.
pub fn register(new: NewClient) -> Result<Vec<ClientEvent>, Refusal> {
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Refusal::InvalidRequest("The name must have 1 to 100 characters.".into()));
    }
    if new.redirect_uris.is_empty() {
        return Err(Refusal::InvalidRequest("A client needs at least one redirect URI.".into()));
    }
    if let Some(bad) =
        new.redirect_uris.iter().chain(&new.post_logout_redirect_uris).find(|u| !acceptable_redirect_uri(u))
    {
        return Err(Refusal::InvalidRequest(format!(
            "{bad:?} is no acceptable redirect URI (absolute, no fragment, http only on the loopback)."
        )));
    }
    let kind = if new.secret_hash.is_some() { ClientKind::Confidential } else { ClientKind::Public };
    Ok(vec![ClientEvent::Registered {
        client_id: new.client_id,
        name: name.to_owned(),
        kind,
        redirect_uris: new.redirect_uris,
        post_logout_redirect_uris: new.post_logout_redirect_uris,
        secret_hash: new.secret_hash,
    }])
}

impl crate::Aggregate for Client {
    type Event = ClientEvent;

    const FOLD_VERSION: u32 = 1;

    const MISSING: Refusal = Refusal::NotFound;

    fn stream_id(id: Uuid) -> String {
        stream_id(id)
    }

    fn apply(&mut self, recorded: &Recorded<ClientEvent>) {
        Client::apply(self, recorded)
    }

    fn version(&self) -> u64 {
        self.version
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Aggregate;
    use time::macros::datetime;

    fn client(secret_hash: Option<&str>, uris: &[&str]) -> Client {
        let events = register(NewClient {
            client_id: Uuid::from_u128(1),
            name: "Ventilation cloud".into(),
            redirect_uris: uris.iter().map(|u| u.to_string()).collect(),
            post_logout_redirect_uris: vec![],
            secret_hash: secret_hash.map(str::to_owned),
        })
        .unwrap();
        let recorded: Vec<_> = events
            .into_iter()
            .enumerate()
            .map(|(i, event)| Recorded { version: i as u64 + 1, at: datetime!(2026-11-02 10:00 UTC), event })
            .collect();
        Client::from_events(&recorded)
    }

    #[test]
    fn redirect_uris_must_match_exactly() {
        let c = client(Some("h"), &["https://app.example/cb"]);
        assert!(c.redirect_uri_registered("https://app.example/cb"));
        for other in
            ["https://app.example/cb/", "https://app.example/cb?x=1", "https://APP.example/cb", "http://app.example/cb"]
        {
            assert!(!c.redirect_uri_registered(other), "{other}");
        }
    }

    #[test]
    fn a_public_clients_loopback_redirect_may_use_any_port() {
        let c = client(None, &["http://127.0.0.1/cb", "com.example.app:/oauth"]);
        assert!(c.redirect_uri_registered("http://127.0.0.1:49152/cb"));
        assert!(!c.redirect_uri_registered("http://127.0.0.1:49152/other"));
        assert!(c.redirect_uri_registered("com.example.app:/oauth"));
        let confidential = client(Some("h"), &["http://127.0.0.1/cb"]);
        assert!(!confidential.redirect_uri_registered("http://127.0.0.1:8000/cb"));
    }

    #[test]
    fn only_acceptable_redirect_uris_are_registered() {
        for ok in [
            "https://app.example/cb",
            "http://127.0.0.1:8080/cb",
            "http://localhost/cb",
            "http://[::1]/cb",
            "com.example.app:/oauth2redirect",
        ] {
            assert!(acceptable_redirect_uri(ok), "{ok}");
        }
        for bad in [
            "/cb",
            "app.example/cb",
            "http://app.example/cb",
            "https://app.example/cb#x",
            "javascript:alert(1)",
            "https:///cb",
            "https://a b/",
        ] {
            assert!(!acceptable_redirect_uri(bad), "{bad}");
        }
    }

    #[test]
    fn confidential_clients_need_their_secret_and_public_ones_send_none() {
        let c = client(Some("hash"), &["https://app.example/cb"]);
        assert!(c.authenticate(Some("hash")));
        assert!(!c.authenticate(Some("other")));
        assert!(!c.authenticate(None));
        let p = client(None, &["com.example.app:/cb"]);
        assert!(p.authenticate(None));
        assert!(!p.authenticate(Some("hash")), "a public client sending a secret");
        assert!(!Client::default().authenticate(None), "unknown");
    }
}
