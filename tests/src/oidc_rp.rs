//! A relying party for the tests: registers a client the way `portal
//! client add` does, walks the authorization code flow with PKCE through
//! the real router (the page's part as its two API calls), and redeems
//! codes and refresh tokens at the token endpoint.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64};
use functions::oidc_clients::{self, AddArgs};
use lambda_http::http;
use serde_json::Value;
use sha2::Digest;

use crate::harness::TestPortal;

pub const REDIRECT: &str = "https://app.example/cb";
pub const AFTER_LOGOUT: &str = "https://app.example/bye";

pub struct Rp {
    pub client_id: String,
    pub secret: Option<String>,
    pub verifier: String,
}

impl Rp {
    /// A confidential client (`public = false`) or a public one.
    pub async fn register(p: &TestPortal, public: bool) -> Rp {
        let out = oidc_clients::add(
            p.app(),
            AddArgs {
                name: "Ventilation cloud".into(),
                redirect_uris: vec![REDIRECT.into()],
                post_logout_redirect_uris: vec![AFTER_LOGOUT.into()],
                public,
            },
        )
        .await
        .unwrap();
        Rp {
            client_id: out["client_id"].as_str().unwrap().to_owned(),
            secret: out["client_secret"].as_str().map(str::to_owned),
            verifier: B64.encode(uuid::Uuid::new_v4().as_bytes().repeat(2)),
        }
    }

    pub fn challenge(&self) -> String {
        B64.encode(sha2::Sha256::digest(self.verifier.as_bytes()))
    }

    /// `/oidc/authorize?...`: a valid request plus `extra` (an empty value
    /// removes a parameter).
    pub fn authorize_path(&self, extra: &[(&str, &str)]) -> String {
        let challenge = self.challenge();
        let mut params: Vec<(&str, &str)> = vec![
            ("response_type", "code"),
            ("client_id", &self.client_id),
            ("redirect_uri", REDIRECT),
            ("scope", "openid email profile offline_access"),
            ("state", "st-1"),
            ("nonce", "n-1"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ];
        for (k, v) in extra {
            params.retain(|(name, _)| name != k);
            if !v.is_empty() {
                params.push((k, v));
            }
        }
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (k, v) in params {
            query.append_pair(k, v);
        }
        format!("/oidc/authorize?{}", query.finish())
    }

    /// GET the authorize path (with an SSO cookie if given): status and Location.
    pub async fn authorize(&self, p: &TestPortal, extra: &[(&str, &str)], cookie: Option<&str>) -> (u16, String) {
        let path = self.authorize_path(extra);
        let headers: Vec<(&str, &str)> = cookie.map(|c| vec![("cookie", c)]).unwrap_or_default();
        let (status, headers, _) = p.send_full("GET", &path, &headers, vec![]).await;
        (status, location(&headers))
    }

    /// The whole front channel with the page's session token: the
    /// redirect (with code) and the SSO cookie (`portal_sso=...`).
    pub async fn sign_in(&self, p: &TestPortal, session: &str, extra: &[(&str, &str)]) -> (String, String) {
        let (status, to) = self.authorize(p, extra, None).await;
        assert_eq!(status, 303, "{to}");
        let request = to.strip_prefix("/sign-in?request=").unwrap_or_else(|| panic!("to the page: {to}"));
        let (status, headers, body) = p
            .send_full(
                "POST",
                &format!("/api/oidc/requests/{request}/complete"),
                &[("authorization", &format!("Bearer {session}"))],
                vec![],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let cookie = headers.get("set-cookie").unwrap().to_str().unwrap();
        let cookie = cookie.split(';').next().unwrap().to_owned();
        (body["redirect_to"].as_str().unwrap().to_owned(), cookie)
    }

    /// POST to the token endpoint with this client's authentication
    /// (Basic for a confidential client, `client_id` in the form for a public one).
    pub async fn token(&self, p: &TestPortal, form: &[(&str, &str)]) -> (u16, Value) {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (k, v) in form {
            query.append_pair(k, v);
        }
        let basic;
        let mut headers = vec![("content-type", "application/x-www-form-urlencoded")];
        match &self.secret {
            Some(secret) => {
                basic = format!("Basic {}", STANDARD.encode(format!("{}:{secret}", self.client_id)));
                headers.push(("authorization", &basic));
            }
            None => {
                query.append_pair("client_id", &self.client_id);
            }
        }
        p.send("POST", "/oidc/token", &headers, query.finish().into_bytes()).await
    }

    pub async fn exchange(&self, p: &TestPortal, code: &str) -> (u16, Value) {
        self.token(
            p,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &self.verifier),
            ],
        )
        .await
    }

    pub async fn refresh(&self, p: &TestPortal, refresh_token: &str) -> (u16, Value) {
        self.token(p, &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)]).await
    }
}

pub fn location(headers: &http::HeaderMap) -> String {
    headers.get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// A query parameter of a redirect URL.
pub fn param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// The claims of a JWT, unchecked (the tests check signatures on their own).
pub fn claims(jwt: &str) -> Value {
    serde_json::from_slice(&B64.decode(jwt.split('.').nth(1).unwrap()).unwrap()).unwrap()
}

pub async fn userinfo(p: &TestPortal, access_token: &str) -> (u16, Value) {
    p.call("GET", "/oidc/userinfo", Some(access_token), None).await
}
