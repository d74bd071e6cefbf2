//! Settings that shape what users see, read once at start
//! (`portal::config`); the handlers, mail texts and projections read them.

use events::account::AccountPolicy;

/// Settings that shape what users see.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The product's one name (`PORTAL_ISSUER`): the page's header and
    /// title, the authenticator entry, the SMS, the emails, the help page.
    pub issuer: String,
    /// Where users reach the web page (`PORTAL_PUBLIC_URL`); links in emails
    /// are built from this, never from a request header.
    pub public_url: String,
    pub policy: AccountPolicy,
    /// Countries whose numbers may receive SMS (`PORTAL_SMS_COUNTRIES`,
    /// ISO 3166 codes): a short list keeps SMS pumping to premium-rate
    /// destinations off the bill.
    pub sms_countries: Vec<String>,
    /// The CalDAV/CardDAV server app passwords are for (`PORTAL_DAV_URL`),
    /// shown with a new app password so the user knows what to type where.
    pub dav_url: Option<String>,
    /// Approvals a reset needs (`PORTAL_RESET_APPROVALS`) and how long a
    /// decided request's form data is kept.
    pub reset_policy: events::factor_reset::ResetPolicy,
    /// Working days for the support deadline (`PORTAL_HOLIDAYS`,
    /// `PORTAL_TIME_ZONE`).
    pub calendar: events::working_days::WorkCalendar,
    /// Where overdue reset requests are reported (`PORTAL_SUPPORT_EMAIL`).
    pub support_email: Option<String>,
    /// How long sign-in activity is kept (`PORTAL_SIGN_IN_ACTIVITY_DAYS`).
    pub retention: events::retention::RetentionPolicy,
    /// Logo, colour, support contacts, imprint and privacy links
    /// (`PORTAL_LOGO_URL` and the settings after it).
    pub brand: crate::brand::Brand,
    /// Origins besides `public_url`'s whose passkey ceremonies are accepted
    /// (`PORTAL_WEBAUTHN_ORIGINS`), e.g. the portal under a second name of
    /// the same registrable domain. The relying party ID is always the host
    /// of `public_url`.
    pub webauthn_origins: Vec<String>,
}

impl Settings {
    pub fn new(issuer: &str, public_url: &str) -> Settings {
        Settings {
            issuer: issuer.to_owned(),
            public_url: public_url.to_owned(),
            policy: AccountPolicy::default(),
            sms_countries: DEFAULT_SMS_COUNTRIES.iter().map(|c| c.to_string()).collect(),
            dav_url: None,
            reset_policy: events::factor_reset::ResetPolicy::STANDARD,
            calendar: events::working_days::WorkCalendar::default(),
            support_email: None,
            retention: events::retention::RetentionPolicy::default(),
            brand: crate::brand::Brand::default(),
            webauthn_origins: Vec::new(),
        }
    }
}

pub const DEFAULT_SMS_COUNTRIES: [&str; 3] = ["DE", "AT", "CH"];
