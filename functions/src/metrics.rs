//! Business metrics in CloudWatch's embedded metric format (EMF): a JSON
//! log line that CloudWatch Logs turns into metrics, so they cost no call
//! and no latency. What is counted and where:
//!
//! - `SignIns` by `Method` (`totp`, `sms`, `recovery_code`, or `password`
//!   for a first login without a second factor) and `FailedLogins` by
//!   `Method`: from the events a decision appended (`of_events`);
//! - `Lockouts`: sign-in attempts refused because the account (or the
//!   unknown email) is locked, from the router's answers (`of_answer`);
//! - `SmsSent`, and `SmsRefused` by `Reason` (the number's limits, the
//!   service's hourly ceiling, the provider, or the account's own refusal):
//!   `handlers::sms`;
//! - `ResetRequestsOpened`, `ResetRequestsOverdue`, `ResetRequestsDecided`
//!   by `Decision`: from the reset requests' events;
//! - `ProjectorLagSeconds`: the age of the newest event of a stream batch
//!   when the projector has applied it (`lambda::project_batch`).
//!
//! On Lambda the lines go to standard output beside the JSON logs; in the
//! local portal they are `debug` events of target `metrics`.

use std::sync::OnceLock;

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use events::EventRecord;

/// The CloudWatch namespace of every metric here.
pub const NAMESPACE: &str = "CustomerPortal";

/// Every metric written, with its dimension: `tests/infra.rs` checks the
/// template's alarms against this list (an alarm on a name or a dimension
/// that is never written would never fire), and the unit tests check the
/// constructors below against it.
pub const WRITTEN: &[(&str, Option<&str>)] = &[
    ("SignIns", Some("Method")),
    ("FailedLogins", Some("Method")),
    ("Lockouts", None),
    ("ServerErrors", Some("Function")),
    ("SmsSent", None),
    ("SmsRefused", Some("Reason")),
    ("ResetRequestsOpened", None),
    ("ResetRequestsOverdue", None),
    ("ResetRequestsDecided", Some("Decision")),
    ("ProjectorLagSeconds", None),
];

/// One value of one metric, with at most one dimension.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub name: &'static str,
    pub dimension: Option<(&'static str, String)>,
    pub value: f64,
    pub unit: &'static str,
}

impl Metric {
    fn count(name: &'static str) -> Self {
        Metric { name, dimension: None, value: 1.0, unit: "Count" }
    }

    fn count_by(name: &'static str, dimension: &'static str, value: impl Into<String>) -> Self {
        Metric { dimension: Some((dimension, value.into())), ..Self::count(name) }
    }

    pub fn sms_sent() -> Self {
        Self::count("SmsSent")
    }

    pub fn sms_refused(reason: &str) -> Self {
        Self::count_by("SmsRefused", "Reason", reason)
    }

    pub fn projector_lag(seconds: f64) -> Self {
        Metric { name: "ProjectorLagSeconds", dimension: None, value: seconds, unit: "Seconds" }
    }
}

/// The EMF document of one metric: `_aws.CloudWatchMetrics` names the
/// namespace, the dimension set and the metric; the values are members
/// of the root.
pub fn emf(metric: &Metric, at: OffsetDateTime) -> Value {
    let mut root = Map::new();
    let dimensions: Vec<&str> = metric.dimension.iter().map(|(name, _)| *name).collect();
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": (at.unix_timestamp_nanos() / 1_000_000) as i64,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [dimensions],
                "Metrics": [{"Name": metric.name, "Unit": metric.unit}],
            }],
        }),
    );
    if let Some((name, value)) = &metric.dimension {
        root.insert((*name).into(), Value::String(value.clone()));
    }
    root.insert(metric.name.into(), json!(metric.value));
    Value::Object(root)
}

/// What the events appended to `stream` count for.
pub fn of_events(stream: &str, records: &[EventRecord]) -> Vec<Metric> {
    let reset = stream.starts_with("reset#");
    let method = |r: &EventRecord, field: &str| r.payload[field].as_str().unwrap_or("password").to_owned();
    records
        .iter()
        .filter_map(|r| match (reset, r.event_type.as_str()) {
            (false, "session_started") if !r.payload["login_id"].is_null() => {
                Some(Metric::count_by("SignIns", "Method", method(r, "second_factor")))
            }
            (false, "password_failed") => Some(Metric::count_by("FailedLogins", "Method", "password")),
            (false, "second_factor_failed") => Some(Metric::count_by("FailedLogins", "Method", method(r, "method"))),
            (true, "submitted") => Some(Metric::count("ResetRequestsOpened")),
            (true, "marked_overdue") => Some(Metric::count("ResetRequestsOverdue")),
            (true, decision @ ("approved" | "rejected")) => {
                Some(Metric::count_by("ResetRequestsDecided", "Decision", decision))
            }
            _ => None,
        })
        .collect()
}

/// What an answer of the router counts for: a sign-in step refused
/// because of a lockout; an answer of 500 or more (`ServerErrors` by the
/// Lambda function's name, the alarms' 5xx rate beside its invocations).
pub fn of_answer(route: &str, status: u16, code: &str, function: &str) -> Vec<Metric> {
    let sign_in = matches!(route, "/api/login" | "/api/mfa/verify");
    let lockout = sign_in && status == 429 && code == "too_many_attempts";
    let lockout = lockout.then(|| Metric::count("Lockouts"));
    let server_error = (status >= 500).then(|| Metric::count_by("ServerErrors", "Function", function));
    lockout.into_iter().chain(server_error).collect()
}

