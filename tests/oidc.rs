//! The portal as an OpenID Provider, through the real router: the code
//! flow with PKCE, the bad inputs of issue 14 (each answered as its RFC
//! says, changing nothing), single use under concurrency, refresh-token
//! rotation, what ends a grant, and the checks API Gateway's JWT
//! authorizer makes on our access tokens.

/// CORS for single-page apps (`tests/oidc/cors.rs`).
mod cors;

use acceptance::conformance::futures_join_all;
use acceptance::harness::{PASSWORD, TestPortal};
use acceptance::oidc_rp::{AFTER_LOGOUT, REDIRECT, Rp, claims, location, param, userinfo};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::{Value, json};
use time::Duration;

/// An enrolled person signed in for `rp`: the token response and the SSO cookie.
async fn signed_in(p: &TestPortal, rp: &Rp, email: &str) -> (Value, String) {
    let e = p.enrolled(email).await;
    let (to, cookie) = rp.sign_in(p, &e.session, &[]).await;
    assert!(to.starts_with(&format!("{REDIRECT}?code=")), "{to}");
    assert_eq!(param(&to, "state").as_deref(), Some("st-1"));
    assert_eq!(param(&to, "iss").as_deref(), Some("http://portal.test"));
    let (status, tokens) = rp.exchange(p, &param(&to, "code").unwrap()).await;
    assert_eq!(status, 200, "{tokens}");
    (tokens, cookie)
}

#[tokio::test]
async fn the_code_flow_gives_signed_tokens_that_say_two_factors_were_used() {
    let p = TestPortal::new().await;
    let rp = Rp::register(&p, false).await;
    let (tokens, cookie) = signed_in(&p, &rp, "anna@example.de").await;
    assert!(cookie.starts_with("portal_sso="));
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["expires_in"].as_i64().unwrap() <= 900);
    assert!(tokens["refresh_token"].is_string(), "offline_access");
    let id = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["iss"], "http://portal.test");
    assert_eq!(id["aud"], rp.client_id.as_str());
    assert_eq!(id["nonce"], "n-1");
    assert_eq!(id["amr"], json!(["pwd", "mfa", "otp"]));
    assert_eq!(id["acr"], "2");
    assert_eq!(id["email"], "anna@example.de");
    assert_eq!(id["name"], "Anna Muster");
    assert!(id["sid"].is_string() && id["auth_time"].is_i64());
    let (status, info) = userinfo(&p, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["sub"], id["sub"]);
    assert_eq!(info["email"], "anna@example.de");
    // Only hashes of codes and refresh tokens are stored.
    let log = p.event_log_text().await;
    assert!(!log.contains(tokens["refresh_token"].as_str().unwrap()));
}

#[tokio::test]
async fn the_first_login_without_a_factor_gives_no_mfa() {
    let p = TestPortal::new().await;
    let rp = Rp::register(&p, true).await;
    p.register("first@example.de").await;
    let (_, first) = p.login("first@example.de", PASSWORD).await;
    let (to, _) = rp.sign_in(&p, first["session_token"].as_str().unwrap(), &[]).await;
    let (status, tokens) = rp.exchange(&p, &param(&to, "code").unwrap()).await;
    assert_eq!(status, 200, "{tokens}");
    let id = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["amr"], json!(["pwd"]));
    assert_eq!(id["acr"], "1");
}

