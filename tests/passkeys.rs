//! Passkeys through the real router (and, with `PORTAL_TEST_BACKEND=aws`,
//! on LocalStack): adding one after a step-up, the second step, signing in
//! with one alone, and every answer a relying party must refuse. The
//! browser and authenticator are `acceptance::authenticator`.

use acceptance::authenticator::Authenticator;
use acceptance::conformance::futures_join_all;
use acceptance::harness::{Enrolled, PASSWORD, TestPortal};
use acceptance::oidc_rp::{Rp, claims, param};
use serde_json::{Value, json};

/// The harness's `PORTAL_PUBLIC_URL` as a browser's origin.
const ORIGIN: &str = "http://portal.test";

async fn event_types(p: &TestPortal) -> Vec<String> {
    p.events().await.into_iter().map(|e| e.record.event_type).collect()
}

async fn count_of(p: &TestPortal, event_type: &str) -> usize {
    event_types(p).await.iter().filter(|t| *t == event_type).count()
}

/// Options for adding a passkey, with a step-up.
async fn registration_options(p: &TestPortal, e: &Enrolled) -> Value {
    let body = json!({"verification": p.step_up(&e.secret)});
    let (status, body) = p.call("POST", "/api/passkeys/options", Some(&e.session), Some(body)).await;
    assert_eq!(status, 200, "{body}");
    body["options"].clone()
}

/// An enrolled account with `authenticator`'s passkey added as "iPhone".
async fn with_passkey(p: &TestPortal, email: &str, authenticator: &mut Authenticator) -> Enrolled {
    let e = p.enrolled(email).await;
    let options = registration_options(p, &e).await;
    let credential = authenticator.register(&options);
    let body = json!({"name": " iPhone ", "credential": credential});
    let (status, body) = p.call("POST", "/api/passkeys", Some(&e.session), Some(body)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!((body["name"].as_str(), body["id"].as_str()), (Some("iPhone"), Some(authenticator.id().as_str())));
    e
}

/// A password login's mfa token and the passkey options of its second step.
async fn second_step(p: &TestPortal, email: &str) -> (String, Value) {
    let token = p.mfa_token(email).await;
    let (status, body) = p.call("POST", "/api/mfa/passkey/options", Some(&token), None).await;
    assert_eq!(status, 200, "{body}");
    (token, body["options"].clone())
}

async fn verify(p: &TestPortal, token: &str, credential: Value) -> (u16, Value) {
    p.call("POST", "/api/mfa/passkey/verify", Some(token), Some(json!({"credential": credential}))).await
}

async fn sign_in_options(p: &TestPortal) -> Value {
    let (status, body) = p.call("POST", "/api/passkey/options", None, None).await;
    assert_eq!(status, 200, "{body}");
    body["options"].clone()
}

async fn sign_in(p: &TestPortal, credential: Value) -> (u16, Value) {
    p.call("POST", "/api/passkey/sign-in", None, Some(json!({"credential": credential}))).await
}

#[tokio::test]
async fn a_passkey_is_added_after_a_step_up_listed_and_mailed_about() {
    let p = TestPortal::new().await;
    let e = p.enrolled("anna@example.de").await;
    let (status, body) = p.call("POST", "/api/passkeys/options", Some(&e.session), None).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("verification_required")), "{body}");
    let options = registration_options(&p, &e).await;
    assert_eq!(options["rp"]["id"], "portal.test");
    assert_eq!(options["authenticatorSelection"]["userVerification"], "required");
    assert_eq!(options["attestation"], "none");

    let mut phone = Authenticator::new(1, ORIGIN);
    let credential = phone.register(&options);
    let body = json!({"name": "iPhone", "credential": credential.clone()});
    let (status, body) = p.call("POST", "/api/passkeys", Some(&e.session), Some(body)).await;
    assert_eq!(status, 201, "{body}");
    // The ceremony is used up: the same answer again adds nothing.
    let again = json!({"name": "iPhone", "credential": credential});
    let (status, _) = p.call("POST", "/api/passkeys", Some(&e.session), Some(again)).await;
    assert_eq!(status, 400);

    let (status, list) = p.call("GET", "/api/passkeys", Some(&e.session), None).await;
    assert_eq!(status, 200, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!((items[0]["name"].as_str(), items[0]["synced"].as_bool()), (Some("iPhone"), Some(true)));
    assert!(items[0]["created_at"].is_string() && items[0]["last_used_at"].is_null());
    assert_eq!(count_of(&p, "passkey_added").await, 1);
    // The support console lists it among the factors, by name only.
    let (staff, _) = p.staff("desk@example.de", "Dana Desk").await;
    let body = json!({"email": "anna@example.de"});
    let (status, found) = p.call("POST", "/api/support/accounts/lookup", Some(&staff), Some(body)).await;
    assert_eq!(status, 200, "{found}");
    let listed = &found["account"]["factors"]["passkeys"];
    assert_eq!((listed[0]["name"].as_str(), listed.as_array().map(Vec::len)), (Some("iPhone"), Some(1)), "{found}");
    assert!(listed[0].get("public_key").is_none() && listed[0].get("id").is_none());
    let mails = p.outbox().await;
    assert!(
        mails.iter().any(|m| m["subject"].as_str().is_some_and(|s| s.contains("iPhone"))),
        "the owner is told: {mails:?}"
    );
}

