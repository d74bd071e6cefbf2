//! Which Lambda function needs which IAM permission: while an audit runs,
//! every request the harness sends is served by the app of the function
//! that serves its route on AWS, and the permissions of the AWS calls it
//! made (recorded by the SDK interceptor, `functions::backend::aws`) are
//! written down against that function. `tests/iam_audit.rs` compares them
//! with infra/iam_actions.tsv.
//!
//! Each function gets an app of its own, made at its first request: its
//! own key-encryption key, opened at its first use as a cold Lambda opens
//! it (shared, only the first function would ever be seen opening it).
//! The recording is per process, so the audit runs alone in its process.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use functions::app::App;
use functions::backend::aws::{Permission, record_permissions, take_permissions};
use functions::personal_data::PersonalKeys;
use functions::projector::Projector;

/// The permissions one request (or one run of a function that serves no
/// route) needed.
#[derive(Debug)]
pub struct Seen {
    pub function: String,
    /// `POST /api/login`, or what the function did.
    pub request: String,
    pub needs: BTreeSet<Permission>,
}

type FunctionOf = Box<dyn Fn(&str, &str) -> Option<String> + Send>;

struct Audit {
    /// The audited portal's app (its address): other portals' requests in
    /// the same process are served as always.
    portal: usize,
    function_of: FunctionOf,
    apps: BTreeMap<String, Arc<App>>,
    seen: Vec<Seen>,
}

static AUDIT: Mutex<Option<Audit>> = Mutex::new(None);

fn audit() -> MutexGuard<'static, Option<Audit>> {
    AUDIT.lock().unwrap_or_else(|e| e.into_inner())
}

/// The function named for requests whose route no function serves: it has
/// no row, so any call it makes fails the audit.
pub const NO_FUNCTION: &str = "(no function serves this route)";

/// Starts recording the requests to `portal`; `function_of(method, path)`
/// names the function that serves a route.
pub fn start(portal: &App, function_of: impl Fn(&str, &str) -> Option<String> + Send + 'static) {
    let portal = std::ptr::from_ref(portal) as usize;
    *audit() = Some(Audit { portal, function_of: Box::new(function_of), apps: BTreeMap::new(), seen: Vec::new() });
    take_permissions();
    record_permissions(true);
}

/// Stops recording: what every request needed, in order.
pub fn finish() -> Vec<Seen> {
    record_permissions(false);
    take_permissions();
    audit().take().map(|a| a.seen).unwrap_or_default()
}

/// An app as a cold function has it: the same clients and store, and a
/// key-encryption key not yet opened.
pub fn cold(app: &App) -> App {
    App {
        store: app.store.clone(),
        state: app.state.clone(),
        mailer: app.mailer.clone(),
        sms: app.sms.clone(),
        keys: app.keys.clone(),
        signer: app.signer.clone(),
        secret: app.secret.clone(),
        clock: app.clock.clone(),
        passwords: app.passwords.clone(),
        settings: app.settings.clone(),
        outbox: app.outbox.clone(),
        personal: Arc::new(PersonalKeys::new(app.state.clone(), app.keys.clone())),
    }
}

/// A projector as a cold projector function has it.
pub fn cold_projector(projector: &Projector) -> Projector {
    let personal = Arc::new(PersonalKeys::new(projector.state.clone(), projector.keys.clone()));
    Projector { personal, ..projector.clone() }
}

/// The path without its query.
fn route_path(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
}

/// For the harness, before it serves a request: the function that serves
/// it and its app, when an audit runs. What was recorded before (the
/// harness's own reads) belongs to no request and is dropped.
pub(crate) fn serving(app: &App, method: &str, path: &str) -> Option<(String, Arc<App>)> {
    let mut guard = audit();
    let audit = guard.as_mut().filter(|a| a.portal == std::ptr::from_ref(app) as usize)?;
    let function = (audit.function_of)(method, route_path(path)).unwrap_or_else(|| NO_FUNCTION.to_owned());
    let app = audit.apps.entry(function.clone()).or_insert_with(|| Arc::new(cold(app))).clone();
    take_permissions();
    Some((function, app))
}

/// For the harness, after the request: its permissions go to `function`.
pub(crate) fn served(function: String, method: &str, path: &str) {
    note(function, format!("{method} {}", route_path(path)));
}

fn note(function: String, request: String) {
    let needs = take_permissions();
    if let Some(audit) = audit().as_mut() {
        audit.seen.push(Seen { function, request, needs });
    }
}

/// Work of a function other than an HTTP request (the projector's stream
/// records, sla_watch's schedule, the DAV authorizer): its calls go to
/// `function`.
pub async fn run_as<T>(function: &str, what: &str, work: impl Future<Output = T>) -> T {
    take_permissions();
    let out = work.await;
    note(function.to_owned(), what.to_owned());
    out
}