#[tokio::test]
async fn discovery_names_every_endpoint_under_the_issuer() {
    let p = TestPortal::new().await;
    let (status, d) = p.call("GET", "/.well-known/openid-configuration", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(d["issuer"], "http://portal.test");
    for (field, path) in [
        ("authorization_endpoint", "/oidc/authorize"),
        ("token_endpoint", "/oidc/token"),
        ("userinfo_endpoint", "/oidc/userinfo"),
        ("jwks_uri", "/oidc/jwks"),
        ("revocation_endpoint", "/oidc/revoke"),
        ("end_session_endpoint", "/oidc/logout"),
    ] {
        assert_eq!(d[field], format!("http://portal.test{path}"));
    }
    assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(d["id_token_signing_alg_values_supported"], json!(["RS256"]));
    assert_eq!(d["authorization_response_iss_parameter_supported"], true);
}

// --- the bad inputs of the issue: the RFC's error, nothing changed -------

#[tokio::test]
async fn an_unregistered_redirect_uri_is_never_redirected_to() {
    let p = TestPortal::new().await;
    let rp = Rp::register(&p, false).await;
    let before = p.event_count().await;
    for uri in ["https://evil.example/cb", "https://app.example/cb/", "https://app.example/cb?x=1"] {
        let (status, to) = rp.authorize(&p, &[("redirect_uri", uri)], None).await;
        assert_eq!((status, to.as_str()), (400, ""), "{uri}");
    }
    let (status, to) = rp.authorize(&p, &[("client_id", &uuid::Uuid::new_v4().to_string())], None).await;
    assert_eq!((status, to.as_str()), (400, ""), "unknown client");
    assert_eq!(p.event_count().await, before);
}

#[tokio::test]
async fn bad_authorization_requests_are_redirected_with_their_rfc_error() {
    let p = TestPortal::new().await;
    let rp = Rp::register(&p, false).await;
    let before = p.event_count().await;
    for (extra, error) in [
        (vec![("code_challenge", "")], "invalid_request"),
        (vec![("code_challenge_method", "plain")], "invalid_request"),
        (vec![("code_challenge_method", "")], "invalid_request"),
        (vec![("response_type", "token")], "unsupported_response_type"),
        (vec![("prompt", "none")], "login_required"),
    ] {
        let (status, to) = rp.authorize(&p, &extra, None).await;
        assert_eq!(status, 303, "{extra:?}");
        assert!(to.starts_with(REDIRECT), "{to}");
        assert_eq!(param(&to, "error").as_deref(), Some(error), "{extra:?}: {to}");
        assert_eq!(param(&to, "state").as_deref(), Some("st-1"));
        assert_eq!(param(&to, "code"), None);
    }
    assert_eq!(p.event_count().await, before);
}

#[tokio::test]
async fn a_wrong_verifier_a_wrong_secret_or_a_secret_from_a_public_client_get_nothing() {
    let p = TestPortal::new().await;
    let rp = Rp::register(&p, false).await;
    let e = p.enrolled("anna@example.de").await;
    let (to, _) = rp.sign_in(&p, &e.session, &[]).await;
    let code = param(&to, "code").unwrap();
    let before = p.event_count().await;
    let wrong_verifier = B64.encode([7u8; 32]);
    let (status, body) = rp
        .token(
            &p,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &wrong_verifier),
            ],
        )
        .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    let wrong_secret =
        Rp { client_id: rp.client_id.clone(), secret: Some("not-the-secret".into()), verifier: rp.verifier.clone() };
    let (status, body) = wrong_secret.exchange(&p, &code).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "{body}");
    assert!(body["error_description"].is_string());
    let public = Rp::register(&p, true).await;
    let with_secret =
        Rp { secret: Some("anything".into()), client_id: public.client_id.clone(), verifier: public.verifier.clone() };
    let (status, body) = with_secret.exchange(&p, &code).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "a public client sending a secret");
    let (status, body) = rp.token(&p, &[("grant_type", "password")]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("unsupported_grant_type")));
    assert_eq!(p.event_count().await, before + 1, "only the second client's registration");
    // The code still works for its client with the right verifier.
    assert_eq!(rp.exchange(&p, &code).await.0, 200);
}

#[tokio::test]
async fn a_code_expires_after_60_seconds() {
    let p = TestPortal::new().await;
    let rp = Rp::register(&p, true).await;
    let e = p.enrolled("anna@example.de").await;
    let (to, _) = rp.sign_in(&p, &e.session, &[]).await;
    p.clock.advance(Duration::seconds(60));
    let (status, body) = rp.exchange(&p, &param(&to, "code").unwrap()).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
}

