//! The words of the emails, in the recipient account's language. Which
//! event sends which mail is decided in `events::notice`; here a `Notice`
//! only becomes a subject and a body, from one table of templates.

use events::account::{Account, Locale};
use events::notice::{Notice, NoticeKind};

use crate::personal_data::{AccountKey, open_or_empty};
use crate::ports::store::StoreError;
use crate::settings::Settings;
use events::factor_reset::RequestNumber;

/// A notice's subject and body templates in each language. `{name}`
/// stands for a value (see `values`); nothing else in a template is special.
struct Template {
    kind: NoticeKind,
    de: (&'static str, &'static str),
    en: (&'static str, &'static str),
}

use NoticeKind as K;

/// The overdue alert goes to support, in English whatever the owner's language.
const TO_SUPPORT_OVERDUE: (&str, &str) = (
    "{issuer}: reset request {id} is overdue",
    "Reset request {id} was due by {due} and is still open. Please decide on it in the support console: {url}/support\n",
);

const TEMPLATES: [Template; 17] = [
    Template {
        kind: K::RecoveryCodeUsed,
        de: (
            "{issuer}: Ein Wiederherstellungscode wurde verwendet",
            "Hallo {name},\n\nsoeben wurde mit einem Ihrer Wiederherstellungscodes eine Anmeldung bei {issuer} abgeschlossen. Es bleiben {left} Codes.\n\nWaren Sie das nicht, ändern Sie sofort Ihr Passwort und erzeugen Sie neue Wiederherstellungscodes unter Einstellungen > Sicherheit: {url}\n",
        ),
        en: (
            "{issuer}: A recovery code was used",
            "Hello {name},\n\none of your recovery codes was just used to sign in to {issuer}. {left} codes remain.\n\nIf this was not you, change your password at once and create new recovery codes under Settings > Security: {url}\n",
        ),
    },
    Template {
        kind: K::TotpActivated,
        de: (
            "{issuer}: Authenticator-App eingerichtet",
            "Hallo {name},\n\nfür Ihr Konto bei {issuer} ist jetzt eine Authenticator-App als zweiter Faktor eingerichtet. Waren Sie das nicht, wenden Sie sich bitte sofort an den Support.\n",
        ),
        en: (
            "{issuer}: Authenticator app set up",
            "Hello {name},\n\nan authenticator app is now set up as the second factor of your {issuer} account. If this was not you, please contact support at once.\n",
        ),
    },
    Template {
        kind: K::SmsActivated,
        de: (
            "{issuer}: SMS als zweiter Faktor eingerichtet",
            "Hallo {name},\n\nfür Ihr Konto bei {issuer} werden Anmeldecodes jetzt per SMS an {masked_phone} gesendet. Waren Sie das nicht, wenden Sie sich bitte sofort an den Support.\n",
        ),
        en: (
            "{issuer}: SMS set up as second factor",
            "Hello {name},\n\nsign-in codes for your {issuer} account now go by SMS to {masked_phone}. If this was not you, please contact support at once.\n",
        ),
    },
    Template {
        kind: K::SmsReplaced,
        de: (
            "{issuer}: Ihre Telefonnummer für SMS-Codes wurde geändert",
            "Hallo {name},\n\nAnmeldecodes für Ihr Konto bei {issuer} gehen ab jetzt an {masked_phone} statt an {old}. Waren Sie das nicht, wenden Sie sich bitte sofort an den Support.\n",
        ),
        en: (
            "{issuer}: Your phone number for SMS codes changed",
            "Hello {name},\n\nsign-in codes for your {issuer} account now go to {masked_phone} instead of {old}. If this was not you, please contact support at once.\n",
        ),
    },
    Template {
        kind: K::SmsRemoved,
        de: (
            "{issuer}: SMS als zweiter Faktor entfernt",
            "Hallo {name},\n\nan {masked_phone} werden keine Anmeldecodes für {issuer} mehr gesendet; Ihre Authenticator-App bleibt Ihr zweiter Faktor. Waren Sie das nicht, wenden Sie sich bitte sofort an den Support.\n",
        ),
        en: (
            "{issuer}: SMS removed as second factor",
            "Hello {name},\n\nsign-in codes for {issuer} no longer go to {masked_phone}; your authenticator app remains your second factor. If this was not you, please contact support at once.\n",
        ),
    },
    Template {
        kind: K::AppPasswordCreated,
        de: (
            "{issuer}: Neues App-Passwort „{app}“",
            "Hallo {name},\n\nfür Ihr Konto bei {issuer} wurde das App-Passwort „{app}“ für einen Kalender- oder Kontakte-Client erstellt. Waren Sie das nicht, widerrufen Sie es unter Einstellungen > Sicherheit ({url}) und ändern Sie Ihr Passwort.\n",
        ),
        en: (
            "{issuer}: New app password \"{app}\"",
            "Hello {name},\n\nthe app password \"{app}\" for a calendar or contacts client was created for your {issuer} account. If this was not you, revoke it under Settings > Security ({url}) and change your password.\n",
        ),
    },
    Template {
        kind: K::PasswordReset,
        de: (
            "{issuer}: Ihr Passwort wurde geändert",
            "Hallo {name},\n\ndas Passwort Ihres Kontos bei {issuer} wurde soeben über den Link „Passwort vergessen?“ neu gesetzt. Alle Anmeldungen wurden beendet und alle App-Passwörter widerrufen; Ihr zweiter Faktor bleibt unverändert.\n\nWaren Sie das nicht, setzen Sie Ihr Passwort sofort neu ({url}) und wenden Sie sich an den Support.\n",
        ),
        en: (
            "{issuer}: Your password was changed",
            "Hello {name},\n\nthe password of your {issuer} account was just set anew through the \"Password forgotten?\" link. Every sign-in was ended and every app password revoked; your second factor stays as it was.\n\nIf this was not you, reset your password at once ({url}) and contact support.\n",
        ),
    },
    Template {
        kind: K::PasswordResetLink,
        de: (
            "{issuer}: Passwort zurücksetzen",
            "Hallo {name},\n\nfür Ihr Konto bei {issuer} wurde ein neues Passwort angefordert. Über diesen Link setzen Sie es:\n\n{link}\n\nDer Link gilt eine Stunde und nur einmal; ein neuerer Link macht ihn ungültig. Ihr zweiter Faktor bleibt unverändert.\n\nHaben Sie das nicht angefordert, ignorieren Sie diese E-Mail; Ihr Passwort bleibt, wie es ist.\n",
        ),
        en: (
            "{issuer}: Reset your password",
            "Hello {name},\n\na new password was requested for your {issuer} account. Set it through this link:\n\n{link}\n\nThe link works for one hour and only once; a newer link makes it invalid. Your second factor stays as it is.\n\nIf you did not ask for this, ignore this email; your password stays as it is.\n",
        ),
    },
    Template {
        kind: K::ResetSubmitted,
        de: (
            "{issuer}: Ihre Anfrage {id} ist eingegangen",
            "Hallo {name},\n\nwir haben Ihre Anfrage erhalten, den zweiten Faktor Ihres Kontos bei {issuer} zurückzusetzen (Nummer {id}). Der Support prüft sie und antwortet bis {due}.\n\nHaben Sie diese Anfrage nicht gestellt, ändern Sie bitte sofort Ihr Passwort: {url}\n",
        ),
        en: (
            "{issuer}: We received your request {id}",
            "Hello {name},\n\nwe received your request to reset the second factor of your {issuer} account (number {id}). Support will check it and answer by {due}.\n\nIf you did not make this request, please change your password at once: {url}\n",
        ),
    },
    Template {
        kind: K::ResetApproved,
        de: (
            "{issuer}: Ihr zweiter Faktor wurde zurückgesetzt",
            "Hallo {name},\n\nder Support hat Ihre Anfrage {id} genehmigt: Der zweite Faktor und die Wiederherstellungscodes Ihres Kontos wurden entfernt, alle Sitzungen beendet. Bei der nächsten Anmeldung richten Sie einen neuen zweiten Faktor ein: {url}\n",
        ),
        en: (
            "{issuer}: Your second factor was reset",
            "Hello {name},\n\nsupport approved your request {id}: the second factor and the recovery codes of your account were removed and every session ended. At your next sign-in you will set up a new second factor: {url}\n",
        ),
    },
    Template {
        kind: K::ResetRejected,
        de: (
            "{issuer}: Ihre Anfrage {id} wurde abgelehnt",
            "Hallo {name},\n\nder Support hat Ihre Anfrage {id}, den zweiten Faktor zurückzusetzen, abgelehnt. Begründung:\n\n{reason}\n\nIhr Konto bleibt unverändert.\n",
        ),
        en: (
            "{issuer}: Your request {id} was declined",
            "Hello {name},\n\nsupport declined your request {id} to reset your second factor. The reason:\n\n{reason}\n\nNothing about your account has changed.\n",
        ),
    },
    Template { kind: K::ResetOverdue, de: TO_SUPPORT_OVERDUE, en: TO_SUPPORT_OVERDUE },
    Template {
        kind: K::PasswordChanged,
        de: (
            "{issuer}: Ihr Passwort wurde geändert",
            "Hallo {name},\n\ndas Passwort Ihres Kontos bei {issuer} wurde soeben in den Einstellungen geändert. Alle anderen Anmeldungen wurden beendet; Ihr zweiter Faktor und Ihre App-Passwörter bleiben unverändert.\n\nWaren Sie das nicht, setzen Sie Ihr Passwort sofort neu ({url}) und wenden Sie sich an den Support.\n",
        ),
        en: (
            "{issuer}: Your password was changed",
            "Hello {name},\n\nthe password of your {issuer} account was just changed in the settings. Every other sign-in was ended; your second factor and your app passwords stay as they were.\n\nIf this was not you, reset your password at once ({url}) and contact support.\n",
        ),
    },
    Template {
        kind: K::EmailChangeLink,
        de: (
            "{issuer}: Neue E-Mail-Adresse bestätigen",
            "Hallo {name},\n\nfür Ihr Konto bei {issuer} soll ab jetzt diese E-Mail-Adresse gelten. Bestätigen Sie sie über diesen Link:\n\n{link}\n\nDer Link gilt eine Stunde und nur einmal; ein neuerer Link macht ihn ungültig. Bis dahin bleibt die bisherige Adresse gültig.\n\nHaben Sie das nicht angefordert, ignorieren Sie diese E-Mail.\n",
        ),
        en: (
            "{issuer}: Confirm your new email address",
            "Hello {name},\n\nthis email address is to become the address of your {issuer} account. Confirm it through this link:\n\n{link}\n\nThe link works for one hour and only once; a newer link makes it invalid. Until then the previous address stays in use.\n\nIf you did not ask for this, ignore this email.\n",
        ),
    },
    Template {
        kind: K::EmailChanged,
        de: (
            "{issuer}: Ihre E-Mail-Adresse wurde geändert",
            "Hallo {name},\n\ndie E-Mail-Adresse Ihres Kontos bei {issuer} ist ab jetzt {new}. An diese Adresse gehen keine E-Mails des Kontos mehr, und mit ihr melden Sie sich nicht mehr an.\n\nWaren Sie das nicht, wenden Sie sich bitte sofort an den Support.\n",
        ),
        en: (
            "{issuer}: Your email address was changed",
            "Hello {name},\n\nthe email address of your {issuer} account is now {new}. This address gets no more mail of the account, and it no longer signs in.\n\nIf this was not you, please contact support at once.\n",
        ),
    },
    Template {
        kind: K::PasskeyAdded,
        de: (
            "{issuer}: Neuer Passkey „{passkey}“",
            "Hallo {name},\n\nfür Ihr Konto bei {issuer} wurde der Passkey „{passkey}“ hinzugefügt. Mit ihm kann man sich anmelden. Waren Sie das nicht, entfernen Sie ihn unter Einstellungen > Sicherheit ({url}) und ändern Sie Ihr Passwort.\n",
        ),
        en: (
            "{issuer}: New passkey \"{passkey}\"",
            "Hello {name},\n\nthe passkey \"{passkey}\" was added to your {issuer} account. It can sign in. If this was not you, remove it under Settings > Security ({url}) and change your password.\n",
        ),
    },
    Template {
        kind: K::PasskeyRemoved,
        de: (
            "{issuer}: Passkey „{passkey}“ entfernt",
            "Hallo {name},\n\nder Passkey „{passkey}“ wurde aus Ihrem Konto bei {issuer} entfernt; er meldet nicht mehr an. Waren Sie das nicht, ändern Sie Ihr Passwort und wenden Sie sich bitte sofort an den Support.\n",
        ),
        en: (
            "{issuer}: Passkey \"{passkey}\" removed",
            "Hello {name},\n\nthe passkey \"{passkey}\" was removed from your {issuer} account; it no longer signs in. If this was not you, change your password and please contact support at once.\n",
        ),
    },
];

