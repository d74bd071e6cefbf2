//! `portal import <file> [--grace-login]`: brings a portal's existing
//! customers over from JSON Lines (the checks of each line are
//! `events::import`, pure; this is the reading, the store and the report).
//!
//! Each account is one `Imported` event appended with its email claim, in
//! one atomic write, as registration does: the import never leaves half an
//! account, and an import and a registration (or two imports) of one email
//! at once give one account, the other finding the claim taken. For speed,
//! accounts go in batches of `BATCH` streams per atomic write (one SQL
//! transaction, one DynamoDB `TransactWriteItems`), several batches at
//! once; a batch that fails (a claim taken meanwhile) is written again one
//! account at a time, so one taken email never holds back the others.
//!
//! Re-running a file imports nothing twice: an email whose account was
//! itself imported counts as "already there" (not an error); one held by an
//! account registered here is refused (`email_taken`).

use std::io::BufRead;
use std::sync::Arc;

use events::EventCodec;
use events::account::{self, AccountEvent};
use events::import::{self as rules, Candidate, Refused, Seen};
use serde_json::json;
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::app::App;
use crate::ports::store::{Claim, MAX_ITEMS_PER_APPEND, Meta, StoreError, StreamAppend};

/// Accounts per atomic write: each spends at most five items (its event,
/// its email's claim, the check that no claim of before keyed claims holds
/// its address, its user name's claim, its stream's version check) of
/// DynamoDB's 100 per transaction.
pub const BATCH: usize = (MAX_ITEMS_PER_APPEND + 1) / 5;
const _: () = assert!(BATCH * 5 <= MAX_ITEMS_PER_APPEND + 1, "a batch fits one transaction");
/// Batches written at once: DynamoDB takes them in parallel; SQLite runs
/// them one after another anyway.
pub const CONCURRENT_BATCHES: usize = 8;

#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// The first sign-in may pass without a second factor.
    pub grace_login: bool,
    /// Accounts per atomic write, 1 to `BATCH`.
    pub batch: usize,
    /// Writes at once.
    pub concurrent: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options { grace_login: false, batch: BATCH, concurrent: CONCURRENT_BATCHES }
    }
}

impl Options {
    /// SQLite: batches of `BATCH` accounts, one transaction each (one
    /// fsync for 33 accounts), two at once (SQLite takes one writer, the
    /// other is being prepared).
    pub fn for_sqlite(self) -> Self {
        Options { batch: BATCH, concurrent: 2, ..self }
    }

    /// DynamoDB: one small transaction per account, `DYNAMODB_CONCURRENT`
    /// at once. A 99-item transaction gains no write units (DynamoDB
    /// charges per item), fails whole on one taken email, and on LocalStack
    /// took longer than the SDK's 4 s operation timeout when 8 ran at once.
    pub fn for_dynamodb(self) -> Self {
        Options { batch: 1, concurrent: DYNAMODB_CONCURRENT, ..self }
    }
}

/// Account appends at once on DynamoDB.
pub const DYNAMODB_CONCURRENT: usize = 16;

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Imported {
        account_id: Uuid,
    },
    /// An earlier import brought this email's account over.
    AlreadyThere {
        account_id: Uuid,
    },
    Refused(Refused),
}

impl Outcome {
    /// The report's line for this outcome; `None` for a new account.
    pub fn report_line(&self, line: usize) -> Option<serde_json::Value> {
        match self {
            Outcome::Imported { .. } => None,
            Outcome::AlreadyThere { .. } => Some(json!({ "line": line, "outcome": "already_there" })),
            Outcome::Refused(r) => {
                Some(json!({ "line": line, "outcome": "refused", "reason": r.code(), "message": r.message() }))
            }
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub imported: usize,
    pub refused: usize,
    pub already_there: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "imported {}, refused {}, already there {}", self.imported, self.refused, self.already_there)
    }
}

pub const USAGE: &str = "usage: portal import <file.jsonl> [--grace-login]";

