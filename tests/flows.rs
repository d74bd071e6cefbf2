//! The flows of the contract through the real router, on the embedded
//! backend with a manual clock.

use acceptance::conformance::{futures_join_all, sorted_statuses};
use acceptance::harness::{PASSWORD, TestPortal};
use functions::password::Passwords;
use serde_json::json;
use time::Duration;

// --- registration and the first login -------------------------------------

#[tokio::test]
async fn register_then_first_login_without_factor_then_setup_is_demanded() {
    let p = TestPortal::new().await;
    let id = p.register("Anna.Muster@Example.de ").await;
    assert!(uuid::Uuid::parse_str(&id).is_ok());
    let (status, first) = p.login("anna.muster@example.de", PASSWORD).await;
    assert_eq!(status, 200);
    assert_eq!(first["status"], "authenticated");
    assert_eq!(first["mfa_setup_due"], true);
    assert!(first["expires_in"].as_i64().unwrap() > 0);
    let session = first["session_token"].as_str().unwrap();
    let (status, account) = p.call("GET", "/api/account", Some(session), None).await;
    assert_eq!(status, 200);
    assert_eq!(account["user_id"], id.as_str());
    assert_eq!(account["email"], "anna.muster@example.de");
    assert_eq!(account["mfa"], json!({"totp": false, "sms": null, "recovery_codes_remaining": 0, "methods": []}));
    let (_, second) = p.login("ANNA.MUSTER@example.de", PASSWORD).await;
    assert_eq!(second["status"], "mfa_setup_required");
    assert!(second["mfa_token"].is_string());
    assert!(second["methods"].as_array().unwrap().contains(&json!("totp")));
}

#[tokio::test]
async fn an_email_registers_once_in_any_spelling() {
    let p = TestPortal::new().await;
    p.register("anna@example.de").await;
    let (status, body) = p
        .call(
            "POST",
            "/api/register",
            None,
            Some(json!({"email": " ANNA@example.de", "password": PASSWORD, "name": "A"})),
        )
        .await;
    assert_eq!((status, body["error"].as_str()), (409, Some("email_taken")));
}

#[tokio::test]
async fn one_mailbox_gets_one_account() {
    let p = TestPortal::new().await;
    let register = |email: &'static str| {
        let p = &p;
        async move {
            let body = json!({"email": email, "password": PASSWORD, "name": "A"});
            let (status, body) = p.call("POST", "/api/register", None, Some(body)).await;
            (status, body["error"].as_str().unwrap_or("").to_owned())
        }
    };
    assert_eq!(register("name@example.com").await.0, 201);
    assert_eq!(register("name@ｅxample.com").await, (409, "email_taken".into()), "a fullwidth letter in the domain");
    assert_eq!(register("name@EXAM\u{ad}PLE.com").await, (409, "email_taken".into()), "a soft hyphen in the domain");
    assert_eq!(
        register("na\u{ad}me@example.com").await,
        (400, "invalid_request".into()),
        "a soft hyphen in the local part"
    );
    assert_eq!(register("<img/src=x/onerror=alert(1)>@x.example").await, (400, "invalid_request".into()));
    assert_eq!(register("leser@bücher.de").await.0, 201);
    assert_eq!(register("leser@xn--bcher-kva.de").await, (409, "email_taken".into()));
    // The punycode form is stored, and every spelling signs in.
    let (_, first) = p.login("leser@XN--BCHER-KVA.de", PASSWORD).await;
    let (_, account) = p.call("GET", "/api/account", first["session_token"].as_str(), None).await;
    assert_eq!(account["email"], "leser@xn--bcher-kva.de");
    assert_eq!(p.login("Leser@BÜCHER.de", PASSWORD).await.0, 200);
    assert_eq!(p.login("name@ｅxample.com", PASSWORD).await.0, 200);
}

#[tokio::test]
async fn an_account_made_before_uts_46_keeps_signing_in_and_its_address_stays_taken() {
    let p = TestPortal::new().await;
    // Stored as the older normalisation stored it: lower-cased, the
    // Unicode domain kept, the claim under that form.
    let id = p.registered_directly("leser@bücher.de", "Leser", Vec::new()).await;
    for spelling in ["leser@bücher.de", " Leser@BÜCHER.de", "leser@xn--bcher-kva.de"] {
        let (status, body) = p.login(spelling, PASSWORD).await;
        assert_eq!(status, 200, "{spelling}: {body}");
        if let Some(session) = body["session_token"].as_str() {
            let (_, account) = p.call("GET", "/api/account", Some(session), None).await;
            assert_eq!(account["user_id"], id.to_string());
        }
    }
    let body = json!({"email": "leser@xn--bcher-kva.de", "password": PASSWORD, "name": "B"});
    let (status, body) = p.call("POST", "/api/register", None, Some(body)).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("email_taken")));
    // One made with a character now refused in a local part still signs in.
    p.registered_directly("old\u{ad}name@example.com", "Old", Vec::new()).await;
    assert_eq!(p.login("old\u{ad}name@example.com", PASSWORD).await.0, 200);
}