/// Subject and body of `notice` to `account`, in its language. `key`: the
/// account's data key, which opens the name and an app password's name
/// (`personal_data`); without it they are left empty.
pub fn render(
    notice: &Notice,
    account: &Account,
    key: Option<&AccountKey>,
    settings: &Settings,
) -> Result<(String, String), StoreError> {
    let kind = notice.kind();
    let template = TEMPLATES.iter().find(|t| t.kind == kind).expect("every notice has a template");
    let (subject, body) = if account.locale == Locale::De { template.de } else { template.en };
    let values = values(notice, account, key, settings)?;
    let mut body = fill(body, &values);
    if let Some(contacts) = settings.brand.contacts().filter(|_| RESET_MAILS.contains(&kind)) {
        body.push_str(&contact_line(account.locale, &contacts));
    }
    Ok((fill(subject, &values), body))
}

/// The mails about a password or second-factor reset, the moments a person
/// may need a human: they end with the support contacts when configured.
const RESET_MAILS: [NoticeKind; 5] =
    [K::PasswordResetLink, K::PasswordReset, K::ResetSubmitted, K::ResetApproved, K::ResetRejected];

/// The closing line with the configured contacts (`PORTAL_CONTACT_EMAIL`,
/// `PORTAL_CONTACT_PHONE`); not a template placeholder, so it stays out of
/// a template's words and a contact is never filled in as a placeholder.
fn contact_line(locale: Locale, contacts: &str) -> String {
    match locale {
        Locale::De => format!("\nFragen? Sie erreichen den Support unter {contacts}.\n"),
        Locale::En => format!("\nQuestions? You can reach support at {contacts}.\n"),
    }
}

