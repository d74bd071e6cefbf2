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
        // One line per endpoint, each named once: the macro writes the
        // match arm and its compile-time check (the match stays exhaustive).
        macro_rules! serve {
            ($($endpoint:ident => $handler:expr,)*) => {
                match endpoint {
                    $(Endpoint::$endpoint => {
                        if const { routes::serves(R::FUNCTION, Endpoint::$endpoint) } {
                            Box::pin($handler)
                        } else {
                            Box::pin(std::future::ready(Err(ApiError::not_found())))
                        }
                    })*
                }
            };
        }
        serve! {
            Register => handlers::register::handle(self, req),
            Login => handlers::login::handle(self, req),
            Logout => handlers::session::logout(self, req),
            Account => handlers::session::account(self, req),
            TotpSetup => handlers::totp::setup(self, req),
            TotpConfirm => handlers::totp::confirm(self, req),
            Verify => handlers::verify::handle(self, req),
            RecoveryCodes => handlers::recovery_codes::regenerate(self, req),
            SmsSetup => handlers::sms::setup(self, req),
            SmsSend => handlers::sms::send_code(self, req),
            SmsCountries => handlers::sms::countries(self),
            SmsConfirm => handlers::sms::confirm(self, req),
            SmsRemove => handlers::sms::remove(self, req),
            AppPasswordCreate => handlers::app_passwords::create(self, req),
            AppPasswordList => handlers::app_passwords::list(self, req),
            AppPasswordRevoke => handlers::app_passwords::revoke(self, req),
            DavAuth => handlers::app_passwords::dav_auth(self, req),
            AltchaChallenge => handlers::reset_form::challenge(self),
            ResetRequestSubmit => handlers::reset_form::submit(self, req),
            SupportQueue => handlers::support::queue(self, req),
            SupportRequest => handlers::support::detail(self, req),
            SupportTake => handlers::support::take(self, req),
            SupportApprove => handlers::support::approve(self, req),
            SupportReject => handlers::support::reject(self, req),
            PasswordForgot => handlers::password_reset::forgot(self, req),
            PasswordReset => handlers::password_reset::reset(self, req),
            DevOutbox => handlers::dev::outbox(self),
        }
    }
}