#[tokio::test]
async fn password_then_passkey_signs_in_and_the_login_offers_it() {
    let p = TestPortal::new().await;
    let mut phone = Authenticator::new(2, ORIGIN);
    with_passkey(&p, "anna@example.de", &mut phone).await;
    let (status, login) = p.login("anna@example.de", PASSWORD).await;
    assert_eq!(status, 200);
    assert!(login["methods"].as_array().unwrap().contains(&json!("passkey")), "{login}");
    let (token, options) = second_step(&p, "anna@example.de").await;
    assert_eq!(options["allowCredentials"][0]["id"], phone.id());
    let (status, body) = verify(&p, &token, phone.assert(&options)).await;
    assert_eq!(status, 200, "{body}");
    let session = body["session_token"].as_str().unwrap();
    let (status, list) = p.call("GET", "/api/passkeys", Some(session), None).await;
    assert_eq!(status, 200);
    assert!(list["items"][0]["last_used_at"].is_string(), "{list}");
    // A step-up may be proven with it too.
    let (_, account) = p.call("GET", "/api/account", Some(session), None).await;
    assert_eq!(account["mfa"]["methods"], json!(["totp", "recovery_code", "passkey"]), "{account}");
}

#[tokio::test]
async fn a_passkey_alone_signs_in_with_user_verification() {
    let p = TestPortal::new().await;
    let mut phone = Authenticator::new(3, ORIGIN);
    with_passkey(&p, "anna@example.de", &mut phone).await;
    let options = sign_in_options(&p).await;
    assert_eq!(options["userVerification"], "required");
    assert_eq!(options["allowCredentials"], json!([]), "discoverable: no account named");
    let (status, body) = sign_in(&p, phone.assert(&options)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["session_token"].is_string(), "{body}");

    // Without user verification it is one factor: refused and counted.
    phone.verifies_user = false;
    let before = count_of(&p, "second_factor_failed").await;
    let (status, body) = sign_in(&p, phone.assert(&sign_in_options(&p).await)).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_code")), "{body}");
    assert_eq!(count_of(&p, "second_factor_failed").await, before + 1);
}

#[tokio::test]
async fn a_wrong_origin_or_rp_id_is_refused_and_counted() {
    let p = TestPortal::new().await;
    let mut phone = Authenticator::new(4, ORIGIN);
    with_passkey(&p, "anna@example.de", &mut phone).await;
    phone.origin = "http://portal.test.evil.example".into();
    let (token, options) = second_step(&p, "anna@example.de").await;
    let (status, body) = verify(&p, &token, phone.assert(&options)).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_code")), "{body}");
    phone.origin = ORIGIN.into();
    phone.rp_id = Some("evil.example".into());
    let (token, options) = second_step(&p, "anna@example.de").await;
    let (status, _) = verify(&p, &token, phone.assert(&options)).await;
    assert_eq!(status, 401);
    let (status, _) = sign_in(&p, phone.assert(&sign_in_options(&p).await)).await;
    assert_eq!(status, 401);
    assert_eq!(count_of(&p, "second_factor_failed").await, 3, "{:?}", event_types(&p).await);
    assert_eq!(count_of(&p, "passkey_used").await, 0);
}

