//! The `dav_auth` Lambda function: `GET /api/dav/auth` for DAV servers that
//! ask an endpoint (routes: see `http::routes::ROUTES`).

#[tokio::main]
async fn main() -> Result<(), functions::lambda::Error> {
    functions::lambda::run_http::<functions::http::routes::of::DavAuth>().await
}
