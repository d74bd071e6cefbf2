//! The route table: every path of the contract, the endpoint that serves it
//! and the Lambda function it belongs to. The portal mounts all of them; a
//! Lambda binary serves the routes of its function. The SAM template is
//! checked against this table.

use super::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Register,
    Login,
    Logout,
    Account,
    TotpSetup,
    TotpConfirm,
    Verify,
    RecoveryCodes,
    SmsSetup,
    SmsSend,
    SmsCountries,
    SmsConfirm,
    SmsRemove,
    AppPasswordCreate,
    AppPasswordList,
    AppPasswordRevoke,
    DavAuth,
    AltchaChallenge,
    ResetRequestSubmit,
    SupportQueue,
    SupportRequest,
    SupportTake,
    SupportApprove,
    SupportReject,
    PasswordForgot,
    PasswordReset,
    DevOutbox,
}

impl Endpoint {
    /// Runs argon2 (through `Passwords::run`). Its Lambda function gets
    /// reserved concurrency in infra/template.yaml (checked by tests/infra.rs)
    /// so that a storm of these cannot take the account's whole concurrency.
    pub const fn runs_argon2(self) -> bool {
        matches!(self, Endpoint::Register | Endpoint::Login | Endpoint::PasswordReset)
    }
}

#[derive(Debug)]
pub struct Route {
    pub method: &'static str,
    /// With `{name}` for a path parameter.
    pub path: &'static str,
    pub endpoint: Endpoint,
    /// The Lambda function (binary in `src/bin/`) that serves it.
    pub function: &'static str,
}

const fn route(method: &'static str, path: &'static str, endpoint: Endpoint, function: &'static str) -> Route {
    Route { method, path, endpoint, function }
}

pub const ROUTES: &[Route] = &[
    route("POST", "/api/register", Endpoint::Register, "register"),
    route("POST", "/api/login", Endpoint::Login, "login"),
    route("POST", "/api/logout", Endpoint::Logout, "account"),
    route("GET", "/api/account", Endpoint::Account, "account"),
    route("POST", "/api/mfa/totp/setup", Endpoint::TotpSetup, "enroll"),
    route("POST", "/api/mfa/totp/confirm", Endpoint::TotpConfirm, "enroll"),
    route("POST", "/api/mfa/recovery-codes", Endpoint::RecoveryCodes, "enroll"),
    route("POST", "/api/mfa/sms/setup", Endpoint::SmsSetup, "sms_send"),
    route("POST", "/api/mfa/sms/send", Endpoint::SmsSend, "sms_send"),
    route("GET", "/api/mfa/sms/countries", Endpoint::SmsCountries, "sms_send"),
    route("POST", "/api/mfa/sms/confirm", Endpoint::SmsConfirm, "enroll"),
    route("DELETE", "/api/mfa/sms", Endpoint::SmsRemove, "enroll"),
    route("POST", "/api/mfa/verify", Endpoint::Verify, "verify"),
    route("POST", "/api/app-passwords", Endpoint::AppPasswordCreate, "account"),
    route("GET", "/api/app-passwords", Endpoint::AppPasswordList, "account"),
    route("DELETE", "/api/app-passwords/{id}", Endpoint::AppPasswordRevoke, "account"),
    // Its own function: DAV clients call it on every request, so it scales
    // (and is throttled) apart from the web's sign-ins.
    route("GET", "/api/dav/auth", Endpoint::DavAuth, "dav_auth"),
    route("GET", "/api/altcha/challenge", Endpoint::AltchaChallenge, "reset_form"),
    route("POST", "/api/reset-requests", Endpoint::ResetRequestSubmit, "reset_form"),
    route("GET", "/api/support/queue", Endpoint::SupportQueue, "support"),
    route("GET", "/api/support/requests/{id}", Endpoint::SupportRequest, "support"),
    route("POST", "/api/support/requests/{id}/take", Endpoint::SupportTake, "support"),
    route("POST", "/api/support/requests/{id}/approve", Endpoint::SupportApprove, "support"),
    route("POST", "/api/support/requests/{id}/reject", Endpoint::SupportReject, "support"),
    // Without a sign-in, so apart from the functions that hold sessions.
    route("POST", "/api/password/forgot", Endpoint::PasswordForgot, "password"),
    route("POST", "/api/password/reset", Endpoint::PasswordReset, "password"),
    route("GET", "/dev/outbox", Endpoint::DevOutbox, "portal"),
];

/// The routes a binary serves, as a type: all of them (`All`, the portal)
/// or those of one Lambda function (`of::Login`, ...). A type rather than a
/// name so that `App::dispatch` is compiled per function with the other
/// functions' handlers as dead code, which the linker leaves out: each
/// Lambda binary carries only its own handlers and what they use (QR codes,
/// phone number metadata, time zones...).
pub trait Routes: Send + Sync + 'static {
    /// The function's name in `ROUTES`; `None` for all routes.
    const FUNCTION: Option<&'static str>;
}

