//! Uniqueness claims under keyed keys (`App::email_claim`): no store holds
//! an address as a key, and a claim of before December 2026 (the address
//! itself) moves to its keyed key at its first lookup. Run on the embedded
//! backend and, with `PORTAL_TEST_BACKEND=aws`, on LocalStack (the
//! embedded backend also moves every old claim when it opens:
//! `store_sqlite::made_before_the_schema_had_a_version`).

use acceptance::harness::{PASSWORD, TestPortal};
use events::account;
use functions::ports::store::Claim;
use serde_json::json;
use uuid::Uuid;

#[tokio::test]
async fn a_new_claim_is_keyed_and_holds_no_address() {
    let p = TestPortal::new().await;
    let email = "keyed-claim@example.de";
    let id = Uuid::parse_str(&p.register(email).await).unwrap();
    let key = p.app().email_claim(email);
    assert!(key.starts_with("email#") && !key.contains('@') && !key.contains("keyed-claim"), "{key}");
    assert_eq!(p.app().store.claim_owner(&key).await.unwrap(), Some(account::stream_id(id)));
    assert_eq!(p.app().store.claim_owner(&account::legacy_email_claim(email)).await.unwrap(), None);
    assert_ne!(p.app().username_claim(email), key, "kinds of claim never share a key");
}

#[tokio::test]
async fn an_old_claim_moves_to_its_keyed_key_at_its_first_lookup() {
    let p = TestPortal::new().await;
    let (email, again) = ("old-claim@example.de", "old-claim-2@example.de");
    for address in [email, again] {
        let stream = account::stream_id(Uuid::parse_str(&p.register(address).await).unwrap());
        // As the portal of before December 2026 left it.
        let (key, legacy) = (p.app().email_claim(address), account::legacy_email_claim(address));
        p.app().store.write_claims(&[Claim::take(&legacy, &stream), Claim::release(&key, &stream)]).await.unwrap();
        assert_eq!(p.app().store.claim_owner(&key).await.unwrap(), None);
    }

    // A sign-in finds the account, and moves its claim.
    let (status, body) = p.login(email, PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    let owner = p.app().store.claim_owner(&p.app().email_claim(email)).await.unwrap();
    assert!(owner.is_some_and(|o| o.starts_with("account#")));
    assert_eq!(p.app().store.claim_owner(&account::legacy_email_claim(email)).await.unwrap(), None);

    // A registration of the other old address is refused as taken (its
    // append checks that the old key is free): not a second account under
    // the keyed key. Its sign-in then moves that claim too.
    let (status, body) = p
        .call("POST", "/api/register", None, Some(json!({"email": again, "password": PASSWORD, "name": "Zweite"})))
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(p.app().store.claim_owner(&p.app().email_claim(again)).await.unwrap(), None, "nothing written");
    let (status, body) = p.login(again, PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(p.app().store.claim_owner(&account::legacy_email_claim(again)).await.unwrap(), None);
    assert!(p.app().store.claim_owner(&p.app().email_claim(again)).await.unwrap().is_some());
}
