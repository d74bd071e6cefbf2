//! What each request of the product's flows costs: the calls to DynamoDB,
//! KMS, SES and SNS (counted by the SDK interceptor, so always 0 on the
//! embedded backend),
//! the CPU time of this process, how many argon2 runs it made and how many
//! events it appended.
//!
//! One pass of `flows` drives every flow once on fresh accounts. The
//! round-trip test asserts its counts against the goals (exact numbers);
//! `examples/flow_figures.rs` (`bench/flows`) repeats it and prints the CPU
//! figures, which are timings and therefore never asserted.
//!
//! On LocalStack the process CPU is the handler's own work including the
//! AWS SDK's (signing, serialising, TLS-less HTTP on loopback); LocalStack's
//! work is in its own process and is not counted.

use std::time::Duration;

use functions::backend::aws::{AwsCalls, aws_calls};
use serde_json::{Value, json};

use crate::harness::{PASSWORD, TestPortal, unique_phone};
use crate::oidc_rp;

#[derive(Debug, Clone, Copy, Default)]
pub struct Cost {
    /// The calls to AWS (all 0 on the embedded backend).
    pub calls: AwsCalls,
    pub cpu: Duration,
    /// Wall-clock time of the request (on LocalStack, its work included).
    pub wall: Duration,
    pub argon2_verifications: u64,
    pub argon2_hashes: u64,
    /// Events the request appended (each is a stream record the projector
    /// is invoked for on AWS).
    pub events: usize,
}

/// The CPU time this process has used (all threads), with nanosecond
/// resolution, unlike getrusage's scheduler-tick split.
pub fn process_cpu() -> Duration {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid timespec to write to; the clock id is a constant.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID)");
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// The requests measured by one pass, in order, each with its label.
pub struct Pass<'p> {
    p: &'p TestPortal,
    pub costs: Vec<(&'static str, Cost)>,
    /// The number the SMS flows sent to.
    pub sms_phone: String,
    /// Whether to count the events each request appended: a read of every
    /// event stored, which on a store with old accounts would stir up the
    /// caches the measured request then finds cold.
    count_events: bool,
}

impl Pass<'_> {
    /// Sends one request and records its cost; it must succeed.
    async fn measure(&mut self, label: &'static str, request: impl Future<Output = (u16, Value)>) -> Value {
        let passwords = &self.p.app.passwords;
        // Counted outside the measured span (on AWS it is a Scan).
        let count = || async { if self.count_events { self.p.event_count().await } else { 0 } };
        let events = count().await;
        let (calls, cpu, verifications, hashes) =
            (aws_calls(), process_cpu(), passwords.verifications(), passwords.hashes());
        let wall = std::time::Instant::now();
        let (status, body) = request.await;
        let cost = Cost {
            cpu: process_cpu() - cpu,
            wall: wall.elapsed(),
            calls: aws_calls().since(calls),
            argon2_verifications: passwords.verifications() - verifications,
            argon2_hashes: passwords.hashes() - hashes,
            events: count().await - events,
        };
        // 2xx, or the 303 of the authorization endpoint.
        assert!((200..300).contains(&status) || status == 303, "{label}: {status} {body}");
        self.costs.push((label, cost));
        body
    }

    pub fn cost(&self, label: &str) -> Cost {
        self.costs.iter().find(|(l, _)| *l == label).unwrap_or_else(|| panic!("no request {label:?} measured")).1
    }
}

fn login_body(email: &str) -> Option<Value> {
    Some(json!({"email": email, "password": PASSWORD}))
}

fn token_of(body: &Value, field: &str) -> String {
    body[field].as_str().unwrap_or_else(|| panic!("no {field} in {body}")).to_owned()
}