#[tokio::test]
async fn concurrent_registrations_of_one_email_create_one_account() {
    let p = TestPortal::new().await;
    let body = json!({"email": "race@example.de", "password": PASSWORD, "name": "R"});
    let results = futures_join_all((0..10).map(|_| p.call("POST", "/api/register", None, Some(body.clone())))).await;
    assert_eq!(results.iter().filter(|(s, _)| *s == 201).count(), 1);
    assert_eq!(results.iter().filter(|(s, _)| *s == 409).count(), 9);
}

#[tokio::test]
async fn weak_short_and_long_passwords() {
    let p = TestPortal::new().await;
    for (password, status) in [("short7!", 400), ("password123", 400), ("iloveyou", 400), ("Lange-genug-1234", 201)] {
        let email = format!("{}@example.de", uuid::Uuid::new_v4());
        let (s, body) = p
            .call("POST", "/api/register", None, Some(json!({"email": email, "password": password, "name": "A"})))
            .await;
        assert_eq!(s, status, "{password}: {body}");
    }
    // 128 characters and more are accepted and never truncated.
    let long = "Ab1!".repeat(40);
    let email = "long@example.de";
    let (s, _) =
        p.call("POST", "/api/register", None, Some(json!({"email": email, "password": long, "name": "L"}))).await;
    assert_eq!(s, 201);
    let truncated = &long[..128];
    assert_eq!(p.login(email, truncated).await.0, 401);
    assert_eq!(p.login(email, &long).await.0, 200);
}

// --- enumeration and password lockout --------------------------------------

#[tokio::test]
async fn unknown_email_and_wrong_password_answer_alike_with_one_argon2_run_each() {
    let p = TestPortal::new().await;
    p.register("known@example.de").await;
    let before = p.app.passwords.verifications();
    let unknown = p.login("nobody@example.de", "Whatever-123").await;
    let after_unknown = p.app.passwords.verifications();
    let wrong = p.login("known@example.de", "Whatever-123").await;
    let after_wrong = p.app.passwords.verifications();
    assert_eq!(unknown, wrong);
    assert_eq!(unknown.0, 401);
    assert_eq!(unknown.1["error"], "invalid_credentials");
    assert_eq!(after_unknown - before, 1, "one argon2 verification for an unknown email");
    assert_eq!(after_wrong - after_unknown, 1, "one argon2 verification for a wrong password");
}

#[tokio::test]
async fn with_argon2_busy_and_its_queue_full_logins_and_registrations_get_503_and_change_nothing() {
    // One argon2 run at a time, nobody may wait: holding the one turn makes
    // every further password request find the queue full.
    let p = TestPortal::with_passwords(acceptance::harness::cheap_passwords().with_limit(1, 0)).await;
    p.register("busy@example.de").await;
    let events = p.event_count().await;
    let busy = p.app.passwords.permit().await.unwrap();
    let register = json!({"email": "later@example.de", "password": PASSWORD, "name": "Later"});
    // Ten of each: had they counted as failures, the next login would be locked.
    let mut requests = vec![("/api/register", register.clone())];
    for _ in 0..10 {
        requests.push(("/api/login", json!({"email": "busy@example.de", "password": "Wrong-Password-1"})));
        requests.push(("/api/login", json!({"email": "nobody@example.de", "password": "Wrong-Password-1"})));
    }
    for (path, body) in requests {
        let (status, headers, json) =
            p.send_full("POST", path, &[("content-type", "application/json")], body.to_string().into_bytes()).await;
        assert_eq!((status, json["error"].as_str()), (503, Some("unavailable")), "{path}: {json}");
        assert_eq!(headers.get("retry-after").map(|v| v.to_str().unwrap()), Some("1"), "{path}");
    }
    assert_eq!(p.app.passwords.verifications(), 0, "no argon2 ran");
    assert_eq!(p.event_count().await, events, "nothing was written");
    drop(busy);
    assert_eq!(p.login("busy@example.de", PASSWORD).await.0, 200, "not locked");
    assert_eq!(p.login("nobody@example.de", "Wrong-Password-1").await.0, 401, "not locked");
    p.register("later@example.de").await;
}

#[tokio::test]
async fn ten_failures_lock_known_and_unknown_emails_alike() {
    let p = TestPortal::new().await;
    p.register("known@example.de").await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..12 {
        known.push(p.login("known@example.de", "Wrong-password-1").await);
        unknown.push(p.login("unknown@example.de", "Wrong-password-1").await);
    }
    assert_eq!(known, unknown, "a lockout must not reveal that an account exists");
    assert!(known[..10].iter().all(|(s, _)| *s == 401));
    assert!(known[10..].iter().all(|(s, b)| *s == 429 && b["retry_after"] == 60), "{:?}", known[10]);
    // While locked even the right password is refused.
    assert_eq!(p.login("known@example.de", PASSWORD).await.0, 429);
    p.clock.advance(Duration::seconds(61));
    assert_eq!(p.login("known@example.de", PASSWORD).await.0, 200);
    // Success resets the count: nine more failures do not lock.
    for _ in 0..9 {
        assert_eq!(p.login("known@example.de", "Wrong-password-1").await.0, 401);
    }
    assert_eq!(p.login("known@example.de", PASSWORD).await.0, 200);
}