/// `<file> [--grace-login]`, in either order.
pub fn parse_args(args: &[String]) -> Result<(String, Options), String> {
    let mut file = None;
    let mut options = Options::default();
    for arg in args {
        match arg.as_str() {
            "--grace-login" => options.grace_login = true,
            flag if flag.starts_with("--") => return Err(format!("unknown argument {flag:?}\n{USAGE}")),
            path if file.is_none() => file = Some(path.to_owned()),
            _ => return Err(format!("one file only\n{USAGE}")),
        }
    }
    Ok((file.ok_or_else(|| format!("the file is missing\n{USAGE}"))?, options))
}

/// Imports every line of `input`; `report` is told each line's outcome
/// (line numbers from 1), in the file's order. `Err` only when the input
/// cannot be read or the store fails: the lines before stay imported, and
/// running the file again goes on where it stopped.
pub async fn run(
    app: &Arc<App>,
    input: impl BufRead,
    options: Options,
    mut report: impl FnMut(usize, &Outcome),
) -> Result<Summary, String> {
    let mut summary = Summary::default();
    let mut seen = Seen::default();
    let mut lines = input.lines().enumerate();
    loop {
        let now = app.clock.now();
        // Checked lines of this chunk: (line number, outcome so far).
        // Lines read and checked before their accounts are written.
        let chunk_size = options.batch.clamp(1, BATCH) * options.concurrent.max(1);
        let mut chunk: Vec<(usize, Result<Candidate, Refused>)> = Vec::with_capacity(chunk_size);
        for (index, line) in lines.by_ref() {
            let line_no = index + 1;
            let line = line.map_err(|e| format!("cannot read line {line_no}: {e}"))?;
            if line.trim().is_empty() {
                continue;
            }
            let checked = rules::check_line(&line, now).and_then(|c| seen.take(line_no, &c).map(|()| c));
            chunk.push((line_no, checked));
            if chunk.len() == chunk_size {
                break;
            }
        }
        if chunk.is_empty() {
            return Ok(summary);
        }
        let outcomes = write_chunk(app, chunk, options).await?;
        for (line_no, outcome) in outcomes {
            match &outcome {
                Outcome::Imported { .. } => summary.imported += 1,
                Outcome::AlreadyThere { .. } => summary.already_there += 1,
                Outcome::Refused(_) => summary.refused += 1,
            }
            report(line_no, &outcome);
        }
    }
}

/// Writes the good lines of a chunk, `CONCURRENT_BATCHES` batches at once;
/// the outcomes in line order.
async fn write_chunk(
    app: &Arc<App>,
    chunk: Vec<(usize, Result<Candidate, Refused>)>,
    options: Options,
) -> Result<Vec<(usize, Outcome)>, String> {
    let mut outcomes = Vec::with_capacity(chunk.len());
    let mut good = Vec::new();
    for (line_no, checked) in chunk {
        match checked {
            Ok(candidate) => good.push((line_no, candidate)),
            Err(refused) => outcomes.push((line_no, Outcome::Refused(refused))),
        }
    }
    let mut tasks = JoinSet::new();
    let mut rest = good.into_iter().peekable();
    while rest.peek().is_some() {
        let batch: Vec<(usize, Candidate)> = rest.by_ref().take(options.batch.clamp(1, BATCH)).collect();
        let app = app.clone();
        tasks.spawn(async move { write_batch(&app, batch, options).await });
    }
    while let Some(done) = tasks.join_next().await {
        outcomes.extend(done.map_err(|e| format!("an import task failed: {e}"))??);
    }
    outcomes.sort_by_key(|(line_no, _)| *line_no);
    Ok(outcomes)
}