/// Drives every flow once on accounts named after `tag` (unique per pass):
/// registration, the authenticator's setup and logins, recovery codes, SMS,
/// app passwords and DAV, password forgotten, and the reset form.
pub async fn flows<'p>(p: &'p TestPortal, tag: &str) -> Pass<'p> {
    let mut pass = Pass { p, costs: Vec::new(), sms_phone: unique_phone(), count_events: true };
    let email = format!("flow-{tag}@example.de");
    let register = json!({"email": email, "password": PASSWORD, "name": "Anna Muster"});
    pass.measure("register", p.call("POST", "/api/register", None, Some(register))).await;
    pass.measure("login (first, no factor)", p.call("POST", "/api/login", None, login_body(&email))).await;

    // The authenticator app.
    let token = token_of(
        &pass.measure("login (factor due)", p.call("POST", "/api/login", None, login_body(&email))).await,
        "mfa_token",
    );
    let setup = pass.measure("totp setup", p.call("POST", "/api/mfa/totp/setup", Some(&token), None)).await;
    let secret = data_encoding::BASE32_NOPAD.decode(setup["secret"].as_str().unwrap().as_bytes()).unwrap();
    let code = p.code(&secret, 0);
    let confirm = json!({"code": code});
    let confirmed =
        pass.measure("totp confirm", p.call("POST", "/api/mfa/totp/confirm", Some(&token), Some(confirm))).await;
    let recovery_code = confirmed["recovery_codes"][0].as_str().unwrap().to_owned();
    p.next_step();
    let token = token_of(
        &pass.measure("login (password step)", p.call("POST", "/api/login", None, login_body(&email))).await,
        "mfa_token",
    );
    let code = p.code(&secret, 0);
    let session = token_of(&pass.measure("verify (totp)", p.verify(&token, "totp", &code)).await, "session_token");
    let token = token_of(&p.call("POST", "/api/login", None, login_body(&email)).await.1, "mfa_token");
    pass.measure("verify (recovery code)", p.verify(&token, "recovery_code", &recovery_code)).await;
    pass.measure("account", p.call("GET", "/api/account", Some(&session), None)).await;

    // An app signing in with OpenID Connect: the page's session completes
    // the request, the app redeems the code, asks userinfo, refreshes.
    let rp = oidc_rp::Rp::register(p, false).await;
    let authorize = pass
        .measure("oidc authorize", async {
            let (status, headers, _) = p.send_full("GET", &rp.authorize_path(&[]), &[], Vec::new()).await;
            (status, json!({ "location": oidc_rp::location(&headers) }))
        })
        .await;
    let request = authorize["location"].as_str().unwrap().strip_prefix("/sign-in?request=").unwrap().to_owned();
    let complete = format!("/api/oidc/requests/{request}/complete");
    let complete = pass.measure("oidc complete", p.call("POST", &complete, Some(&session), None)).await;
    let code = oidc_rp::param(complete["redirect_to"].as_str().unwrap(), "code").unwrap();
    let tokens = pass.measure("oidc token (code)", rp.exchange(p, &code)).await;
    pass.measure("oidc userinfo", oidc_rp::userinfo(p, tokens["access_token"].as_str().unwrap())).await;
    pass.measure("oidc token (refresh)", rp.refresh(p, tokens["refresh_token"].as_str().unwrap())).await;

    // App passwords and DAV.
    let created = json!({"name": "Calendar", "verification": p.step_up(&secret)});
    let created =
        pass.measure("app password create", p.call("POST", "/api/app-passwords", Some(&session), Some(created))).await;
    let basic = crate::harness::basic_auth(&email, created["password"].as_str().unwrap());
    let dav = || async { p.send("GET", "/api/dav/auth", &[("authorization", &basic)], Vec::new()).await };
    pass.measure("dav auth (first use)", dav()).await;
    pass.measure("dav auth (again)", dav()).await;

    // Passkeys: added after a step-up, then the second step and a sign-in
    // with one alone (the software authenticator signs: its CPU is the
    // harness's, counted here like the client's JSON work).
    let mut authenticator = crate::authenticator::Authenticator::new(21, "http://portal.test");
    let step_up = json!({"verification": p.step_up(&secret)});
    let options = pass
        .measure("passkey options (add)", p.call("POST", "/api/passkeys/options", Some(&session), Some(step_up)))
        .await;
    let credential = authenticator.register(&options["options"]);
    let add = json!({"name": "Laptop", "credential": credential});
    pass.measure("passkey add (registration)", p.call("POST", "/api/passkeys", Some(&session), Some(add))).await;
    let token = token_of(&p.call("POST", "/api/login", None, login_body(&email)).await.1, "mfa_token");
    let options = pass
        .measure("passkey options (second step)", p.call("POST", "/api/mfa/passkey/options", Some(&token), None))
        .await;
    let assertion = json!({"credential": authenticator.assert(&options["options"])});
    pass.measure(
        "verify (passkey assertion)",
        p.call("POST", "/api/mfa/passkey/verify", Some(&token), Some(assertion)),
    )
    .await;
    let options = pass.measure("passkey options (sign-in)", p.call("POST", "/api/passkey/options", None, None)).await;
    let assertion = json!({"credential": authenticator.assert(&options["options"])});
    pass.measure("passkey sign-in (assertion)", p.call("POST", "/api/passkey/sign-in", None, Some(assertion))).await;

    pass.measure("password forgot", p.call("POST", "/api/password/forgot", None, Some(json!({"email": email})))).await;

    // The reset form, after a password step that owes a code.
    let token = token_of(&p.call("POST", "/api/login", None, login_body(&email)).await.1, "mfa_token");
    let altcha = p.altcha().await;
    let form = json!({
        "first_name": "Anna", "last_name": "Muster", "phone": "+4915123456789", "email": email,
        "privacy_consent": true, "altcha": altcha,
    });
    pass.measure("reset form", p.call("POST", "/api/reset-requests", Some(&token), Some(form))).await;

    // SMS, on an account of its own.
    let email = format!("flow-sms-{tag}@example.de");
    p.register(&email).await;
    p.login(&email, PASSWORD).await;
    let token = p.mfa_token(&email).await;
    let phone = pass.sms_phone.clone();
    let setup = json!({"phone": phone});
    pass.measure("sms setup (send to new number)", p.call("POST", "/api/mfa/sms/setup", Some(&token), Some(setup)))
        .await;
    let code = p.sms_code(&phone).await;
    p.call("POST", "/api/mfa/sms/confirm", Some(&token), Some(json!({"code": code}))).await;
    // Past the resend wait of the setup's SMS.
    p.clock.advance(time::Duration::minutes(2));
    let token = token_of(
        &pass.measure("login (sms account)", p.call("POST", "/api/login", None, login_body(&email))).await,
        "mfa_token",
    );
    pass.measure("sms send", p.call("POST", "/api/mfa/sms/send", Some(&token), None)).await;
    let code = p.sms_code(&phone).await;
    pass.measure("verify (sms)", p.verify(&token, "sms", &code)).await;
    pass
}

