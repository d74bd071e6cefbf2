//! Routes: each handler group declares its own beside its handlers
//! (`handlers::login::ROUTES`, ...); a Lambda binary names the lists it
//! serves, the portal mounts `handlers::ALL`. `tests/infra.rs` checks the
//! SAM template against the binaries' lists.

use std::pin::Pin;

use lambda_http::http::Method;
use lambda_http::http::header::{CACHE_CONTROL, HeaderValue};

use super::access::{self, AccessLine};
use super::cors::{self, Cors};
use super::path::{PathParams, matches};
use super::{ApiError, Body, Request, Response, request, response};
use crate::app::App;

/// What a handler gives back, boxed so every handler has one signature.
pub type Handled<'a> = Pin<Box<dyn Future<Output = Result<Response<Body>, ApiError>> + Send + 'a>>;

/// The one signature of every handler.
pub type Handler = for<'a> fn(&'a App, Request) -> Handled<'a>;

pub struct Route {
    pub method: &'static str,
    /// With `{name}` for a path parameter.
    pub path: &'static str,
    pub handler: Handler,
    /// Runs argon2 (through `Passwords::run`). Its Lambda function gets
    /// reserved concurrency in infra/template.yaml (checked by
    /// tests/infra.rs) so that a storm of these cannot take the account's
    /// whole concurrency.
    pub runs_argon2: bool,
    /// Which other origins' pages may read its answers (`http::cors`).
    pub cors: Cors,
}

/// The routes of one handler group. A binary that names no group's list
/// does not link its handlers: the handlers are reached only through these
/// tables (the phone-number metadata stays in `sms_send` and `reset_form`,
/// QR codes in `enroll`).
#[derive(Clone, Copy)]
pub struct Routes {
    /// The module that declares them (`module_path!()`), for tests and logs.
    pub group: &'static str,
    pub routes: &'static [Route],
}

/// A handler group's route list:
///
/// ```ignore
/// pub const ROUTES: Routes = routes![
///     POST "/api/login" => handle, runs_argon2;
///     GET "/oidc/jwks" => jwks, cors_any;
///     POST "/oidc/token" => token, cors_apps;
/// ];
/// ```
///
/// One flag at most: `runs_argon2`, `cors_any` (every origin) or
/// `cors_apps` (the registered single-page apps' origins); any other word
/// does not compile.
#[macro_export]
macro_rules! routes {
    ($($method:ident $path:literal => $handler:path $(, $flag:ident)?;)*) => {
        $crate::http::routes::Routes {
            group: module_path!(),
            routes: &[$($crate::http::routes::Route {
                method: stringify!($method),
                path: $path,
                handler: {
                    fn serve(app: &$crate::app::App, req: $crate::http::Request) -> $crate::http::routes::Handled<'_> {
                        Box::pin($handler(app, req))
                    }
                    serve
                },
                runs_argon2: $crate::routes!(@argon2 $($flag)?),
                cors: $crate::routes!(@cors $($flag)?),
            }),*],
        }
    };
    (@argon2) => { false };
    (@argon2 runs_argon2) => { true };
    (@argon2 cors_any) => { false };
    (@argon2 cors_apps) => { false };
    (@cors) => { $crate::http::cors::Cors::SameOrigin };
    (@cors runs_argon2) => { $crate::http::cors::Cors::SameOrigin };
    (@cors cors_any) => { $crate::http::cors::Cors::AnyOrigin };
    (@cors cors_apps) => { $crate::http::cors::Cors::AppOrigins };
}

