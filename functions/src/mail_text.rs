//! The words of the emails, in the account's language.

use events::account::{Account, AccountEvent, Locale};

use crate::app::Settings;

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
        _ => None,
    }
}
