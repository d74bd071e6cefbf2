//! The `oidc` Lambda function.
//!
//! The OpenID Connect provider: discovery and the JWKS, the authorization
//! endpoint and the sign-in page's handoff, the token and revocation
//! endpoints, userinfo and logout. Tokens are signed by KMS
//! (`adapters::kms_signing`).

use functions::handlers::{oidc_authorize, oidc_discovery, oidc_session, oidc_token};

#[tokio::main]
async fn main() -> Result<(), functions::lambda::Error> {
    functions::lambda::run_http(&[
        oidc_discovery::ROUTES,
        oidc_authorize::ROUTES,
        oidc_token::ROUTES,
        oidc_session::ROUTES,
    ])
    .await
}
