//! The IAM audit: every Lambda function's AWS calls, made on LocalStack,
//! against what its role allows (infra/iam_actions.tsv, which
//! `infra::each_role_allows_exactly_the_actions_of_iam_actions_tsv` ties
//! to the template). LocalStack does not enforce IAM, so every other test
//! passes whatever the roles allow; this one fails when a function calls
//! what its role would refuse with AccessDenied.
//!
//! The SDK interceptor records each call's (action, resource) while
//! `acceptance::iam_audit` attributes each request to the function that
//! serves its route (the binaries' lists, as `infra` reads them); the
//! projector, sla_watch and the DAV authorizer are run directly. Alone in
//! its process (`tests/run` runs it by itself): the recording is per
//! process.

use std::collections::{BTreeMap, BTreeSet};

use acceptance::authenticator::Authenticator;
use acceptance::harness::{Backend, PASSWORD, TestPortal, basic_auth, cheap_passwords, settings};
use acceptance::iam_audit::{self, Seen};
use acceptance::{aws_tables, flow_costs, oidc_rp};
use functions::backend::aws::{Aws, record_permissions, take_permissions};
use serde_json::{Value, json};

const ORIGIN: &str = "http://portal.test";

/// Resources as the calls name them → the tokens of iam_actions.tsv.
async fn resource_tokens(aws: &Aws) -> BTreeMap<String, &'static str> {
    let r = &aws.resources;
    let mut tokens = BTreeMap::from([
        (r.events_table.clone(), "events"),
        (r.state_table.clone(), "state"),
        (r.signing_secret.clone(), "signing-secret"),
        (r.mail_from.clone(), "ses-identity"),
        ("phone number".to_owned(), "sms"),
    ]);
    // KMS keys by alias, id and ARN (Decrypt names the key by its ARN, Sign
    // by the ARN the signer read), described by a client that records nothing.
    let kms = aws_sdk_kms::Client::new(&functions::backend::aws::sdk_config().await);
    let oidc = functions::adapters::kms_signing::SigningAliases::named(&r.oidc_key_alias);
    let keys = [(r.kms_key.clone(), "totp-key")]
        .into_iter()
        .chain([oidc.current, oidc.next, oidc.previous].map(|alias| (alias, "oidc-keys")));
    for (name, token) in keys {
        tokens.insert(name.clone(), token);
        if let Ok(described) = kms.describe_key().key_id(&name).send().await
            && let Some(meta) = described.key_metadata()
        {
            tokens.insert(meta.key_id().to_owned(), token);
            tokens.extend(meta.arn().map(|arn| (arn.to_owned(), token)));
        }
    }
    tokens
}

/// The function that serves a route, from the binaries' route lists.
fn function_of_route() -> impl Fn(&str, &str) -> Option<String> + Send + 'static {
    let lists = crate::infra::binary_routes();
    move |method, path| {
        let (route, _) = functions::http::routes::find(functions::handlers::ALL, method, path).ok()?;
        // Routes are consts, so compared by what they serve.
        let serves = |r: &&functions::http::routes::Route| (r.method, r.path) == (route.method, route.path);
        lists.iter().find(|(_, routes)| routes.iter().any(serves)).map(|(f, _)| f.clone())
    }
}

/// Sends requests and keeps those that did not succeed, so one pass shows
/// every route it failed to drive along its main path.
struct Driver<'p> {
    p: &'p TestPortal,
    failed: Vec<String>,
}

impl Driver<'_> {
    async fn ok(&mut self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Value {
        let (status, answer) = self.p.call(method, path, token, body).await;
        if !(200..400).contains(&status) {
            eprintln!("iam audit: {method} {path}: {status} {answer}");
            self.failed.push(format!("{method} {path}: {status} {answer}"));
        }
        answer
    }

    fn field(answer: &Value, name: &str) -> String {
        answer[name].as_str().unwrap_or_default().to_owned()
    }

    /// A session's step-up proven with a passkey.
    async fn passkey_proof(&mut self, session: &str, key: &mut Authenticator) -> Value {
        let options = self.ok("POST", "/api/passkeys/verification/options", Some(session), None).await;
        if options["options"]["challenge"].is_null() {
            return Value::Null;
        }
        json!({"method": "passkey", "credential": key.assert(&options["options"])})
    }
}

