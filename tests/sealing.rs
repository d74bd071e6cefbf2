//! Personal data at rest (crypto-shredding, issue 16): a person's email,
//! name, phone number, app-password and passkey names are never stored in plaintext,
//! neither while the account lives nor after its deletion. The scan reads
//! what the stores hold: the SQLite file and its WAL byte for byte
//! (embedded), every DynamoDB table by Scan (with
//! `PORTAL_TEST_BACKEND=aws`, on LocalStack).
//!
//! The one place that holds plaintext while the account lives is the
//! embedded backend's outbox: the mails and SMS "sent" (in production they
//! leave through SES and SNS). The scan before the deletion reads every
//! table but that one; the deletion drops the person's outbox messages, and
//! the scan after it reads the raw file and WAL as they are.

use acceptance::authenticator::Authenticator;
use acceptance::harness::{PASSWORD, TestPortal, cheap_passwords, settings};
use serde_json::{Value, json};

/// What the person typed, unique to this run.
struct Person {
    email: String,
    name: String,
    phone: String,
    app: String,
    passkey: String,
}

impl Person {
    fn new() -> Person {
        let n = uuid::Uuid::new_v4().as_u128();
        let tag = format!("{:08}", n % 100_000_000);
        Person {
            email: format!("zelda.quokka{tag}@example.de"),
            name: format!("Zelda Quokkasson{tag}"),
            phone: format!("+49151{tag}"),
            app: format!("Kalender Quokkasson{tag}"),
            passkey: format!("Schlüssel Quokkasson{tag}"),
        }
    }

    fn needles(&self) -> [&str; 5] {
        [&self.email, &self.name, &self.phone, &self.app, &self.passkey]
    }
}

fn found_in(haystack: &[u8], needles: &[&str]) -> Vec<String> {
    needles.iter().filter(|n| haystack.windows(n.len()).any(|w| w == n.as_bytes())).map(|n| (*n).to_owned()).collect()
}

/// The portal under test: on LocalStack when asked, else the embedded
/// backend on a data directory of its own (a real file and WAL to read).
async fn portal() -> (TestPortal, Option<TempDir>) {
    if acceptance::harness::aws_selected() {
        return (TestPortal::new().await, None);
    }
    let dir = TempDir::new();
    (TestPortal::embedded_in(&dir.0, settings(), cheap_passwords()), Some(dir))
}

/// A directory of its own, removed at the end.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let path = std::env::temp_dir().join(format!("portal-sealing-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn file_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for file in ["portal.db", "portal.db-wal", "portal.db-shm"] {
        if let Ok(b) = std::fs::read(dir.join(file)) {
            bytes.extend(b);
        }
    }
    bytes
}