#[tokio::test]
async fn the_lock_doubles_with_each_further_failure() {
    let p = TestPortal::new().await;
    p.register("known@example.de").await;
    for _ in 0..10 {
        p.login("known@example.de", "Wrong-password-1").await;
    }
    p.clock.advance(Duration::seconds(61));
    assert_eq!(p.login("known@example.de", "Wrong-password-1").await.0, 401);
    let (status, body) = p.login("known@example.de", PASSWORD).await;
    assert_eq!((status, body["retry_after"].as_u64()), (429, Some(120)));
}

#[tokio::test]
async fn concurrent_wrong_passwords_are_all_counted() {
    let p = TestPortal::new().await;
    p.register("known@example.de").await;
    let results = futures_join_all((0..10).map(|_| p.login("known@example.de", "Wrong-password-1"))).await;
    assert!(results.iter().all(|(s, _)| *s == 401));
    assert_eq!(p.login("known@example.de", PASSWORD).await.0, 429, "all ten failures were recorded");
}

/// The statuses of `n` parallel logins with a wrong password, sorted.
async fn parallel_logins(p: &TestPortal, email: &str, n: usize) -> Vec<u16> {
    sorted_statuses((0..n).map(|_| p.login(email, "Wrong-password-1"))).await
}

#[tokio::test]
async fn parallel_wrong_passwords_answer_alike_for_known_and_unknown_emails() {
    let p = TestPortal::new().await;
    for trial in 0..3 {
        let (known, unknown) = (format!("known{trial}@example.de"), format!("unknown{trial}@example.de"));
        p.register(&known).await;
        let known = parallel_logins(&p, &known, 15).await;
        let unknown = parallel_logins(&p, &unknown, 15).await;
        assert_eq!(known, unknown, "trial {trial}: a race must not reveal that an account exists");
        assert_eq!(known, [[401; 10].as_slice(), &[429; 5]].concat(), "trial {trial}");
    }
}

#[tokio::test]
async fn an_old_hash_is_upgraded_at_the_next_login() {
    let p = TestPortal::with_passwords(Passwords::with_params(2048, 1, 1)).await;
    p.register("old@example.de").await;
    let log = p.event_log_text().await;
    assert!(log.contains("m=2048,t=1,p=1"));
    // The policy changes (a new deployment with new parameters).
    let upgraded = p.with_other_passwords(Passwords::with_params(4096, 1, 1));
    assert_eq!(upgraded.login("old@example.de", PASSWORD).await.0, 200);
    let log = upgraded.event_log_text().await;
    assert!(log.contains("password_rehashed") && log.contains("m=4096,t=1,p=1"), "{log}");
    assert_eq!(upgraded.login("old@example.de", PASSWORD).await.0, 200, "the new hash verifies");
}

// --- TOTP setup -----------------------------------------------------------

#[tokio::test]
async fn totp_setup_gives_a_160_bit_secret_a_uri_and_a_qr_code_of_that_uri() {
    let p = TestPortal::new().await;
    p.register("qr+test@example.de").await;
    p.login("qr+test@example.de", PASSWORD).await;
    let token = p.mfa_token("qr+test@example.de").await;
    let (status, setup) = p.call("POST", "/api/mfa/totp/setup", Some(&token), None).await;
    assert_eq!(status, 200);
    let secret = setup["secret"].as_str().unwrap();
    assert!(!secret.contains('='));
    assert!(data_encoding::BASE32_NOPAD.decode(secret.as_bytes()).unwrap().len() * 8 >= 160);
    let uri = setup["otpauth_uri"].as_str().unwrap();
    assert_eq!(
        uri,
        format!(
            "otpauth://totp/Acme%20Portal:qr%2Btest%40example.de?secret={secret}&issuer=Acme%20Portal&algorithm=SHA1&digits=6&period=30"
        )
    );
    assert_eq!(decode_qr_svg(setup["qr_svg"].as_str().unwrap()), uri);
}

/// Renders the SVG and reads the QR code back, as a phone camera would.
fn decode_qr_svg(svg: &str) -> String {
    let tree = resvg::usvg::Tree::from_str(svg, &resvg::usvg::Options::default()).expect("valid SVG");
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(&tree, resvg::tiny_skia::Transform::identity(), &mut pixmap.as_mut());
    let (w, h) = (pixmap.width() as usize, pixmap.height() as usize);
    let data = pixmap.data();
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| data[(y * w + x) * 4]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the SVG");
    grids[0].decode().expect("decodes").1
}