/// The newest link to `path` mailed directly (not through the projector).
async fn mailed_token(from: &str, to: &str, path: &str) -> String {
    let mails = aws_tables::sent_mail(from).await;
    let body = mails
        .iter()
        .rev()
        .filter(|m| m["to"] == to)
        .filter_map(|m| m["body"].as_str())
        .find(|b| b.contains(path))
        .unwrap_or_else(|| panic!("no {path} link to {to}: {mails:?}"));
    let link = body.split_whitespace().find(|w| w.contains(path)).unwrap();
    link.split_once("?token=").unwrap().1.to_owned()
}

/// Every route group that touches AWS, along its main path: the flows of
/// the round-trip test, then what they leave out.
async fn drive(p: &TestPortal, aws: &Aws) -> Vec<String> {
    flow_costs::flows(p, "iam").await;
    let mut d = Driver { p, failed: Vec::new() };
    let from = aws.resources.mail_from.clone();
    d.ok("GET", "/api/brand", None, None).await;

    // An owner with the app and a passkey; the passkey proves step-ups.
    let owner = "iam-owner@example.de";
    let e = p.enrolled(owner).await;
    let session = e.session.clone();
    let mut key = Authenticator::new(31, ORIGIN);
    let options = d
        .ok("POST", "/api/passkeys/options", Some(&session), Some(json!({"verification": p.step_up(&e.secret)})))
        .await;
    let credential = key.register(&options["options"]);
    d.ok("POST", "/api/passkeys", Some(&session), Some(json!({"name": "Laptop", "credential": credential}))).await;
    d.ok("GET", "/api/passkeys", Some(&session), None).await;

    // account: the profile's pages and changes.
    d.ok("GET", "/api/account/activity", Some(&session), None).await;
    d.ok("POST", "/api/account/export", Some(&session), Some(json!({"verification": p.step_up(&e.secret)}))).await;
    d.ok("PUT", "/api/account/language", Some(&session), Some(json!({"language": "en"}))).await;
    d.ok("PUT", "/api/account/username", Some(&session), Some(json!({"username": "iam.owner"}))).await;
    let proof = d.passkey_proof(&session, &mut key).await;
    let created =
        d.ok("POST", "/api/app-passwords", Some(&session), Some(json!({"name": "Cal", "verification": proof}))).await;
    let app_password = Driver::field(&created, "password");
    d.ok("GET", "/api/app-passwords", Some(&session), None).await;

    // dav_authorizer: the API's authorizer, as API Gateway calls it: two
    // wrong app passwords (the failure counter), then the right one.
    let authorizer = iam_audit::cold(p.app());
    for (password, want) in [("wrong-1", false), ("wrong-2", false), (app_password.as_str(), true)] {
        let request = functions::dav::AuthorizerRequest {
            headers: [("authorization".to_owned(), basic_auth(owner, password))].into(),
            identity_source: None,
        };
        let answer = iam_audit::run_as("dav_authorizer", "authorize (app password)", async {
            functions::dav::authorize(&authorizer, &request, p.now()).await
        })
        .await;
        if answer.is_authorized != want {
            d.failed.push(format!("the DAV authorizer with {password}: {answer:?}"));
        }
    }
    // Failure counters: dav_auth's (two wrong app passwords, then the
    // right one clears them) and login's for an unknown address.
    let dav = |password: &str| basic_auth(owner, password);
    for (password, want) in [("wrong-1", 401), ("wrong-2", 401), (app_password.as_str(), 200)] {
        let (status, answer) = p.send("GET", "/api/dav/auth", &[("authorization", &dav(password))], Vec::new()).await;
        if status != want {
            d.failed.push(format!("GET /api/dav/auth ({password}): {status} {answer}"));
        }
    }
    for _ in 0..2 {
        let (status, answer) = p.login("iam-nobody@example.de", "wrong-password-1").await;
        if status != 401 {
            d.failed.push(format!("POST /api/login (unknown address): {status} {answer}"));
        }
    }
    let app_password_id = Driver::field(&created, "id");
    d.ok("DELETE", &format!("/api/app-passwords/{app_password_id}"), Some(&session), None).await;

    // enroll: new recovery codes (the app's proof, then a passkey's); SMS
    // as a further factor of a session (sms_send sends, enroll confirms)
    // and removed again.
    d.ok("POST", "/api/mfa/recovery-codes", Some(&session), Some(json!({"verification": p.step_up(&e.secret)}))).await;
    let proof = d.passkey_proof(&session, &mut key).await;
    d.ok("POST", "/api/mfa/recovery-codes", Some(&session), Some(json!({"verification": proof}))).await;
    d.ok("GET", "/api/mfa/sms/countries", None, None).await;
    let phone = acceptance::harness::unique_phone();
    let proof = d.passkey_proof(&session, &mut key).await;
    d.ok("POST", "/api/mfa/sms/setup", Some(&session), Some(json!({"phone": phone, "verification": proof}))).await;
    let code = p.sms_code(&phone).await;
    // A new factor ends the other sessions and starts a new one.
    let confirmed = d.ok("POST", "/api/mfa/sms/confirm", Some(&session), Some(json!({"code": code}))).await;
    let session = Driver::field(&confirmed, "session_token");
    let proof = d.passkey_proof(&session, &mut key).await;
    d.ok("DELETE", "/api/mfa/sms", Some(&session), Some(json!({"verification": proof}))).await;

    // verify: a second step given up.
    let token = p.mfa_token(owner).await;
    d.ok("POST", "/api/mfa/cancel", Some(&token), None).await;

    // oidc: discovery, keys, a request shown and cancelled, a token revoked,
    // the app's logout.
    d.ok("GET", "/.well-known/openid-configuration", None, None).await;
    d.ok("GET", "/oidc/jwks", None, None).await;
    let rp = oidc_rp::Rp::register(p, false).await;
    let (_, location) = rp.authorize(p, &[], None).await;
    let request = location.split_once("request=").map(|(_, r)| r.to_owned()).unwrap_or_default();
    d.ok("GET", &format!("/api/oidc/requests/{request}"), Some(&session), None).await;
    d.ok("POST", &format!("/api/oidc/requests/{request}/cancel"), Some(&session), None).await;
    let (to, _) = rp.sign_in(p, &session, &[]).await;
    let (_, tokens) = rp.exchange(p, &oidc_rp::param(&to, "code").unwrap_or_default()).await;
    let bearer = format!("Bearer {}", tokens["access_token"].as_str().unwrap_or_default());
    let (status, answer) = p.send("POST", "/oidc/userinfo", &[("authorization", &bearer)], Vec::new()).await;
    if status != 200 {
        d.failed.push(format!("POST /oidc/userinfo: {status} {answer}"));
    }
    let revoke = [("token", tokens["refresh_token"].as_str().unwrap_or_default())];
    let form = form_urlencoded::Serializer::new(String::new()).extend_pairs(revoke).finish();
    let secret = rp.secret.clone().unwrap_or_default();
    let auth = basic_auth(&rp.client_id, &secret);
    let headers = [("content-type", "application/x-www-form-urlencoded"), ("authorization", auth.as_str())];
    let (status, answer) = p.send("POST", "/oidc/revoke", &headers, form.into_bytes()).await;
    if status != 200 {
        d.failed.push(format!("POST /oidc/revoke: {status} {answer}"));
    }
    let logout = format!("/oidc/logout?client_id={}", rp.client_id);
    let (status, _, _) = p.send_full("GET", &logout, &[], Vec::new()).await;
    if !(200..400).contains(&status) {
        d.failed.push(format!("GET /oidc/logout: {status}"));
    }

    // support: two customers stuck at the second step ask for a reset;
    // one is approved, one rejected; accounts looked up, disabled,
    // enabled and deleted.
    let (staff, _) = p.staff("iam-staff@support.example", "Sam Support").await;
    let mut requests = Vec::new();
    for email in ["iam-stuck-1@example.de", "iam-stuck-2@example.de"] {
        p.enrolled(email).await;
        let token = p.mfa_token(email).await;
        let form = json!({
            "first_name": "Anna", "last_name": "Muster", "phone": "+4915123456789", "email": email,
            "privacy_consent": true, "altcha": p.altcha().await,
        });
        let submitted = d.ok("POST", "/api/reset-requests", Some(&token), Some(form)).await;
        requests.push(Driver::field(&submitted, "request_id"));
    }
    project(p).await;
    let queue = d.ok("GET", "/api/support/queue", Some(&staff), None).await;
    let number = queue["items"][0]["request_number"].as_str().unwrap_or_default().to_owned();
    d.ok("GET", &format!("/api/support/requests?number={number}"), Some(&staff), None).await;
    let (first, second) = (&requests[0], &requests[1]);
    d.ok("GET", &format!("/api/support/requests/{first}"), Some(&staff), None).await;
    d.ok("POST", &format!("/api/support/requests/{first}/take"), Some(&staff), Some(json!({}))).await;
    d.ok("POST", &format!("/api/support/requests/{first}/approve"), Some(&staff), Some(json!({"note": "ID checked"})))
        .await;
    d.ok("POST", &format!("/api/support/requests/{second}/reject"), Some(&staff), Some(json!({"reason": "no ID"})))
        .await;
    let customer = "iam-customer@example.de";
    p.enrolled(customer).await;
    let found = d.ok("POST", "/api/support/accounts/lookup", Some(&staff), Some(json!({"email": customer}))).await;
    let id = found["account"]["user_id"].as_str().or(found["user_id"].as_str()).unwrap_or_default().to_owned();
    d.ok("POST", &format!("/api/support/accounts/{id}/disable"), Some(&staff), Some(json!({"reason": "fraud"}))).await;
    d.ok("POST", &format!("/api/support/accounts/{id}/enable"), Some(&staff), None).await;
    d.ok("POST", &format!("/api/support/accounts/{id}/delete"), Some(&staff), None).await;

    // password: the forgotten password's link, a new password, a new
    // address (the passkey's proof) and its link.
    d.ok("POST", "/api/password/forgot", None, Some(json!({"email": owner}))).await;
    let token = mailed_token(&from, owner, "/reset-password?token=").await;
    d.ok("POST", "/api/password/reset/check", None, Some(json!({"token": token}))).await;
    let new_password = "Ganz-neu-und-lang-77";
    d.ok("POST", "/api/password/reset", None, Some(json!({"token": token, "new_password": new_password}))).await;
    let (_, login) = p.login(owner, new_password).await;
    let token = Driver::field(&login, "mfa_token");
    p.next_step();
    let verified = d
        .ok("POST", "/api/mfa/verify", Some(&token), Some(json!({"method": "totp", "code": p.code(&e.secret, 0)})))
        .await;
    let session = Driver::field(&verified, "session_token");
    let change =
        json!({"current_password": new_password, "new_password": PASSWORD, "verification": p.step_up(&e.secret)});
    let changed = d.ok("POST", "/api/account/password", Some(&session), Some(change)).await;
    let session = Driver::field(&changed, "session_token");
    let new_email = "iam-owner-new@example.de";
    let proof = d.passkey_proof(&session, &mut key).await;
    d.ok("POST", "/api/account/email", Some(&session), Some(json!({"new_email": new_email, "verification": proof})))
        .await;
    let token = mailed_token(&from, new_email, "/confirm-email?token=").await;
    d.ok("POST", "/api/account/email/confirm", None, Some(json!({"token": token}))).await;

    // account: other sessions ended, a passkey removed, signed out.
    let ended = d.ok("POST", "/api/sessions/end-others", Some(&session), None).await;
    let session = Driver::field(&ended, "session_token");
    let proof = d.passkey_proof(&session, &mut key).await;
    let listed = d.ok("GET", "/api/passkeys", Some(&session), None).await;
    let passkey_id = listed["items"][0]["id"].as_str().unwrap_or_default().to_owned();
    d.ok("DELETE", &format!("/api/passkeys/{passkey_id}"), Some(&session), Some(json!({"verification": proof}))).await;
    d.ok("POST", "/api/logout", Some(&session), None).await;

    // password: the owner deletes the account (a passkey's proof), on a
    // second owner with one.
    let leaving = "iam-leaving@example.de";
    let e = p.enrolled(leaving).await;
    let mut key = Authenticator::new(32, ORIGIN);
    let options = d
        .ok("POST", "/api/passkeys/options", Some(&e.session), Some(json!({"verification": p.step_up(&e.secret)})))
        .await;
    let credential = key.register(&options["options"]);
    d.ok("POST", "/api/passkeys", Some(&e.session), Some(json!({"name": "Phone", "credential": credential}))).await;
    let proof = d.passkey_proof(&e.session, &mut key).await;
    d.ok("POST", "/api/account/delete", Some(&e.session), Some(json!({"password": PASSWORD, "verification": proof})))
        .await;

    // The projector over everything, then sla_watch a year on: pending
    // requests overdue, decided ones anonymised.
    project(p).await;
    p.clock.advance(time::Duration::days(400));
    let watch = iam_audit::cold(p.app());
    let report =
        iam_audit::run_as("sla_watch", "the schedule (a year on)", functions::sla_watch::run(&watch, p.now())).await;
    if let Err(e) = report {
        d.failed.push(format!("sla_watch: {}", e.message));
    }
    d.failed
}