/// Everything stored: the file and WAL (embedded), or every table's items
/// (AWS). `without_outbox`: a copy of the file with the outbox emptied.
async fn stored(p: &TestPortal, dir: Option<&std::path::Path>, without_outbox: bool) -> Vec<u8> {
    let Some(dir) = dir else { return p.all_tables_text().await.into_bytes() };
    if !without_outbox {
        return file_bytes(dir);
    }
    let copy = TempDir::new();
    for file in ["portal.db", "portal.db-wal"] {
        if dir.join(file).exists() {
            std::fs::copy(dir.join(file), copy.0.join(file)).unwrap();
        }
    }
    let conn = rusqlite::Connection::open(copy.0.join("portal.db")).unwrap();
    conn.execute_batch("DELETE FROM outbox; VACUUM; PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
    drop(conn);
    file_bytes(&copy.0)
}

async fn call(p: &TestPortal, method: &str, path: &str, token: &str, body: Option<Value>) -> Value {
    let (status, answer) = p.call(method, path, Some(token), body).await;
    assert!((200..300).contains(&status), "{method} {path}: {status} {answer}");
    answer
}

#[tokio::test]
async fn personal_data_is_never_stored_in_plaintext_before_or_after_the_deletion() {
    let (p, dir) = portal().await;
    let dir = dir.as_ref().map(|d| d.0.as_path());
    let who = Person::new();

    // Registered with a name, SMS as the second factor, an app password.
    let body = json!({"email": who.email, "password": PASSWORD, "name": who.name});
    let (status, answer) = p.call("POST", "/api/register", None, Some(body)).await;
    assert_eq!(status, 201, "{answer}");
    let (_, first) = p.login(&who.email, PASSWORD).await;
    assert_eq!(first["status"], "authenticated", "{first}");
    let token = p.mfa_token(&who.email).await;
    call(&p, "POST", "/api/mfa/sms/setup", &token, Some(json!({"phone": who.phone}))).await;
    let code = p.sms_code(&who.phone).await;
    let confirmed = call(&p, "POST", "/api/mfa/sms/confirm", &token, Some(json!({"code": code}))).await;
    let session = confirmed["session_token"].as_str().unwrap().to_owned();
    call(&p, "POST", "/api/mfa/sms/send", &session, None).await;
    let step_up = p.sms_code(&who.phone).await;
    let body = json!({"name": who.app, "verification": {"method": "sms", "code": step_up}});
    call(&p, "POST", "/api/app-passwords", &session, Some(body)).await;
    // And a passkey with a name of its own.
    call(&p, "POST", "/api/mfa/sms/send", &session, None).await;
    let step_up = p.sms_code(&who.phone).await;
    let body = json!({"verification": {"method": "sms", "code": step_up}});
    let options = call(&p, "POST", "/api/passkeys/options", &session, Some(body)).await;
    let mut authenticator = Authenticator::new(9, "http://portal.test");
    let credential = authenticator.register(&options["options"]);
    let body = json!({"name": who.passkey, "credential": credential});
    call(&p, "POST", "/api/passkeys", &session, Some(body)).await;
    p.project().await;

    // The output paths open it all.
    let me = call(&p, "GET", "/api/account", &session, None).await;
    assert_eq!((me["email"].as_str(), me["name"].as_str()), (Some(who.email.as_str()), Some(who.name.as_str())));
    assert_eq!(me["app_passwords"][0]["name"].as_str(), Some(who.app.as_str()));
    let passkeys = call(&p, "GET", "/api/passkeys", &session, None).await;
    assert_eq!(passkeys["items"][0]["name"].as_str(), Some(who.passkey.as_str()));
    let mails = p.outbox().await;
    assert!(
        mails.iter().any(|m| m["subject"].as_str().is_some_and(|s| s.contains(&who.passkey))),
        "the mail about the passkey opens its name: {mails:?}"
    );
    let mails = p.outbox().await;
    assert!(mails.iter().any(|m| m["to"] == who.email.as_str()), "mails go to the opened address: {mails:?}");

    // Sealed from the start: nothing in plaintext anywhere but the outbox.
    let before = stored(&p, dir, true).await;
    assert_eq!(
        found_in(&before, &["registered", "sms_activated", "passkey_added"]).len(),
        3,
        "the scan reads the account's events"
    );
    assert_eq!(found_in(&before, &who.needles()), Vec::<String>::new(), "in plaintext while the account lives");
    if let Some(dir) = dir {
        // The outbox itself does hold them: the scan would see plaintext.
        assert!(!found_in(&file_bytes(dir), &[&who.email]).is_empty(), "the outbox's mails are in the file");
    }

    // The number is sealed under the account's data key too.
    let events = p.events().await;
    let setup = events.iter().find(|e| e.record.payload["purpose"]["kind"] == "setup").expect("the setup code");
    let sealed_phone = setup.record.payload["purpose"]["sealed_phone"].as_str().unwrap().to_owned();
    let account_id: uuid::Uuid = setup.stream.strip_prefix("account#").unwrap().parse().unwrap();
    assert!(sealed_phone.starts_with(functions::personal_data::PHONE_PREFIX), "{sealed_phone}");
    let opened = p.app().personal.open_phone(account_id, &sealed_phone).await.unwrap();
    assert_eq!(opened.as_deref(), Some(who.phone.as_str()));

    call(&p, "POST", "/api/mfa/sms/send", &session, None).await;
    let step_up = p.sms_code(&who.phone).await;
    let body = json!({"password": PASSWORD, "verification": {"method": "sms", "code": step_up}});
    let deleted = call(&p, "POST", "/api/account/delete", &session, Some(body)).await;
    assert_eq!(deleted["status"], "deleted");
    p.project().await;

    // After the deletion: the raw bytes, outbox and WAL included.
    let after = stored(&p, dir, false).await;
    assert_eq!(found_in(&after, &["registered", "account_deleted"]).len(), 2, "the scan reads the account's events");
    assert_eq!(found_in(&after, &who.needles()), Vec::<String>::new(), "in plaintext after the deletion");
    if dir.is_some() {
        assert!(p.outbox().await.iter().all(|m| m["to"] != who.email.as_str() && m["to"] != who.phone.as_str()));
    }
    // And the sealed values no longer open: the data key is gone.
    let id = p.app().account_for_address(&who.email).await.unwrap();
    assert_eq!(id, None, "the claim is released");
    let events = p.events().await;
    assert!(events.iter().any(|e| e.record.event_type == "registered"), "the registration stays");
    assert!(p.app().personal.open(account_id).await.unwrap().is_none(), "the data key is destroyed");
    assert_eq!(p.app().personal.open_phone(account_id, &sealed_phone).await.unwrap(), None, "the number is shredded");
}

#[tokio::test]
async fn a_deleted_account_of_before_sealing_leaves_no_plaintext_either() {
    use events::account::{self, Locale};
    use functions::ports::store::{Claim, Meta};
    let (p, dir) = portal().await;
    let dir = dir.as_ref().map(|d| d.0.as_path());
    let who = Person::new();
    // Stored as the code of before sealing stored it: schema 1, plaintext.
    let id = uuid::Uuid::new_v4();
    let stream = account::stream_id(id);
    let registered = events::EventRecord {
        event_type: "registered".into(),
        schema_version: 1,
        payload: json!({
            "account_id": id, "email": who.email, "name": who.name,
            "password_hash": p.app().passwords.hash(PASSWORD), "roles": [], "locale": Locale::De,
            "first_login_without_second_factor": true,
        }),
        expires_at: None,
    };
    let app_password = events::EventRecord {
        event_type: "app_password_created".into(),
        schema_version: 1,
        payload: json!({"app_password_id": uuid::Uuid::new_v4(), "name": who.app, "hash": "00"}),
        expires_at: None,
    };
    let meta = Meta { request_id: "legacy".into(), at: p.now(), source_ip: None, client: None };
    let claim = Claim::take(p.app().email_claim(&who.email), stream.clone());
    p.app().store.append(&stream, 0, &[registered, app_password], &meta, &[claim]).await.unwrap();
    let (status, signed_in) = p.login(&who.email, PASSWORD).await;
    assert_eq!(status, 200, "{signed_in}");
    let session = signed_in["session_token"].as_str().unwrap().to_owned();
    let me = call(&p, "GET", "/api/account", &session, None).await;
    assert_eq!(me["name"].as_str(), Some(who.name.as_str()), "legacy values open without a key");
    let needles = [who.email.as_str(), who.name.as_str(), who.app.as_str()];
    assert_eq!(found_in(&stored(&p, dir, true).await, &needles).len(), 3, "the old events hold plaintext");

    let deleted = call(&p, "POST", "/api/account/delete", &session, Some(json!({"password": PASSWORD}))).await;
    assert_eq!(deleted["status"], "deleted");
    p.project().await;
    let after = stored(&p, dir, false).await;
    assert_eq!(found_in(&after, &["registered", "account_deleted"]).len(), 2, "the scan reads the account's events");
    assert_eq!(found_in(&after, &needles), Vec::<String>::new(), "rewritten sealed, then the key destroyed");
    let history = p.app().store.load(&stream).await.unwrap();
    assert_eq!(
        history.len(),
        5,
        "registered, app password, sign-in, session, deletion: none added or removed by the rewrite: {history:?}"
    );
    assert_eq!(history[0].record.schema_version, 2);
    assert!(p.app().personal.open(id).await.unwrap().is_none());
}