/// An account enrolled with the authenticator as `email` and aged by
/// `sign_ins` past sign-ins (`TestPortal::age_account`): its secret.
pub async fn aged_account(p: &TestPortal, email: &str, sign_ins: usize) -> Vec<u8> {
    let enrolled = p.enrolled(email).await;
    let (status, me) = p.call("GET", "/api/account", Some(&enrolled.session), None).await;
    assert_eq!(status, 200, "{me}");
    let id = uuid::Uuid::parse_str(me["user_id"].as_str().unwrap()).unwrap();
    p.age_account(id, sign_ins).await;
    enrolled.secret
}

/// The hot path of an account's every day: the password step, the
/// authenticator's code, and a read of the account.
pub async fn sign_in<'p>(p: &'p TestPortal, email: &str, secret: &[u8]) -> Pass<'p> {
    let mut pass = Pass { p, costs: Vec::new(), sms_phone: String::new(), count_events: false };
    p.next_step();
    let token = token_of(
        &pass.measure("login (password step)", p.call("POST", "/api/login", None, login_body(email))).await,
        "mfa_token",
    );
    let code = p.code(secret, 0);
    let session = token_of(&pass.measure("verify (totp)", p.verify(&token, "totp", &code)).await, "session_token");
    pass.measure("account", p.call("GET", "/api/account", Some(&session), None)).await;
    pass
}
