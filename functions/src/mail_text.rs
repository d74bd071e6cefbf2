//! The words of the emails, in the account's language.

use events::account::{Account, AccountEvent, Locale};
use events::factor_reset::{ResetEvent, ResetRequest};

use crate::settings::Settings;

/// Subject and body of the email an event causes, if any.
pub fn for_event(event: &AccountEvent, account: &Account, settings: &Settings) -> Option<(String, String)> {
    let issuer = &settings.issuer;
    let name = &account.name;
    let url = &settings.public_url;
    let de = account.locale == Locale::De;
    match event {
        AccountEvent::RecoveryCodeUsed { .. } => {
            let left = account.recovery_codes_remaining();
            Some(if de {
                (
                    format!("{issuer}: Ein Wiederherstellungscode wurde verwendet"),
                    format!(
                        "Hallo {name},\n\nsoeben wurde mit einem Ihrer Wiederherstellungscodes eine Anmeldung bei {issuer} abgeschlossen. Es bleiben {left} Codes.\n\nWaren Sie das nicht, ändern Sie sofort Ihr Passwort und erzeugen Sie neue Wiederherstellungscodes unter Einstellungen > Sicherheit: {url}\n"
                    ),
                )
            } else {
                (
                    format!("{issuer}: A recovery code was used"),
                    format!(
                        "Hello {name},\n\none of your recovery codes was just used to sign in to {issuer}. {left} codes remain.\n\nIf this was not you, change your password at once and create new recovery codes under Settings > Security: {url}\n"
                    ),
                )
            })
        }
        AccountEvent::TotpActivated { .. } => Some(if de {
            (
                format!("{issuer}: Authenticator-App eingerichtet"),
                format!(
                    "Hallo {name},\n\nfür Ihr Konto bei {issuer} ist jetzt eine Authenticator-App als zweiter Faktor eingerichtet. Waren Sie das nicht, wenden Sie sich bitte sofort an den Support.\n"
                ),
            )
        } else {
            (
                format!("{issuer}: Authenticator app set up"),
                format!(
                    "Hello {name},\n\nan authenticator app is now set up as the second factor of your {issuer} account. If this was not you, please contact support at once.\n"
                ),
            )
        }),
        AccountEvent::SmsActivated { masked_phone, replaced_masked_phone: None, .. } => Some(if de {
            (
                format!("{issuer}: SMS als zweiter Faktor eingerichtet"),
                format!(
                    "Hallo {name},\n\nfür Ihr Konto bei {issuer} werden Anmeldecodes jetzt per SMS an {masked_phone} gesendet. Waren Sie das nicht, wenden Sie sich bitte sofort an den Support.\n"
                ),
            )
        } else {
            (
                format!("{issuer}: SMS set up as second factor"),
                format!(
                    "Hello {name},\n\nsign-in codes for your {issuer} account now go by SMS to {masked_phone}. If this was not you, please contact support at once.\n"
                ),
            )
        }),
        AccountEvent::SmsActivated { masked_phone, replaced_masked_phone: Some(old), .. } => Some(if de {
            (
                format!("{issuer}: Ihre Telefonnummer für SMS-Codes wurde geändert"),
                format!(
                    "Hallo {name},\n\nAnmeldecodes für Ihr Konto bei {issuer} gehen ab jetzt an {masked_phone} statt an {old}. Waren Sie das nicht, wenden Sie sich bitte sofort an den Support.\n"
                ),
            )
        } else {
            (
                format!("{issuer}: Your phone number for SMS codes changed"),
                format!(
                    "Hello {name},\n\nsign-in codes for your {issuer} account now go to {masked_phone} instead of {old}. If this was not you, please contact support at once.\n"
                ),
            )
        }),
        AccountEvent::SmsRemoved { masked_phone } => Some(if de {
            (
                format!("{issuer}: SMS als zweiter Faktor entfernt"),
                format!(
                    "Hallo {name},\n\nan {masked_phone} werden keine Anmeldecodes für {issuer} mehr gesendet; Ihre Authenticator-App bleibt Ihr zweiter Faktor. Waren Sie das nicht, wenden Sie sich bitte sofort an den Support.\n"
                ),
            )
        } else {
            (
                format!("{issuer}: SMS removed as second factor"),
                format!(
                    "Hello {name},\n\nsign-in codes for {issuer} no longer go to {masked_phone}; your authenticator app remains your second factor. If this was not you, please contact support at once.\n"
                ),
            )
        }),
        AccountEvent::AppPasswordCreated { name: app, .. } => Some(if de {
            (
                format!("{issuer}: Neues App-Passwort „{app}“"),
                format!(
                    "Hallo {name},\n\nfür Ihr Konto bei {issuer} wurde das App-Passwort „{app}“ für einen Kalender- oder Kontakte-Client erstellt. Waren Sie das nicht, widerrufen Sie es unter Einstellungen > Sicherheit ({url}) und ändern Sie Ihr Passwort.\n"
                ),
            )
        } else {
            (
                format!("{issuer}: New app password \"{app}\""),
                format!(
                    "Hello {name},\n\nthe app password \"{app}\" for a calendar or contacts client was created for your {issuer} account. If this was not you, revoke it under Settings > Security ({url}) and change your password.\n"
                ),
            )
        }),
        // Never the password, never the token: only that it happened.
        AccountEvent::PasswordReset { .. } => Some(if de {
            (
                format!("{issuer}: Ihr Passwort wurde geändert"),
                format!(
                    "Hallo {name},\n\ndas Passwort Ihres Kontos bei {issuer} wurde soeben über den Link „Passwort vergessen?“ neu gesetzt. Alle Anmeldungen wurden beendet und alle App-Passwörter widerrufen; Ihr zweiter Faktor bleibt unverändert.\n\nWaren Sie das nicht, setzen Sie Ihr Passwort sofort neu ({url}) und wenden Sie sich an den Support.\n"
                ),
            )
        } else {
            (
                format!("{issuer}: Your password was changed"),
                format!(
                    "Hello {name},\n\nthe password of your {issuer} account was just set anew through the \"Password forgotten?\" link. Every sign-in was ended and every app password revoked; your second factor stays as it was.\n\nIf this was not you, reset your password at once ({url}) and contact support.\n"
                ),
            )
        }),
        _ => None,
    }
}

