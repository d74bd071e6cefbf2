//! The language of an account's mails and SMS. Chosen at registration, and
//! changed by the page's language switch while signed in: a person who
//! reads the page in German expects the mails in German too.

use time::OffsetDateTime;
use uuid::Uuid;

use super::decide::{Auth, Decision};
use super::event::{AccountEvent, Locale};
use super::state::Account;

impl Account {
    /// Sets the language for later mails. The same language again appends
    /// nothing (the switch may be pressed on every page; the log should
    /// not fill with it), and the answer is the same either way.
    pub fn change_language(&self, session_id: Uuid, locale: Locale, now: OffsetDateTime) -> Decision<()> {
        if let Err(refusal) = self.authorize(&Auth::Session { session_id }, now) {
            return Decision::refuse(refusal);
        }
        if self.locale == locale {
            return Decision::ok(Vec::new(), ());
        }
        Decision::ok(vec![AccountEvent::LanguageChanged { locale }], ())
    }
}
