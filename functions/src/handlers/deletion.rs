//! `POST /api/account/delete`: the owner deletes the account for good,
//! with the password and, when the account has a second factor, a proof of
//! it (`verification`, as the export and other credential changes take
//! it). One atomic append holds the `AccountDeleted` event (no personal
//! data) and the release of the email's claim, so the address can register
//! again at once and a sign-in meanwhile gets the answer of an unknown
//! address. Everything that let anyone in ends with the event's fold
//! (sessions, pending logins, app passwords, the apps' grants and refresh
//! tokens made in those sessions); the account's reset requests lose their
//! data keys (crypto-shredding of their forms) and their queue rows.

use std::sync::Mutex;

use events::account::{Account, AccountEvent, Auth};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::auth::{Accepts, caller};
use super::proof::{self, Presented};
use crate::app::App;
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, request, response};
use crate::personal_data::{self, AccountKey};
use crate::ports::store::{Claim, decode};
use crate::projector::support_queue::{DECIDED, QUEUE};
use crate::routes;

pub const ROUTES: Routes = routes![
    POST "/api/account/delete" => delete_own, runs_argon2;
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteBody {
    password: String,
    verification: Option<Presented>,
}

pub async fn delete_own(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let body: DeleteBody = request::json(&req)?;
    let ctx = app.ctx(&req);
    let who = caller(app, &req, Accepts::Session, ctx.now)?;
    let Auth::Session { session_id } = who.auth else { return Err(ApiError::unauthorized()) };
    let account: Account = app.load(who.account_id).await?;
    if !events::Aggregate::exists(&account) {
        return Err(ApiError::unauthorized());
    }
    let key = app.personal.open(account.id).await?;
    // A claim of before keyed claims (AWS, not looked up since) moves to
    // its keyed key first, so the release below finds it there.
    app.email_owner(&personal_data::open_or_empty(key.as_ref(), &account.email)?).await?;
    let key = key.as_ref();
    let policy = app.settings.policy;
    let verification = body.verification.as_ref();
    // Argon2 is the expensive part: after a lost race its answer for the
    // same hash is reused.
    let checked: Mutex<Option<(String, bool)>> = Mutex::new(None);
    let (checked, password) = (&checked, &body.password);
    app.decide_claiming(
        Some(account),
        who.account_id,
        &ctx.meta,
        |account: &Account, events: &[AccountEvent]| released_claims(app, key, account, events),
        |account: Account| async move {
            let cached = checked.lock().expect("not poisoned").clone();
            let correct = match cached {
                Some((hash, correct)) if hash == account.password_hash => correct,
                _ => {
                    let (hash, password) = (account.password_hash.clone(), zeroize::Zeroizing::new(password.clone()));
                    let correct = app.passwords.run(move |p| p.verify(&hash, &password)).await?.correct;
                    *checked.lock().expect("not poisoned") = Some((account.password_hash.clone(), correct));
                    correct
                }
            };
            let prepared = proof::prepare_optional(verification, app, &account, ctx.now).await?;
            Ok(account.delete_by_owner(session_id, correct, prepared.as_ref().map(|p| p.proof()), ctx.now, &policy))
        },
    )
    .await?;
    forget_person(app, who.account_id).await?;
    Ok(response::json(200, &json!({ "status": "deleted" })))
}

/// The claims a decision on `account` releases: its email's, when it
/// deletes the account. `key`: the account's data key, to open the email
/// with (the claim's key is a keyed hash of it).
pub fn released_claims(app: &App, key: Option<&AccountKey>, account: &Account, events: &[AccountEvent]) -> Vec<Claim> {
    if !events.iter().any(|e| matches!(e, AccountEvent::AccountDeleted { .. })) {
        return Vec::new();
    }
    // An email that does not open (no key, a corrupt value) has no claim to
    // find: none is released, and the append still deletes the account.
    let Ok(Some(email)) = personal_data::open(key, &account.email) else {
        tracing::error!(account = %account.id, "the email of an account being deleted does not open");
        return Vec::new();
    };
    vec![Claim::release(app.email_claim(&email), events::account::stream_id(account.id))]
}

/// After the deletion, what is kept beside the log forgets the person: the
/// account's data key is destroyed (crypto-shredding: its sealed email,
/// name and app-password names in every event, snapshot and backup become
/// unreadable), and its reset requests go (`forget_reset_requests`).
/// Idempotent, so a retry after a failure finishes the work.
pub async fn forget_person(app: &App, account_id: Uuid) -> Result<(), ApiError> {
    app.personal.destroy(account_id).await?;
    forget_reset_requests(app, account_id).await
}

/// After the deletion: each reset request of the account loses its form's
/// data key (the names and the note on it become unreadable) and its rows
/// in the support queue. Idempotent; a failure leaves the SLA watch to
/// destroy the keys as for any decided request.
pub async fn forget_reset_requests(app: &App, account_id: Uuid) -> Result<(), ApiError> {
    let stored = app.store.load(&events::account::stream_id(account_id)).await?;
    for recorded in decode::<AccountEvent>(&stored)? {
        if let AccountEvent::ResetRequested { request_id } = recorded.event {
            app.destroy_form_key(request_id).await?;
            for collection in [QUEUE, DECIDED] {
                app.state.delete_doc(collection, &request_id.to_string()).await?;
            }
        }
    }
    Ok(())
}
