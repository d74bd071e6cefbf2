//! `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0)
//! and `GET /oidc/jwks`: what a relying party reads before anything else.

use serde_json::json;

use crate::app::App;
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, response};
use crate::jwt;
use crate::routes;

pub const ROUTES: Routes = routes![
    GET "/.well-known/openid-configuration" => discovery, cors_any;
    GET "/oidc/jwks" => jwks, cors_any;
];

pub async fn discovery(app: &App, _req: Request) -> Result<Response<Body>, ApiError> {
    let issuer = app.issuer();
    let endpoint = |path: &str| format!("{issuer}{path}");
    Ok(response::json(
        200,
        &json!({
            "issuer": issuer,
            "authorization_endpoint": endpoint("/oidc/authorize"),
            "token_endpoint": endpoint("/oidc/token"),
            "userinfo_endpoint": endpoint("/oidc/userinfo"),
            "jwks_uri": endpoint("/oidc/jwks"),
            "revocation_endpoint": endpoint("/oidc/revoke"),
            "end_session_endpoint": endpoint("/oidc/logout"),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [jwt::ALG],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "scopes_supported": events::oidc::request::SCOPES,
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", "acr", "sid", "azp", "email", "email_verified", "name", "preferred_username"],
            "acr_values_supported": ["1", "2"],
            "ui_locales_supported": ["de", "en"],
            "prompt_values_supported": ["none", "login"],
            "claims_parameter_supported": false,
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
            "authorization_response_iss_parameter_supported": true,
        }),
    ))
}

pub async fn jwks(app: &App, _req: Request) -> Result<Response<Body>, ApiError> {
    let keys = app.signer.public_keys().await?;
    Ok(response::json(200, &json!({ "keys": keys.iter().map(jwt::jwk).collect::<Vec<_>>() })))
}
