//! `portal`: the whole product on one machine. `cargo run --release` starts
//! it with the embedded backend; see the README for its settings.

use std::sync::Arc;

use functions::backend::aws::{Aws, AwsResources};
use functions::backend::embedded::Embedded;
use functions::password::Passwords;
use functions::portal::config::{Backend, PortalConfig};
use functions::portal::server::{self, Server};
use functions::ports::clock::SystemClock;
use functions::projector;
use tokio::sync::watch;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("portal: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let config = PortalConfig::from_env()?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let timer_stop = stop_rx.clone();
    // The backend, and the task that feeds its projections.
    let (app, follower) = match config.backend {
        Backend::Embedded => {
            let embedded =
                Embedded::open(&config.data_dir, config.settings.clone(), Arc::new(SystemClock), Passwords::standard())
                    .map_err(|e| e.to_string())?;
            let follower =
                tokio::spawn(projector::embedded::follow(embedded.db.clone(), embedded.projector.clone(), stop_rx));
            (embedded.app, follower)
        }
        Backend::Aws => {
            let aws = Aws::connect(
                AwsResources::from_env(),
                config.settings.clone(),
                Arc::new(SystemClock),
                Passwords::standard(),
            )
            .await?;
            let follower = tokio::spawn(projector::stream_poller::follow(
                aws.dynamo.clone(),
                aws.streams.clone(),
                aws.projector.clone(),
                stop_rx,
            ));
            (aws.app, follower)
        }
    };
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
    tracing::info!(addr = %config.addr, backend = ?config.backend, "portal listening on http://{}", config.addr);
    let timer = tokio::spawn(sla_watch_timer(app.clone(), timer_stop));
    let server = Server { app, web_dir: config.web_dir.clone() };
    server::run(listener, server, shutdown_signal()).await.map_err(|e| e.to_string())?;
    let _ = stop_tx.send(true);
    let _ = follower.await;
    let _ = timer.await;
    tracing::info!("portal stopped");
    Ok(())
}

/// The SLA watch every minute (on AWS a schedule runs the `sla_watch`
/// function every 15 minutes), until the portal stops.
async fn sla_watch_timer(app: std::sync::Arc<functions::app::App>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
            _ = stop.changed() => return,
        }
        if let Err(e) = functions::sla_watch::run(&app, app.clock.now()).await {
            tracing::warn!(status = e.status, code = e.code, "sla watch failed; trying again in a minute");
        }
    }
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