#[tokio::test]
async fn confirming_activates_and_returns_ten_recovery_codes_and_a_session() {
    let p = TestPortal::new().await;
    let e = p.enrolled("anna@example.de").await;
    assert_eq!(e.recovery_codes.len(), 10);
    let unique: std::collections::HashSet<_> = e.recovery_codes.iter().collect();
    assert_eq!(unique.len(), 10);
    for code in &e.recovery_codes {
        assert_eq!(code.len(), 19, "xxxx-xxxx-xxxx-xxxx: {code}");
        assert_eq!(code.split('-').count(), 4);
    }
    let (status, account) = p.call("GET", "/api/account", Some(&e.session), None).await;
    assert_eq!(status, 200);
    assert_eq!(account["mfa"]["totp"], true);
    assert_eq!(account["mfa"]["recovery_codes_remaining"], 10);
    let (_, login) = p.login("anna@example.de", PASSWORD).await;
    assert_eq!(login["status"], "mfa_required");
    assert_eq!(login["methods"], json!(["totp", "recovery_code"]));
    // A step-up offers what the login offers: the page takes this list.
    assert_eq!(account["mfa"]["methods"], login["methods"]);
}

#[tokio::test]
async fn a_wrong_confirmation_code_activates_nothing() {
    let p = TestPortal::new().await;
    p.register("anna@example.de").await;
    p.login("anna@example.de", PASSWORD).await;
    let token = p.mfa_token("anna@example.de").await;
    p.call("POST", "/api/mfa/totp/setup", Some(&token), None).await;
    let (status, body) = p.call("POST", "/api/mfa/totp/confirm", Some(&token), Some(json!({"code": "000000"}))).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_code")));
    assert_eq!(p.login("anna@example.de", PASSWORD).await.1["status"], "mfa_setup_required");
}

#[tokio::test]
async fn an_unconfirmed_setup_expires_after_ten_minutes() {
    let p = TestPortal::new().await;
    p.register("anna@example.de").await;
    let (_, first) = p.login("anna@example.de", PASSWORD).await;
    let session = first["session_token"].as_str().unwrap().to_owned();
    let (_, setup) = p.call("POST", "/api/mfa/totp/setup", Some(&session), None).await;
    let secret = data_encoding::BASE32_NOPAD.decode(setup["secret"].as_str().unwrap().as_bytes()).unwrap();
    p.clock.advance(Duration::minutes(10));
    let code = p.code(&secret, 0);
    let (status, _) = p.call("POST", "/api/mfa/totp/confirm", Some(&session), Some(json!({"code": code}))).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn the_setup_key_stays_across_a_reload_and_a_new_sign_in_until_it_expires() {
    let p = TestPortal::new().await;
    p.register("anna@example.de").await;
    p.login("anna@example.de", PASSWORD).await;
    let token = p.mfa_token("anna@example.de").await;
    let (status, first) = p.call("POST", "/api/mfa/totp/setup", Some(&token), None).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!((first["expires_in"].as_i64(), first["replaces_earlier_key"].as_bool()), (Some(600), Some(false)));
    // A reload asks again: the same key, the same QR code.
    let (_, reloaded) = p.call("POST", "/api/mfa/totp/setup", Some(&token), None).await;
    assert_eq!(reloaded, first);
    // Six minutes installing the app: the mfa token has expired, a new
    // sign-in shows the same key with four minutes left, and the app's
    // code activates it.
    p.clock.advance(Duration::minutes(6));
    assert_eq!(p.call("POST", "/api/mfa/totp/setup", Some(&token), None).await.0, 401);
    let token = p.mfa_token("anna@example.de").await;
    let (status, again) = p.call("POST", "/api/mfa/totp/setup", Some(&token), None).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!((&again["secret"], &again["otpauth_uri"]), (&first["secret"], &first["otpauth_uri"]));
    assert_eq!((again["expires_in"].as_i64(), again["replaces_earlier_key"].as_bool()), (Some(240), Some(false)));
    let secret = data_encoding::BASE32_NOPAD.decode(first["secret"].as_str().unwrap().as_bytes()).unwrap();
    let (status, body) =
        p.call("POST", "/api/mfa/totp/confirm", Some(&token), Some(json!({"code": p.code(&secret, 0)}))).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn an_expired_setup_gives_a_new_key_and_says_that_the_old_entry_is_void() {
    let p = TestPortal::new().await;
    p.register("anna@example.de").await;
    p.login("anna@example.de", PASSWORD).await;
    let token = p.mfa_token("anna@example.de").await;
    let (_, first) = p.call("POST", "/api/mfa/totp/setup", Some(&token), None).await;
    p.clock.advance(Duration::minutes(10));
    let token = p.mfa_token("anna@example.de").await;
    let (status, second) = p.call("POST", "/api/mfa/totp/setup", Some(&token), None).await;
    assert_eq!(status, 200, "{second}");
    assert_ne!(second["secret"], first["secret"]);
    assert_eq!((second["expires_in"].as_i64(), second["replaces_earlier_key"].as_bool()), (Some(600), Some(true)));
    let old = data_encoding::BASE32_NOPAD.decode(first["secret"].as_str().unwrap().as_bytes()).unwrap();
    let (status, body) =
        p.call("POST", "/api/mfa/totp/confirm", Some(&token), Some(json!({"code": p.code(&old, 0)}))).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_code")), "the old key is void: {body}");
    // A reload shows the new key with the same warning.
    let (_, third) = p.call("POST", "/api/mfa/totp/setup", Some(&token), None).await;
    assert_eq!((&third["secret"], third["replaces_earlier_key"].as_bool()), (&second["secret"], Some(true)));
}

#[tokio::test]
async fn a_password_alone_cannot_replace_an_active_factor() {
    let p = TestPortal::new().await;
    p.enrolled("anna@example.de").await;
    let token = p.mfa_token("anna@example.de").await;
    let (status, body) = p.call("POST", "/api/mfa/totp/setup", Some(&token), None).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("forbidden")));
}

