//! The application: the ports, the settings, and request dispatch.

use std::sync::Arc;

use events::account::AccountPolicy;
use lambda_http::http::header::{CACHE_CONTROL, HeaderValue};
use time::OffsetDateTime;

use crate::adapters::sqlite::Sqlite;
use crate::crypto::ServerSecret;
use crate::handlers;
use crate::http::routes::{self, Endpoint};
use crate::http::{ApiError, Body, Request, Response, request, response};
use crate::password::Passwords;
use crate::ports::clock::Clock;
use crate::ports::keys::KeyRing;
use crate::ports::mail::Mailer;
use crate::ports::sms::SmsSender;
use crate::ports::store::{EventStore, Meta};
use crate::ports::views::ViewStore;

/// Settings that shape what users see.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The name authenticator apps show (`PORTAL_ISSUER`).
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
    pub reset_policy: events::reset::ResetPolicy,
    /// Working days for the support deadline (`PORTAL_HOLIDAYS`,
    /// `PORTAL_TIME_ZONE`).
    pub calendar: events::working_days::WorkCalendar,
    /// Where overdue reset requests are reported (`PORTAL_SUPPORT_EMAIL`).
    pub support_email: Option<String>,
}

impl Settings {
    pub fn new(issuer: &str, public_url: &str) -> Settings {
        Settings {
            issuer: issuer.to_owned(),
            public_url: public_url.to_owned(),
            policy: AccountPolicy::default(),
            sms_countries: DEFAULT_SMS_COUNTRIES.iter().map(|c| c.to_string()).collect(),
            dav_url: None,
            reset_policy: events::reset::ResetPolicy::STANDARD,
            calendar: events::working_days::WorkCalendar::default(),
            support_email: None,
        }
    }
}

pub const DEFAULT_SMS_COUNTRIES: [&str; 3] = ["DE", "AT", "CH"];

pub struct App {
    pub store: Arc<dyn EventStore>,
    pub views: Arc<dyn ViewStore>,
    pub mailer: Arc<dyn Mailer>,
    pub sms: Arc<dyn SmsSender>,
    pub keys: Arc<dyn KeyRing>,
    pub secret: ServerSecret,
    pub clock: Arc<dyn Clock>,
    pub passwords: Passwords,
    pub settings: Settings,
    /// The local outbox, present only on the embedded backend.
    pub outbox: Option<Sqlite>,
}

/// What every handler knows about its request.
pub struct Ctx {
    pub now: OffsetDateTime,
    pub meta: Meta,
}

impl App {
    pub fn ctx(&self, req: &Request) -> Ctx {
        let now = self.clock.now();
        Ctx { now, meta: Meta { request_id: request::request_id(req), at: now, source_ip: request::source_ip(req) } }
    }

    /// Serves any route of the contract.
    pub async fn handle(&self, req: Request) -> Response<Body> {
        self.handle_for(None, req).await
    }

    /// Serves the routes of one Lambda function (`Some(name)`), or all.
    pub async fn handle_for(&self, function: Option<&str>, mut req: Request) -> Response<Body> {
        let result = match routes::find(function, req.method().as_str(), req.uri().path()) {
            Ok((route, params)) => {
                req.extensions_mut().insert(params);
                self.dispatch(route.endpoint, req).await
            }
            Err(e) => Err(e),
        };
        let mut response = result.unwrap_or_else(|e| {
            if e.status >= 500 {
                tracing::error!(status = e.status, code = e.code, "request failed");
            }
            response::error(&e)
        });
        response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }

    async fn dispatch(&self, endpoint: Endpoint, req: Request) -> Result<Response<Body>, ApiError> {
        match endpoint {
            Endpoint::Register => handlers::register::handle(self, req).await,
            Endpoint::Login => handlers::login::handle(self, req).await,
            Endpoint::Logout => handlers::session::logout(self, req).await,
            Endpoint::Account => handlers::session::account(self, req).await,
            Endpoint::TotpSetup => handlers::totp::setup(self, req).await,
            Endpoint::TotpConfirm => handlers::totp::confirm(self, req).await,
            Endpoint::Verify => handlers::verify::handle(self, req).await,
            Endpoint::RecoveryCodes => handlers::recovery_codes::regenerate(self, req).await,
            Endpoint::SmsSetup => handlers::sms::setup(self, req).await,
            Endpoint::SmsSend => handlers::sms::send_code(self, req).await,
            Endpoint::SmsCountries => handlers::sms::countries(self).await,
            Endpoint::SmsConfirm => handlers::sms::confirm(self, req).await,
            Endpoint::SmsRemove => handlers::sms::remove(self, req).await,
            Endpoint::AppPasswordCreate => handlers::app_passwords::create(self, req).await,
            Endpoint::AppPasswordList => handlers::app_passwords::list(self, req).await,
            Endpoint::AppPasswordRevoke => handlers::app_passwords::revoke(self, req).await,
            Endpoint::DavAuth => handlers::app_passwords::dav_auth(self, req).await,
            Endpoint::AltchaChallenge => handlers::reset_form::challenge(self).await,
            Endpoint::ResetRequestSubmit => handlers::reset_form::submit(self, req).await,
            Endpoint::SupportQueue => handlers::support::queue(self, req).await,
            Endpoint::SupportRequest => handlers::support::detail(self, req).await,
            Endpoint::SupportTake => handlers::support::take(self, req).await,
            Endpoint::SupportApprove => handlers::support::approve(self, req).await,
            Endpoint::SupportReject => handlers::support::reject(self, req).await,
            Endpoint::DevOutbox => handlers::dev::outbox(self).await,
        }
    }
}
