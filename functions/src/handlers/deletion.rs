//! `POST /api/account/delete`: the owner deletes the account for good,
//! with the password and, when the account has a second factor, a proof of
//! it (`verification`, as the export and other credential changes take
//! it). One atomic append holds the `AccountDeleted` event (no personal
//! data) and the release of the email's claim and the user name's, so the
//! address (and the name) can be taken again at once and a sign-in
//! meanwhile gets the answer of an unknown account. A pending email change
//! holds no claim (its new address is only claimed when confirmed), so its
//! link simply dies with the account. Everything that let anyone in ends with the event's fold
//! (sessions, pending logins, app passwords, the apps' grants and refresh
//! tokens made in those sessions); the account's reset requests lose their
//! data keys (crypto-shredding of their forms) and their queue rows.

use std::sync::Mutex;

use events::EventCodec;
use events::account::event::{PERSONAL_FIELDS, SEALED_FROM_SCHEMA_2};
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
    let recipients = recipients(app, &account, key).await?;
    let policy = app.settings.policy;
    let verification = body.verification.as_ref();
    // Argon2 is the expensive part: after a lost race its answer for the
    // same hash is reused.
    let checked: Mutex<Option<(String, bool)>> = Mutex::new(None);
    let (checked, password) = (&checked, &body.password);
    app.decide_claiming(who.account_id, &ctx.meta, claims_not_held, |account: Account| async move {
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
        let prepared =
            proof::prepare_optional(verification, app, &account, &Auth::Session { session_id }, ctx.now).await?;
        let decision =
            account.delete_by_owner(session_id, correct, prepared.as_ref().map(|p| p.proof()), ctx.now, &policy);
        let claims = released_claims(app, key, &account, &decision.events)?;
        Ok((decision, claims))
    })
    .await?;
    forget_person(app, who.account_id, &recipients).await?;
    Ok(response::json(200, &json!({ "status": "deleted" })))
}

/// The claims a decision on `account` releases, named from the very state
/// it decided on (`App::decide_claiming`): when it deletes the account, its
/// email's and its user name's, if it has one. `key`: the account's data
/// key, which opens them (the claims' keys are keyed hashes of them).
pub fn released_claims(
    app: &App,
    key: Option<&AccountKey>,
    account: &Account,
    events: &[AccountEvent],
) -> Result<Vec<Claim>, ApiError> {
    if !events.iter().any(|e| matches!(e, AccountEvent::AccountDeleted { .. })) {
        return Ok(Vec::new());
    }
    let owner = events::account::stream_id(account.id);
    // A value that does not open is refused like a claim not held: nothing
    // is deleted rather than a claim kept for ever.
    let email = personal_data::open(key, &account.email)?.ok_or_else(claims_not_held)?;
    let username = match &account.username {
        Some(sealed) => Some(personal_data::open(key, sealed)?.ok_or_else(claims_not_held)?),
        None => None,
    };
    let mut claims = vec![Claim::release(app.email_claim(&email), owner.clone())];
    claims.extend(app.username_release(username.as_deref(), owner));
    Ok(claims)
}

/// After the deletion, what is kept beside the log forgets the person: the
/// account's data key is destroyed (crypto-shredding: its sealed email,
/// name, user name and app-password names in every event, snapshot and
/// backup become unreadable), and its reset requests go
/// (`forget_reset_requests`). Idempotent, so a retry finishes the work.
/// `recipients`: the person's address and numbers (`recipients`), whose
/// mails and SMS the embedded backend's outbox drops.
pub async fn forget_person(app: &App, account_id: Uuid, recipients: &[String]) -> Result<(), ApiError> {
    redact_legacy(app, account_id).await?;
    app.personal.destroy(account_id).await?;
    forget_reset_requests(app, account_id).await?;
    if let Some(outbox) = &app.outbox {
        outbox.forget(recipients).await?;
    }
    Ok(())
}

/// The events of the account written before sealing hold its personal
/// data in plaintext, which no key's destruction could erase: they are
/// rewritten once, in place, into today's sealed form under the account's
/// data key (made now if the account never had one), which is destroyed
/// right after; its snapshots (which may hold the plaintext too) are
/// dropped. Only at deletion: a living account's old events stay as they
/// are (the README's "Personal data" says why). Idempotent.
async fn redact_legacy(app: &App, account_id: Uuid) -> Result<(), ApiError> {
    let stream = events::account::stream_id(account_id);
    let stored = app.store.load(&stream).await?;
    let legacy: Vec<_> = stored
        .iter()
        .filter(|e| e.record.schema_version == 1 && SEALED_FROM_SCHEMA_2.contains(&e.record.event_type.as_str()))
        .collect();
    if legacy.is_empty() {
        return Ok(());
    }
    let key = match app.personal.open(account_id).await? {
        Some(key) => key,
        None => app.personal.create(account_id).await?,
    };
    for event in legacy {
        let mut record = event.record.clone();
        for field in PERSONAL_FIELDS {
            if let Some(serde_json::Value::String(plain)) = record.payload.get(field) {
                let sealed = key.seal(plain).await?;
                record.payload[field] = serde_json::Value::String(sealed.as_stored().to_owned());
            }
        }
        record.schema_version = AccountEvent::schema_version(&record.event_type);
        app.store.redact(&stream, event.version, &record).await?;
    }
    app.store.drop_snapshots(&stream).await?;
    Ok(())
}

/// Where the account's mails and SMS went: its address and its numbers
/// (the SMS factor's and one being set up), opened before the deletion
/// destroys what opens them.
pub async fn recipients(app: &App, account: &Account, key: Option<&AccountKey>) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> = personal_data::open(key, &account.email)?.into_iter().collect();
    let setup = account.pending_sms.as_ref().and_then(|p| match &p.purpose {
        events::account::event::SmsPurpose::Setup { sealed_phone } => Some(sealed_phone),
        _ => None,
    });
    for sealed in account.sms.as_ref().map(|f| &f.sealed_phone).into_iter().chain(setup) {
        out.extend(app.personal.open_phone(account.id, sealed).await?);
    }
    Ok(out)
}

/// A release refused although the account's stream stood still: the
/// account does not hold a claim its state names. Nothing is written; the
/// deletion is refused rather than leaving a claim behind that would keep
/// the address or name from a new account.
pub fn claims_not_held() -> ApiError {
    tracing::error!("a deletion's claim is not held by the account; nothing deleted");
    ApiError::internal()
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