#[tokio::test]
async fn a_session_alone_cannot_replace_the_authenticator() {
    let p = TestPortal::new().await;
    let e = p.enrolled("anna@example.de").await;
    let setup = |body: Option<serde_json::Value>| p.call("POST", "/api/mfa/totp/setup", Some(&e.session), body);
    let totp = |code: String| Some(json!({"verification": {"method": "totp", "code": code}}));
    let events_before = p.event_count().await;
    let (status, body) = setup(None).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("verification_required")), "{body}");
    assert!(body.get("secret").is_none());
    let wrong = if p.code(&e.secret, 0) == "000000" { "111111" } else { "000000" };
    let (status, body) = setup(totp(wrong.into())).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_code")), "{body}");
    assert_eq!(p.event_count().await, events_before + 1, "only the failure is recorded");
    let (status, body) = setup(Some(json!({"verification": {"method": "totp"}}))).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")), "{body}");

    // With the current app's code the replacement starts; the same code
    // cannot start a second one.
    let (status, started) = setup(totp(p.code(&e.secret, 0))).await;
    assert_eq!(status, 200, "{started}");
    let (status, body) = setup(totp(p.code(&e.secret, 0))).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("code_used")), "{body}");
    // Nor does the session alone see the pending key again.
    let (status, body) = setup(None).await;
    assert_eq!(
        (status, body["error"].as_str(), body.get("secret")),
        (401, Some("verification_required"), None),
        "{body}"
    );
    let new_secret = data_encoding::BASE32_NOPAD.decode(started["secret"].as_str().unwrap().as_bytes()).unwrap();
    let (status, confirmed) =
        p.call("POST", "/api/mfa/totp/confirm", Some(&e.session), Some(json!({"code": p.code(&new_secret, 0)}))).await;
    assert_eq!(status, 200, "{confirmed}");
    p.next_step();
    let token = p.mfa_token("anna@example.de").await;
    assert_eq!(p.verify(&token, "totp", &p.code(&e.secret, 0)).await.0, 401, "the old app is replaced");
    assert_eq!(p.verify(&token, "totp", &p.code(&new_secret, 0)).await.0, 200);
}

#[tokio::test]
async fn a_recovery_code_proves_one_change_of_factor() {
    let p = TestPortal::new().await;
    let e = p.enrolled("anna@example.de").await;
    let (status, body) = p.call("POST", "/api/mfa/totp/setup", Some(&e.session), Some(json!({}))).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("verification_required")), "no proof in an empty object");
    let proof = json!({"verification": {"method": "recovery_code", "code": e.recovery_codes[0]}});
    let (status, body) = p.call("POST", "/api/mfa/totp/setup", Some(&e.session), Some(proof.clone())).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = p.call("POST", "/api/mfa/totp/setup", Some(&e.session), Some(proof)).await;
    assert_eq!(status, 401, "a recovery code proves one change");
    let (_, account) = p.call("GET", "/api/account", Some(&e.session), None).await;
    assert_eq!(account["mfa"]["recovery_codes_remaining"], 9);
}

#[tokio::test]
async fn one_proof_starts_one_setup_even_when_sent_ten_times_at_once() {
    let p = TestPortal::new().await;
    let e = p.enrolled("anna@example.de").await;
    let proof = json!({"verification": {"method": "recovery_code", "code": e.recovery_codes[0]}});
    let results =
        futures_join_all((0..10).map(|_| p.call("POST", "/api/mfa/totp/setup", Some(&e.session), Some(proof.clone()))))
            .await;
    let statuses: Vec<u16> = results.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 9, "{statuses:?}");
}

#[tokio::test]
async fn activating_a_factor_ends_the_other_sessions() {
    let p = TestPortal::new().await;
    p.register("anna@example.de").await;
    let (_, first) = p.login("anna@example.de", PASSWORD).await;
    let old_session = first["session_token"].as_str().unwrap().to_owned();
    let token = p.mfa_token("anna@example.de").await;
    let (_, setup) = p.call("POST", "/api/mfa/totp/setup", Some(&token), None).await;
    let secret = data_encoding::BASE32_NOPAD.decode(setup["secret"].as_str().unwrap().as_bytes()).unwrap();
    let code = p.code(&secret, 0);
    let (_, confirmed) = p.call("POST", "/api/mfa/totp/confirm", Some(&token), Some(json!({"code": code}))).await;
    assert_eq!(p.call("GET", "/api/account", Some(&old_session), None).await.0, 401);
    let new_session = confirmed["session_token"].as_str().unwrap();
    assert_eq!(p.call("GET", "/api/account", Some(new_session), None).await.0, 200);
}

// --- verify: TOTP ------------------------------------------------------------

