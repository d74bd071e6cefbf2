use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::*;
use crate::account::event::{Locale, Owed, SmsPurpose};

const T0: OffsetDateTime = datetime!(2026-11-02 09:00:00 UTC);
const APP: Uuid = Uuid::from_u128(7);

fn recorded(events: Vec<(OffsetDateTime, AccountEvent)>) -> Vec<Recorded<AccountEvent>> {
    events.into_iter().zip(1..).map(|((at, event), version)| Recorded { version, at, event }).collect()
}

fn registered() -> AccountEvent {
    AccountEvent::Registered {
        account_id: Uuid::from_u128(1),
        email: crate::Sealed::from_ciphertext("anna@example.de".into()),
        name: crate::Sealed::from_ciphertext("Anna".into()),
        password_hash: "$argon2id$...".into(),
        roles: Vec::new(),
        locale: Locale::De,
        first_login_without_second_factor: true,
    }
}

fn started(login_id: Option<Uuid>, second_factor: Option<Method>) -> AccountEvent {
    AccountEvent::SessionStarted {
        session_id: Uuid::new_v4(),
        login_id,
        expires_at: T0 + Duration::DAY,
        second_factor,
        passkey: None,
    }
}

fn kinds(entries: &[Entry]) -> Vec<&Activity> {
    entries.iter().map(|e| &e.activity).collect()
}

fn at(minutes: i64) -> OffsetDateTime {
    T0 + Duration::minutes(minutes)
}

/// One event of every kind, each a minute after the last.
fn every_kind() -> Vec<(OffsetDateTime, AccountEvent)> {
    let login_id = Uuid::from_u128(3);
    let code_id = Uuid::from_u128(4);
    let setup_id = Uuid::from_u128(5);
    let request_id = Uuid::from_u128(6);
    let token_id = Uuid::from_u128(8);
    let events = vec![
        registered(),
        AccountEvent::PasswordRehashed { password_hash: "$argon2id$new".into() },
        AccountEvent::PasswordPassed { login_id, owed: Owed::Nothing, expires_at: at(100) },
        started(Some(login_id), None),
        AccountEvent::TotpSetupStarted { setup_id, sealed_secret: "sealed".into(), expires_at: at(100) },
        AccountEvent::TotpActivated { setup_id, step: 1, sealed_secret: Some("sealed".into()) },
        AccountEvent::RecoveryCodesIssued { set_id: Uuid::from_u128(9), hashes: vec!["h".into()] },
        AccountEvent::SessionsEnded { reason: SessionEndReason::SecondFactorChanged },
        started(None, Some(Method::Totp)),
        AccountEvent::SessionEnded { session_id: Uuid::from_u128(10) },
        AccountEvent::PasswordFailed {},
        AccountEvent::SecondFactorFailed { method: Method::Sms },
        AccountEvent::TotpAccepted { step: 2 },
        AccountEvent::RecoveryCodeUsed { set_id: Uuid::from_u128(9), index: 0 },
        AccountEvent::SmsCodeIssued {
            code_id,
            code_hash: "hash".into(),
            expires_at: at(100),
            masked_phone: "+49 151 ••••5678".into(),
            purpose: SmsPurpose::Setup { sealed_phone: "sealed".into() },
        },
        AccountEvent::SmsActivated {
            code_id, masked_phone: "+49 151 ••••5678".into(), replaced_masked_phone: None
        },
        AccountEvent::SmsCodeAccepted { code_id },
        AccountEvent::SmsRemoved { masked_phone: "+49 151 ••••5678".into() },
        AccountEvent::AppPasswordCreated {
            app_password_id: APP,
            name: crate::Sealed::from_ciphertext("Thunderbird".into()),
            hash: "hash".into(),
        },
        AccountEvent::AppPasswordRevoked { app_password_id: APP },
        AccountEvent::AppPasswordsRevoked { reason: AppPasswordsRevokedReason::PasswordChanged },
        AccountEvent::ResetRequested { request_id },
        AccountEvent::ResetRequestClosed { request_id },
        AccountEvent::SecondFactorsReset { request_id },
        AccountEvent::PasswordResetRequested { token_id, token_hash: "hash".into(), expires_at: at(100) },
        AccountEvent::PasswordReset { token_id, password_hash: "$argon2id$reset".into() },
        AccountEvent::SessionsEnded { reason: SessionEndReason::SignedOutEverywhereElse },
        started(Some(Uuid::from_u128(11)), Some(Method::RecoveryCode)),
        AccountEvent::LoginCancelled { login_id: Uuid::from_u128(12) },
        AccountEvent::UsernameChosen { username: crate::Sealed::from_ciphertext("Anna.M".into()) },
    ];
    events.into_iter().zip(0..).map(|(e, i)| (at(i), e)).collect()
}

