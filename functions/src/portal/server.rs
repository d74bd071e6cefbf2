//! The HTTP server of `portal`: `/api/*` and `/dev/*` go to the same
//! handlers the Lambdas run (converted to `lambda_http` requests), anything
//! else is the web page.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::app::App;
use crate::http::request::{ClientIp, MAX_BODY_BYTES};
use crate::http::{ApiError, Body, response};

#[derive(Clone)]
pub struct Server {
    pub app: Arc<App>,
    pub web_dir: Option<PathBuf>,
}

pub fn router(server: Server) -> axum::Router {
    axum::Router::new().fallback(serve).with_state(server)
}

async fn serve(
    State(server): State<Server>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: axum::extract::Request,
) -> Response {
    let path = req.uri().path();
    let mut response = if path.starts_with("/api/") || path.starts_with("/dev/") {
        api(&server.app, peer, req).await
    } else {
        web(&server, path)
    };
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        // Reset links carry a token in the URL; it must not leak onwards.
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

async fn api(app: &App, peer: SocketAddr, req: axum::extract::Request) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        let e = ApiError::invalid_request("The request body is larger than 16 KiB.");
        return to_axum(response::error(&e));
    };
    let body = if bytes.is_empty() { Body::Empty } else { Body::Binary(bytes.to_vec()) };
    let mut req = lambda_http::Request::from_parts(parts, body);
    req.extensions_mut().insert(ClientIp(peer.ip().to_string()));
    to_axum(app.handle(req).await)
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
pub async fn run(
    listener: tokio::net::TcpListener,
    server: Server,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(server).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