#[tokio::test]
async fn a_totp_code_logs_in_once_and_never_again() {
    let p = TestPortal::new().await;
    let e = p.enrolled("anna@example.de").await;
    let code = p.code(&e.secret, 0);
    let token = p.mfa_token("anna@example.de").await;
    let (status, body) = p.verify(&token, "totp", &code).await;
    assert_eq!(status, 200, "{body}");
    let session = body["session_token"].as_str().unwrap();
    assert_eq!(p.call("GET", "/api/account", Some(session), None).await.0, 200);
    // Signed out and in again within the same step, the current code is
    // used: the answer says so (wait for the next one) rather than "wrong".
    assert_eq!(p.call("POST", "/api/logout", Some(session), None).await.0, 204);
    let token = p.mfa_token("anna@example.de").await;
    let (status, body) = p.verify(&token, "totp", &code).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("code_used")), "{body}");
    assert_eq!(body["message"], "This code was just used: wait for the next one.");
    // Not even within its 90-second window, nor the previous step's code.
    p.clock.advance(Duration::seconds(30));
    let earlier = p.code(&e.secret, -1);
    assert_eq!(earlier, code);
    let (status, body) = p.verify(&token, "totp", &earlier).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("code_used")), "{body}");
    let wrong = if p.code(&e.secret, 0) == "000000" { "111111" } else { "000000" };
    let (status, body) = p.verify(&token, "totp", wrong).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_code")), "{body}");
    let fresh = p.code(&e.secret, 0);
    let (status, body) = p.verify(&token, "totp", &fresh).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn codes_of_the_previous_and_next_step_are_accepted_others_not() {
    let p = TestPortal::new().await;
    let e = p.enrolled("anna@example.de").await;
    for (offset, expected) in [(-2, 401), (2, 401), (-1, 200), (1, 200)] {
        p.next_step();
        p.next_step();
        p.next_step();
        let token = p.mfa_token("anna@example.de").await;
        let code = p.code(&e.secret, offset);
        let (status, _) = p.verify(&token, "totp", &code).await;
        assert_eq!(status, expected, "offset {offset}");
    }
}

#[tokio::test]
async fn thirty_simultaneous_uses_of_one_totp_code_log_in_once_and_lock_nobody_out() {
    let p = TestPortal::new().await;
    let e = p.enrolled("anna@example.de").await;
    let mut tokens = Vec::new();
    for _ in 0..30 {
        tokens.push(p.mfa_token("anna@example.de").await);
    }
    let code = p.code(&e.secret, 0);
    let body = json!({"method": "totp", "code": code});
    let results =
        futures_join_all(tokens.iter().map(|t| p.call("POST", "/api/mfa/verify", Some(t), Some(body.clone())))).await;
    let answers: Vec<(u16, Option<&str>)> = results.iter().map(|(s, b)| (*s, b["error"].as_str())).collect();
    assert_eq!(answers.iter().filter(|a| a.0 == 200).count(), 1, "{answers:?}");
    // The losers of the race were right, only late: not one failure counted.
    assert_eq!(answers.iter().filter(|a| **a == (401, Some("code_used"))).count(), 29, "{answers:?}");
    p.next_step();
    let token = p.mfa_token("anna@example.de").await;
    let (status, body) = p.verify(&token, "totp", &p.code(&e.secret, 0)).await;
    assert_eq!(status, 200, "the owner is not locked out: {body}");
}

#[tokio::test]
async fn second_factor_failures_lock_across_mfa_tokens_even_for_a_correct_code() {
    let p = TestPortal::new().await;
    let e = p.enrolled("anna@example.de").await;
    for i in 0..10 {
        // A fresh login every other attempt: the count is per account.
        let token = p.mfa_token("anna@example.de").await;
        let (status, _) = p.verify(&token, "totp", "000000").await;
        assert_eq!(status, 401, "attempt {i}");
    }
    let token = p.mfa_token("anna@example.de").await;
    let good = p.code(&e.secret, 0);
    let (status, body) = p.verify(&token, "totp", &good).await;
    assert_eq!((status, body["retry_after"].as_u64()), (429, Some(60)));
    let recovery = json!({"method": "recovery_code", "code": e.recovery_codes[0]});
    assert_eq!(p.call("POST", "/api/mfa/verify", Some(&token), Some(recovery)).await.0, 429);
    p.clock.advance(Duration::seconds(60));
    let token = p.mfa_token("anna@example.de").await;
    let good = p.code(&e.secret, 0);
    let (status, _) = p.verify(&token, "totp", &good).await;
    assert_eq!(status, 200);
}

// --- verify: recovery codes ----------------------------------------------------

