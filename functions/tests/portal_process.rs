//! The `portal` binary as a user runs it: a data directory that survives a
//! restart, clean shutdown on SIGTERM and Ctrl-C (SIGINT), codes from
//! `oathtool` (computed exactly as authenticator apps do), and logs that
//! never show a secret.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const PASSWORD: &str = "Prozess-Test-2026";

struct Portal {
    child: Child,
    url: String,
    log: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Portal {
    async fn start(data_dir: &Path, log_name: &str) -> Portal {
        let port = free_port();
        let log = data_dir.with_extension(log_name);
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_portal"))
            .env("PORTAL_ADDR", format!("127.0.0.1:{port}"))
            .env("PORTAL_DATA_DIR", data_dir)
            .env("PORTAL_ISSUER", "Process Test")
            .env("RUST_LOG", "debug")
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("portal starts");
        let portal = Portal { child, url: format!("http://127.0.0.1:{port}"), log };
        let deadline = Instant::now() + Duration::from_secs(20);
        while reqwest::get(&portal.url).await.is_err() {
            assert!(Instant::now() < deadline, "portal did not answer: {}", portal.log_text());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        portal
    }

    async fn call(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        let mut req = reqwest::Client::new().post(format!("{}{path}", self.url)).json(&body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Stops with a signal and returns whether it exited cleanly.
    fn stop(mut self, signal: &str) -> (bool, String) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args([signal, &pid]).status().unwrap().success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status.success(), self.log_text());
            }
            assert!(Instant::now() < deadline, "portal ignored {signal}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// `oathtool --totp -b <secret>`, optionally at another time.
fn oathtool(secret: &str, at_offset_seconds: i64) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let at = format!("@{}", now + at_offset_seconds);
    let out = Command::new("oathtool")
        .args(["--totp", "-b", secret, "--now", &at])
        .output()
        .expect("oathtool is installed (tests/run installs it: apt-get install oathtool)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("portal-process-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[tokio::test]
async fn data_survives_a_restart_codes_from_oathtool_work_and_logs_hold_no_secret() {
    let dir = temp_dir();
    let portal = Portal::start(&dir, "log1").await;
    let email = "prozess@example.de";
    let (status, _) =
        portal.call("/api/register", None, json!({"email": email, "password": PASSWORD, "name": "P"})).await;
    assert_eq!(status, 201);
    let (_, first) = portal.call("/api/login", None, json!({"email": email, "password": PASSWORD})).await;
    assert_eq!(first["status"], "authenticated");
    let (_, second) = portal.call("/api/login", None, json!({"email": email, "password": PASSWORD})).await;
    let mfa = second["mfa_token"].as_str().unwrap().to_owned();
    let (_, setup) = portal.call("/api/mfa/totp/setup", Some(&mfa), json!({})).await;
    let secret = setup["secret"].as_str().unwrap().to_owned();
    let confirm_code = oathtool(&secret, 0);
    let (status, confirmed) = portal.call("/api/mfa/totp/confirm", Some(&mfa), json!({"code": confirm_code})).await;
    assert_eq!(status, 200, "{confirmed}");
    let recovery: Vec<String> = serde_json::from_value(confirmed["recovery_codes"].clone()).unwrap();
    let session = confirmed["session_token"].as_str().unwrap().to_owned();

    let (clean, log1) = portal.stop("-TERM");
    assert!(clean, "SIGTERM ends the portal cleanly: {log1}");

    // The key files were created private.
    #[cfg(unix)]
    for key in ["data.key", "server.key"] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join(key)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{key}");
    }

    let portal = Portal::start(&dir, "log2").await;
    let (status, login) = portal.call("/api/login", None, json!({"email": email, "password": PASSWORD})).await;
    assert_eq!((status, login["status"].as_str()), (200, Some("mfa_required")), "{login}");
    let mfa = login["mfa_token"].as_str().unwrap().to_owned();
    // The confirmation used the current step; the next step's code (inside
    // the accepted window) is fresh.
    let code = oathtool(&secret, 30);
    let (status, verified) = portal.call("/api/mfa/verify", Some(&mfa), json!({"method": "totp", "code": code})).await;
    assert_eq!(status, 200, "{verified}");
    let new_session = verified["session_token"].as_str().unwrap().to_owned();
    let get_account = |token: String| {
        let url = format!("{}/api/account", portal.url);
        async move {
            let res = reqwest::Client::new().get(url).bearer_auth(token).send().await.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let (status, account) = get_account(new_session.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(account["mfa"]["recovery_codes_remaining"], 10);
    // The session from before the restart still works: the signing key and
    // the sessions were kept in the data directory.
    assert_eq!(get_account(session.clone()).await.0, 200);

    let (clean, log2) = portal.stop("-INT");
    assert!(clean, "Ctrl-C ends the portal cleanly: {log2}");

    let logs = format!("{log1}{log2}");
    assert!(logs.contains("portal listening"), "the logs were captured: {logs}");
    let mut secrets = vec![PASSWORD.to_owned(), secret.clone(), mfa, session, new_session, confirm_code, code];
    secrets.extend(recovery);
    for s in secrets {
        assert!(!logs.contains(&s), "a secret appears in the logs: {s}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn bad_settings_stop_the_portal_with_a_clear_message() {
    let out = Command::new(env!("CARGO_BIN_EXE_portal"))
        .env("PORTAL_ADDR", "not-an-address")
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("PORTAL_ADDR"));
}
