//! `POST /api/account/password`: a signed-in owner sets a new password with
//! the current one and, when the account has a second factor, a proof of
//! it (`verification`, as every credential change takes it). The rules are
//! `events::account::password_change`'s; here the two argon2 runs (the
//! current password checked, the new one hashed) happen outside the
//! decision, the new password is judged by registration's policy first,
//! and the answer is the caller's fresh session, as after "Sign out
//! everywhere else". The owner's mail comes from the event
//! (`Notice::PasswordChanged`, in the account's language).

use std::sync::Mutex;

use events::account::password_change::NewPassword;
use events::account::{Account, Auth, PasswordCheck};
use events::password_policy;
use serde::Deserialize;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::auth::{Accepts, caller, session_body};
use super::proof::{self, Presented};
use crate::app::App;
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, request, response};
use crate::routes;

pub const ROUTES: Routes = routes![
    POST "/api/account/password" => change, runs_argon2;
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeBody {
    current_password: String,
    new_password: String,
    #[serde(default)]
    verification: Option<Presented>,
}

pub async fn change(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let body: ChangeBody = request::json(&req)?;
    let (current, new) = (Zeroizing::new(body.current_password), Zeroizing::new(body.new_password));
    let ctx = app.ctx(&req);
    let who = caller(app, &req, Accepts::Session, ctx.now)?;
    let Auth::Session { session_id } = who.auth else { return Err(ApiError::unauthorized()) };
    let loaded = app.load_account(who.account_id).await?;
    loaded.authorize(&who.auth, ctx.now)?;
    // Registration's policy, with its `reason`, before any argon2 work.
    let email = app.personal.open_value(loaded.id, &loaded.email).await?.unwrap_or_default();
    password_policy::check(&new, &email)?;
    let new_hash = app.hash_password(&new).await?;
    let fresh = Uuid::new_v4();
    let policy = app.settings.policy;
    let verification = body.verification.as_ref();
    // After a lost race the stored hash is usually unchanged: the check of
    // the current password is reused rather than run again.
    let checked: Mutex<Option<(String, PasswordCheck)>> = Mutex::new(None);
    let checked = &checked;
    let (current, new_hash) = (&current, &new_hash);
    let grant = app
        .decide_from(Some(loaded), who.account_id, &ctx.meta, |account: Account| async move {
            let cached = checked.lock().expect("not poisoned").clone();
            // While the password is locked the decision refuses before it
            // looks at the check: no argon2 run is spent on it.
            let check = match cached {
                Some((hash, check)) if hash == account.password_hash => check,
                _ if account.password_retry_after(&policy, ctx.now).is_some() => {
                    PasswordCheck { correct: false, rehashed: None }
                }
                _ => {
                    let (hash, presented) = (account.password_hash.clone(), current.clone());
                    let check = app.passwords.run(move |passwords| passwords.verify(&hash, &presented)).await?;
                    *checked.lock().expect("not poisoned") = Some((account.password_hash.clone(), check.clone()));
                    check
                }
            };
            let prepared =
                proof::prepare_optional(verification, app, &account, &Auth::Session { session_id }, ctx.now).await?;
            let new = NewPassword { check, hash: new_hash.clone(), session_id: fresh };
            Ok(account.change_password(session_id, new, prepared.as_ref().map(|p| p.proof()), ctx.now, &policy))
        })
        .await?;
    Ok(response::json(200, &session_body(app, who.account_id, &grant, ctx.now)))
}