#[tokio::test]
async fn a_recovery_code_works_once_tells_what_remains_and_emails_the_owner() {
    let p = TestPortal::new().await;
    let e = p.enrolled("anna@example.de").await;
    let token = p.mfa_token("anna@example.de").await;
    // Typed in capitals and without dashes still counts.
    let typed = e.recovery_codes[4].to_uppercase().replace('-', "");
    let (status, body) = p.verify(&token, "recovery_code", &typed).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["recovery_codes_remaining"], 9);
    assert!(body["session_token"].is_string());
    let token = p.mfa_token("anna@example.de").await;
    let again = json!({"method": "recovery_code", "code": e.recovery_codes[4]});
    assert_eq!(p.call("POST", "/api/mfa/verify", Some(&token), Some(again)).await.0, 401);
    let mails = p.outbox().await;
    let used: Vec<_> = mails.iter().filter(|m| m["subject"].as_str().unwrap().contains("recovery code")).collect();
    assert_eq!(used.len(), 1, "{mails:?}");
    assert_eq!(used[0]["to"], "anna@example.de");
    assert_eq!(used[0]["channel"], "email");
    assert!(used[0]["body"].as_str().unwrap().contains("9 codes remain"));
    assert!(!used[0]["body"].as_str().unwrap().contains(&e.recovery_codes[4]));
}

#[tokio::test]
async fn thirty_simultaneous_uses_of_one_recovery_code_log_in_exactly_once() {
    let p = TestPortal::new().await;
    let e = p.enrolled("anna@example.de").await;
    let mut tokens = Vec::new();
    for _ in 0..30 {
        tokens.push(p.mfa_token("anna@example.de").await);
    }
    let body = json!({"method": "recovery_code", "code": e.recovery_codes[0]});
    let results =
        futures_join_all(tokens.iter().map(|t| p.call("POST", "/api/mfa/verify", Some(t), Some(body.clone())))).await;
    let statuses: Vec<u16> = results.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| matches!(s, 200 | 401 | 429)), "{statuses:?}");
    let (_, account) = p.call("GET", "/api/account", Some(&e.session), None).await;
    assert_eq!(account["mfa"]["recovery_codes_remaining"], 9);
}

#[tokio::test]
async fn regenerating_recovery_codes_voids_the_old_set() {
    let p = TestPortal::new().await;
    let e = p.enrolled("anna@example.de").await;
    let proof = json!({"verification": p.step_up(&e.secret)});
    let (status, body) = p.call("POST", "/api/mfa/recovery-codes", Some(&e.session), Some(proof)).await;
    assert_eq!(status, 200, "{body}");
    let new: Vec<String> = serde_json::from_value(body["recovery_codes"].clone()).unwrap();
    assert_eq!(new.len(), 10);
    assert!(new.iter().all(|c| !e.recovery_codes.contains(c)));
    let token = p.mfa_token("anna@example.de").await;
    let old = json!({"method": "recovery_code", "code": e.recovery_codes[1]});
    assert_eq!(p.call("POST", "/api/mfa/verify", Some(&token), Some(old)).await.0, 401);
    let fresh = json!({"method": "recovery_code", "code": new[1]});
    assert_eq!(p.call("POST", "/api/mfa/verify", Some(&token), Some(fresh)).await.0, 200);
    // An mfa token cannot regenerate codes.
    let token = p.mfa_token("anna@example.de").await;
    assert_eq!(p.call("POST", "/api/mfa/recovery-codes", Some(&token), None).await.0, 401);
}

#[tokio::test]
async fn a_stolen_session_cannot_mint_recovery_codes_to_replace_the_factor() {
    let p = TestPortal::new().await;
    let e = p.enrolled("anna@example.de").await;
    let before = p.event_count().await;
    // The attack of the hardening issue: new codes with the session alone...
    for body in [None, Some(json!({})), Some(json!({"verification": null}))] {
        let (status, body) = p.call("POST", "/api/mfa/recovery-codes", Some(&e.session), body).await;
        assert_eq!((status, body["error"].as_str()), (401, Some("verification_required")), "{body}");
        assert!(body.get("recovery_codes").is_none());
    }
    assert_eq!(p.event_count().await, before, "nothing written");
    // ...so the owner's codes and app stay, and a wrong proof is a failure.
    let wrong = json!({"verification": {"method": "recovery_code", "code": "0000-0000-0000-0000"}});
    let (status, body) = p.call("POST", "/api/mfa/recovery-codes", Some(&e.session), Some(wrong)).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_code")), "{body}");
    let (_, account) = p.call("GET", "/api/account", Some(&e.session), None).await;
    assert_eq!(account["mfa"]["recovery_codes_remaining"], 10);
    // A recovery code proves the change once, also when sent five times at once.
    let proof = json!({"verification": {"method": "recovery_code", "code": e.recovery_codes[3]}});
    let results = futures_join_all(
        (0..5).map(|_| p.call("POST", "/api/mfa/recovery-codes", Some(&e.session), Some(proof.clone()))),
    )
    .await;
    let statuses: Vec<u16> = results.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 4, "{statuses:?}");
}

// --- tokens and sessions ------------------------------------------------------

#[tokio::test]
async fn mfa_tokens_work_only_at_mfa_endpoints_and_for_five_minutes() {
    let p = TestPortal::new().await;
    let e = p.enrolled("anna@example.de").await;
    let token = p.mfa_token("anna@example.de").await;
    assert_eq!(p.call("GET", "/api/account", Some(&token), None).await.0, 401);
    assert_eq!(p.call("POST", "/api/logout", Some(&token), None).await.0, 401);
    p.clock.advance(Duration::minutes(5));
    let code = p.code(&e.secret, 0);
    let (status, body) = p.verify(&token, "totp", &code).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("unauthorized")));
}

