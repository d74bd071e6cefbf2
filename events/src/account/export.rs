//! What the data export says of the second factors beyond the state: when
//! each was set up and last used. Pure, from the account's events; "last
//! used" reaches back as far as the sign-in activity is kept
//! (`crate::retention`).

use serde::Serialize;
use time::OffsetDateTime;

use super::event::AccountEvent;
use crate::codec::Recorded;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Dates {
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
}

/// The dates of the current factors (`None`: not set up now).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FactorDates {
    pub totp: Option<Dates>,
    pub sms: Option<Dates>,
    pub recovery_codes: Option<Dates>,
}

pub fn factor_dates(events: &[Recorded<AccountEvent>]) -> FactorDates {
    use AccountEvent as E;
    let mut dates = FactorDates::default();
    let used = |d: &mut Option<Dates>, at| {
        if let Some(d) = d.as_mut() {
            d.last_used_at = Some(at);
        }
    };
    for Recorded { at, event, .. } in events {
        let created = Some(Dates { created_at: Some(*at), last_used_at: None });
        match event {
            E::TotpActivated { .. } => dates.totp = created,
            E::TotpAccepted { .. } => used(&mut dates.totp, *at),
            E::SmsActivated { .. } => dates.sms = created,
            E::SmsCodeAccepted { .. } => used(&mut dates.sms, *at),
            E::SmsRemoved { .. } => dates.sms = None,
            E::RecoveryCodesIssued { .. } => dates.recovery_codes = created,
            E::RecoveryCodeUsed { .. } => used(&mut dates.recovery_codes, *at),
            E::SecondFactorsReset { .. } => dates = FactorDates::default(),
            _ => {}
        }
    }
    dates
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;
    use time::macros::datetime;
    use uuid::Uuid;

    #[test]
    fn each_factor_has_its_set_up_and_last_use_and_a_reset_forgets_them() {
        let t0 = datetime!(2026-11-02 09:00 UTC);
        let at = |m: i64| t0 + Duration::minutes(m);
        let code_id = Uuid::from_u128(1);
        let set_id = Uuid::from_u128(2);
        let events = [
            AccountEvent::TotpActivated { setup_id: Uuid::nil(), step: 1, sealed_secret: None },
            AccountEvent::RecoveryCodesIssued { set_id, hashes: vec![] },
            AccountEvent::TotpAccepted { step: 2 },
            AccountEvent::SmsActivated {
                code_id,
                masked_phone: "+49 151 ••••5678".into(),
                replaced_masked_phone: None,
            },
            AccountEvent::RecoveryCodeUsed { set_id, index: 0 },
            AccountEvent::TotpAccepted { step: 3 },
        ];
        let recorded: Vec<_> = events
            .into_iter()
            .zip(0..)
            .map(|(event, i)| Recorded { version: i as u64 + 1, at: at(i), event })
            .collect();
        let dates = factor_dates(&recorded);
        assert_eq!(dates.totp, Some(Dates { created_at: Some(at(0)), last_used_at: Some(at(5)) }));
        assert_eq!(dates.sms, Some(Dates { created_at: Some(at(3)), last_used_at: None }));
        assert_eq!(dates.recovery_codes, Some(Dates { created_at: Some(at(1)), last_used_at: Some(at(4)) }));
        let mut reset = recorded.clone();
        reset.push(Recorded {
            version: 7,
            at: at(6),
            event: AccountEvent::SecondFactorsReset { request_id: Uuid::nil() },
        });
        assert_eq!(factor_dates(&reset), FactorDates::default());
    }
}