/// The projector function over every stored event, cold (the stream
/// records it would get; markers keep it idempotent).
async fn project(p: &TestPortal) {
    let events = p.events().await;
    let projector = iam_audit::cold_projector(&p.projector);
    iam_audit::run_as("projector", "stream records", async {
        for e in &events {
            projector.project(e).await.expect("projection");
        }
    })
    .await;
}

#[tokio::test]
#[ignore = "needs LocalStack; tests/run runs it"]
async fn every_function_calls_only_what_its_role_allows() {
    let started = std::time::Instant::now();
    let p = TestPortal::aws(settings(), cheap_passwords()).await;
    let Backend::Aws(aws) = &p.backend else { unreachable!("TestPortal::aws") };
    let tokens = resource_tokens(aws).await;
    // A cold start, as every function makes one.
    record_permissions(true);
    take_permissions();
    Aws::connect(aws.resources.clone(), settings(), p.clock.clone(), cheap_passwords()).await.expect("connects");
    let cold_start = take_permissions();
    record_permissions(false);

    iam_audit::start(p.app(), function_of_route());
    let failed = drive(&p, aws).await;
    let seen = iam_audit::finish();

    let table = crate::infra::iam_table();
    let everyone =
        table.keys().map(|f| Seen { function: f.clone(), request: "cold start".into(), needs: cold_start.clone() });
    let token =
        |resource: &str| tokens.get(resource).map_or_else(|| format!("unknown resource {resource}"), |t| t.to_string());
    let mut used: BTreeMap<&str, BTreeSet<(String, String)>> = BTreeMap::new();
    let mut denied = BTreeMap::new();
    let everyone: Vec<Seen> = everyone.collect();
    for s in everyone.iter().chain(&seen) {
        let allowed = table.get(&s.function);
        for (action, resource) in &s.needs {
            let need = (action.clone(), token(resource));
            if !allowed.is_some_and(|a| a.contains(&need)) {
                denied.entry((s.function.clone(), need.0.clone(), need.1.clone())).or_insert_with(|| s.request.clone());
            }
            used.entry(&s.function).or_default().insert(need);
        }
    }
    // What the pass exercised and what it did not.
    let routes = crate::infra::binary_routes();
    let requested: BTreeSet<(&str, &str, &str)> = seen
        .iter()
        .filter_map(|s| {
            let (method, path) = s.request.split_once(' ')?;
            let (route, _) = functions::http::routes::find(functions::handlers::ALL, method, path).ok()?;
            Some((s.function.as_str(), route.method, route.path))
        })
        .collect();
    for (function, allowed) in &table {
        let calls = seen.iter().filter(|s| &s.function == function).count();
        println!("iam audit: {function}: {calls} requests");
        for (action, resource) in allowed.difference(used.get(function.as_str()).unwrap_or(&BTreeSet::new())) {
            // The Lambda service itself uses these with the role (the log,
            // the stream's event source mapping, its failure queue).
            let by_lambda = matches!(resource.as_str(), "log-group" | "events-stream" | "projector-dlq");
            let note = if by_lambda { " (by Lambda itself, not the code)" } else { "" };
            println!("iam audit: {function}: allowed, never used by the pass: {action} on {resource}{note}");
        }
        for route in routes.get(function).into_iter().flatten() {
            let hit = requested.contains(&(function.as_str(), route.method, route.path));
            if !hit && !route.path.starts_with("/dev/") && route.method != "OPTIONS" {
                println!("iam audit: {function}: route never requested: {} {}", route.method, route.path);
            }
        }
    }
    println!("iam audit: {} requests and runs in {:.1} s", seen.len(), started.elapsed().as_secs_f64());
    let denied: Vec<String> = denied
        .into_iter()
        .map(|((function, action, resource), request)| {
            format!("{function}: {action} on {resource}, which its role does not allow (first by {request})")
        })
        .collect();
    assert!(denied.is_empty(), "calls a deployed function would get AccessDenied for:\n{}", denied.join("\n"));
    assert!(failed.is_empty(), "requests that did not take their main path:\n{}", failed.join("\n"));
}
