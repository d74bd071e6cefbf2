//! Stored events must stay readable forever. These files hold events as
//! the store keeps them; a change to an event that breaks them needs a new
//! schema version and an upcaster, not an edit of the golden file.

use events::account::AccountEvent;
use events::factor_reset::ResetEvent;
use events::{EventCodec, EventRecord};
use std::collections::BTreeSet;

fn golden(name: &str) -> Vec<EventRecord> {
    let path = format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn account_events_of_schema_1_still_load_and_encode_the_same() {
    for record in golden("account_v1.json") {
        let event = AccountEvent::decode(&record).unwrap_or_else(|e| panic!("{}: {e}", record.event_type));
        assert_eq!(event.encode(), record, "{} re-encodes differently", record.event_type);
    }
}

#[test]
fn the_golden_file_covers_every_account_event_type() {
    let covered: BTreeSet<String> = golden("account_v1.json").into_iter().map(|r| r.event_type).collect();
    // Every variant's tag, listed by the compiler: adding a variant without
    // a golden entry makes this match non-exhaustive.
    let all = |e: &AccountEvent| match e {
        AccountEvent::Registered { .. }
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
        | AccountEvent::PasswordReset { .. } => 25,
    };
    let record = golden("account_v1.json").remove(0);
    assert_eq!(covered.len(), all(&AccountEvent::decode(&record).unwrap()));
}

#[test]
fn an_unknown_schema_version_is_an_error_not_a_guess() {
    let mut record = golden("account_v1.json").remove(2);
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