#[test]
fn every_event_kind_maps_to_its_entry_or_to_none_newest_first() {
    let entries = entries(&recorded(every_kind()), &AccountPolicy::default());
    let expected = vec![
        Activity::UsernameChosen { username: crate::Sealed::from_ciphertext("Anna.M".into()) },
        Activity::SignedIn { method: Some(Method::RecoveryCode) },
        Activity::SignedOutEverywhereElse,
        Activity::PasswordReset,
        Activity::PasswordResetRequested,
        Activity::ResetApproved,
        Activity::ResetRejected,
        Activity::ResetRequested,
        Activity::AppPasswordsRevoked { reason: AppPasswordsRevokedReason::PasswordChanged },
        Activity::AppPasswordRevoked {
            app_password_id: APP,
            name: Some(crate::Sealed::from_ciphertext("Thunderbird".into())),
        },
        Activity::AppPasswordCreated {
            app_password_id: APP,
            name: crate::Sealed::from_ciphertext("Thunderbird".into()),
        },
        Activity::SmsRemoved { masked_phone: "+49 151 ••••5678".into() },
        Activity::SmsActivated { masked_phone: "+49 151 ••••5678".into(), replaced_masked_phone: None },
        Activity::SecondFactorFailed { method: Method::Sms },
        Activity::PasswordFailed,
        Activity::SignedOut,
        Activity::RecoveryCodesIssued,
        Activity::AppActivated,
        Activity::SignedIn { method: None },
        Activity::AccountCreated,
    ];
    assert_eq!(kinds(&entries), expected.iter().collect::<Vec<_>>());
    assert!(entries.windows(2).all(|w| w[0].at > w[1].at && w[0].version > w[1].version), "newest first");
    assert_eq!(entries.last().map(|e| (e.at, e.version)), Some((T0, Some(1))));
}

#[test]
fn entries_serialize_as_kind_and_details() {
    let json = |a: Activity| serde_json::to_value(a).unwrap();
    assert_eq!(
        json(Activity::SignedIn { method: Some(Method::Sms) }),
        serde_json::json!({"kind": "signed_in", "method": "sms"})
    );
    assert_eq!(json(Activity::SignedIn { method: None }), serde_json::json!({"kind": "signed_in"}));
    assert_eq!(
        json(Activity::LockedOut { locked: Locked::SecondFactor, until: T0 }),
        serde_json::json!({"kind": "locked_out", "locked": "second_factor", "until": "2026-11-02T09:00:00Z"})
    );
}

#[test]
fn the_failure_that_starts_a_lock_is_followed_by_a_lockout_entry() {
    let policy = AccountPolicy::default();
    let mut events = vec![(T0, registered())];
    // Ten wrong passwords lock for a minute; the eleventh, after it, for two.
    events.extend((0..10).map(|i| (T0 + Duration::seconds(i), AccountEvent::PasswordFailed {})));
    events.push((at(2), AccountEvent::PasswordFailed {}));
    let entries = entries(&recorded(events), &policy);
    let locks: Vec<_> = entries.iter().filter(|e| matches!(e.activity, Activity::LockedOut { .. })).collect();
    assert_eq!(locks.len(), 2, "{entries:?}");
    assert_eq!(locks[0].activity, Activity::LockedOut { locked: Locked::Password, until: at(4) });
    assert_eq!(locks[1].activity, Activity::LockedOut { locked: Locked::Password, until: T0 + Duration::seconds(69) });
    assert_eq!(kinds(&entries[..2]), [&locks[0].activity, &Activity::PasswordFailed], "the lock above its failure");
    assert_eq!(entries.iter().filter(|e| e.activity == Activity::PasswordFailed).count(), 11);
}