/// One atomic write for the batch; if it fails on a claim (an email taken
/// since, or already there), each account on its own.
async fn write_batch(
    app: &App,
    batch: Vec<(usize, Candidate)>,
    options: Options,
) -> Result<Vec<(usize, Outcome)>, String> {
    let meta = meta(app);
    let mut open = Vec::with_capacity(batch.len());
    let mut outcomes = Vec::new();
    for (line_no, candidate) in batch {
        // An account of before UTS 46 holds its claim under an older form
        // of the address (only an address with a Unicode domain has one).
        match owner_of_older_form(app, &candidate).await? {
            Some(owner) => outcomes.push((line_no, classify(app, owner).await?)),
            None => open.push((line_no, candidate)),
        }
    }
    let mut accounts: Vec<(usize, Uuid, AccountEvent, Vec<Claim>, String)> = Vec::with_capacity(open.len());
    for (line_no, candidate) in open {
        let account_id = Uuid::new_v4();
        let claims = claims_of(app, &candidate, account_id);
        let email = candidate.email.clone();
        let sealed = seal_personal(app, account_id, &candidate).await.map_err(store)?;
        accounts.push((
            line_no,
            account_id,
            rules::import(candidate, sealed, account_id, options.grace_login),
            claims,
            email,
        ));
    }
    if accounts.is_empty() {
        return Ok(outcomes);
    }
    let records: Vec<_> = accounts
        .iter()
        .map(|(_, _, event, ..)| {
            crate::decisions::records(std::slice::from_ref(event), &app.settings.retention, meta.at)
        })
        .collect();
    let streams: Vec<String> = accounts.iter().map(|(_, id, ..)| account::stream_id(*id)).collect();
    let appends: Vec<StreamAppend<'_>> = streams
        .iter()
        .zip(&records)
        .map(|(stream, events)| StreamAppend { stream, expected_version: 0, events, snapshot: None })
        .collect();
    let claims: Vec<Claim> = accounts.iter().flat_map(|(_, _, _, claims, _)| claims.iter().cloned()).collect();
    match with_retries(|| app.store.append_all(&appends, &meta, &claims)).await {
        Ok(_) => {
            outcomes.extend(
                accounts
                    .iter()
                    .map(|(line_no, account_id, ..)| (*line_no, Outcome::Imported { account_id: *account_id })),
            );
            return Ok(outcomes);
        }
        Err(StoreError::ClaimTaken(_) | StoreError::Conflict) => {}
        Err(e) => return Err(format!("the store refused a batch: {e}")),
    }
    for ((line_no, account_id, _, claims, email), events) in accounts.iter().zip(&records) {
        let stream = account::stream_id(*account_id);
        let append = || app.store.append(&stream, 0, events, &meta, claims);
        let outcome = match with_retries(append).await {
            Ok(_) => Outcome::Imported { account_id: *account_id },
            // The account's stream is new (a fresh id): if it exists, or
            // the claim is its, this very write landed on an earlier try
            // that timed out (the stream and its claims are one write).
            Err(StoreError::Conflict) => Outcome::Imported { account_id: *account_id },
            // The email is free but the user name is another account's.
            Err(StoreError::ClaimTaken(key)) if key.starts_with("username#") => {
                match with_retries(|| app.store.claim_owner(&key)).await.map_err(store)? {
                    Some(owner) if owner == stream => Outcome::Imported { account_id: *account_id },
                    _ => Outcome::Refused(Refused::UsernameTaken),
                }
            }
            Err(StoreError::ClaimTaken(_)) => {
                let key = app.email_claim(email);
                let owner = match with_retries(|| app.store.claim_owner(&key)).await.map_err(store)? {
                    Some(owner) => Some(owner),
                    // Held by a claim of before keyed claims: moved now.
                    None => with_retries(|| app.moved_legacy_email_claim(email)).await.map_err(store)?,
                };
                match owner {
                    Some(owner) if owner == stream => Outcome::Imported { account_id: *account_id },
                    Some(owner) => classify(app, owner).await?,
                    // Taken and released again in between (the other account
                    // was deleted or changed its address); refusing is safe,
                    // a re-run tries again.
                    None => Outcome::Refused(Refused::EmailTaken),
                }
            }
            Err(e) => return Err(format!("the store refused line {line_no}: {e}")),
        };
        outcomes.push((*line_no, outcome));
    }
    Ok(outcomes)
}