/// The email with a password-reset link. Sent by the `forgot` handler
/// itself, not by the projection: the link holds the token, which never
/// enters an event. `link` is built from `PORTAL_PUBLIC_URL`.
pub fn password_reset_link(
    account: &Account,
    key: Option<&AccountKey>,
    link: &str,
    settings: &Settings,
) -> Result<(String, String), StoreError> {
    render(&Notice::PasswordResetLink { link: link.to_owned() }, account, key, settings)
}

/// The email with the link that confirms a new address, to that address;
/// sent by the handler for the same reason as `password_reset_link`.
pub fn email_change_link(
    account: &Account,
    key: Option<&AccountKey>,
    link: &str,
    settings: &Settings,
) -> Result<(String, String), StoreError> {
    render(&Notice::EmailChangeLink { link: link.to_owned() }, account, key, settings)
}

/// What each placeholder stands for in `notice`'s texts to `account`.
fn values(
    notice: &Notice,
    account: &Account,
    key: Option<&AccountKey>,
    settings: &Settings,
) -> Result<Vec<(&'static str, String)>, StoreError> {
    let name = open_or_empty(key, &account.name)?;
    let mut values = vec![("issuer", settings.issuer.clone()), ("name", name), ("url", settings.public_url.clone())];
    let local = |due: &Option<time::OffsetDateTime>| due.map(|d| settings.calendar.local_text(d)).unwrap_or_default();
    match notice {
        Notice::RecoveryCodeUsed => values.push(("left", account.recovery_codes_remaining().to_string())),
        Notice::SmsActivated { masked_phone } | Notice::SmsRemoved { masked_phone } => {
            values.push(("masked_phone", masked_phone.clone()))
        }
        Notice::SmsReplaced { masked_phone, old } => {
            values.extend([("masked_phone", masked_phone.clone()), ("old", old.clone())])
        }
        Notice::AppPasswordCreated { app } => values.push(("app", open_or_empty(key, app)?)),
        Notice::PasswordResetLink { link } | Notice::EmailChangeLink { link } => values.push(("link", link.clone())),
        Notice::ResetSubmitted { id, due } | Notice::ResetOverdue { id, due } => {
            values.extend([("id", number(id)), ("due", local(due))])
        }
        Notice::ResetApproved { id } => values.push(("id", number(id))),
        Notice::ResetRejected { id, reason } => values.extend([("id", number(id)), ("reason", reason.clone())]),
        Notice::TotpActivated | Notice::PasswordReset | Notice::PasswordChanged => {}
        Notice::EmailChanged { new } => values.push(("new", open_or_empty(key, new)?)),
        Notice::PasskeyAdded { name } | Notice::PasskeyRemoved { name } => {
            values.push(("passkey", open_or_empty(key, name)?))
        }
    }
    Ok(values)
}