#[tokio::test]
async fn a_reused_code_revokes_what_it_issued() {
    let p = TestPortal::new().await;
    let rp = Rp::register(&p, false).await;
    let e = p.enrolled("anna@example.de").await;
    let (to, _) = rp.sign_in(&p, &e.session, &[]).await;
    let code = param(&to, "code").unwrap();
    let (status, tokens) = rp.exchange(&p, &code).await;
    assert_eq!(status, 200);
    assert_eq!(userinfo(&p, tokens["access_token"].as_str().unwrap()).await.0, 200);
    let (status, body) = rp.exchange(&p, &code).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(userinfo(&p, tokens["access_token"].as_str().unwrap()).await.0, 401, "the access token is revoked");
    assert_eq!(rp.refresh(&p, tokens["refresh_token"].as_str().unwrap()).await.0, 400, "and the refresh token");
}

#[tokio::test]
async fn ten_exchanges_of_one_code_at_once_give_one_answer_with_tokens() {
    let p = TestPortal::new().await;
    let rp = Rp::register(&p, false).await;
    let e = p.enrolled("anna@example.de").await;
    let (to, _) = rp.sign_in(&p, &e.session, &[]).await;
    let code = param(&to, "code").unwrap();
    let results = futures_join_all((0..10).map(|_| rp.exchange(&p, &code))).await;
    let ok = results.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(ok, 1, "{:?}", results.iter().map(|(s, _)| s).collect::<Vec<_>>());
    assert!(results.iter().all(|(s, b)| *s == 200 || b["error"] == "invalid_grant"));
}

#[tokio::test]
async fn a_refresh_token_rotates_and_its_reuse_revokes_the_family() {
    let p = TestPortal::new().await;
    let rp = Rp::register(&p, true).await;
    let (tokens, _) = signed_in(&p, &rp, "anna@example.de").await;
    let first = tokens["refresh_token"].as_str().unwrap();
    let (status, refreshed) = rp.refresh(&p, first).await;
    assert_eq!(status, 200, "{refreshed}");
    let second = refreshed["refresh_token"].as_str().unwrap();
    assert_ne!(first, second);
    assert_eq!(claims(refreshed["id_token"].as_str().unwrap())["amr"], json!(["pwd", "mfa", "otp"]));
    let (status, body) = rp.refresh(&p, first).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "the old one is reused");
    let (status, _) = rp.refresh(&p, second).await;
    assert_eq!(status, 400, "the whole family is revoked");
    assert_eq!(userinfo(&p, refreshed["access_token"].as_str().unwrap()).await.0, 401);
}

// --- what ends a grant ----------------------------------------------------

