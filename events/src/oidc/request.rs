//! The authorization request (RFC 6749 section 4.1.1, OpenID Connect Core
//! 3.1.2.1, PKCE RFC 7636): what may be asked, and the errors in their
//! RFC places. Whether the client and its redirect URI are known is
//! checked first, by the caller: until both are, no error may be sent to
//! the redirect URI (it could be anyone's).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prompt {
    /// Never show the sign-in: answer `login_required` if it would be needed.
    None,
    /// Always sign in again, even with a live session.
    Login,
}

/// The scopes this provider knows; others are ignored (RFC 6749 3.3
/// lets the server narrow the scope).
pub const SCOPES: [&str; 4] = ["openid", "email", "profile", "offline_access"];

/// A valid request, as kept while the person signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: Uuid,
    pub redirect_uri: String,
    pub scope: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// base64url(SHA-256(verifier)).
    pub code_challenge: String,
    pub prompt: Option<Prompt>,
    /// Seconds.
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    pub ui_locales: Vec<String>,
}

/// An error sent back to the client's redirect URI (RFC 6749 4.1.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeError {
    pub error: &'static str,
    pub description: String,
}

impl AuthorizeError {
    pub fn new(error: &'static str, description: impl Into<String>) -> Self {
        AuthorizeError { error, description: description.into() }
    }

    fn invalid(description: impl Into<String>) -> Self {
        Self::new("invalid_request", description)
    }
}

/// The one value of parameter `name`; a repeated parameter is an error
/// (RFC 6749 3.1), an empty one counts as absent.
pub fn single<'a>(params: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, String> {
    let mut values = params.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
    match (values.next(), values.next()) {
        (_, Some(_)) => Err(format!("The parameter {name} is repeated.")),
        (Some(""), None) | (None, None) => Ok(None),
        (Some(v), None) => Ok(Some(v)),
    }
}

/// Step one: the client and redirect URI named, before either is trusted.
/// An error here is shown, never redirected.
pub fn client_and_redirect(params: &[(String, String)]) -> Result<(Uuid, String), String> {
    let client_id = single(params, "client_id")?.ok_or("The parameter client_id is missing.")?;
    let client_id = Uuid::parse_str(client_id).map_err(|_| "There is no such client.".to_owned())?;
    let redirect_uri = single(params, "redirect_uri")?.ok_or("The parameter redirect_uri is missing.")?;
    Ok((client_id, redirect_uri.to_owned()))
}

fn bounded(params: &[(String, String)], name: &str, max: usize) -> Result<Option<String>, AuthorizeError> {
    let value = single(params, name).map_err(AuthorizeError::invalid)?;
    match value {
        Some(v) if v.chars().count() > max => Err(AuthorizeError::invalid(format!("{name} is too long."))),
        other => Ok(other.map(str::to_owned)),
    }
}

/// Step two, once the client and its redirect URI are known: the rest of
/// the request, or the error to redirect with.
pub fn parse(
    params: &[(String, String)],
    client_id: Uuid,
    redirect_uri: &str,
) -> Result<AuthorizationRequest, AuthorizeError> {
    if single(params, "request").map_err(AuthorizeError::invalid)?.is_some() {
        return Err(AuthorizeError::new("request_not_supported", "Request objects are not supported."));
    }
    if single(params, "request_uri").map_err(AuthorizeError::invalid)?.is_some() {
        return Err(AuthorizeError::new("request_uri_not_supported", "request_uri is not supported."));
    }
    match single(params, "response_type").map_err(AuthorizeError::invalid)? {
        Some("code") => {}
        None => return Err(AuthorizeError::invalid("response_type is missing.")),
        Some(_) => {
            return Err(AuthorizeError::new("unsupported_response_type", "Only the authorization code flow (code)."));
        }
    }
    if let Some(mode) = single(params, "response_mode").map_err(AuthorizeError::invalid)?
        && mode != "query"
    {
        return Err(AuthorizeError::invalid("Only response_mode=query is supported."));
    }
    let scope_param = single(params, "scope").map_err(AuthorizeError::invalid)?.unwrap_or("");
    let asked: Vec<&str> = scope_param.split(' ').filter(|s| !s.is_empty()).collect();
    if !asked.contains(&"openid") {
        return Err(AuthorizeError::new("invalid_scope", "The scope must include openid."));
    }
    let scope = SCOPES.iter().filter(|s| asked.contains(s)).map(|s| s.to_string()).collect();
    let code_challenge = pkce_challenge(params)?;
    let prompt = prompt(params)?;
    let max_age = match single(params, "max_age").map_err(AuthorizeError::invalid)? {
        None => None,
        Some(v) => Some(
            v.parse::<i64>()
                .ok()
                .filter(|s| *s >= 0)
                .ok_or_else(|| AuthorizeError::invalid("max_age must be a number of seconds."))?,
        ),
    };
    let ui_locales = bounded(params, "ui_locales", 200)?
        .map(|v| v.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    Ok(AuthorizationRequest {
        client_id,
        redirect_uri: redirect_uri.to_owned(),
        scope,
        state: bounded(params, "state", 1024)?,
        nonce: bounded(params, "nonce", 512)?,
        code_challenge,
        prompt,
        max_age,
        login_hint: bounded(params, "login_hint", 254)?,
        ui_locales,
    })
}

/// PKCE is required for every client, and only S256: `plain` would let a
/// stolen code be redeemed with what the front channel showed.
fn pkce_challenge(params: &[(String, String)]) -> Result<String, AuthorizeError> {
    let challenge = single(params, "code_challenge").map_err(AuthorizeError::invalid)?;
    let method = single(params, "code_challenge_method").map_err(AuthorizeError::invalid)?;
    let Some(challenge) = challenge else {
        return Err(AuthorizeError::invalid("PKCE is required: code_challenge is missing."));
    };
    if method != Some("S256") {
        return Err(AuthorizeError::invalid("PKCE must use code_challenge_method=S256."));
    }
    // base64url of 32 bytes, unpadded.
    if challenge.len() != 43 || !challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(AuthorizeError::invalid("code_challenge is not a base64url SHA-256 value."));
    }
    Ok(challenge.to_owned())
}

