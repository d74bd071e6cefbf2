//! `portal client add|list|remove`: the customer's apps, on the configured
//! backend like `portal staff add`. A client is its stream
//! (`client#<id>`, the truth); the list is a document per client in the
//! state store (`oidc-client`), written beside each change, because an
//! event store cannot list its streams.

use events::oidc::{Client, ClientKind, NewClient, client, cors};
use events::{Aggregate, EventCodec};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::app::App;
use crate::crypto::random_bytes;
use crate::oidc::CLIENT_SECRET_HASH;
use crate::ports::store::{Meta, StoreError};

const LIST: &str = "oidc-client";

pub const USAGE: &str = "usage: portal client add --name <name> --redirect-uri <uri> [--redirect-uri <uri>...] \
[--public] [--post-logout-redirect-uri <uri>...]\n       portal client list\n       portal client remove <client_id>";

#[derive(Debug, Default, PartialEq, Eq)]
pub struct AddArgs {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub public: bool,
}

pub fn parse_add_args(args: &[String]) -> Result<AddArgs, String> {
    let mut parsed = AddArgs::default();
    let mut name = None;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        if flag == "--public" {
            parsed.public = true;
            continue;
        }
        let value = || it.clone().next().cloned().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"));
        let v = value()?;
        match flag.as_str() {
            "--name" => name = Some(v),
            "--redirect-uri" => parsed.redirect_uris.push(v),
            "--post-logout-redirect-uri" => parsed.post_logout_redirect_uris.push(v),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
        it.next();
    }
    parsed.name = name.ok_or_else(|| format!("--name is needed\n{USAGE}"))?;
    if parsed.redirect_uris.is_empty() {
        return Err(format!("at least one --redirect-uri is needed\n{USAGE}"));
    }
    Ok(parsed)
}

fn meta(app: &App, what: &str) -> Meta {
    Meta { request_id: format!("client-{what}-{}", Uuid::new_v4()), at: app.clock.now(), source_ip: None, client: None }
}

/// Registers a client: `{"client_id", "client_secret"}` (no secret for a
/// public client). The secret is shown this once and stored as a keyed hash.
pub async fn add(app: &App, args: AddArgs) -> Result<Value, String> {
    let client_id = Uuid::new_v4();
    let secret = (!args.public).then(|| data_encoding::BASE64URL_NOPAD.encode(&random_bytes::<32>()));
    let events = client::register(NewClient {
        client_id,
        name: args.name,
        redirect_uris: args.redirect_uris,
        post_logout_redirect_uris: args.post_logout_redirect_uris,
        secret_hash: secret.as_ref().map(|s| app.secret.keyed_hash(CLIENT_SECRET_HASH, s)),
    })
    .map_err(|r| r.to_string())?;
    let records: Vec<_> = events.iter().map(EventCodec::encode).collect();
    let stream = Client::stream_id(client_id);
    let version = app.store.append(&stream, 0, &records, &meta(app, "add"), &[]).await.map_err(|e| e.to_string())?;
    let state = app.load_client(client_id).await.map_err(|e| e.message)?;
    app.state.put_doc(LIST, &client_id.to_string(), version, &listed(&state), None).await.map_err(|e| e.to_string())?;
    let mut out = json!({ "client_id": client_id });
    if let Some(secret) = secret {
        out["client_secret"] = json!(secret);
    }
    Ok(out)
}

fn listed(c: &Client) -> Value {
    json!({
        "client_id": c.id,
        "name": c.name,
        "public": c.is_public(),
        "redirect_uris": c.redirect_uris,
        "post_logout_redirect_uris": c.post_logout_redirect_uris,
    })
}

/// Every registered client, by name.
pub async fn list(app: &App) -> Result<Vec<Value>, String> {
    let mut docs = app.state.docs(LIST, app.clock.now()).await.map_err(|e| e.to_string())?;
    docs.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    Ok(docs)
}

/// What `origin_allowed` reads of a client's document.
#[derive(Deserialize)]
struct Origins {
    public: bool,
    redirect_uris: Vec<String>,
}

/// Whether a page on `origin` may read the answers of the token,
/// revocation and userinfo endpoints (the rule: `events::oidc::cors`), by
/// the documents `portal client list` reads: a removed client's document is
/// deleted, and its origins are no longer allowed. One read of the list per
/// cross-origin request, no cache, so an added or removed app counts at
/// once on every Lambda.
pub async fn origin_allowed(app: &App, origin: &str) -> Result<bool, StoreError> {
    let docs = app.state.docs(LIST, app.clock.now()).await?;
    let clients: Vec<Origins> = docs.into_iter().filter_map(|doc| serde_json::from_value(doc).ok()).collect();
    let kind = |c: &Origins| if c.public { ClientKind::Public } else { ClientKind::Confidential };
    Ok(cors::origin_allowed(origin, clients.iter().map(|c| (kind(c), c.redirect_uris.as_slice()))))
}

/// Removes a client: its grants end at their next use (refresh, userinfo).
pub async fn remove(app: &App, client_id: &str) -> Result<(), String> {
    let id = Uuid::parse_str(client_id).map_err(|_| format!("{client_id:?} is no client id"))?;
    app.decide(id, &meta(app, "remove"), |c: Client| async move { Ok(c.remove()) })
        .await
        .map_err(|e| if e.status == 404 { format!("there is no client {client_id}") } else { e.message })?;
    app.state.delete_doc(LIST, &id.to_string()).await.map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_repeated_redirects_and_the_public_flag() {
        let parsed = parse_add_args(&args(&[
            "--name",
            "App",
            "--redirect-uri",
            "https://a/cb",
            "--public",
            "--redirect-uri",
            "com.a:/cb",
            "--post-logout-redirect-uri",
            "https://a/",
        ]))
        .unwrap();
        assert_eq!(parsed.redirect_uris, ["https://a/cb", "com.a:/cb"]);
        assert_eq!(parsed.post_logout_redirect_uris, ["https://a/"]);
        assert!(parsed.public);
        assert!(parse_add_args(&args(&["--name", "App"])).unwrap_err().contains("--redirect-uri"));
        assert!(parse_add_args(&args(&["--redirect-uri", "https://a/cb"])).unwrap_err().contains("--name"));
        assert!(parse_add_args(&args(&["--name"])).unwrap_err().contains("needs a value"));
        assert!(parse_add_args(&args(&["--nme", "x"])).unwrap_err().contains("unknown"));
    }
}
