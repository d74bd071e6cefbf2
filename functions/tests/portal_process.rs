//! The `portal` binary as a user runs it: a data directory that survives a
//! restart, clean shutdown on SIGTERM and Ctrl-C (SIGINT), codes from
//! `oathtool` (computed exactly as authenticator apps do), and logs that
//! never show a secret; private files; connections that cannot hold the
//! server; the outbox only for the machine itself.

use std::io::{Read, Write};
use std::net::{IpAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::task::JoinHandle;

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
        Self::start_with(data_dir, log_name, &[]).await
    }

    /// With further settings; `{port}` in a value stands for the free port
    /// chosen (for `PORTAL_ADDR`).
    async fn start_with(data_dir: &Path, log_name: &str, settings: &[(&str, &str)]) -> Portal {
        let port = free_port();
        let log = data_dir.with_extension(log_name);
        let out = std::fs::File::create(&log).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_portal"));
        command.env("PORTAL_ADDR", format!("127.0.0.1:{port}"));
        for (name, value) in settings {
            command.env(name, value.replace("{port}", &port.to_string()));
        }
        let child = command
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
    named_temp_dir("main")
}

fn named_temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("portal-process-{}-{name}", std::process::id()));
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

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_and_its_files_are_private_also_when_a_previous_start_left_them_open() {
    use std::os::unix::fs::PermissionsExt;
    let dir = named_temp_dir("modes");
    let files = ["portal.db", "portal.db-wal", "portal.db-shm", "data.key", "server.key"];
    let check = |when: &str| {
        assert_eq!(mode(&dir), 0o700, "{when}: the data directory");
        for file in files {
            assert_eq!(mode(&dir.join(file)), 0o600, "{when}: {file}");
        }
    };
    let portal = Portal::start(&dir, "log1").await;
    let (status, _) = portal
        .call("/api/register", None, json!({"email": "modes@example.de", "password": PASSWORD, "name": "M"}))
        .await;
    assert_eq!(status, 201);
    // While it runs: the -wal and -shm files exist only then.
    check("created");
    let (clean, _) = portal.stop("-TERM");
    assert!(clean);

    // As an earlier version left them.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    for file in files {
        if dir.join(file).exists() {
            std::fs::set_permissions(dir.join(file), std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    let portal = Portal::start(&dir, "log2").await;
    check("after a restart");
    let (clean, _) = portal.stop("-TERM");
    assert!(clean);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Whether the server closed the connection (end of stream or reset), after
/// reading whatever it answered. The read timeout only keeps a broken
/// server from hanging the test; it is far above the configured timeout.
fn closed_by_server(stream: &mut TcpStream) -> (bool, String) {
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return (true, String::from_utf8_lossy(&answer).into_owned()),
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                return (false, String::from_utf8_lossy(&answer).into_owned());
            }
            Err(_) => return (true, String::from_utf8_lossy(&answer).into_owned()),
        }
    }
}

#[tokio::test]
async fn idle_and_half_sent_connections_are_closed() {
    let dir = named_temp_dir("idle");
    let portal = Portal::start_with(&dir, "log", &[("PORTAL_READ_TIMEOUT_SECS", "1")]).await;
    let addr = portal.url.trim_start_matches("http://").to_owned();
    let connect = || TcpStream::connect(&addr).unwrap();

    let mut silent = connect();
    let mut half_header = connect();
    half_header.write_all(b"GET /api/account HTTP/1.1\r\nHost: portal\r\nAccept: app").unwrap();
    let mut half_body = connect();
    half_body
        .write_all(b"POST /api/login HTTP/1.1\r\nHost: portal\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\"")
        .unwrap();
    let mut kept_alive = connect();
    kept_alive.write_all(b"GET /api/account HTTP/1.1\r\nHost: portal\r\n\r\n").unwrap();

    assert!(closed_by_server(&mut silent).0, "a connection that never sends is closed");
    assert!(closed_by_server(&mut half_header).0, "a connection that sends half a header is closed");
    let (closed, answer) = closed_by_server(&mut half_body);
    assert!(closed, "a connection that sends half a body is closed");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    let (closed, answer) = closed_by_server(&mut kept_alive);
    assert!(closed, "an idle keep-alive connection is closed after its answer");
    assert!(answer.starts_with("HTTP/1.1 401"), "the request itself was answered: {answer}");

    let (clean, _) = portal.stop("-TERM");
    assert!(clean);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn beyond_the_connection_limit_a_client_waits_until_a_connection_closes() {
    let dir = named_temp_dir("limit");
    let portal = Portal::start_with(&dir, "log", &[("PORTAL_MAX_CONNECTIONS", "1")]).await;
    let addr = portal.url.trim_start_matches("http://").to_owned();
    // The readiness probe's connection may still be open; a fresh request
    // on its own connection shows when the only slot is free.
    let request = b"GET /api/account HTTP/1.1\r\nHost: portal\r\nConnection: close\r\n\r\n";
    let mut first = TcpStream::connect(&addr).unwrap();
    first.write_all(request).unwrap();
    let (_, answer) = closed_by_server(&mut first);
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");

    let holder = TcpStream::connect(&addr).unwrap();
    // Make sure the holder has the slot: it is answered.
    let mut holder_w = holder.try_clone().unwrap();
    holder_w.write_all(b"GET /api/account HTTP/1.1\r\nHost: portal\r\n\r\n").unwrap();
    let mut reader = holder.try_clone().unwrap();
    let mut buf = [0u8; 12];
    reader.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"HTTP/1.1 401");

    let mut waiting = TcpStream::connect(&addr).unwrap();
    waiting.write_all(request).unwrap();
    waiting.set_read_timeout(Some(Duration::from_millis(1500))).unwrap();
    let mut byte = [0u8; 1];
    let early = waiting.read(&mut byte);
    assert!(
        matches!(&early, Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)),
        "a second connection is not served while the only slot is taken: {early:?}"
    );
    drop((holder, holder_w, reader));
    let (closed, answer) = closed_by_server(&mut waiting);
    assert!(closed && answer.starts_with("HTTP/1.1 401"), "served once the slot is free: {answer}");

    let (clean, _) = portal.stop("-TERM");
    assert!(clean);
    let _ = std::fs::remove_dir_all(&dir);
}