#[tokio::test]
async fn a_replayed_assertion_and_a_replayed_challenge_are_refused() {
    let p = TestPortal::new().await;
    let mut phone = Authenticator::new(5, ORIGIN);
    with_passkey(&p, "anna@example.de", &mut phone).await;
    let (token, options) = second_step(&p, "anna@example.de").await;
    let assertion = phone.assert(&options);
    assert_eq!(verify(&p, &token, assertion.clone()).await.0, 200);
    // The very same answer, at a new login's second step.
    let (token, _) = second_step(&p, "anna@example.de").await;
    let (status, body) = verify(&p, &token, assertion).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_code")), "a replayed assertion: {body}");
    // A fresh signature (counter forward) over a challenge already used.
    let (status, _) = verify(&p, &token, phone.assert(&options)).await;
    assert_eq!(status, 401, "a replayed challenge");
    // The same for a sign-in with the passkey alone.
    let options = sign_in_options(&p).await;
    let assertion = phone.assert(&options);
    assert_eq!(sign_in(&p, assertion.clone()).await.0, 200);
    assert_eq!(sign_in(&p, assertion).await.0, 401);
    assert_eq!(sign_in(&p, phone.assert(&options)).await.0, 401);
    assert_eq!(count_of(&p, "passkey_used").await, 2);
}

#[tokio::test]
async fn a_counter_going_backwards_is_refused_and_recorded() {
    let p = TestPortal::new().await;
    let mut phone = Authenticator::new(6, ORIGIN);
    with_passkey(&p, "anna@example.de", &mut phone).await;
    for _ in 0..3 {
        let (token, options) = second_step(&p, "anna@example.de").await;
        assert_eq!(verify(&p, &token, phone.assert(&options)).await.0, 200);
    }
    // A copy of the key that has signed less often than the original.
    let (token, options) = second_step(&p, "anna@example.de").await;
    let (status, body) = verify(&p, &token, phone.assert_with_counter(&options, 2)).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_code")), "{body}");
    assert_eq!(count_of(&p, "passkey_counter_regressed").await, 1);
    let (token, options) = second_step(&p, "anna@example.de").await;
    assert_eq!(verify(&p, &token, phone.assert(&options)).await.0, 200, "the original goes on");
}

#[tokio::test]
async fn a_credential_of_another_account_is_refused() {
    let p = TestPortal::new().await;
    let mut annas = Authenticator::new(7, ORIGIN);
    let mut bens = Authenticator::new(8, ORIGIN);
    with_passkey(&p, "anna@example.de", &mut annas).await;
    with_passkey(&p, "ben@example.de", &mut bens).await;
    let (token, options) = second_step(&p, "anna@example.de").await;
    let (status, _) = verify(&p, &token, bens.assert(&options)).await;
    assert_eq!(status, 401, "Ben's key at Anna's second step");
    // Ben's key claiming to be Anna's (her user handle) when signing in alone.
    bens.user_handle = annas.user_handle.clone();
    let (status, _) = sign_in(&p, bens.assert(&sign_in_options(&p).await)).await;
    assert_eq!(status, 401);
    assert_eq!(count_of(&p, "passkey_used").await, 0);
}

#[tokio::test]
async fn malformed_answers_are_400_and_write_nothing() {
    let p = TestPortal::new().await;
    let mut phone = Authenticator::new(9, ORIGIN);
    let e = with_passkey(&p, "anna@example.de", &mut phone).await;
    let options = registration_options(&p, &e).await;
    let mut bad_cbor = Authenticator::new(10, ORIGIN).register(&options);
    bad_cbor["response"]["attestationObject"] = json!("o2NmbXRkbm9uZWdhdHRTdG10oWhhdXRoRGF0YVj_");
    let (token, second) = second_step(&p, "anna@example.de").await;
    let mut bad_auth_data = phone.assert(&second);
    bad_auth_data["response"]["authenticatorData"] = json!("AAEC");
    let before = p.event_count().await;
    for (path, auth, body) in [
        ("/api/passkeys", e.session.as_str(), json!({"name": "x", "credential": bad_cbor})),
        ("/api/passkeys", e.session.as_str(), json!({"name": "x", "credential": "not a credential"})),
        ("/api/mfa/passkey/verify", token.as_str(), json!({"credential": bad_auth_data})),
        ("/api/mfa/passkey/verify", token.as_str(), json!({"credential": {"id": 1}})),
        ("/api/mfa/passkey/verify", token.as_str(), json!({"credential": {}, "extra": true})),
    ] {
        let (status, body) = p.call("POST", path, Some(auth), Some(body)).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")), "{path}: {body}");
    }
    let (status, _) =
        p.send("POST", "/api/passkey/sign-in", &[("content-type", "application/json")], b"{".to_vec()).await;
    assert_eq!(status, 400);
    assert_eq!(p.event_count().await, before, "nothing written");
    // The second step is still open: the good answer works.
    assert_eq!(verify(&p, &token, phone.assert(&second)).await.0, 200);
}

