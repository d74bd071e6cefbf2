//! CORS for the customer's single-page apps, through the real router: a
//! page on the origin of a registered public client's redirect URI reads
//! the token, userinfo and revocation answers (its origin echoed, with
//! `Vary: Origin`) and gets its preflights allowed; any other origin (an
//! unknown one, a confidential client's, a removed client's) gets no CORS
//! header at all; discovery and the JWKS are for every origin (`*`). No
//! answer ever carries `Access-Control-Allow-Credentials`.

use acceptance::harness::TestPortal;
use acceptance::oidc_rp::{REDIRECT, Rp, param};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lambda_http::http::HeaderMap;
use serde_json::Value;

/// The web origin of `oidc_rp::REDIRECT`, where the test's app "runs".
const APP: &str = "https://app.example";
const ELSEWHERE: &str = "https://elsewhere.example";

/// The answer's `Access-Control-*` headers, by lowercase name. No answer
/// may let cookies cross origins.
fn access_control(headers: &HeaderMap) -> Vec<(String, String)> {
    assert!(headers.get("access-control-allow-credentials").is_none(), "never Allow-Credentials: {headers:?}");
    headers
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("access-control-"))
        .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap().to_owned()))
        .collect()
}

fn allowed_origin(headers: &HeaderMap) -> Option<String> {
    access_control(headers).into_iter().find(|(name, _)| name == "access-control-allow-origin").map(|(_, v)| v)
}

fn varies_by_origin(headers: &HeaderMap) -> bool {
    headers
        .get_all("vary")
        .iter()
        .any(|v| v.to_str().unwrap().split(',').any(|p| p.trim().eq_ignore_ascii_case("origin")))
}

/// A form POST to `path` as a page on `origin` sends it (public clients
/// name themselves by `client_id`, confidential ones by Basic).
async fn post_form(
    p: &TestPortal,
    rp: &Rp,
    path: &str,
    origin: &str,
    form: &[(&str, &str)],
) -> (u16, HeaderMap, Value) {
    let mut body = form_urlencoded::Serializer::new(String::new());
    body.extend_pairs(form);
    let basic;
    let mut headers = vec![("content-type", "application/x-www-form-urlencoded"), ("origin", origin)];
    match &rp.secret {
        Some(secret) => {
            basic = format!("Basic {}", STANDARD.encode(format!("{}:{secret}", rp.client_id)));
            headers.push(("authorization", &basic));
        }
        None => {
            body.append_pair("client_id", &rp.client_id);
        }
    }
    p.send_full("POST", path, &headers, body.finish().into_bytes()).await
}

/// The browser's preflight before a cross-origin request with a Bearer header.
async fn preflight(p: &TestPortal, path: &str, origin: &str) -> (u16, HeaderMap) {
    let headers = [
        ("origin", origin),
        ("access-control-request-method", "POST"),
        ("access-control-request-headers", "authorization"),
    ];
    let (status, headers, body) = p.send_full("OPTIONS", path, &headers, vec![]).await;
    assert_eq!(body, Value::Null, "a preflight's answer has no body");
    (status, headers)
}

async fn userinfo_from(p: &TestPortal, method: &str, origin: &str, access_token: &str) -> (u16, HeaderMap, Value) {
    let bearer = format!("Bearer {access_token}");
    p.send_full(method, "/oidc/userinfo", &[("origin", origin), ("authorization", &bearer)], vec![]).await
}

/// A code for `rp`, from an enrolled person's sign-in.
async fn code(p: &TestPortal, rp: &Rp, email: &str) -> String {
    let e = p.enrolled(email).await;
    let (to, _) = rp.sign_in(p, &e.session, &[]).await;
    param(&to, "code").unwrap()
}

fn exchange_form<'a>(rp: &'a Rp, code: &'a str) -> [(&'a str, &'a str); 4] {
    [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", REDIRECT), ("code_verifier", &rp.verifier)]
}

const PATHS: [&str; 3] = ["/oidc/token", "/oidc/userinfo", "/oidc/revoke"];