/// A request as the owner reads it out on the phone.
fn number(id: &uuid::Uuid) -> String {
    RequestNumber::of(*id).to_string()
}

/// `template` with each `{placeholder}` replaced by its value, in one pass:
/// a value with braces in it (a name, an app's name, a reason) stays as
/// typed instead of being filled in turn.
fn fill(template: &str, values: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 128);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let known = after.find('}').and_then(|close| {
            let value = values.iter().find(|(key, _)| *key == &after[..close])?;
            Some((close, &value.1))
        });
        match known {
            Some((close, value)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
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
        let mut settings = Settings::new("Beispiel {url} GmbH", "https://portal.example");
        settings.brand.contact_email = Some("hilfe@portal.example".into());
        settings.brand.contact_phone = Some("+49 30 1234-567".into());
        settings
    }

    fn account(locale: Locale) -> Account {
        let used = vec![true, false, true, false, false, false, false, false, false, false];
        let recovery = RecoverySet { set_id: Uuid::nil(), hashes: vec![String::new(); 10], used };
        // Legacy (plaintext) values open without a key.
        let name = events::Sealed::legacy("Erika {issuer} Mustermann");
        Account { name, locale, recovery: Some(recovery), ..Account::default() }
    }

    fn rendered(locale: Locale) -> Vec<(&'static str, (String, String))> {
        let (s, a) = (settings(), account(locale));
        let masked_phone = "+49 151 ••••5678".to_owned();
        let old = "+49 160 ••••1234".to_owned();
        let id = Uuid::from_u128(0x5eed_0000_0000_4000_8000_0000_0000_0001);
        let due = Some(datetime!(2026-12-04 17:00:30.25 UTC));
        let reason = "Die Angaben {due} passen nicht.\nBitte erneut.".to_owned();
        let link = "https://portal.example/#reset=abc{id}".to_owned();
        [
            ("recovery_code_used", Notice::RecoveryCodeUsed),
            ("totp_activated", Notice::TotpActivated),
            ("sms_activated", Notice::SmsActivated { masked_phone: masked_phone.clone() }),
            ("sms_replaced", Notice::SmsReplaced { masked_phone: masked_phone.clone(), old }),
            ("sms_removed", Notice::SmsRemoved { masked_phone }),
            (
                "app_password_created",
                Notice::AppPasswordCreated { app: events::Sealed::legacy("Kalender {name} „Büro“") },
            ),
            ("password_reset", Notice::PasswordReset),
            ("password_reset_link", Notice::PasswordResetLink { link }),
            ("reset_submitted", Notice::ResetSubmitted { id, due }),
            ("reset_approved", Notice::ResetApproved { id }),
            ("reset_rejected", Notice::ResetRejected { id, reason }),
            ("reset_overdue", Notice::ResetOverdue { id, due }),
            ("reset_overdue_without_deadline", Notice::ResetOverdue { id, due: None }),
            ("password_changed", Notice::PasswordChanged),
            (
                "email_change_link",
                Notice::EmailChangeLink { link: "https://portal.example/confirm-email?token=abc{name}".into() },
            ),
            ("email_changed", Notice::EmailChanged { new: events::Sealed::legacy("erika.{name}@example.de") }),
            ("passkey_added", Notice::PasskeyAdded { name: events::Sealed::legacy("iPhone {url}") }),
            ("passkey_removed", Notice::PasskeyRemoved { name: events::Sealed::legacy("YubiKey „5C“") }),
        ]
        .into_iter()
        .map(|(label, notice)| (label, render(&notice, &a, None, &s).unwrap()))
        .collect()
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
        // UPDATE_GOLDEN=1 rewrites the file; the diff is then the review.
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/src/mail_text.golden.txt"), all_mails()).unwrap();
            return;
        }
        assert_eq!(all_mails(), GOLDEN);
    }

    #[test]
    fn only_reset_mails_name_the_support_contacts_and_only_when_configured() {
        let with = settings();
        let mut without = settings();
        without.brand = crate::brand::Brand::default();
        let a = account(Locale::En);
        let link = Notice::PasswordResetLink { link: "https://portal.example/#reset=x".into() };
        assert!(
            render(&link, &a, None, &with).unwrap().1.ends_with("support at hilfe@portal.example, +49 30 1234-567.\n")
        );
        assert!(!render(&link, &a, None, &without).unwrap().1.contains("Questions?"));
        assert!(!render(&Notice::TotpActivated, &a, None, &with).unwrap().1.contains("hilfe@portal.example"));
    }

    #[test]
    fn placeholders_are_filled_once_and_unknown_ones_stay_as_typed() {
        let values = [("a", "{b}".to_owned()), ("b", "B".to_owned())];
        assert_eq!(fill("{a}-{b}-{c}-{", &values), "{b}-B-{c}-{");
    }
}
