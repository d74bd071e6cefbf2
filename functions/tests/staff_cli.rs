//! `portal staff add` as an operator runs it: the password on standard
//! input, the user id on standard output, a clear message and a non-zero
//! exit on a taken email or a bad password.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use events::account::Role;
use functions::backend::embedded::Embedded;
use functions::password::Passwords;
use functions::ports::clock::SystemClock;
use functions::settings::Settings;

fn staff_add(data_dir: &Path, email: &str, stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_portal"))
        .args(["staff", "add", "--email", email, "--name", "Sam Support"])
        .env("PORTAL_DATA_DIR", data_dir)
        .env_remove("PORTAL_BACKEND")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("portal starts");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn staff_add_creates_a_support_account_on_the_embedded_backend() {
    let dir = std::env::temp_dir().join(format!("portal-staff-{}", uuid::Uuid::new_v4()));
    let out = staff_add(&dir, "sam@portal.example", "Prozess-Test-2026\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let id = uuid::Uuid::parse_str(stdout.trim()).unwrap_or_else(|_| panic!("not a user id: {stdout:?}"));

    let taken = staff_add(&dir, "SAM@portal.example", "Prozess-Test-2026\n");
    assert!(!taken.status.success());
    assert!(String::from_utf8_lossy(&taken.stderr).contains("already exists"));
    let weak = staff_add(&dir, "kim@portal.example", "password123\n");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("password"));
    let empty = staff_add(&dir, "kim@portal.example", "");
    assert!(!empty.status.success());

    let embedded = Embedded::open(
        &dir,
        Settings::new("Test", "http://127.0.0.1"),
        Arc::new(SystemClock),
        Passwords::with_params(1024, 1, 1),
    )
    .unwrap();
    let account = embedded.app.load_account(id).await.unwrap();
    assert!(account.has_role(Role::Support));
    let opened = embedded.app.personal.open_value(id, &account.email).await.unwrap();
    assert_eq!(opened.as_deref(), Some("sam@portal.example"), "sealed under the account's key");
    assert!(!account.first_login_without_second_factor);
    assert_eq!(embedded.app.account_for_email("kim@portal.example").await.unwrap(), None);
    let _ = std::fs::remove_dir_all(&dir);
}
