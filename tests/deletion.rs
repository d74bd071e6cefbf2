//! An account deleted for good by its owner (`POST /api/account/delete`):
//! the password and the second factor's proof, then every way in dies, a
//! sign-in gets the answer of an unknown address, and the address registers
//! again as a new account. Run on the embedded backend and, with
//! `PORTAL_TEST_BACKEND=aws`, on LocalStack.

use acceptance::conformance::futures_join_all;
use acceptance::harness::{Enrolled, PASSWORD, TestPortal, basic_auth};
use acceptance::oidc_rp::{Rp, param, userinfo};
use events::account;
use serde_json::{Value, json};
use uuid::Uuid;

async fn delete(p: &TestPortal, session: &str, body: Value) -> (u16, Value) {
    p.call("POST", "/api/account/delete", Some(session), Some(body)).await
}

async fn user_id(p: &TestPortal, session: &str) -> Uuid {
    let (status, me) = p.call("GET", "/api/account", Some(session), None).await;
    assert_eq!(status, 200, "{me}");
    Uuid::parse_str(me["user_id"].as_str().unwrap()).unwrap()
}

async fn app_password(p: &TestPortal, e: &Enrolled) -> String {
    let body = json!({"name": "Thunderbird", "verification": p.step_up(&e.secret)});
    let (status, body) = p.call("POST", "/api/app-passwords", Some(&e.session), Some(body)).await;
    assert_eq!(status, 201, "{body}");
    body["password"].as_str().unwrap().to_owned()
}

async fn dav_auth(p: &TestPortal, email: &str, password: &str) -> u16 {
    p.send("GET", "/api/dav/auth", &[("authorization", &basic_auth(email, password))], Vec::new()).await.0
}

#[tokio::test]
async fn the_owner_deletes_with_password_and_proof_and_every_way_in_dies() {
    let p = TestPortal::new().await;
    let email = "leaving@example.de";
    let e = p.enrolled(email).await;
    let id = user_id(&p, &e.session).await;
    let dav_password = app_password(&p, &e).await;
    assert_eq!(dav_auth(&p, email, &dav_password).await, 200);
    let rp = Rp::register(&p, false).await;
    let (to, _) = rp.sign_in(&p, &e.session, &[]).await;
    let (status, tokens) = rp.exchange(&p, &param(&to, "code").unwrap()).await;
    assert_eq!(status, 200, "{tokens}");
    let (access, refresh) = (tokens["access_token"].as_str().unwrap(), tokens["refresh_token"].as_str().unwrap());

    // Refused, and nothing written: a wrong password, no proof, bad input.
    let before = p.event_count().await;
    let (status, body) =
        delete(&p, &e.session, json!({"password": "wrong", "verification": p.step_up(&e.secret)})).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")), "{body}");
    let (status, body) = delete(&p, &e.session, json!({"password": PASSWORD})).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("verification_required")), "{body}");
    for bad in [json!({}), json!({"password": 7}), json!({"password": PASSWORD, "extra": 1})] {
        assert_eq!(delete(&p, &e.session, bad.clone()).await.0, 400, "{bad}");
    }
    assert_eq!(p.call("POST", "/api/account/delete", None, Some(json!({"password": PASSWORD}))).await.0, 401);
    assert_eq!(p.event_count().await, before, "nothing written");
    assert_eq!(user_id(&p, &e.session).await, id, "still there");

    let (status, body) =
        delete(&p, &e.session, json!({"password": PASSWORD, "verification": p.step_up(&e.secret)})).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("deleted")), "{body}");

    // Every way in is dead.
    assert_eq!(p.call("GET", "/api/account", Some(&e.session), None).await.0, 401, "the session");
    assert_eq!(dav_auth(&p, email, &dav_password).await, 401, "the app password");
    assert_eq!(userinfo(&p, access).await.0, 401, "the access token");
    let (status, body) = rp.refresh(&p, refresh).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "the refresh token: {body}");
    // A sign-in answers as for an address that never had an account.
    let deleted = p.login(email, PASSWORD).await;
    let unknown = p.login("never-here@example.de", PASSWORD).await;
    assert_eq!(deleted, unknown);
    assert_eq!(deleted.0, 401);
    assert_eq!(p.app().store.claim_owner(&p.app().email_claim(email)).await.unwrap(), None, "the claim is free");
    // Deleting again: the session is gone.
    assert_eq!(delete(&p, &e.session, json!({"password": PASSWORD})).await.0, 401);

    // The address registers again, as a new account.
    let again = Uuid::parse_str(&p.register(email).await).unwrap();
    assert_ne!(again, id);
    let (status, body) = p.login(email, PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    let stored = p.app().store.load(&account::stream_id(id)).await.unwrap();
    let last = stored.last().unwrap();
    assert_eq!(
        (last.record.event_type.as_str(), &last.record.payload),
        ("account_deleted", &json!({"staff_id": null}))
    );
}