#[test]
fn a_success_ends_the_streak_so_nine_more_failures_start_no_lock() {
    let login_id = Uuid::from_u128(3);
    let mut events = vec![(T0, registered())];
    events.extend((0..9).map(|_| (T0, AccountEvent::SecondFactorFailed { method: Method::Totp })));
    events.push((T0, AccountEvent::TotpAccepted { step: 1 }));
    events.extend((0..9).map(|_| (T0, AccountEvent::SecondFactorFailed { method: Method::Totp })));
    let no_lock = entries(&recorded(events.clone()), &AccountPolicy::default());
    assert!(!no_lock.iter().any(|e| matches!(e.activity, Activity::LockedOut { .. })));
    events.push((T0, AccountEvent::SecondFactorFailed { method: Method::Totp }));
    events.push((T0, AccountEvent::PasswordPassed { login_id, owed: Owed::Verify, expires_at: at(5) }));
    let locked = entries(&recorded(events), &AccountPolicy::default());
    assert_eq!(
        locked
            .iter()
            .filter(|e| matches!(e.activity, Activity::LockedOut { locked: Locked::SecondFactor, .. }))
            .count(),
        1
    );
}

#[test]
fn an_app_passwords_last_use_is_an_entry_in_time_order_named_by_its_creation() {
    let events = vec![
        (T0, registered()),
        (
            at(1),
            AccountEvent::AppPasswordCreated {
                app_password_id: APP,
                name: crate::Sealed::from_ciphertext("DAVx5".into()),
                hash: "h".into(),
            },
        ),
        (at(3), AccountEvent::PasswordFailed {}),
    ];
    let unknown = Uuid::from_u128(99);
    let all = with_app_password_uses(
        entries(&recorded(events), &AccountPolicy::default()),
        &[(APP, at(2)), (unknown, at(4))],
    );
    assert_eq!(
        kinds(&all),
        [
            &Activity::PasswordFailed,
            &Activity::AppPasswordUsed { app_password_id: APP, name: crate::Sealed::from_ciphertext("DAVx5".into()) },
            &Activity::AppPasswordCreated {
                app_password_id: APP,
                name: crate::Sealed::from_ciphertext("DAVx5".into())
            },
            &Activity::AccountCreated,
        ],
        "a use of an app password nobody can name is left out"
    );
    assert_eq!(all[1].version, None);
    let same_time = with_app_password_uses(all[2..].to_vec(), &[(APP, at(1))]);
    assert_eq!(
        kinds(&same_time)[..2],
        [&all[1].activity, &all[2].activity],
        "a use at its creation's time shows above it"
    );
}

#[test]
fn an_import_and_supports_disabling_show_without_the_staff_members_reason() {
    let imported = AccountEvent::Imported {
        account_id: Uuid::from_u128(1),
        email: crate::Sealed::from_ciphertext("anna@example.de".into()),
        name: crate::Sealed::from_ciphertext("Anna".into()),
        username: None,
        password_hash: "$2b$12$abcdefghijklmnopqrstuu5mPzLkUwHh8pXx0bJyGqS7Lk1c2d3e4".into(),
        locale: crate::account::Locale::De,
        created_at: None,
        first_login_without_second_factor: false,
    };
    let staff_id = Uuid::from_u128(99);
    let events = vec![
        (at(0), imported),
        (at(1), AccountEvent::Disabled { staff_id, reason: "chargeback fraud, ticket 4711".into() }),
        (at(2), AccountEvent::Enabled { staff_id }),
    ];
    let entries = entries(&recorded(events), &AccountPolicy::default());
    assert_eq!(
        kinds(&entries),
        vec![&Activity::AccountEnabled, &Activity::AccountDisabled, &Activity::AccountImported]
    );
    let json = serde_json::to_string(&entries.iter().map(|e| &e.activity).collect::<Vec<_>>()).unwrap();
    assert!(!json.contains("fraud") && !json.contains(&staff_id.to_string()), "{json}");
}