/// This machine's address on a network interface, when it has one: a peer
/// connecting from there is not on a loopback address.
fn non_loopback_address() -> Option<IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("203.0.113.1:9").ok()?;
    Some(socket.local_addr().ok()?.ip()).filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
}

async fn outbox_status(host: &str, port: u16) -> u16 {
    reqwest::get(format!("http://{host}:{port}/dev/outbox")).await.unwrap().status().as_u16()
}

#[tokio::test]
async fn the_outbox_is_served_to_this_machine_only_and_can_be_switched_off() {
    let dir = named_temp_dir("outbox");
    let portal = Portal::start_with(&dir, "log", &[("PORTAL_ADDR", "0.0.0.0:{port}")]).await;
    let port: u16 = portal.url.rsplit(':').next().unwrap().parse().unwrap();
    assert_eq!(outbox_status("127.0.0.1", port).await, 200);
    match non_loopback_address() {
        Some(ip) => assert_eq!(outbox_status(&ip.to_string(), port).await, 404, "from {ip}"),
        // The rule itself is unit-tested on addresses (server::dev_allowed).
        None => eprintln!("no network interface besides loopback: only the loopback side was checked"),
    }
    let (clean, _) = portal.stop("-TERM");
    assert!(clean);

    let portal = Portal::start_with(&dir, "log2", &[("PORTAL_DEV_OUTBOX", "off")]).await;
    let port: u16 = portal.url.rsplit(':').next().unwrap().parse().unwrap();
    assert_eq!(outbox_status("127.0.0.1", port).await, 404, "switched off");
    let (clean, _) = portal.stop("-TERM");
    assert!(clean);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn help_lists_the_commands_and_settings_and_an_unknown_command_prints_it_and_fails() {
    for flag in ["--help", "-h", "help"] {
        let out = Command::new(env!("CARGO_BIN_EXE_portal")).arg(flag).output().unwrap();
        assert!(out.status.success(), "{flag}");
        let help = String::from_utf8(out.stdout).unwrap();
        for expected in ["portal staff add", "portal client list", "PORTAL_DATA_DIR", "PORTAL_SMS_HOURLY_LIMIT"] {
            assert!(help.contains(expected), "{flag} lists {expected}: {help}");
        }
    }
    let out = Command::new(env!("CARGO_BIN_EXE_portal")).args(["frobnicate", "now"]).output().unwrap();
    assert!(!out.status.success(), "an unknown command fails");
    assert!(out.stdout.is_empty(), "and does not start the portal");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("unknown command \"frobnicate now\""), "{stderr}");
    assert!(stderr.contains("PORTAL_DATA_DIR") && stderr.contains("portal client add"), "with the help: {stderr}");
}

/// `portal <args>` on a data directory, as an operator runs a command.
fn portal_command(data_dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_portal"))
        .args(args)
        .env("PORTAL_DATA_DIR", data_dir)
        .env_remove("PORTAL_BACKEND")
        .output()
        .unwrap()
}