fn on_lambda() -> bool {
    static ON_LAMBDA: OnceLock<bool> = OnceLock::new();
    *ON_LAMBDA.get_or_init(|| std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some())
}

/// Writes the metrics, one EMF line each.
pub fn emit(metrics: &[Metric]) {
    let now = OffsetDateTime::now_utc();
    for metric in metrics {
        let line = emf(metric, now);
        if on_lambda() {
            println!("{line}");
        } else {
            tracing::debug!(target: "metrics", "{line}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(event_type: &str, payload: Value) -> EventRecord {
        EventRecord { event_type: event_type.into(), schema_version: 1, payload, expires_at: None }
    }

    #[test]
    fn an_emf_document_names_namespace_dimensions_and_metric_and_carries_the_values_at_the_root() {
        let at = OffsetDateTime::from_unix_timestamp(1_796_000_000).unwrap();
        let doc = emf(&Metric::count_by("SignIns", "Method", "totp"), at);
        assert_eq!(
            doc,
            json!({
                "_aws": {
                    "Timestamp": 1_796_000_000_000_i64,
                    "CloudWatchMetrics": [{
                        "Namespace": "CustomerPortal",
                        "Dimensions": [["Method"]],
                        "Metrics": [{"Name": "SignIns", "Unit": "Count"}],
                    }],
                },
                "Method": "totp",
                "SignIns": 1.0,
            })
        );
        let doc = emf(&Metric::projector_lag(2.5), at);
        assert_eq!(doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"], json!([[]]), "no dimension: one empty set");
        assert_eq!(doc["ProjectorLagSeconds"], 2.5);
        assert_eq!(doc.as_object().unwrap().len(), 2);
    }

    #[test]
    fn sign_ins_and_failures_by_method_from_an_accounts_events() {
        let account = [
            record("password_failed", json!({})),
            record("second_factor_failed", json!({"method": "sms"})),
            record("session_started", json!({"session_id": "s", "login_id": "l", "second_factor": "totp"})),
            record("session_started", json!({"session_id": "s", "login_id": "l"})),
            // A fresh session after a factor change is no sign-in.
            record("session_started", json!({"session_id": "s", "login_id": null})),
            record("submitted", json!({})),
        ];
        let seen: Vec<(&str, String)> = of_events("account#1", &account)
            .into_iter()
            .map(|m| (m.name, m.dimension.map(|(_, v)| v).unwrap_or_default()))
            .collect();
        let expected =
            [("FailedLogins", "password"), ("FailedLogins", "sms"), ("SignIns", "totp"), ("SignIns", "password")];
        assert_eq!(seen, expected.map(|(n, v)| (n, v.to_owned())));
    }

    #[test]
    fn reset_requests_opened_overdue_and_decided_from_their_own_streams() {
        let events = ["submitted", "viewed", "marked_overdue", "approval_given", "approved", "rejected"]
            .map(|t| record(t, json!({})));
        let names: Vec<(&str, Option<String>)> =
            of_events("reset#1", &events).into_iter().map(|m| (m.name, m.dimension.map(|(_, v)| v))).collect();
        assert_eq!(
            names,
            [
                ("ResetRequestsOpened", None),
                ("ResetRequestsOverdue", None),
                ("ResetRequestsDecided", Some("approved".into())),
                ("ResetRequestsDecided", Some("rejected".into())),
            ]
        );
    }

    #[test]
    fn lockouts_are_sign_in_steps_refused_for_too_many_attempts_and_server_errors_count_by_function() {
        let names =
            |route, status, code| of_answer(route, status, code, "f").into_iter().map(|m| m.name).collect::<Vec<_>>();
        assert_eq!(names("/api/login", 429, "too_many_attempts"), ["Lockouts"]);
        assert_eq!(names("/api/mfa/verify", 429, "too_many_attempts"), ["Lockouts"]);
        assert!(names("/api/login", 401, "invalid_credentials").is_empty());
        assert!(names("/api/mfa/sms/send", 429, "too_many_attempts").is_empty(), "an SMS quota");
        assert_eq!(
            of_answer("/api/account", 503, "unavailable", "stack-account"),
            [Metric::count_by("ServerErrors", "Function", "stack-account")]
        );
    }

    #[test]
    fn every_metric_made_here_is_in_the_written_list_with_its_dimension() {
        let account =
            ["session_started", "password_failed", "second_factor_failed"].map(|t| record(t, json!({"login_id": "l"})));
        let reset = ["submitted", "marked_overdue", "approved"].map(|t| record(t, json!({})));
        let made: Vec<Metric> = [
            of_events("account#1", &account),
            of_events("reset#1", &reset),
            of_answer("/api/login", 429, "too_many_attempts", "f"),
            of_answer("/api/login", 500, "internal", "f"),
            vec![Metric::sms_sent(), Metric::sms_refused("hourly_ceiling"), Metric::projector_lag(1.0)],
        ]
        .concat();
        let made: std::collections::BTreeSet<_> =
            made.iter().map(|m| (m.name, m.dimension.as_ref().map(|(d, _)| *d))).collect();
        let written: std::collections::BTreeSet<_> = WRITTEN.iter().copied().collect();
        assert_eq!(made, written, "the metrics made here are exactly those of WRITTEN, with their dimensions");
    }
}