/// Answers a request with the route of `lists` that matches it: a Lambda
/// function's own lists, or `handlers::ALL` in the portal. Writes its
/// access line.
pub async fn serve(app: &App, lists: &[Routes], mut req: Request) -> Response<Body> {
    let started = std::time::Instant::now();
    let request_id = request::request_id(&req);
    req.extensions_mut().insert(request::RequestId(request_id.clone()));
    let method = req.method().to_string();
    let preflight = req.method() == Method::OPTIONS;
    let found = find(lists, &method, req.uri().path());
    let route = found.as_ref().map_or("-", |(route, _)| route.path);
    let mut cors_headers = None;
    let handling = async {
        let (found, params) = found?;
        cors_headers = Some(cors::decide(app, found.cors, &req).await?);
        req.extensions_mut().insert(params);
        (found.handler)(app, req).await
    };
    let (result, account_id) = access::with_account_slot(handling).await;
    if let Err(e) = &result {
        crate::metrics::emit(&crate::metrics::of_answer(route, e.status, e.code, access::function_name()));
    }
    let mut response = result.unwrap_or_else(|e| {
        if e.status >= 500 {
            tracing::error!(request_id, status = e.status, code = e.code, "request failed");
        }
        response::error(&e)
    });
    if let Some(headers) = cors_headers {
        headers.apply(response.headers_mut(), preflight);
    }
    // Nothing is kept by a cache unless its handler says so: only the
    // public `GET /api/brand` does.
    response.headers_mut().entry(CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    let status = response.status().as_u16();
    AccessLine { request_id: &request_id, method: &method, route, status, started, account_id }.write();
    response
}

/// The route for a request among `lists`: 404 when no path matches, 405
/// when the path exists with another method. A Lambda sees only its own
/// routes, so it does not reveal by a 405 which paths other functions serve.
pub fn find(lists: &[Routes], method: &str, path: &str) -> Result<(&'static Route, PathParams), ApiError> {
    let path = if path.len() > 1 { path.trim_end_matches('/') } else { path };
    let mut path_known = false;
    for route in lists.iter().flat_map(|list| list.routes) {
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
    use crate::handlers::{self, login, session};

    fn endpoint(lists: &[Routes], method: &str, path: &str) -> Result<&'static str, u16> {
        find(lists, method, path).map(|(r, _)| r.path).map_err(|e| e.status)
    }

    #[test]
    fn finds_routes_and_refuses_others() {
        assert_eq!(endpoint(handlers::ALL, "POST", "/api/login"), Ok("/api/login"));
        assert_eq!(endpoint(handlers::ALL, "POST", "/api/login/"), Ok("/api/login"));
        assert_eq!(endpoint(handlers::ALL, "GET", "/api/login"), Err(405));
        assert_eq!(endpoint(handlers::ALL, "POST", "/api/nope"), Err(404));
    }

    #[test]
    fn a_function_knows_only_its_own_routes() {
        assert_eq!(endpoint(&[login::ROUTES], "POST", "/api/login"), Ok("/api/login"));
        assert_eq!(endpoint(&[login::ROUTES], "GET", "/api/account"), Err(404));
        assert_eq!(endpoint(&[login::ROUTES], "POST", "/api/account"), Err(404));
        assert_eq!(endpoint(&[session::ROUTES], "POST", "/api/account"), Err(405));
    }

    #[test]
    fn every_route_an_app_calls_from_its_page_answers_the_preflight() {
        let all: Vec<&Route> = handlers::ALL.iter().flat_map(|l| l.routes).collect();
        let from_pages: Vec<&&Route> = all.iter().filter(|r| r.cors == Cors::AppOrigins).collect();
        let paths = |method: &str| {
            let mut p: Vec<&str> = from_pages.iter().filter(|r| r.method == method).map(|r| r.path).collect();
            p.dedup();
            p
        };
        assert_eq!(paths("OPTIONS"), ["/oidc/token", "/oidc/revoke", "/oidc/userinfo"]);
        assert_eq!(paths("POST"), paths("OPTIONS"));
        assert_eq!(endpoint(handlers::ALL, "OPTIONS", "/oidc/token"), Ok("/oidc/token"));
        assert_eq!(endpoint(handlers::ALL, "OPTIONS", "/oidc/jwks"), Err(405), "a simple GET needs no preflight");
        for r in all.iter().filter(|r| r.path == "/oidc/jwks" || r.path.starts_with("/.well-known/")) {
            assert_eq!(r.cors, Cors::AnyOrigin, "{}", r.path);
        }
    }

    #[test]
    fn every_route_is_unique_and_every_group_named_once() {
        let all: Vec<&Route> = handlers::ALL.iter().flat_map(|l| l.routes).collect();
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert!(!(a.method == b.method && a.path == b.path), "{} {}", a.method, a.path);
            }
        }
        let mut groups: Vec<&str> = handlers::ALL.iter().map(|l| l.group).collect();
        groups.sort();
        let before = groups.len();
        groups.dedup();
        assert_eq!(groups.len(), before, "a group's list twice in handlers::ALL");
    }
}
