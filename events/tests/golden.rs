//! Stored events must stay readable forever. These files hold events as
//! the store keeps them; a change to an event that breaks them needs a new
//! schema version and an upcaster, not an edit of the golden file. A new
//! schema version adds a golden file of today's events; the old ones stay.

use events::account::{Account, AccountEvent};
use events::codec::Recorded;
use events::factor_reset::ResetEvent;
use events::{Aggregate, EventCodec, EventRecord};
use std::collections::BTreeSet;
use time::OffsetDateTime;
use time::macros::datetime;

const AT: OffsetDateTime = datetime!(2026-11-22 03:20 UTC);

fn golden(name: &str) -> Vec<EventRecord> {
    let path = format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The account's events as the code of schema 1 wrote them (November
/// 2026), kept unchanged: what is stored stays stored.
const ACCOUNT_V1: &str = "account_v1.json";
/// Every account event type as the code of December 2026 wrote it, kept
/// unchanged (up to `email_changed`, before `account_deleted`).
const ACCOUNT_V2: &str = "account_v2.json";
/// Every account event type before personal data was sealed, kept
/// unchanged: email, name, user name and app-password names in plaintext.
const ACCOUNT_V3: &str = "account_v3.json";
/// Every account event type as today's code writes it.
const ACCOUNT_TODAY: &str = "account_v4.json";
/// The event types whose personal data is sealed from schema 2 on.
const SEALED_TYPES: [&str; 6] =
    ["registered", "imported", "app_password_created", "username_chosen", "email_change_requested", "email_changed"];

#[test]
fn account_events_of_schema_1_still_load_and_unchanged_types_encode_the_same() {
    for record in golden(ACCOUNT_V1) {
        let event = AccountEvent::decode(&record).unwrap_or_else(|e| panic!("{}: {e}", record.event_type));
        if record.schema_version == AccountEvent::schema_version(&record.event_type) {
            assert_eq!(event.encode(), record, "{} re-encodes differently", record.event_type);
        }
    }
}

#[test]
fn a_totp_activation_of_schema_1_is_upcast_and_finds_its_secret_in_the_setup() {
    let v1 = golden(ACCOUNT_V1);
    let record = v1.iter().find(|r| r.event_type == "totp_activated").unwrap();
    assert_eq!(record.schema_version, 1);
    let AccountEvent::TotpActivated { step, sealed_secret, .. } = AccountEvent::decode(record).unwrap() else {
        panic!("not a TotpActivated")
    };
    assert_eq!((step, sealed_secret), (59843957, None));
    assert_eq!(AccountEvent::decode(record).unwrap().encode().schema_version, 2, "written again, it is schema 2");
    // Folded, schema 1 (the secret in the setup) and schema 2 (the secret in
    // the activation too) give the same authenticator.
    let fold = |records: &[EventRecord]| {
        let upto = records.iter().position(|r| r.event_type == "totp_activated").unwrap();
        let recorded: Vec<Recorded<AccountEvent>> = records[..=upto]
            .iter()
            .enumerate()
            .map(|(i, r)| Recorded { version: i as u64 + 1, at: AT, event: AccountEvent::decode(r).unwrap() })
            .collect();
        Account::from_events(&recorded).totp
    };
    let secret = fold(&v1);
    assert!(secret.as_deref().is_some_and(|s| s.starts_with("aesgcm1:")), "{secret:?}");
    assert_eq!(secret, fold(&golden(ACCOUNT_TODAY)));
}

#[test]
fn account_events_of_today_load_and_encode_exactly_as_stored() {
    for record in golden(ACCOUNT_TODAY) {
        assert_eq!(record.schema_version, AccountEvent::schema_version(&record.event_type), "{}", record.event_type);
        let event = AccountEvent::decode(&record).unwrap_or_else(|e| panic!("{}: {e}", record.event_type));
        assert_eq!(event.encode(), record, "{} re-encodes differently", record.event_type);
    }
}

#[test]
fn account_events_of_the_second_and_third_golden_files_load_and_unchanged_types_encode_the_same() {
    for record in golden(ACCOUNT_V2).into_iter().chain(golden(ACCOUNT_V3)) {
        let event = AccountEvent::decode(&record).unwrap_or_else(|e| panic!("{}: {e}", record.event_type));
        if SEALED_TYPES.contains(&record.event_type.as_str()) {
            assert_eq!(record.schema_version, 1, "{}", record.event_type);
        } else {
            assert_eq!(event.encode(), record, "{} re-encodes differently", record.event_type);
        }
    }
}

#[test]
fn plaintext_personal_data_of_schema_1_is_upcast_as_legacy_and_written_again_sealed_as_schema_2() {
    use events::sealed::Content;
    let upcast: Vec<AccountEvent> = golden(ACCOUNT_V3)
        .iter()
        .filter(|r| SEALED_TYPES.contains(&r.event_type.as_str()))
        .map(|r| AccountEvent::decode(r).unwrap())
        .collect();
    let [
        AccountEvent::Registered { email, name, .. },
        AccountEvent::Imported { email: imported_email, username: Some(username), .. },
        AccountEvent::AppPasswordCreated { name: app, .. },
        AccountEvent::UsernameChosen { username: chosen },
        AccountEvent::EmailChangeRequested { new_email, .. },
        AccountEvent::EmailChanged { email: changed, .. },
    ] = &upcast[..]
    else {
        panic!("{upcast:?}")
    };
    assert_eq!(email.content(), Content::Legacy("anna@example.de"));
    assert_eq!(name.content(), Content::Legacy("Anna"));
    assert_eq!(imported_email.content(), Content::Legacy("bernd@example.de"));
    assert_eq!(username.content(), Content::Legacy("bernd.b"));
    assert_eq!(app.content(), Content::Legacy("Thunderbird calendar"));
    assert_eq!(chosen.content(), Content::Legacy("Anna.M"));
    assert_eq!(new_email.content(), Content::Legacy("erika.neu@example.de"));
    assert_eq!(changed.content(), Content::Legacy("erika.neu@example.de"));
    // The fold keeps them as they are: an old account opens without a key.
    let recorded = Recorded { version: 1, at: AT, event: upcast[0].clone() };
    assert_eq!(Account::from_events([&recorded]).email, *email);
    // Today's events hold ciphertext only.
    for record in golden(ACCOUNT_TODAY).into_iter().filter(|r| SEALED_TYPES.contains(&r.event_type.as_str())) {
        assert_eq!(record.schema_version, 2);
        for field in ["email", "name", "username", "new_email"] {
            if let Some(value) = record.payload.get(field) {
                assert!(value.as_str().is_some_and(|v| v.starts_with("aesgcm1:")), "{} {field}", record.event_type);
            }
        }
        let (AccountEvent::Registered { email, .. } | AccountEvent::Imported { email, .. }) =
            AccountEvent::decode(&record).unwrap()
        else {
            continue;
        };
        assert!(matches!(email.content(), Content::Sealed(_)));
    }
}

#[test]
fn passkey_names_are_sealed_from_the_first_schema_and_a_passkey_session_says_how() {
    use events::account::passkey::{KeyKind, PasskeySignIn};
    use events::sealed::Content;
    let today = golden(ACCOUNT_TODAY);
    let named: Vec<_> =
        today.iter().filter(|r| ["passkey_added", "passkey_removed"].contains(&r.event_type.as_str())).collect();
    assert_eq!(named.len(), 2);
    for record in named {
        assert_eq!(record.schema_version, 1, "passkeys came after sealing: no plaintext schema to upcast");
        let (AccountEvent::PasskeyAdded { name, .. } | AccountEvent::PasskeyRemoved { name, .. }) =
            AccountEvent::decode(record).unwrap()
        else {
            panic!("{}", record.event_type)
        };
        assert!(matches!(name.content(), Content::Sealed(c) if c.starts_with("aesgcm1:")), "{}", record.event_type);
    }
    let passkey_session = today.iter().filter(|r| r.event_type == "session_started").find_map(|r| {
        match AccountEvent::decode(r).unwrap() {
            AccountEvent::SessionStarted { passkey: Some(how), .. } => Some(how),
            _ => None,
        }
    });
    assert_eq!(passkey_session, Some(PasskeySignIn { key: KeyKind::Swk, user_verified: true, alone: true }));
}

#[test]
fn the_golden_file_covers_every_account_event_type() {
    let covered: BTreeSet<String> = golden(ACCOUNT_TODAY).into_iter().map(|r| r.event_type).collect();
    // Every variant's tag, listed by the compiler: adding a variant without
    // a golden entry makes this match non-exhaustive.
    let all = |e: &AccountEvent| match e {
        AccountEvent::Registered { .. }
        | AccountEvent::Imported { .. }
        | AccountEvent::PasswordRehashed { .. }
        | AccountEvent::PasswordFailed {}
        | AccountEvent::PasswordPassed { .. }
        | AccountEvent::SessionStarted { .. }
        | AccountEvent::SessionEnded { .. }
        | AccountEvent::SessionsEnded { .. }
        | AccountEvent::TotpSetupStarted { .. }
        | AccountEvent::TotpActivated { .. }
        | AccountEvent::TotpAccepted { .. }
        | AccountEvent::SecondFactorFailed { .. }
        | AccountEvent::RecoveryCodesIssued { .. }
        | AccountEvent::RecoveryCodeUsed { .. }
        | AccountEvent::SmsCodeIssued { .. }
        | AccountEvent::SmsActivated { .. }
        | AccountEvent::SmsCodeAccepted { .. }
        | AccountEvent::SmsRemoved { .. }
        | AccountEvent::AppPasswordCreated { .. }
        | AccountEvent::AppPasswordRevoked { .. }
        | AccountEvent::AppPasswordsRevoked { .. }
        | AccountEvent::ResetRequested { .. }
        | AccountEvent::SecondFactorsReset { .. }
        | AccountEvent::ResetRequestClosed { .. }
        | AccountEvent::PasswordResetRequested { .. }
        | AccountEvent::PasswordReset { .. }
        | AccountEvent::Disabled { .. }
        | AccountEvent::Enabled { .. }
        | AccountEvent::LoginCancelled { .. }
        | AccountEvent::UsernameChosen { .. }
        | AccountEvent::LanguageChanged { .. }
        | AccountEvent::PasswordChanged { .. }
        | AccountEvent::EmailChangeRequested { .. }
        | AccountEvent::EmailChanged { .. }
        | AccountEvent::AccountDeleted { .. }
        | AccountEvent::DeletionApproved { .. }
        | AccountEvent::PasskeyAdded { .. }
        | AccountEvent::PasskeyUsed { .. }
        | AccountEvent::PasskeyRemoved { .. }
        | AccountEvent::PasskeyCounterRegressed { .. } => 40,
    };
    let record = golden(ACCOUNT_TODAY).remove(0);
    assert_eq!(covered.len(), all(&AccountEvent::decode(&record).unwrap()));
}

#[test]
fn an_unknown_schema_version_is_an_error_not_a_guess() {
    let mut record = golden(ACCOUNT_TODAY).remove(2);
    record.schema_version = 99;
    assert!(AccountEvent::decode(&record).is_err());
}

#[test]
fn reset_events_of_schema_1_still_load_and_encode_the_same() {
    for record in golden("reset_v1.json") {
        let event = ResetEvent::decode(&record).unwrap_or_else(|e| panic!("{}: {e}", record.event_type));
        assert_eq!(event.encode(), record, "{} re-encodes differently", record.event_type);
    }
}

#[test]
fn the_golden_file_covers_every_reset_event_type() {
    let covered: BTreeSet<String> = golden("reset_v1.json").into_iter().map(|r| r.event_type).collect();
    let all = |e: &ResetEvent| match e {
        ResetEvent::Submitted { .. }
        | ResetEvent::Viewed { .. }
        | ResetEvent::Taken { .. }
        | ResetEvent::ApprovalGiven { .. }
        | ResetEvent::Approved {}
        | ResetEvent::Rejected { .. }
        | ResetEvent::MarkedOverdue {}
        | ResetEvent::Anonymised {} => 8,
    };
    let record = golden("reset_v1.json").remove(0);
    assert_eq!(covered.len(), all(&ResetEvent::decode(&record).unwrap()));
}