/// The email with a password-reset link. Sent by the `forgot` handler
/// itself, not by the projection: the link holds the token, which never
/// enters an event. `link` is built from `PORTAL_PUBLIC_URL`.
pub fn password_reset_link(account: &Account, link: &str, settings: &Settings) -> (String, String) {
    let issuer = &settings.issuer;
    let name = &account.name;
    if account.locale == Locale::De {
        (
            format!("{issuer}: Passwort zurücksetzen"),
            format!(
                "Hallo {name},\n\nfür Ihr Konto bei {issuer} wurde ein neues Passwort angefordert. Über diesen Link setzen Sie es:\n\n{link}\n\nDer Link gilt eine Stunde und nur einmal; ein neuerer Link macht ihn ungültig. Ihr zweiter Faktor bleibt unverändert.\n\nHaben Sie das nicht angefordert, ignorieren Sie diese E-Mail; Ihr Passwort bleibt, wie es ist.\n"
            ),
        )
    } else {
        (
            format!("{issuer}: Reset your password"),
            format!(
                "Hello {name},\n\na new password was requested for your {issuer} account. Set it through this link:\n\n{link}\n\nThe link works for one hour and only once; a newer link makes it invalid. Your second factor stays as it is.\n\nIf you did not ask for this, ignore this email; your password stays as it is.\n"
            ),
        )
    }
}