pub struct All;

impl Routes for All {
    const FUNCTION: Option<&'static str> = None;
}

/// One type per Lambda function that serves HTTP routes.
pub mod of {
    macro_rules! functions {
        ($($ty:ident = $name:literal),* $(,)?) => {
            $(
                pub struct $ty;
                impl super::Routes for $ty {
                    const FUNCTION: Option<&'static str> = Some($name);
                }
            )*
            /// Every function named here (a test compares them with `ROUTES`).
            pub const NAMES: &[&str] = &[$($name),*];
        };
    }

    functions!(
        Register = "register",
        Login = "login",
        Account = "account",
        Enroll = "enroll",
        SmsSend = "sms_send",
        Verify = "verify",
        DavAuth = "dav_auth",
        ResetForm = "reset_form",
        Support = "support",
        Password = "password",
    );
}

/// Whether `function` (all when `None`) serves `endpoint`; a `const fn` so
/// `App::dispatch` decides it at compile time.
pub const fn serves(function: Option<&str>, endpoint: Endpoint) -> bool {
    let Some(function) = function else { return true };
    let mut i = 0;
    while i < ROUTES.len() {
        if ROUTES[i].endpoint as u8 == endpoint as u8 && same(ROUTES[i].function, function) {
            return true;
        }
        i += 1;
    }
    false
}

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Values of `{name}` segments.
#[derive(Debug, Clone, Default)]
pub struct PathParams(Vec<(&'static str, String)>);

impl PathParams {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }
}

fn matches(pattern: &'static str, path: &str) -> Option<PathParams> {
    let mut params = Vec::new();
    let mut want = pattern.split('/');
    let mut have = path.split('/');
    loop {
        match (want.next(), have.next()) {
            (None, None) => return Some(PathParams(params)),
            (Some(w), Some(h)) if w.starts_with('{') && w.ends_with('}') && !h.is_empty() => {
                params.push((&w[1..w.len() - 1], h.to_owned()));
            }
            (Some(w), Some(h)) if w == h => {}
            _ => return None,
        }
    }
}

/// The route for a request among those of `function` (all when `None`):
/// 404 when no path matches, 405 when the path exists with another method.
/// A Lambda sees only its own routes, so it does not reveal by a 405 which
/// paths other functions serve.
pub fn find(function: Option<&str>, method: &str, path: &str) -> Result<(&'static Route, PathParams), ApiError> {
    let path = if path.len() > 1 { path.trim_end_matches('/') } else { path };
    let mut path_known = false;
    for route in ROUTES.iter().filter(|r| function.is_none_or(|f| f == r.function)) {
        if let Some(params) = matches(route.path, path) {
            if route.method == method {
                return Ok((route, params));
            }
            path_known = true;
        }
    }
    Err(if path_known { ApiError::method_not_allowed() } else { ApiError::not_found() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_routes_and_refuses_others() {
        assert_eq!(find(None, "POST", "/api/login").unwrap().0.endpoint, Endpoint::Login);
        assert_eq!(find(None, "POST", "/api/login/").unwrap().0.endpoint, Endpoint::Login);
        assert_eq!(find(None, "GET", "/api/login").unwrap_err().status, 405);
        assert_eq!(find(None, "POST", "/api/nope").unwrap_err().status, 404);
    }

    #[test]
    fn a_function_knows_only_its_own_routes() {
        assert_eq!(find(Some("login"), "POST", "/api/login").unwrap().0.endpoint, Endpoint::Login);
        assert!(serves(Some("login"), Endpoint::Login) && serves(None, Endpoint::Login));
        assert!(!serves(Some("login"), Endpoint::Account) && !serves(Some("logi"), Endpoint::Login));
        assert_eq!(find(Some("login"), "GET", "/api/account").unwrap_err().status, 404);
        assert_eq!(find(Some("login"), "POST", "/api/account").unwrap_err().status, 404);
        assert_eq!(find(Some("account"), "POST", "/api/account").unwrap_err().status, 405);
    }

    #[test]
    fn every_lambda_function_of_the_table_has_its_type() {
        let mut in_table: Vec<&str> = ROUTES.iter().map(|r| r.function).filter(|f| *f != "portal").collect();
        in_table.sort();
        in_table.dedup();
        let mut typed = of::NAMES.to_vec();
        typed.sort();
        assert_eq!(typed, in_table);
    }

    #[test]
    fn extracts_path_parameters() {
        assert_eq!(matches("/api/x/{id}", "/api/x/42").unwrap().get("id"), Some("42"));
        assert!(matches("/api/x/{id}", "/api/x/").is_none());
        assert!(matches("/api/x/{id}", "/api/x/1/2").is_none());
    }

    #[test]
    fn every_route_is_unique() {
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                assert!(!(a.method == b.method && a.path == b.path), "{} {}", a.method, a.path);
            }
        }
    }
}