#[tokio::test]
async fn concurrent_answers_to_one_challenge_have_one_winner() {
    let p = TestPortal::new().await;
    let mut phone = Authenticator::new(11, ORIGIN);
    with_passkey(&p, "anna@example.de", &mut phone).await;
    let options = sign_in_options(&p).await;
    let assertion = phone.assert(&options);
    let results = futures_join_all((0..8).map(|_| sign_in(&p, assertion.clone()))).await;
    let won = results.iter().filter(|(status, _)| *status == 200).count();
    assert_eq!(won, 1, "{results:?}");
    assert_eq!(count_of(&p, "passkey_used").await, 1);
}

#[tokio::test]
async fn failed_assertions_lock_out_like_wrong_codes() {
    let p = TestPortal::new().await;
    let mut phone = Authenticator::new(12, ORIGIN);
    let e = with_passkey(&p, "anna@example.de", &mut phone).await;
    let mut stranger = Authenticator::new(13, ORIGIN);
    stranger.user_handle = phone.user_handle.clone();
    let mut locked = false;
    for attempt in 0..30 {
        let (token, options) = second_step(&p, "anna@example.de").await;
        // Wrong codes and foreign keys, taking turns: one counter.
        let (status, body) = if attempt % 2 == 0 {
            verify(&p, &token, stranger.assert_with_counter(&options, 1)).await
        } else {
            p.verify(&token, "totp", "000000").await
        };
        if status == 429 {
            locked = true;
            break;
        }
        assert_eq!(status, 401, "{body}");
    }
    assert!(locked, "never locked");
    let (token, options) = second_step(&p, "anna@example.de").await;
    let (status, _) = verify(&p, &token, phone.assert(&options)).await;
    assert_eq!(status, 429, "locked: even the right passkey waits");
    let body = json!({"verification": p.step_up(&e.secret)});
    let (status, _) = p.call("POST", "/api/passkeys/options", Some(&e.session), Some(body)).await;
    assert_eq!(status, 429, "and no step-up passes while locked");
}

#[tokio::test]
async fn a_passkey_is_removed_with_a_step_up_and_no_longer_signs_in() {
    let p = TestPortal::new().await;
    let mut phone = Authenticator::new(14, ORIGIN);
    let e = with_passkey(&p, "anna@example.de", &mut phone).await;
    let path = format!("/api/passkeys/{}", phone.id());
    let (status, body) = p.call("DELETE", &path, Some(&e.session), None).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("verification_required")), "{body}");
    let body = json!({"verification": p.step_up(&e.secret)});
    let (status, _) = p.call("DELETE", &path, Some(&e.session), Some(body)).await;
    assert_eq!(status, 204);
    let (_, list) = p.call("GET", "/api/passkeys", Some(&e.session), None).await;
    assert_eq!(list["items"], json!([]));
    assert_eq!(count_of(&p, "passkey_removed").await, 1);
    let (status, _) = sign_in(&p, phone.assert(&sign_in_options(&p).await)).await;
    assert_eq!(status, 401);
    let (status, login) = p.login("anna@example.de", PASSWORD).await;
    assert_eq!(status, 200);
    assert!(!login["methods"].as_array().unwrap().contains(&json!("passkey")), "{login}");
}

/// The `amr` an app is told of the sign-in `session` stands for (the code
/// flow of a registered client, as `tests/oidc.rs` runs it).
async fn amr_of(p: &TestPortal, session: &str) -> Value {
    let rp = Rp::register(p, false).await;
    let (to, _) = rp.sign_in(p, session, &[]).await;
    let (status, tokens) = rp.exchange(p, &param(&to, "code").expect(&to)).await;
    assert_eq!(status, 200, "{tokens}");
    claims(tokens["id_token"].as_str().unwrap())["amr"].clone()
}

