//! The application: the ports, the settings, and request dispatch.

use std::pin::Pin;
use std::sync::Arc;

use events::account::AccountPolicy;
use lambda_http::http::header::{CACHE_CONTROL, HeaderValue};
use time::OffsetDateTime;

use crate::crypto::ServerSecret;
use crate::handlers;
use crate::http::routes::{self, Endpoint, Routes};
use crate::http::{ApiError, Body, Request, Response, request, response};
use crate::password::Passwords;
use crate::ports::clock::Clock;
use crate::ports::keys::KeyRing;
use crate::ports::mail::Mailer;
use crate::ports::outbox::Outbox;
use crate::ports::sms::SmsSender;
use crate::ports::store::{EventStore, Meta};
use crate::ports::views::ViewStore;

type Handled<'a> = Pin<Box<dyn Future<Output = Result<Response<Body>, ApiError>> + Send + 'a>>;

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
    pub outbox: Option<Arc<dyn Outbox>>,
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
        self.handle_for::<routes::All>(req).await
    }

    /// Serves the routes of `R`: all of them, or those of one Lambda function.
    pub async fn handle_for<R: Routes>(&self, mut req: Request) -> Response<Body> {
        let result = match routes::find(R::FUNCTION, req.method().as_str(), req.uri().path()) {
            Ok((route, params)) => {
                req.extensions_mut().insert(params);
                self.dispatch::<R>(route.endpoint, req).await
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

    /// The handler's future for `endpoint`, if `R` serves it.
    ///
    /// Whether `R` serves an endpoint is decided at compile time, so in a
    /// Lambda binary the arms of other functions are dead and their
    /// handlers are not linked (see `routes::Routes`). A plain function that
    /// boxes the future rather than an `async fn` that awaits it: in an
    /// async state machine every handler's await is a resume point the
    /// compiler cannot prove dead, and all of them would stay. `find` has
    /// already refused the endpoints `R` does not serve.
    fn dispatch<R: Routes>(&self, endpoint: Endpoint, req: Request) -> Handled<'_> {
        macro_rules! serve {
            ($endpoint:ident => $handler:expr) => {
                if const { routes::serves(R::FUNCTION, Endpoint::$endpoint) } {
                    Box::pin($handler)
                } else {
                    Box::pin(std::future::ready(Err(ApiError::not_found())))
                }
            };
        }
        match endpoint {
            Endpoint::Register => serve!(Register => handlers::register::handle(self, req)),
            Endpoint::Login => serve!(Login => handlers::login::handle(self, req)),
            Endpoint::Logout => serve!(Logout => handlers::session::logout(self, req)),
            Endpoint::Account => serve!(Account => handlers::session::account(self, req)),
            Endpoint::TotpSetup => serve!(TotpSetup => handlers::totp::setup(self, req)),
            Endpoint::TotpConfirm => serve!(TotpConfirm => handlers::totp::confirm(self, req)),
            Endpoint::Verify => serve!(Verify => handlers::verify::handle(self, req)),
            Endpoint::RecoveryCodes => serve!(RecoveryCodes => handlers::recovery_codes::regenerate(self, req)),
            Endpoint::SmsSetup => serve!(SmsSetup => handlers::sms::setup(self, req)),
            Endpoint::SmsSend => serve!(SmsSend => handlers::sms::send_code(self, req)),
            Endpoint::SmsCountries => serve!(SmsCountries => handlers::sms::countries(self)),
            Endpoint::SmsConfirm => serve!(SmsConfirm => handlers::sms::confirm(self, req)),
            Endpoint::SmsRemove => serve!(SmsRemove => handlers::sms::remove(self, req)),
            Endpoint::AppPasswordCreate => serve!(AppPasswordCreate => handlers::app_passwords::create(self, req)),
            Endpoint::AppPasswordList => serve!(AppPasswordList => handlers::app_passwords::list(self, req)),
            Endpoint::AppPasswordRevoke => serve!(AppPasswordRevoke => handlers::app_passwords::revoke(self, req)),
            Endpoint::DavAuth => serve!(DavAuth => handlers::app_passwords::dav_auth(self, req)),
            Endpoint::AltchaChallenge => serve!(AltchaChallenge => handlers::reset_form::challenge(self)),
            Endpoint::ResetRequestSubmit => serve!(ResetRequestSubmit => handlers::reset_form::submit(self, req)),
            Endpoint::SupportQueue => serve!(SupportQueue => handlers::support::queue(self, req)),
            Endpoint::SupportRequest => serve!(SupportRequest => handlers::support::detail(self, req)),
            Endpoint::SupportTake => serve!(SupportTake => handlers::support::take(self, req)),
            Endpoint::SupportApprove => serve!(SupportApprove => handlers::support::approve(self, req)),
            Endpoint::SupportReject => serve!(SupportReject => handlers::support::reject(self, req)),
            Endpoint::PasswordForgot => serve!(PasswordForgot => handlers::password_reset::forgot(self, req)),
            Endpoint::PasswordReset => serve!(PasswordReset => handlers::password_reset::reset(self, req)),
            Endpoint::DevOutbox => serve!(DevOutbox => handlers::dev::outbox(self)),
        }
    }
}