#[tokio::test]
async fn a_public_apps_page_reads_the_token_userinfo_and_revocation_answers() {
    let p = TestPortal::new().await;
    let spa = Rp::register(&p, true).await;
    for path in PATHS {
        let (status, headers) = preflight(&p, path, APP).await;
        assert_eq!(status, 204, "{path}");
        assert_eq!(
            access_control(&headers),
            [
                ("access-control-allow-origin".to_owned(), APP.to_owned()),
                ("access-control-allow-methods".to_owned(), "GET, POST".to_owned()),
                ("access-control-allow-headers".to_owned(), "Authorization, Content-Type".to_owned()),
                ("access-control-max-age".to_owned(), "600".to_owned()),
            ],
            "{path}"
        );
        assert!(varies_by_origin(&headers), "{path}");
    }

    let first = code(&p, &spa, "anna@example.de").await;
    let (status, headers, tokens) = post_form(&p, &spa, "/oidc/token", APP, &exchange_form(&spa, &first)).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(allowed_origin(&headers).as_deref(), Some(APP));
    assert!(varies_by_origin(&headers));
    assert_eq!(access_control(&headers).len(), 1, "the preflight's headers only on the preflight");
    // Errors too: the app can read why it was refused.
    let (status, headers, body) = post_form(&p, &spa, "/oidc/token", APP, &exchange_form(&spa, &first)).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(allowed_origin(&headers).as_deref(), Some(APP));

    let (status, tokens) = spa.exchange(&p, &code(&p, &spa, "ben@example.de").await).await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap();
    for method in ["GET", "POST"] {
        let (status, headers, info) = userinfo_from(&p, method, APP, access).await;
        assert_eq!(status, 200, "{info}");
        assert_eq!(info["email"], "ben@example.de");
        assert_eq!(allowed_origin(&headers).as_deref(), Some(APP), "{method}");
        assert!(varies_by_origin(&headers));
    }
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let (status, headers, _) = post_form(&p, &spa, "/oidc/revoke", APP, &[("token", refresh)]).await;
    assert_eq!(status, 200);
    assert_eq!(allowed_origin(&headers).as_deref(), Some(APP));
    let (status, headers, _) = userinfo_from(&p, "GET", APP, access).await;
    assert_eq!(status, 401, "revoked");
    assert_eq!(allowed_origin(&headers).as_deref(), Some(APP));
}

#[tokio::test]
async fn unknown_origins_and_confidential_clients_origins_get_no_cors_headers() {
    let p = TestPortal::new().await;
    // A confidential client on the app's origin: its server calls the token
    // endpoint, and its secret never belongs in a page.
    let web = Rp::register(&p, false).await;
    for origin in [APP, ELSEWHERE, "null"] {
        for path in PATHS {
            let (status, headers) = preflight(&p, path, origin).await;
            assert_eq!(status, 204, "{path}");
            assert_eq!(access_control(&headers), [], "{origin} {path}");
        }
    }
    let (status, headers, tokens) =
        post_form(&p, &web, "/oidc/token", APP, &exchange_form(&web, &code(&p, &web, "anna@example.de").await)).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(access_control(&headers), [], "the confidential client's origin");
    assert!(varies_by_origin(&headers));

    let spa = Rp::register(&p, true).await;
    let (status, tokens) = spa.exchange(&p, &code(&p, &spa, "ben@example.de").await).await;
    assert_eq!(status, 200, "{tokens}");
    let (status, headers, _) = userinfo_from(&p, "GET", ELSEWHERE, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "answered, but not for a page elsewhere to read");
    assert_eq!(access_control(&headers), []);
    let (_, headers, _) = post_form(&p, &spa, "/oidc/token", ELSEWHERE, &[("grant_type", "refresh_token")]).await;
    assert_eq!(access_control(&headers), []);
    let (_, headers, _) = post_form(&p, &spa, "/oidc/revoke", ELSEWHERE, &[("token", "x")]).await;
    assert_eq!(access_control(&headers), []);
}

#[tokio::test]
async fn a_removed_clients_origin_is_no_longer_allowed() {
    let p = TestPortal::new().await;
    let spa = Rp::register(&p, true).await;
    let (status, tokens) = spa.exchange(&p, &code(&p, &spa, "anna@example.de").await).await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(allowed_origin(&preflight(&p, "/oidc/userinfo", APP).await.1).as_deref(), Some(APP));

    functions::oidc_clients::remove(p.app(), &spa.client_id).await.unwrap();
    for path in PATHS {
        let (status, headers) = preflight(&p, path, APP).await;
        assert_eq!(status, 204);
        assert_eq!(access_control(&headers), [], "{path}");
    }
    let (status, headers, _) = userinfo_from(&p, "GET", APP, access).await;
    assert_eq!(status, 401);
    assert_eq!(access_control(&headers), []);
}

#[tokio::test]
async fn discovery_and_the_jwks_are_readable_from_every_origin() {
    let p = TestPortal::new().await;
    for path in ["/.well-known/openid-configuration", "/oidc/jwks"] {
        for origin in [ELSEWHERE, APP] {
            let (status, headers, _) = p.send_full("GET", path, &[("origin", origin)], vec![]).await;
            assert_eq!(status, 200, "{path}");
            assert_eq!(
                access_control(&headers),
                [("access-control-allow-origin".to_owned(), "*".to_owned())],
                "{path}"
            );
        }
    }
    // The portal's own endpoints stay same-origin.
    let (_, headers, _) = p.send_full("POST", "/api/login", &[("origin", ELSEWHERE)], vec![]).await;
    assert_eq!(access_control(&headers), []);
}