#[tokio::test]
async fn of_two_deletions_at_once_one_deletes_and_sign_ins_meanwhile_get_in_or_not_at_all() {
    let p = TestPortal::new().await;
    let email = "twice@example.de";
    let e = p.enrolled(email).await;
    let id = user_id(&p, &e.session).await;
    let proof = p.step_up(&e.secret);
    let body = json!({"password": PASSWORD, "verification": proof});
    let deletions = (0..2).map(|_| delete(&p, &e.session, body.clone()));
    let logins = (0..4).map(|_| p.login(email, PASSWORD));
    let (deleting, signing_in) = tokio::join!(futures_join_all(deletions), futures_join_all(logins));
    let mut statuses: Vec<u16> = deleting.iter().map(|(s, _)| *s).collect();
    statuses.sort();
    // The loser finds the account gone (401), or the one proof used (409).
    assert!(matches!(statuses[..], [200, 401] | [200, 409]), "{deleting:?}");
    assert!(signing_in.iter().all(|(s, _)| matches!(s, 200 | 401)), "{signing_in:?}");
    let deleted_events = p
        .app()
        .store
        .load(&account::stream_id(id))
        .await
        .unwrap()
        .iter()
        .filter(|e| e.record.event_type == "account_deleted")
        .count();
    assert_eq!(deleted_events, 1);
    assert_eq!(p.login(email, PASSWORD).await.0, 401);
    assert_eq!(p.app().store.claim_owner(&p.app().email_claim(email)).await.unwrap(), None);
}

