//! Prints what one login costs on this machine: the whole request through
//! the router (embedded backend, in-memory SQLite) and its argon2 part, for
//! a known and for an unknown email. Run by `bench/login`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use functions::backend::embedded::Embedded;
use functions::password::Passwords;
use functions::ports::clock::SystemClock;
use functions::settings::Settings;
use lambda_http::{Body, http};

const RUNS: u32 = 30;
const PASSWORD: &str = "Bench-Passwort-2026";

fn request(body: &str) -> lambda_http::Request {
    http::Request::builder().method("POST").uri("/api/login").body(Body::Text(body.to_owned())).unwrap()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0 / f64::from(RUNS)
}

#[tokio::main]
async fn main() {
    let settings = Settings::new("Bench", "http://bench");
    let embedded = Embedded::in_memory(settings, Arc::new(SystemClock), Passwords::standard()).unwrap();
    let app = embedded.app.clone();
    let register = format!(r#"{{"email":"bench@example.de","password":"{PASSWORD}","name":"B"}}"#);
    let mut req = request(&register);
    *req.uri_mut() = "/api/register".parse().unwrap();
    assert_eq!(functions::http::routes::serve(&app, functions::handlers::ALL, req).await.status(), 201);
    let login = format!(r#"{{"email":"bench@example.de","password":"{PASSWORD}"}}"#);
    let unknown = format!(r#"{{"email":"nobody@example.de","password":"{PASSWORD}"}}"#);
    // The first login (no factor yet) is spent here; later ones owe setup.
    assert_eq!(functions::http::routes::serve(&app, functions::handlers::ALL, request(&login)).await.status(), 200);

    let hash = app.passwords.hash(PASSWORD);
    let start = Instant::now();
    for _ in 0..RUNS {
        assert!(app.passwords.verify(&hash, PASSWORD).correct);
    }
    let argon2 = ms(start.elapsed());

    let start = Instant::now();
    for _ in 0..RUNS {
        std::hint::black_box(app.passwords.hash(PASSWORD));
    }
    let argon2_hash = ms(start.elapsed());

    let start = Instant::now();
    for _ in 0..RUNS {
        assert_eq!(functions::http::routes::serve(&app, functions::handlers::ALL, request(&login)).await.status(), 200);
    }
    let known = ms(start.elapsed());

    let start = Instant::now();
    for _ in 0..RUNS {
        // A fresh unknown address each time keeps it below the lockout.
        let body = unknown.replace("nobody", &format!("nobody{}", uuid::Uuid::new_v4().simple()));
        assert_eq!(functions::http::routes::serve(&app, functions::handlers::ALL, request(&body)).await.status(), 401);
    }
    let unknown_ms = ms(start.elapsed());

    println!("login figures, mean of {RUNS} runs (argon2id m=19456 KiB, t=2, p=1):");
    println!("  login, known email (mfa_setup_required): {known:8.2} ms");
    println!("    of which argon2 verification:          {argon2:8.2} ms");
    println!("    the rest (routing, store, decision):   {:8.2} ms", known - argon2);
    println!("  login, unknown email (401):              {unknown_ms:8.2} ms");
    println!("  argon2 hash of a new password:           {argon2_hash:8.2} ms");
    println!("ARGON2_HASH_MS={argon2_hash:.3}");
    println!("ARGON2_VERIFY_MS={argon2:.3}");
}