fn prompt(params: &[(String, String)]) -> Result<Option<Prompt>, AuthorizeError> {
    let Some(value) = single(params, "prompt").map_err(AuthorizeError::invalid)? else { return Ok(None) };
    let values: Vec<&str> = value.split(' ').filter(|s| !s.is_empty()).collect();
    if values.contains(&"none") {
        // OpenID Connect Core 3.1.2.1: none with any other value is an error.
        return if values.len() == 1 {
            Ok(Some(Prompt::None))
        } else {
            Err(AuthorizeError::invalid("prompt=none cannot be combined."))
        };
    }
    if values.contains(&"login") {
        return Ok(Some(Prompt::Login));
    }
    if values.iter().all(|v| matches!(*v, "consent" | "select_account")) {
        // There is no consent screen (the apps are the customer's own) and
        // one account per sign-in: nothing to show for these.
        return Ok(None);
    }
    Err(AuthorizeError::invalid("prompt may be none, login, consent or select_account."))
}

/// Whether `verifier` (RFC 7636 4.1: 43 to 128 unreserved characters)
/// hashes to `challenge`; the comparison takes the same time wherever they differ.
pub fn pkce_s256_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if !well_formed {
        return false;
    }
    let computed = data_encoding::BASE64URL_NOPAD.encode(&Sha256::digest(verifier.as_bytes()));
    bool::from(computed.as_bytes().ct_eq(challenge.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn params(extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut p: Vec<(String, String)> = [
            ("response_type", "code"),
            ("client_id", "00000000-0000-0000-0000-000000000001"),
            ("redirect_uri", "https://app.example/cb"),
            ("scope", "openid email"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in extra {
            p.retain(|(name, _)| name != k);
            if !v.is_empty() {
                p.push((k.to_string(), v.to_string()));
            }
        }
        p
    }

    fn check(extra: &[(&str, &str)]) -> Result<AuthorizationRequest, AuthorizeError> {
        parse(&params(extra), Uuid::from_u128(1), "https://app.example/cb")
    }

    #[test]
    fn pkce_s256_of_rfc_7636() {
        assert!(pkce_s256_matches(VERIFIER, CHALLENGE));
        assert!(!pkce_s256_matches("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj", CHALLENGE));
        assert!(!pkce_s256_matches(CHALLENGE, CHALLENGE), "the challenge itself is no verifier");
        assert!(!pkce_s256_matches("short", CHALLENGE));
    }

    #[test]
    fn a_valid_request_keeps_what_it_asked() {
        let r = check(&[
            ("state", "s1"),
            ("nonce", "n1"),
            ("prompt", "login"),
            ("max_age", "300"),
            ("ui_locales", "de en"),
        ])
        .unwrap();
        assert_eq!(r.scope, ["openid", "email"]);
        assert_eq!((r.state.as_deref(), r.nonce.as_deref()), (Some("s1"), Some("n1")));
        assert_eq!((r.prompt, r.max_age), (Some(Prompt::Login), Some(300)));
        assert_eq!(r.ui_locales, ["de", "en"]);
        assert_eq!(check(&[("prompt", "none")]).unwrap().prompt, Some(Prompt::None));
    }

    #[test]
    fn bad_requests_get_their_rfc_error() {
        let error = |extra: &[(&str, &str)]| check(extra).unwrap_err().error;
        assert_eq!(error(&[("response_type", "token")]), "unsupported_response_type");
        assert_eq!(error(&[("response_type", "")]), "invalid_request");
        assert_eq!(error(&[("code_challenge", "")]), "invalid_request", "PKCE missing");
        assert_eq!(error(&[("code_challenge_method", "plain")]), "invalid_request", "plain PKCE");
        assert_eq!(error(&[("code_challenge_method", "")]), "invalid_request", "method defaults to plain");
        assert_eq!(error(&[("scope", "email")]), "invalid_scope");
        assert_eq!(error(&[("prompt", "none login")]), "invalid_request");
        assert_eq!(error(&[("max_age", "-1")]), "invalid_request");
        assert_eq!(error(&[("request", "eyJ")]), "request_not_supported");
        let mut twice = params(&[]);
        twice.push(("scope".into(), "openid".into()));
        assert_eq!(parse(&twice, Uuid::from_u128(1), "x").unwrap_err().error, "invalid_request");
    }

    #[test]
    fn client_and_redirect_come_first() {
        assert!(client_and_redirect(&params(&[])).is_ok());
        assert!(client_and_redirect(&params(&[("redirect_uri", "")])).is_err());
        assert!(client_and_redirect(&params(&[("client_id", "nope")])).is_err());
    }
}