/// Registers accounts one after another until `stop`; counts them.
fn register_until(url: String, n: usize, stop: Arc<AtomicBool>, done: Arc<AtomicUsize>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let client = reqwest::Client::new();
        for i in 0.. {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            let email = format!("last{n}-{i}@example.de");
            let res = client
                .post(format!("{url}/api/register"))
                .json(&json!({"email": email, "password": PASSWORD, "name": "L"}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status().as_u16(), 201);
            done.fetch_add(1, Ordering::SeqCst);
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_load_restores_accounts_and_keys_and_no_restore_while_the_portal_runs() {
    let (dir, restored) = (named_temp_dir("backup"), named_temp_dir("restored"));
    let file = dir.with_extension("backup.db");
    let portal = Portal::start(&dir, "log").await;
    let before = ["vorher0@example.de", "vorher1@example.de"];
    for email in before {
        let (status, _) =
            portal.call("/api/register", None, json!({"email": email, "password": PASSWORD, "name": "V"})).await;
        assert_eq!(status, 201);
    }
    let (_, first) = portal.call("/api/login", None, json!({"email": before[0], "password": PASSWORD})).await;
    let session = first["session_token"].as_str().expect("first login signs in").to_owned();

    let (stop, done) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicUsize::new(0)));
    let load: Vec<_> = (0..3).map(|n| register_until(portal.url.clone(), n, stop.clone(), done.clone())).collect();
    while done.load(Ordering::SeqCst) < 2 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let backup = portal_command(&dir, &["backup", file.to_str().unwrap()]);
    assert!(backup.status.success(), "{}", String::from_utf8_lossy(&backup.stderr));
    assert!(String::from_utf8_lossy(&backup.stdout).starts_with("backed up "));
    let refused = portal_command(&dir, &["restore", file.to_str().unwrap()]);
    assert!(!refused.status.success(), "no restore under a running portal");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("a portal is running"));
    stop.store(true, Ordering::SeqCst);
    for task in load {
        task.await.unwrap();
    }
    #[cfg(unix)]
    assert_eq!(mode(&file), 0o600, "a backup holds what the data directory holds");
    let (clean, _) = portal.stop("-TERM");
    assert!(clean);

    // Onto another machine: an empty data directory.
    let restore = portal_command(&restored, &["restore", file.to_str().unwrap()]);
    assert!(restore.status.success(), "{}", String::from_utf8_lossy(&restore.stderr));
    let portal = Portal::start(&restored, "log").await;
    for email in before {
        let (status, login) = portal.call("/api/login", None, json!({"email": email, "password": PASSWORD})).await;
        assert_eq!(status, 200, "{email} is found after the restore: {login}");
    }
    // The keys came along: a session from before the backup still works.
    let res = reqwest::Client::new().get(format!("{}/api/account", portal.url)).bearer_auth(&session).send().await;
    assert_eq!(res.unwrap().status().as_u16(), 200);
    let (clean, _) = portal.stop("-TERM");
    assert!(clean);
    for path in [&dir, &restored] {
        let _ = std::fs::remove_dir_all(path);
    }
    let _ = std::fs::remove_file(&file);
}

#[tokio::test]
async fn import_reports_refused_lines_fails_on_them_and_the_imported_accounts_sign_in() {
    let dir = named_temp_dir("import");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.with_extension("import.jsonl");
    // Werkzeug's PBKDF2 of "Lange genug 1 äöü" (tests/fixtures/legacy_hashes).
    let hash = "pbkdf2:sha256:1000$AcYcuEfR1eIpZ5hw$fea7e9cf149b9f5963109d38eab4bcfa98d79dd9828bbe3cce2520d58db8b96a";
    let lines = [
        json!({"email": "alt1@example.de", "name": "Alt Eins", "password_hash": hash}).to_string(),
        json!({"email": "alt2@example.de", "name": "Alt Zwei", "password_hash": "md5$x$y"}).to_string(),
        json!({"email": "alt3@example.de", "name": "Alt Drei", "password_hash": hash, "language": "de"}).to_string(),
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();
    let import = portal_command(&dir, &["import", file.to_str().unwrap()]);
    let (stdout, stderr) = (String::from_utf8_lossy(&import.stdout), String::from_utf8_lossy(&import.stderr));
    assert!(!import.status.success(), "a refused line fails the command: {stderr}");
    let report: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(report.len(), 1, "{stdout}");
    assert_eq!((report[0]["line"].as_u64(), report[0]["reason"].as_str()), (Some(2), Some("unknown_hash_format")));
    assert!(stderr.contains("imported 2, refused 1, already there 0"), "{stderr}");
    assert!(!stdout.contains("md5$x$y") && !stderr.contains(hash), "no hash in the report");

    // Again, without the bad line: nothing new, and success.
    std::fs::write(&file, [&lines[0], &lines[2]].map(String::as_str).join("\n")).unwrap();
    let again = portal_command(&dir, &["import", file.to_str().unwrap(), "--grace-login"]);
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert!(String::from_utf8_lossy(&again.stderr).contains("imported 0, refused 0, already there 2"));
    assert_eq!(String::from_utf8_lossy(&again.stdout).lines().count(), 2, "each already there is listed");
    let missing = portal_command(&dir, &["import", dir.join("nope.jsonl").to_str().unwrap()]);
    assert!(!missing.status.success() && String::from_utf8_lossy(&missing.stderr).contains("cannot open"));

    // The portal on that data: the imported account signs in and owes the setup.
    let portal = Portal::start(&dir, "import-log").await;
    let (status, login) =
        portal.call("/api/login", None, json!({"email": "alt3@example.de", "password": "Lange genug 1 äöü"})).await;
    assert_eq!((status, login["status"].as_str()), (200, Some("mfa_setup_required")), "{login}");
    let (clean, _) = portal.stop("-TERM");
    assert!(clean);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&file);
}