#[tokio::test]
async fn cancel_ends_the_pending_login_at_the_second_step_and_at_the_forced_setup() {
    let p = TestPortal::new().await;
    let e = p.enrolled("anna@example.de").await;
    // The second step: cancelled, its token no longer verifies a right code.
    let token = p.mfa_token("anna@example.de").await;
    let other_tab = p.mfa_token("anna@example.de").await;
    assert_eq!(p.call("POST", "/api/mfa/cancel", Some(&token), None).await.0, 204);
    let (status, body) = p.verify(&token, "totp", &p.code(&e.secret, 0)).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("unauthorized")));
    assert_eq!(p.call("POST", "/api/mfa/cancel", Some(&token), None).await.0, 401, "once only");
    let (status, _) = p.verify(&other_tab, "totp", &p.code(&e.secret, 0)).await;
    assert_eq!(status, 200, "another pending login of the account goes on");
    // A session token is no mfa token here; the session stays.
    assert_eq!(p.call("POST", "/api/mfa/cancel", Some(&e.session), None).await.0, 401);
    assert_eq!(p.call("GET", "/api/account", Some(&e.session), None).await.0, 200);

    // The forced setup: cancelled, its token starts no setup.
    p.register("ben@example.de").await;
    assert_eq!(p.login("ben@example.de", PASSWORD).await.1["status"], "authenticated");
    let setup = p.mfa_token("ben@example.de").await;
    assert_eq!(p.call("POST", "/api/mfa/cancel", Some(&setup), None).await.0, 204);
    let (status, body) = p.call("POST", "/api/mfa/totp/setup", Some(&setup), None).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("unauthorized")), "{body}");
    assert_eq!(p.call("POST", "/api/mfa/cancel", None, None).await.0, 401);
}

#[tokio::test]
async fn session_tokens_do_not_verify_and_forged_tokens_do_nothing() {
    let p = TestPortal::new().await;
    let e = p.enrolled("anna@example.de").await;
    let code = p.code(&e.secret, 0);
    let body = json!({"method": "totp", "code": code});
    assert_eq!(p.call("POST", "/api/mfa/verify", Some(&e.session), Some(body.clone())).await.0, 401);
    let mut forged = e.session.clone();
    forged.pop();
    forged.push(if e.session.ends_with('A') { 'B' } else { 'A' });
    assert_eq!(p.call("GET", "/api/account", Some(&forged), None).await.0, 401);
    assert_eq!(p.call("GET", "/api/account", Some("garbage"), None).await.0, 401);
    assert_eq!(p.call("GET", "/api/account", None, None).await.0, 401);
    let (status, _) = p.send("GET", "/api/account", &[("authorization", "Basic YTpi")], vec![]).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn logout_ends_the_session_at_once_and_sessions_expire() {
    let p = TestPortal::new().await;
    let e = p.enrolled("anna@example.de").await;
    assert_eq!(p.call("POST", "/api/logout", Some(&e.session), None).await.0, 204);
    assert_eq!(p.call("GET", "/api/account", Some(&e.session), None).await.0, 401);
    assert_eq!(p.call("POST", "/api/logout", Some(&e.session), None).await.0, 401);
    let token = p.mfa_token("anna@example.de").await;
    let code = p.code(&e.secret, 0);
    let (_, body) = p.verify(&token, "totp", &code).await;
    let session = body["session_token"].as_str().unwrap().to_owned();
    let ttl = body["expires_in"].as_i64().unwrap();
    p.clock.advance(Duration::seconds(ttl));
    assert_eq!(p.call("GET", "/api/account", Some(&session), None).await.0, 401);
}

// --- secrets at rest ------------------------------------------------------------

#[tokio::test]
async fn no_secret_code_token_or_password_is_stored_in_plaintext() {
    let p = TestPortal::new().await;
    let e = p.enrolled("anna@example.de").await;
    let token = p.mfa_token("anna@example.de").await;
    let code = p.code(&e.secret, 0);
    let (_, verified) = p.verify(&token, "totp", &code).await;
    let token2 = p.mfa_token("anna@example.de").await;
    p.verify(&token2, "recovery_code", &e.recovery_codes[2]).await;
    p.project().await;
    let log = p.event_log_text().await;
    let b32 = data_encoding::BASE32_NOPAD.encode(&e.secret);
    let hex = data_encoding::HEXLOWER.encode(&e.secret);
    let mut forbidden = vec![b32, hex, PASSWORD.to_owned(), e.session.clone(), token, token2, code];
    forbidden.push(verified["session_token"].as_str().unwrap().to_owned());
    for c in &e.recovery_codes {
        forbidden.push(c.clone());
        forbidden.push(c.replace('-', ""));
    }
    for secret in forbidden {
        assert!(!log.contains(&secret), "{secret} appears in the event log");
    }
    assert!(log.contains("aesgcm1:") || log.contains("kms1:"), "the TOTP secret is stored sealed");
}