/// Subject and body of the mail a reset-request event causes: to the owner
/// (`account`) for the submission and the decision, to support for a
/// missed deadline.
pub fn for_reset_event(
    event: &ResetEvent,
    request: &ResetRequest,
    account: &Account,
    settings: &Settings,
) -> Option<(String, String)> {
    let issuer = &settings.issuer;
    let name = &account.name;
    let url = &settings.public_url;
    let id = request.request_id;
    let due = request.due_by.map(|d| settings.calendar.local_text(d)).unwrap_or_default();
    let de = account.locale == Locale::De;
    Some(match event {
        ResetEvent::Submitted { .. } if de => (
            format!("{issuer}: Ihre Anfrage {id} ist eingegangen"),
            format!(
                "Hallo {name},\n\nwir haben Ihre Anfrage erhalten, den zweiten Faktor Ihres Kontos bei {issuer} zurückzusetzen (Nummer {id}). Der Support prüft sie und antwortet bis {due}.\n\nHaben Sie diese Anfrage nicht gestellt, ändern Sie bitte sofort Ihr Passwort: {url}\n"
            ),
        ),
        ResetEvent::Submitted { .. } => (
            format!("{issuer}: We received your request {id}"),
            format!(
                "Hello {name},\n\nwe received your request to reset the second factor of your {issuer} account (number {id}). Support will check it and answer by {due}.\n\nIf you did not make this request, please change your password at once: {url}\n"
            ),
        ),
        ResetEvent::Approved {} if de => (
            format!("{issuer}: Ihr zweiter Faktor wurde zurückgesetzt"),
            format!(
                "Hallo {name},\n\nder Support hat Ihre Anfrage {id} genehmigt: Der zweite Faktor und die Wiederherstellungscodes Ihres Kontos wurden entfernt, alle Sitzungen beendet. Bei der nächsten Anmeldung richten Sie einen neuen zweiten Faktor ein: {url}\n"
            ),
        ),
        ResetEvent::Approved {} => (
            format!("{issuer}: Your second factor was reset"),
            format!(
                "Hello {name},\n\nsupport approved your request {id}: the second factor and the recovery codes of your account were removed and every session ended. At your next sign-in you will set up a new second factor: {url}\n"
            ),
        ),
        ResetEvent::Rejected { reason, .. } if de => (
            format!("{issuer}: Ihre Anfrage {id} wurde abgelehnt"),
            format!(
                "Hallo {name},\n\nder Support hat Ihre Anfrage {id}, den zweiten Faktor zurückzusetzen, abgelehnt. Begründung:\n\n{reason}\n\nIhr Konto bleibt unverändert.\n"
            ),
        ),
        ResetEvent::Rejected { reason, .. } => (
            format!("{issuer}: Your request {id} was declined"),
            format!(
                "Hello {name},\n\nsupport declined your request {id} to reset your second factor. The reason:\n\n{reason}\n\nNothing about your account has changed.\n"
            ),
        ),
        ResetEvent::MarkedOverdue {} => (
            format!("{issuer}: reset request {id} is overdue"),
            format!(
                "Reset request {id} was due by {due} and is still open. Please decide on it in the support console: {url}/support\n"
            ),
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use events::account::state::RecoverySet;
    use time::macros::datetime;
    use uuid::Uuid;

    /// Every mail the portal sends, in both languages, as it reads today:
    /// a change to any word shows up here. Names and app names with braces
    /// in them must come out as typed, never as a placeholder's value.
    const GOLDEN: &str = include_str!("mail_text.golden.txt");

    fn settings() -> Settings {
        Settings::new("Beispiel {url} GmbH", "https://portal.example")
    }

    fn account(locale: Locale) -> Account {
        let used = vec![true, false, true, false, false, false, false, false, false, false];
        let recovery = RecoverySet { set_id: Uuid::nil(), hashes: vec![String::new(); 10], used };
        Account { name: "Erika {issuer} Mustermann".into(), locale, recovery: Some(recovery), ..Account::default() }
    }

    fn request(due_by: Option<time::OffsetDateTime>) -> ResetRequest {
        let request_id = Uuid::from_u128(0x5eed_0000_0000_4000_8000_0000_0000_0001);
        let mut request = ResetRequest::default();
        (request.request_id, request.due_by) = (request_id, due_by);
        request
    }

    fn rendered(locale: Locale) -> Vec<(&'static str, (String, String))> {
        let (s, a) = (settings(), account(locale));
        let phone = "+49 151 ••••5678".to_owned();
        let old = Some("+49 160 ••••1234".to_owned());
        let id = Uuid::nil();
        let due = Some(datetime!(2026-12-04 17:00:30.25 UTC));
        let account_event = |event: AccountEvent| for_event(&event, &a, &s).expect("a mail");
        let reset_event = |event: ResetEvent, r: ResetRequest| for_reset_event(&event, &r, &a, &s).expect("a mail");
        vec![
            ("recovery_code_used", account_event(AccountEvent::RecoveryCodeUsed { set_id: id, index: 2 })),
            ("totp_activated", account_event(AccountEvent::TotpActivated { setup_id: id, step: 1 })),
            (
                "sms_activated",
                account_event(AccountEvent::SmsActivated {
                    code_id: id,
                    masked_phone: phone.clone(),
                    replaced_masked_phone: None,
                }),
            ),
            (
                "sms_replaced",
                account_event(AccountEvent::SmsActivated {
                    code_id: id,
                    masked_phone: phone.clone(),
                    replaced_masked_phone: old,
                }),
            ),
            ("sms_removed", account_event(AccountEvent::SmsRemoved { masked_phone: phone })),
            (
                "app_password_created",
                account_event(AccountEvent::AppPasswordCreated {
                    app_password_id: id,
                    name: "Kalender {name} „Büro“".into(),
                    hash: String::new(),
                }),
            ),
            (
                "password_reset",
                account_event(AccountEvent::PasswordReset { token_id: id, password_hash: String::new() }),
            ),
            ("password_reset_link", password_reset_link(&a, "https://portal.example/#reset=abc{id}", &s)),
            (
                "reset_submitted",
                reset_event(
                    ResetEvent::Submitted {
                        request_id: id,
                        account_id: id,
                        due_by: due.unwrap(),
                        sealed_form: String::new(),
                        matches: Default::default(),
                    },
                    request(due),
                ),
            ),
            ("reset_approved", reset_event(ResetEvent::Approved {}, request(due))),
            (
                "reset_rejected",
                reset_event(
                    ResetEvent::Rejected {
                        staff_id: id,
                        reason: "Die Angaben {due} passen nicht.\nBitte erneut.".into(),
                    },
                    request(due),
                ),
            ),
            ("reset_overdue", reset_event(ResetEvent::MarkedOverdue {}, request(due))),
            ("reset_overdue_without_deadline", reset_event(ResetEvent::MarkedOverdue {}, request(None))),
        ]
    }

    fn all_mails() -> String {
        let mut out = String::new();
        for locale in [Locale::De, Locale::En] {
            for (label, (subject, body)) in rendered(locale) {
                out.push_str(&format!("=== {label} {locale:?}\nSubject: {subject}\n\n{body}"));
            }
        }
        out
    }

    #[test]
    fn every_mail_in_both_languages_reads_as_the_golden_file() {
        assert_eq!(all_mails(), GOLDEN);
    }
}