#[tokio::test]
async fn the_apps_are_told_the_kind_of_key_user_verification_and_no_password_when_alone() {
    let p = TestPortal::new().await;
    let mut phone = Authenticator::new(15, ORIGIN);
    with_passkey(&p, "anna@example.de", &mut phone).await;
    // After the password, a synced passkey that verified the user.
    let (token, options) = second_step(&p, "anna@example.de").await;
    let (status, body) = verify(&p, &token, phone.assert(&options)).await;
    assert_eq!(status, 200, "{body}");
    let amr = amr_of(&p, body["session_token"].as_str().unwrap()).await;
    assert_eq!(amr, json!(["pwd", "mfa", "swk", "user"]));
    // Alone: two factors in one, and no password.
    let (status, body) = sign_in(&p, phone.assert(&sign_in_options(&p).await)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(amr_of(&p, body["session_token"].as_str().unwrap()).await, json!(["mfa", "swk", "user"]));
    // A key bound to its hardware, touched without a PIN after the password.
    let mut yubikey = Authenticator::new(16, ORIGIN);
    yubikey.synced = false;
    with_passkey(&p, "ben@example.de", &mut yubikey).await;
    yubikey.verifies_user = false;
    let (token, options) = second_step(&p, "ben@example.de").await;
    let (status, body) = verify(&p, &token, yubikey.assert(&options)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(amr_of(&p, body["session_token"].as_str().unwrap()).await, json!(["pwd", "mfa", "hwk"]));
}

#[tokio::test]
async fn a_deleted_accounts_passkey_is_refused_as_an_unknown_one_is() {
    let p = TestPortal::new().await;
    let mut phone = Authenticator::new(17, ORIGIN);
    let e = with_passkey(&p, "anna@example.de", &mut phone).await;
    let body = json!({"password": PASSWORD, "verification": p.step_up(&e.secret)});
    let (status, deleted) = p.call("POST", "/api/account/delete", Some(&e.session), Some(body)).await;
    assert_eq!((status, deleted["status"].as_str()), (200, Some("deleted")), "{deleted}");
    let before = p.event_count().await;
    let (status, refused) = sign_in(&p, phone.assert(&sign_in_options(&p).await)).await;
    // A key no account ever had, for the answer to compare with.
    let mut stranger = Authenticator::new(18, ORIGIN);
    stranger.user_handle = uuid::Uuid::new_v4().as_bytes().to_vec();
    let (unknown_status, unknown) = sign_in(&p, stranger.assert(&sign_in_options(&p).await)).await;
    assert_eq!((status, &refused), (unknown_status, &unknown), "the same answer as for an unknown key");
    assert_eq!(status, 401, "{refused}");
    assert_eq!(p.event_count().await, before, "nothing recorded on the deleted account");
}

/// A step-up proven with `authenticator`'s passkey: a ceremony bound to
/// `session`, answered as the change's `verification`.
async fn passkey_proof(p: &TestPortal, session: &str, authenticator: &mut Authenticator) -> Value {
    let (status, body) = p.call("POST", "/api/passkeys/verification/options", Some(session), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["options"]["allowCredentials"][0]["id"], authenticator.id(), "{body}");
    json!({"method": "passkey", "credential": authenticator.assert(&body["options"])})
}

async fn new_app_password(p: &TestPortal, session: &str, verification: Option<Value>) -> (u16, Value) {
    let body = json!({"name": "Calendar", "verification": verification});
    p.call("POST", "/api/app-passwords", Some(session), Some(body)).await
}

#[tokio::test]
async fn a_passkey_confirms_a_change_of_a_credential_once() {
    let p = TestPortal::new().await;
    let mut phone = Authenticator::new(20, ORIGIN);
    let e = with_passkey(&p, "anna@example.de", &mut phone).await;
    let (status, body) = new_app_password(&p, &e.session, None).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("verification_required")), "{body}");
    let proof = passkey_proof(&p, &e.session, &mut phone).await;
    let (status, body) = new_app_password(&p, &e.session, Some(proof.clone())).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(count_of(&p, "passkey_used").await, 1);
    // The same answer again: its ceremony is used up, so it counts as a wrong code.
    let (status, body) = new_app_password(&p, &e.session, Some(proof)).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_code")), "{body}");
    assert_eq!(count_of(&p, "second_factor_failed").await, 1);
    assert_eq!(count_of(&p, "app_password_created").await, 1);
    // A factor's change takes it as well: the authenticator app replaced.
    let proof = passkey_proof(&p, &e.session, &mut phone).await;
    let (status, body) =
        p.call("POST", "/api/mfa/totp/setup", Some(&e.session), Some(json!({"verification": proof}))).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_step_up_takes_only_a_ceremony_made_for_it_in_the_same_session() {
    let p = TestPortal::new().await;
    let mut phone = Authenticator::new(21, ORIGIN);
    let e = with_passkey(&p, "anna@example.de", &mut phone).await;
    // A second session of the same account, signed in with the passkey.
    let (token, options) = second_step(&p, "anna@example.de").await;
    let (status, other) = verify(&p, &token, phone.assert(&options)).await;
    assert_eq!(status, 200, "{other}");
    let other = other["session_token"].as_str().unwrap();
    let of_other_session = passkey_proof(&p, other, &mut phone).await;
    // A login's second-step ceremony is no step-up either.
    let (_, login_options) = second_step(&p, "anna@example.de").await;
    let of_a_login = json!({"method": "passkey", "credential": phone.assert(&login_options)});
    for (what, proof) in [("another session's", of_other_session), ("a login's", of_a_login)] {
        let (status, body) = new_app_password(&p, &e.session, Some(proof)).await;
        assert_eq!((status, body["error"].as_str()), (401, Some("invalid_code")), "{what} ceremony: {body}");
    }
    assert_eq!(count_of(&p, "second_factor_failed").await, 2);
    // Half a proof, or a code with a credential, is malformed: 400, nothing written.
    let before = p.event_count().await;
    for proof in [
        json!({"method": "passkey"}),
        json!({"method": "passkey", "code": "123456"}),
        json!({"method": "totp", "code": "123456", "credential": {}}),
        json!({"method": "passkey", "credential": {"id": 1}}),
    ] {
        let (status, body) = new_app_password(&p, &e.session, Some(proof.clone())).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")), "{proof}: {body}");
    }
    assert_eq!(p.event_count().await, before, "nothing written");
    // A passkey answers the login's second step at its own route only.
    let token = p.mfa_token("anna@example.de").await;
    let before = p.event_count().await;
    let answer = json!({"method": "passkey", "credential": {}});
    assert_eq!(p.call("POST", "/api/mfa/verify", Some(&token), Some(answer)).await.0, 400);
    assert_eq!(p.event_count().await, before, "nothing written");
    // The right ceremony still works, in the session it was made for.
    let proof = passkey_proof(&p, &e.session, &mut phone).await;
    assert_eq!(new_app_password(&p, &e.session, Some(proof)).await.0, 201);
}

#[tokio::test]
async fn a_passkey_step_up_survives_a_decision_retried_after_a_concurrent_write() {
    let base = TestPortal::new().await;
    let mut phone = Authenticator::new(22, ORIGIN);
    let e = with_passkey(&base, "anna@example.de", &mut phone).await;
    let raced = std::sync::Arc::new(acceptance::faulty::FaultyStore::new(base.app.store.clone(), 1));
    let p = base.with_store(raced.clone());
    let proof = passkey_proof(&p, &e.session, &mut phone).await;
    raced.race_next.store(true, std::sync::atomic::Ordering::SeqCst);
    let (status, body) = new_app_password(&p, &e.session, Some(proof)).await;
    assert_eq!(status, 201, "the ceremony was verified once, not taken again by the retry: {body}");
    assert_eq!(raced.raced.load(std::sync::atomic::Ordering::SeqCst), 1);
    let types = event_types(&p).await;
    let tail: Vec<&str> = types.iter().rev().take(3).rev().map(String::as_str).collect();
    assert_eq!(tail, ["language_changed", "passkey_used", "app_password_created"], "{types:?}");
    assert_eq!(count_of(&p, "second_factor_failed").await, 0);
}

#[tokio::test]
async fn one_network_starts_a_bounded_number_of_passkey_sign_ins_a_minute() {
    let p = TestPortal::new().await;
    let office = acceptance::harness::Device { ip: Some("203.0.113.7"), ..Default::default() };
    let colleague = acceptance::harness::Device { ip: Some("203.0.113.200"), ..Default::default() };
    let elsewhere = acceptance::harness::Device { ip: Some("198.51.100.7"), ..Default::default() };
    let mut statuses = Vec::new();
    for _ in 0..60 {
        statuses.push(p.call_from(&office, "POST", "/api/passkey/options", None, None).await.0);
    }
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    // The same /24 network shares the limit; another network has its own.
    let (status, body) = p.call_from(&colleague, "POST", "/api/passkey/options", None, None).await;
    assert_eq!((status, body["error"].as_str()), (429, Some("too_many_attempts")), "{body}");
    assert_eq!(p.call_from(&elsewhere, "POST", "/api/passkey/options", None, None).await.0, 200);
    // A minute later the network may start again.
    p.clock.advance(time::Duration::minutes(1));
    assert_eq!(p.call_from(&office, "POST", "/api/passkey/options", None, None).await.0, 200);
}