#[tokio::test]
async fn support_deletes_an_account_with_four_eyes_and_never_a_staff_account() {
    let mut four_eyes = acceptance::harness::settings();
    four_eyes.reset_policy.approvals_required = 2;
    let p = TestPortal::with_settings(four_eyes, acceptance::harness::cheap_passwords()).await;
    let (alice, _) = p.staff("alice@support.example", "Alice").await;
    let (bob, _) = p.staff("bob@support.example", "Bob").await;
    let email = "by-support@example.de";
    let e = p.enrolled(email).await;
    let id = user_id(&p, &e.session).await;
    let path = format!("/api/support/accounts/{id}/delete");
    assert_eq!(p.call("POST", &path, Some(&e.session), None).await.0, 403, "not a customer");
    assert_eq!(p.call("POST", &path, None, None).await.0, 401);

    let (status, first) = p.call("POST", &path, Some(&alice), None).await;
    assert_eq!((status, first["status"].as_str()), (200, Some("approval_needed")), "{first}");
    assert_eq!(p.call("GET", "/api/account", Some(&e.session), None).await.0, 200, "not deleted yet");
    let (status, twice) = p.call("POST", &path, Some(&alice), None).await;
    assert_eq!((status, twice["error"].as_str()), (409, Some("conflict")), "the same one twice: {twice}");

    let (status, done) = p.call("POST", &path, Some(&bob), None).await;
    assert_eq!((status, done["status"].as_str()), (200, Some("deleted")), "{done}");
    let what: Vec<(&str, &str)> = done["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["what"].as_str().unwrap(), h["by"]["name"].as_str().unwrap()))
        .collect();
    assert_eq!(what, [("deleted", "Bob"), ("deletion_approved", "Alice")]);
    assert_eq!(p.call("GET", "/api/account", Some(&e.session), None).await.0, 401);
    assert_eq!(p.login(email, PASSWORD).await, p.login("never-here@example.de", PASSWORD).await);
    assert_eq!(p.app().store.claim_owner(&p.app().email_claim(email)).await.unwrap(), None);
    assert_eq!(p.call("POST", &path, Some(&bob), None).await.0, 404, "gone");

    // Staff accounts are the operator's.
    let (_, bob_me) = p.call("GET", "/api/account", Some(&bob), None).await;
    let bob_path = format!("/api/support/accounts/{}/delete", bob_me["user_id"].as_str().unwrap());
    assert_eq!(p.call("POST", &bob_path, Some(&alice), None).await.0, 403);
}

/// What the account held besides its address: the user name's claim is
/// released with the deletion (the name signs in no more and is free for
/// another account), and a pending change of address, which holds no claim
/// until confirmed, dies with the account (its link is refused, and the new
/// address was never taken).
#[tokio::test]
async fn a_deletion_frees_the_user_name_and_kills_a_pending_change_of_address() {
    let p = TestPortal::new().await;
    let email = "named@example.de";
    let e = p.enrolled(email).await;
    let body = json!({ "username": "Gone.Soon" });
    let (status, reply) = p.call("PUT", "/api/account/username", Some(&e.session), Some(body)).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(p.login("gone.soon", PASSWORD).await.0, 200, "the name signs in");
    let new_email = "named.new@example.de";
    let body = json!({"new_email": new_email, "verification": p.step_up(&e.secret)});
    let (status, reply) = p.call("POST", "/api/account/email", Some(&e.session), Some(body)).await;
    assert_eq!(status, 202, "{reply}");
    let mail = p.outbox().await.into_iter().rev().find(|m| m["channel"] == "email" && m["to"] == new_email);
    let mail = mail.unwrap_or_else(|| panic!("no link mailed to {new_email}"));
    let link = mail["body"].as_str().unwrap().split_whitespace().find(|w| w.contains("/confirm-email?token=")).unwrap();
    let token = link.split_once("?token=").unwrap().1.to_owned();
    let name_claim = p.app().username_claim("gone.soon");
    assert!(p.app().store.claim_owner(&name_claim).await.unwrap().is_some());

    let (status, reply) =
        delete(&p, &e.session, json!({"password": PASSWORD, "verification": p.step_up(&e.secret)})).await;
    assert_eq!((status, reply["status"].as_str()), (200, Some("deleted")), "{reply}");

    assert_eq!(p.app().store.claim_owner(&name_claim).await.unwrap(), None, "the name's claim is free");
    let (deleted, unknown) = (p.login("Gone.Soon", PASSWORD).await, p.login("never.named", PASSWORD).await);
    assert_eq!((deleted.0, &deleted), (401, &unknown), "the name answers as one never taken");
    let confirm = json!({ "token": token });
    let (status, reply) = p.call("POST", "/api/account/email/confirm", None, Some(confirm)).await;
    assert_eq!((status, reply["error"].as_str()), (400, Some("invalid_token")), "{reply}");
    assert_eq!(p.app().store.claim_owner(&p.app().email_claim(new_email)).await.unwrap(), None);

    // Both the old address and the name go to a new account.
    p.register(email).await;
    let session = p.login(email, PASSWORD).await.1["session_token"].as_str().unwrap().to_owned();
    let body = json!({ "username": "gone.soon" });
    let (status, reply) = p.call("PUT", "/api/account/username", Some(&session), Some(body)).await;
    assert_eq!(status, 200, "the freed name is another's now: {reply}");
    p.register(new_email).await;
}