#[tokio::test]
async fn logout_at_the_provider_ends_the_grants_of_that_session() {
    let p = TestPortal::new().await;
    let rp = Rp::register(&p, false).await;
    let (tokens, cookie) = signed_in(&p, &rp, "anna@example.de").await;
    let path = format!(
        "/oidc/logout?client_id={}&post_logout_redirect_uri={}&state=s9",
        rp.client_id,
        form_urlencoded::byte_serialize(AFTER_LOGOUT.as_bytes()).collect::<String>()
    );
    let (status, headers, _) = p.send_full("GET", &path, &[("cookie", &cookie)], vec![]).await;
    assert_eq!((status, location(&headers)), (303, format!("{AFTER_LOGOUT}?state=s9")));
    assert!(headers.get("set-cookie").unwrap().to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(rp.refresh(&p, tokens["refresh_token"].as_str().unwrap()).await.0, 400);
    assert_eq!(userinfo(&p, tokens["access_token"].as_str().unwrap()).await.0, 401);
    // The cookie signs in no more.
    let (status, to) = rp.authorize(&p, &[("prompt", "none")], Some(&cookie)).await;
    assert_eq!((status, param(&to, "error").as_deref()), (303, Some("login_required")));
    // An unregistered place to return to is refused, not followed.
    let bad = format!("/oidc/logout?client_id={}&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F", rp.client_id);
    let (status, headers, _) = p.send_full("GET", &bad, &[], vec![]).await;
    assert_eq!((status, location(&headers)), (400, String::new()));
}

#[tokio::test]
async fn a_password_reset_ends_the_grants_refresh_tokens_included() {
    let p = TestPortal::new().await;
    let rp = Rp::register(&p, false).await;
    let (tokens, _) = signed_in(&p, &rp, "anna@example.de").await;
    let (status, _) = p.call("POST", "/api/password/forgot", None, Some(json!({"email": "anna@example.de"}))).await;
    assert_eq!(status, 202);
    let mail = p.outbox().await.into_iter().rev().find(|m| m["body"].as_str().unwrap().contains("?token=")).unwrap();
    let link = mail["body"].as_str().unwrap().split_whitespace().find(|w| w.contains("?token=")).unwrap().to_owned();
    let token = link.split_once("?token=").unwrap().1;
    p.clock.advance(Duration::seconds(1));
    let (status, _) = p
        .call("POST", "/api/password/reset", None, Some(json!({"token": token, "new_password": "Ganz-neu-5678!"})))
        .await;
    assert_eq!(status, 204);
    assert_eq!(rp.refresh(&p, tokens["refresh_token"].as_str().unwrap()).await.0, 400);
    assert_eq!(userinfo(&p, tokens["access_token"].as_str().unwrap()).await.0, 401);
}

#[tokio::test]
async fn an_approved_factor_reset_ends_the_grants() {
    let p = TestPortal::new().await;
    let rp = Rp::register(&p, false).await;
    let (tokens, _) = signed_in(&p, &rp, "anna@example.de").await;
    let token = p.mfa_token("anna@example.de").await;
    let form = json!({
        "first_name": "Anna", "last_name": "Muster", "phone": "+4915123456789", "email": "anna@example.de",
        "privacy_consent": true, "altcha": p.altcha().await,
    });
    let (status, body) = p.call("POST", "/api/reset-requests", Some(&token), Some(form)).await;
    assert_eq!(status, 202, "{body}");
    let id = body["request_id"].as_str().unwrap().to_owned();
    let (staff, _) = p.staff("sam@support.example", "Sam Support").await;
    p.project().await;
    let take = format!("/api/support/requests/{id}/take");
    assert_eq!(p.call("POST", &take, Some(&staff), Some(json!({}))).await.0, 200);
    let approve = format!("/api/support/requests/{id}/approve");
    let (status, body) = p.call("POST", &approve, Some(&staff), Some(json!({"note": "ID checked"}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(rp.refresh(&p, tokens["refresh_token"].as_str().unwrap()).await.0, 400);
    assert_eq!(userinfo(&p, tokens["access_token"].as_str().unwrap()).await.0, 401);
}

#[tokio::test]
async fn a_removed_client_loses_its_grants_and_its_sign_in() {
    let p = TestPortal::new().await;
    let rp = Rp::register(&p, false).await;
    let (tokens, _) = signed_in(&p, &rp, "anna@example.de").await;
    assert!(
        functions::oidc_clients::list(p.app()).await.unwrap().iter().any(|c| c["client_id"] == rp.client_id.as_str())
    );
    functions::oidc_clients::remove(p.app(), &rp.client_id).await.unwrap();
    assert!(functions::oidc_clients::list(p.app()).await.unwrap().is_empty());
    assert_eq!(rp.refresh(&p, tokens["refresh_token"].as_str().unwrap()).await.0, 401, "the client is unknown now");
    assert_eq!(userinfo(&p, tokens["access_token"].as_str().unwrap()).await.0, 401);
    assert_eq!(rp.authorize(&p, &[], None).await.0, 400);
}

// --- single sign-on --------------------------------------------------------

#[tokio::test]
async fn a_second_app_signs_in_from_the_session_unless_prompt_login_or_max_age_say_otherwise() {
    let p = TestPortal::new().await;
    let first = Rp::register(&p, false).await;
    let second = Rp::register(&p, true).await;
    let (_, cookie) = signed_in(&p, &first, "anna@example.de").await;
    let (status, to) = second.authorize(&p, &[("prompt", "none")], Some(&cookie)).await;
    assert_eq!(status, 303);
    let (status, tokens) = second.exchange(&p, &param(&to, "code").expect(&to)).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(claims(tokens["id_token"].as_str().unwrap())["amr"], json!(["pwd", "mfa", "otp"]));
    let (_, to) = second.authorize(&p, &[("prompt", "login")], Some(&cookie)).await;
    assert!(to.starts_with("/sign-in?request="), "{to}");
    p.clock.advance(Duration::minutes(10));
    let (_, to) = second.authorize(&p, &[("max_age", "300")], Some(&cookie)).await;
    assert!(to.starts_with("/sign-in?request="), "{to}");
}

// --- API Gateway's JWT authorizer ------------------------------------------

/// The published JWKS, fetched as a relying party does (discovery, then `jwks_uri`).
async fn jwks(p: &TestPortal) -> Value {
    let (_, discovery) = p.call("GET", "/.well-known/openid-configuration", None, None).await;
    let jwks_path = discovery["jwks_uri"].as_str().unwrap().strip_prefix("http://portal.test").unwrap().to_owned();
    let (status, jwks) = p.call("GET", &jwks_path, None, None).await;
    assert_eq!(status, 200);
    jwks
}

/// The RSA public key of a JWK, from its `n` and `e` alone, with the `rsa`
/// crate (the portal signs and verifies with `ring`: another implementation).
fn rsa_key(jwk: &Value) -> rsa::PublicKey {
    let int = |field: &str| rsa::BoxedUint::from_be_slice_vartime(&B64.decode(jwk[field].as_str().unwrap()).unwrap());
    rsa::PublicKey::new(int("n"), int("e")).expect("an RSA public key")
}

fn jose_header(token: &str) -> Value {
    serde_json::from_slice(&B64.decode(token.split('.').next().unwrap()).unwrap()).unwrap()
}

/// What API Gateway's JWT authorizer checks, done here with the `rsa` crate
/// and the published JWKS only: the RS256 signature by the `kid` of the
/// header, `iss`, `aud` (or `client_id`), `exp` and `nbf`. The authorizer
/// takes RSA keys only.
#[tokio::test]
async fn our_access_tokens_pass_the_checks_of_api_gateways_jwt_authorizer() {
    let p = TestPortal::new().await;
    let rp = Rp::register(&p, false).await;
    let (tokens, _) = signed_in(&p, &rp, "anna@example.de").await;
    let token = tokens["access_token"].as_str().unwrap();
    let (_, discovery) = p.call("GET", "/.well-known/openid-configuration", None, None).await;
    let jwks = jwks(&p).await;
    let parts: Vec<&str> = token.split('.').collect();
    let header = jose_header(token);
    assert_eq!((header["alg"].as_str(), header["typ"].as_str()), (Some("RS256"), Some("at+jwt")));
    let jwk =
        jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == header["kid"]).expect("the kid is in the JWKS");
    assert_eq!(
        (jwk["kty"].as_str(), jwk["alg"].as_str(), jwk["use"].as_str()),
        (Some("RSA"), Some("RS256"), Some("sig"))
    );
    assert_eq!(jwk["e"], "AQAB");
    let n = B64.decode(jwk["n"].as_str().unwrap()).unwrap();
    assert!(n.len() == 256 && n[0] >= 0x80, "a 2048-bit modulus, no leading zero");
    assert!(jwk.get("crv").is_none() && jwk.get("x").is_none(), "no EC members: {jwk}");
    let key = rsa_key(jwk);
    let signature = B64.decode(parts[2]).unwrap();
    assert_eq!(signature.len(), 256);
    let input = format!("{}.{}", parts[0], parts[1]);
    assert!(key.pkcs1v15_verify::<sha2::Sha256>(input.as_bytes(), &signature).is_ok(), "the signature verifies");
    let mut tampered = input.clone();
    tampered.push('x');
    assert!(key.pkcs1v15_verify::<sha2::Sha256>(tampered.as_bytes(), &signature).is_err());
    let c = claims(token);
    let now = p.now().unix_timestamp();
    assert_eq!(c["iss"], discovery["issuer"]);
    assert!(c["aud"] == rp.client_id.as_str() || c["client_id"] == rp.client_id.as_str());
    assert!(c["exp"].as_i64().unwrap() > now && c["exp"].as_i64().unwrap() <= now + 900, "at most 15 minutes");
    assert!(c["nbf"].as_i64().unwrap() <= now);
    assert!(c["sub"].is_string() && c["jti"].is_string() && c["iat"].is_i64(), "RFC 9068");
    // The ID token too: RS256, OpenID Connect's default, by a published key.
    let id_token = tokens["id_token"].as_str().unwrap();
    let id_header = jose_header(id_token);
    assert_eq!((id_header["alg"].as_str(), id_header["typ"].as_str()), (Some("RS256"), Some("JWT")));
    let id_parts: Vec<&str> = id_token.split('.').collect();
    let id_jwk = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == id_header["kid"]).unwrap();
    rsa_key(id_jwk)
        .pkcs1v15_verify::<sha2::Sha256>(
            format!("{}.{}", id_parts[0], id_parts[1]).as_bytes(),
            &B64.decode(id_parts[2]).unwrap(),
        )
        .expect("the ID token verifies");
}

/// Our access token's claims under another header and signature: what an
/// attacker can make without our private key.
fn forged(token: &str, header: Value, sign: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
    let input = format!("{}.{}", B64.encode(header.to_string()), token.split('.').nth(1).unwrap());
    let signature = sign(input.as_bytes());
    format!("{input}.{}", B64.encode(signature))
}

#[tokio::test]
async fn userinfo_refuses_an_access_token_signed_by_another_key_or_with_another_algorithm() {
    use hmac::{KeyInit, Mac};
    let p = TestPortal::new().await;
    let rp = Rp::register(&p, false).await;
    let (tokens, _) = signed_in(&p, &rp, "anna@example.de").await;
    let token = tokens["access_token"].as_str().unwrap();
    let kid = jose_header(token)["kid"].as_str().unwrap().to_owned();
    let jwks = jwks(&p).await;
    let our_n = B64.decode(jwks["keys"][0]["n"].as_str().unwrap()).unwrap();
    let foreign = rsa::PrivateKey::new(&mut getrandom::SysRng, 2048).unwrap();
    let foreign_rs256 = |input: &[u8]| foreign.pkcs1v15_sign::<sha2::Sha256>(input).unwrap();
    let p256_key = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
    let es256 = |input: &[u8]| {
        use p256::ecdsa::signature::Signer;
        let signature: p256::ecdsa::Signature = p256_key.sign(input);
        signature.to_bytes().to_vec()
    };
    // HS256 keyed with our public modulus: the classic algorithm confusion.
    let hs256 = |input: &[u8]| {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&our_n).unwrap();
        mac.update(input);
        mac.finalize().into_bytes().to_vec()
    };
    let rs256 = |kid: &str| json!({"alg": "RS256", "typ": "at+jwt", "kid": kid});
    let other = |alg: &str| json!({"alg": alg, "typ": "at+jwt", "kid": kid});
    let before = p.event_count().await;
    for (what, forgery) in [
        ("a foreign RSA key under our kid", forged(token, rs256(&kid), foreign_rs256)),
        ("a foreign RSA key under its own kid", forged(token, rs256("attacker-1"), foreign_rs256)),
        ("ES256", forged(token, other("ES256"), es256)),
        ("HS256 keyed with our modulus", forged(token, other("HS256"), hs256)),
        ("none", forged(token, other("none"), |_| Vec::new())),
    ] {
        let (status, body) = userinfo(&p, &forgery).await;
        assert_eq!(status, 401, "{what}: {body}");
        assert_eq!(body["error"], "invalid_token", "{what}");
    }
    assert_eq!(p.event_count().await, before, "nothing changed");
    assert_eq!(userinfo(&p, token).await.0, 200, "the real token still works");
}