/// The account's own data key (stored first) and its email, name and user
/// name sealed under it (`personal_data`). A line refused later leaves an
/// unused key behind, never sealed data without one.
async fn seal_personal(
    app: &App,
    account_id: Uuid,
    candidate: &Candidate,
) -> Result<rules::SealedPersonal, StoreError> {
    let key = with_retries(|| app.personal.create(account_id)).await?;
    let username = match &candidate.username {
        Some(username) => Some(key.seal(username).await?),
        None => None,
    };
    Ok(rules::SealedPersonal {
        email: key.seal(&candidate.email).await?,
        name: key.seal(&candidate.name).await?,
        username,
    })
}

/// The claims an imported account takes with its stream: its email's
/// (`App::new_email_claims`), and its user name's when the old system had
/// one (`App::username_claim`, the key registration and Settings use, so a
/// name is unique across both). The email's come first: on a re-run its
/// claim, held by the earlier import, is the one reported taken (the line
/// is already there).
fn claims_of(app: &App, candidate: &Candidate, account_id: Uuid) -> Vec<Claim> {
    let owner = account::stream_id(account_id);
    let mut claims = app.new_email_claims(&candidate.email, &owner).to_vec();
    let username = candidate.username.as_deref().and_then(events::username::normalize);
    claims.extend(username.map(|name| Claim::take(app.username_claim(&name), owner)));
    claims
}

/// A read or write the store did not answer in time (DynamoDB throttling, a slow
/// LocalStack) is tried again, three times at most, after 0.2, 0.4 and
/// 0.8 s. A timed-out transaction may still have been written: its retry
/// then finds the claims taken by the very streams it wrote, which count
/// as imported (`write_batch`).
async fn with_retries<T, F: std::future::Future<Output = Result<T, StoreError>>>(
    mut write: impl FnMut() -> F,
) -> Result<T, StoreError> {
    let mut wait = std::time::Duration::from_millis(200);
    for _ in 0..3 {
        match write().await {
            Err(StoreError::Unavailable(e)) => {
                tracing::warn!(error = %e, "the store did not take an import write; trying again");
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            other => return other,
        }
    }
    write().await
}

fn meta(app: &App) -> Meta {
    Meta { request_id: format!("import-{}", Uuid::new_v4()), at: app.clock.now(), source_ip: None, client: None }
}

fn store(e: StoreError) -> String {
    format!("the store failed: {e}")
}

async fn owner_of_older_form(app: &App, candidate: &Candidate) -> Result<Option<String>, String> {
    for form in &candidate.lookup_forms {
        if *form == candidate.email {
            continue;
        }
        if let Some(owner) = with_retries(|| app.email_owner(form)).await.map_err(store)? {
            return Ok(Some(owner));
        }
    }
    Ok(None)
}

/// The stream `owner` holds the email: already there when its account was
/// itself imported, else (registered here) the line is refused.
async fn classify(app: &App, owner: String) -> Result<Outcome, String> {
    let stored = with_retries(|| app.store.load(&owner)).await.map_err(store)?;
    // An unreadable first event is simply not an import.
    let first = stored.first().and_then(|e| AccountEvent::decode(&e.record).ok());
    Ok(match first {
        Some(AccountEvent::Imported { account_id, .. }) => Outcome::AlreadyThere { account_id },
        _ => Outcome::Refused(Refused::EmailTaken),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_the_file_and_the_flag_in_any_order() {
        let (file, options) = parse_args(&args(&["--grace-login", "a.jsonl"])).unwrap();
        assert_eq!((file.as_str(), options.grace_login), ("a.jsonl", true));
        assert!(!parse_args(&args(&["a.jsonl"])).unwrap().1.grace_login);
        assert!(parse_args(&args(&[])).unwrap_err().contains("missing"));
        assert!(parse_args(&args(&["a", "b"])).unwrap_err().contains("one file"));
        assert!(parse_args(&args(&["a", "--grace"])).unwrap_err().contains("unknown argument"));
    }
}
