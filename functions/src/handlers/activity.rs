//! `GET /api/account/activity`: Settings > Security > "Recent activity".
//!
//! The entries come from the account's events (`events::account::activity`)
//! plus each app password's last use, which the state store keeps beside
//! the log (`ports::state`, `used#`). Each says when, what, the approximate
//! client and the network (`crate::client`): never the full address, never
//! the raw User-Agent, never a secret.

use std::collections::HashMap;

use events::Aggregate;
use events::Sealed;
use events::account::activity::{self, Activity, Entry};
use events::account::{Account, AccountEvent};
use events::codec::Recorded;
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::auth::{Accepts, caller};
use crate::app::App;
use crate::client;
use crate::dav;
use crate::http::routes::Routes;
use crate::http::{ApiError, Body, Request, Response, response};
use crate::personal_data::{AccountKey, open_or_empty};
use crate::ports::store::{StoredEvent, decode};
use crate::routes;
use crate::time_fmt::rfc3339;

pub const ROUTES: Routes = routes![
    GET "/api/account/activity" => list;
];

/// The newest this many entries are answered; older ones are not shown
/// (sign-in activity expires after the retention period anyway, and a
/// person reads the top of the list).
pub const MAX_ENTRIES: usize = 200;

pub async fn list(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let ctx = app.ctx(&req);
    let who = caller(app, &req, Accepts::Session, ctx.now)?;
    // Every event, not the latest snapshot: the view reads the history.
    // Its length is bounded by retention for sign-in activity; what is
    // kept (factor and app-password changes) is a few events a year.
    let stored = app.store.load(&events::account::stream_id(who.account_id)).await?;
    let recorded = decode::<AccountEvent>(&stored)?;
    Account::from_events(&recorded).authorize(&who.auth, ctx.now)?;

    let mut shown = entries_shown(app, who.account_id, &stored, &recorded, ctx.now).await?;
    let more = shown.len() > MAX_ENTRIES;
    shown.truncate(MAX_ENTRIES);
    let kept_days = app.settings.retention.sign_in_activity.map(|d| d.whole_days());
    Ok(response::json(200, &json!({ "items": shown, "more": more, "sign_in_activity_days": kept_days })))
}

/// Every entry still on record, newest first, as the API shows it: the
/// events' and each app password's last use. Also what the data export
/// carries.
pub(crate) async fn entries_shown(
    app: &App,
    account_id: Uuid,
    stored: &[StoredEvent],
    recorded: &[Recorded<AccountEvent>],
    now: OffsetDateTime,
) -> Result<Vec<Value>, ApiError> {
    let entries = activity::entries(recorded, &app.settings.policy);
    let created: Vec<Uuid> = entries
        .iter()
        .filter_map(|e| match e.activity {
            Activity::AppPasswordCreated { app_password_id, .. } => Some(app_password_id),
            _ => None,
        })
        .collect();
    let keys: Vec<String> = created.iter().map(|id| dav::last_used_key(*id)).collect();
    let last_used = app.state.last_touched(&keys).await?;
    let uses: Vec<(Uuid, OffsetDateTime)> =
        created.iter().zip(last_used).filter_map(|(id, used)| used.map(|at| (*id, at))).collect();
    let entries = activity::with_app_password_uses(entries, &uses);
    let by_version: HashMap<u64, &StoredEvent> = stored.iter().map(|e| (e.version, e)).collect();
    // App-password names are sealed: the key is read once, and only if a
    // shown entry has one.
    let key = if entries.iter().any(|e| sealed_field(&e.activity).is_some_and(|(_, v)| !v.is_legacy())) {
        app.personal.open(account_id).await?
    } else {
        None
    };
    entries
        .iter()
        .filter(|e| !expired(e, &by_version, now))
        .map(|e| entry_body(e, e.version.and_then(|v| by_version.get(&v).copied()), key.as_ref()))
        .collect()
}

/// The sealed field an entry carries, if any, and its name in the JSON.
fn sealed_field(activity: &Activity) -> Option<(&'static str, &Sealed)> {
    match activity {
        Activity::AppPasswordCreated { name, .. } | Activity::AppPasswordUsed { name, .. } => Some(("name", name)),
        Activity::AppPasswordRevoked { name, .. } => name.as_ref().map(|n| ("name", n)),
        Activity::UsernameChosen { username } => Some(("username", username)),
        Activity::PasskeyAdded { name } | Activity::PasskeyRemoved { name } => Some(("name", name)),
        Activity::PasskeyCounterRegressed { name } => name.as_ref().map(|n| ("name", n)),
        _ => None,
    }
}
/// Whether an entry's event is past its expiry but not deleted yet (the
/// stores delete some time after): shown or not, the answer would
/// otherwise depend on when the store got round to it.
fn expired(entry: &Entry, by_version: &HashMap<u64, &StoredEvent>, now: OffsetDateTime) -> bool {
    entry
        .version
        .and_then(|v| by_version.get(&v))
        .and_then(|e| e.record.expires_at)
        .is_some_and(|expires_at| expires_at <= now)
}

/// `{"at", "kind", ..., "client", "network"}`: the activity's own fields,
/// then where it came from as far as the event's metadata says.
fn entry_body(entry: &Entry, stored: Option<&StoredEvent>, key: Option<&AccountKey>) -> Result<Value, ApiError> {
    let mut body = serde_json::to_value(&entry.activity).map_err(|_| ApiError::internal())?;
    let Value::Object(fields) = &mut body else { return Err(ApiError::internal()) };
    if let Some((field, value)) = sealed_field(&entry.activity) {
        fields.insert(field.into(), json!(open_or_empty(key, value)?));
    }
    fields.insert("at".into(), json!(rfc3339(entry.at)));
    if let Some(meta) = stored.map(|e| &e.meta) {
        if let Some(client) = &meta.client {
            fields.insert("client".into(), json!(client));
        }
        if let Some(network) = meta.source_ip.as_deref().and_then(client::network) {
            fields.insert("network".into(), json!(network));
        }
    }
    Ok(body)
}
