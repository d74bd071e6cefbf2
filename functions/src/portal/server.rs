//! The HTTP server of `portal`: `/api/*` and `/dev/*` go to the same
//! handlers the Lambdas run (converted to `lambda_http` requests), anything
//! else is the web page.
//!
//! Its own accept loop rather than `axum::serve`: that one keeps idle and
//! half-sent connections open forever and accepts without limit, so one
//! client could hold every file the process may open.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use hyper::service::Service as _;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::sync::Semaphore;

use super::config::ConnectionLimits;
use crate::app::App;
use crate::http::request::{ClientIp, MAX_BODY_BYTES};
use crate::http::{ApiError, Body, response};

#[derive(Clone)]
pub struct Server {
    pub app: Arc<App>,
    pub web_dir: Option<PathBuf>,
    /// Serve `/dev/*` (the outbox) at all; even then only to loopback peers.
    pub dev_outbox: bool,
    pub limits: ConnectionLimits,
}

pub fn router(server: Server) -> axum::Router {
    axum::Router::new().fallback(serve).with_state(server)
}

/// `/dev/outbox` lists every reset link and SMS code sent: whoever reads it
/// can take over accounts. Only the operator's own machine may, by the TCP
/// peer's address (a forwarded header is the client's to choose).
pub fn dev_allowed(enabled: bool, peer: IpAddr) -> bool {
    enabled && peer.to_canonical().is_loopback()
}

async fn serve(
    State(server): State<Server>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: axum::extract::Request,
) -> Response {
    let path = req.uri().path();
    let mut response = if path.starts_with("/dev/") && !dev_allowed(server.dev_outbox, peer.ip()) {
        to_axum(response::error(&ApiError::not_found()))
    } else if ["/api/", "/dev/", "/oidc/", "/.well-known/"].iter().any(|prefix| path.starts_with(prefix)) {
        api(&server, peer, req).await
    } else {
        web(&server, path)
    };
    let headers = response.headers_mut();
    // No cache unless the answer says otherwise (`GET /api/brand` may be kept).
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    // The brand's logo may come from its own origin (checked at start).
    if let Ok(csp) = HeaderValue::from_str(&server.app.settings.brand.content_security_policy()) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        // Reset links carry a token in the URL; it must not leak onwards.
        (header::REFERRER_POLICY, "no-referrer"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

async fn api(server: &Server, peer: SocketAddr, req: axum::extract::Request) -> Response {
    let (parts, body) = req.into_parts();
    // A body sent byte by byte, or never, must not hold the connection.
    let bytes = match tokio::time::timeout(server.limits.read_timeout, axum::body::to_bytes(body, MAX_BODY_BYTES)).await
    {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => {
            let e = ApiError::invalid_request("The request body is larger than 16 KiB.");
            return to_axum(response::error(&e));
        }
        Err(_) => {
            let e = ApiError::invalid_request("The request body did not arrive in time.");
            let mut res = to_axum(response::error(&e));
            res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            return res;
        }
    };
    let body = if bytes.is_empty() { Body::Empty } else { Body::Binary(bytes.to_vec()) };
    let mut req = lambda_http::Request::from_parts(parts, body);
    req.extensions_mut().insert(ClientIp(peer.ip().to_string()));
    to_axum(crate::http::routes::serve(&server.app, crate::handlers::ALL, req).await)
}

fn to_axum(res: lambda_http::Response<Body>) -> Response {
    let (parts, body) = res.into_parts();
    let bytes = match body {
        Body::Empty => Vec::new(),
        Body::Text(text) => text.into_bytes(),
        Body::Binary(bytes) => bytes,
        _ => Vec::new(),
    };
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

fn web(server: &Server, path: &str) -> Response {
    match super::web::lookup(server.web_dir.as_deref(), path) {
        Some(file) => ([(header::CONTENT_TYPE, file.content_type)], file.bytes).into_response(),
        None => (axum::http::StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// Serves until `shutdown` completes, then finishes open requests.
///
/// At most `max_connections` are open at once (further clients wait in the
/// listen backlog). hyper's header-read timer runs from a connection's start
/// and again after each answer until the next header is complete, so it
/// closes idle keep-alive connections and half-sent headers alike.
pub async fn run(
    listener: tokio::net::TcpListener,
    server: Server,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = server.limits;
    let router = router(server);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.read_timeout);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of files, say: wait rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let tower = TowerToHyperService::new(router.clone());
        let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            tower.call(req)
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection closed");
            }
            drop(slot);
        });
    }
    graceful.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outbox_is_for_loopback_peers_only_and_only_when_on() {
        for local in ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"] {
            assert!(dev_allowed(true, local.parse().unwrap()), "{local}");
            assert!(!dev_allowed(false, local.parse().unwrap()), "{local}");
        }
        for remote in ["192.168.1.20", "10.0.0.1", "0.0.0.0", "203.0.113.7", "2001:db8::1", "::ffff:192.168.1.20"] {
            assert!(!dev_allowed(true, remote.parse().unwrap()), "{remote}");
        }
    }
}
