//! `portal`: the whole product on one machine. `cargo run --release` starts
//! it with the embedded backend; see the README for its settings.
//!
//! `portal staff add --email <email> --name <name>` instead creates a support
//! account on the configured backend, the password read from standard input;
//! `portal client add|list|remove` manages the apps that sign in with the
//! portal (OpenID Connect clients) there; `portal import <file>` brings a
//! portal's existing customers over (`functions::import`).

use std::sync::Arc;

use functions::backend::backup;
use functions::backend::data_dir_lock::DataDirLock;
use functions::backend::embedded::Embedded;
use functions::password::Passwords;
use functions::portal::config::{Backend, PortalConfig};
use functions::portal::help;
use functions::portal::server::{self, Server};
use functions::ports::clock::SystemClock;
use functions::projector;
use functions::{oidc_clients, staff};
use tokio::sync::watch;
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::util::SubscriberInitExt;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Whatever the portal or SQLite creates is for the portal's user only:
    // the data directory holds password hashes and live reset links.
    #[cfg(unix)]
    // SAFETY: umask only sets the process's file creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
    // argon2 allocates 19 MiB per run and frees it after. glibc raises its
    // mmap threshold at the first such free and from then on keeps these
    // blocks in per-thread arenas, one for each blocking thread that ever
    // ran argon2: 546 MiB after 200 registrations one after another, 65 MiB
    // with a fixed threshold (bench/login_storm). A fixed one gives them back.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only tunes the allocator (it takes the arena locks).
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = args.iter().map(String::as_str).take(2).collect::<Vec<_>>();
    if let Err(message) = init_logging(command.is_empty()) {
        eprintln!("portal: {message}");
        return std::process::ExitCode::FAILURE;
    }
    if help::asked(&args) {
        print!("{}", help::HELP);
        return std::process::ExitCode::SUCCESS;
    }
    let result = match command.as_slice() {
        [] => run().await,
        ["backup", file] if args.len() == 2 => backup_command(backup::backup, file, "backed up"),
        ["restore", file] if args.len() == 2 => backup_command(backup::restore, file, "restored"),
        ["staff", "add"] => staff_add(&args[2..]).await,
        ["client", "add"] => client_add(&args[2..]).await,
        ["client", "list"] if args.len() == 2 => client_list().await,
        ["client", "remove"] if args.len() == 3 => client_remove(&args[2]).await,
        ["import", ..] => import(&args[1..]).await,
        _ => Err(format!("unknown command {:?}\n\n{}", args.join(" "), help::HELP)),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("portal: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Text logs, or JSON lines with `PORTAL_LOG_FORMAT=json` (the fields at
/// the top level, as the Lambda functions write them). A command's standard
/// output is its answer; its logs go to standard error.
fn init_logging(serving: bool) -> Result<(), String> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let json = match std::env::var("PORTAL_LOG_FORMAT").as_deref() {
        Err(_) | Ok("" | "text") => false,
        Ok("json") => true,
        Ok(other) => return Err(format!("PORTAL_LOG_FORMAT must be text or json, got {other:?}")),
    };
    let writer = if serving { BoxMakeWriter::new(std::io::stdout) } else { BoxMakeWriter::new(std::io::stderr) };
    if json {
        functions::http::access::json_logs(filter, writer).init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer).init();
    }
    Ok(())
}

async fn run() -> Result<(), String> {
    let config = PortalConfig::from_env()?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let timer_stop = stop_rx.clone();
    // The backend, and the task that feeds its projections; the data
    // directory's lock lives until the portal has stopped.
    let (app, follower, _lock) = match config.backend {
        Backend::Embedded => {
            let embedded =
                Embedded::open(&config.data_dir, config.settings.clone(), Arc::new(SystemClock), Passwords::standard())
                    .map_err(|e| e.to_string())?;
            let follower = tokio::spawn(projector::embedded::follow(
                embedded.db.clone(),
                embedded.projector.clone(),
                embedded.app.clock.clone(),
                stop_rx,
            ));
            (embedded.app, follower, embedded.lock)
        }
        Backend::Aws => {
            let aws = aws::connect(config.settings.clone()).await?;
            let follower = tokio::spawn(aws::follow(&aws, stop_rx));
            (aws.app, follower, None)
        }
    };
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
    tracing::info!(addr = %config.addr, backend = ?config.backend, "portal listening on http://{}", config.addr);
    if config.backend == Backend::Embedded && config.dev_outbox {
        tracing::info!("emails and SMS sent are listed at http://{}/dev/outbox, for this machine only", config.addr);
    }
    let timer = tokio::spawn(sla_watch_timer(app.clone(), timer_stop));
    let server = Server { app, web_dir: config.web_dir.clone(), dev_outbox: config.dev_outbox, limits: config.limits };
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

/// `portal backup <file>` and `portal restore <file>` on `PORTAL_DATA_DIR`
/// (the embedded backend's; on AWS DynamoDB's point-in-time recovery does it).
fn backup_command(
    command: fn(&std::path::Path, &std::path::Path) -> Result<backup::Summary, String>,
    file: &str,
    done: &str,
) -> Result<(), String> {
    let config = PortalConfig::from_env()?;
    if config.backend != Backend::Embedded {
        return Err(
            "backup and restore are for the embedded backend; on AWS see the README (point-in-time recovery)".into()
        );
    }
    let summary = command(&config.data_dir, std::path::Path::new(file))?;
    println!("{done} {summary}: {file}");
    Ok(())
}

/// `portal staff add`: prints the new account's user id.
async fn staff_add(args: &[String]) -> Result<(), String> {
    let args = staff::parse_add_args(args)?;
    let password = staff::read_password(&mut std::io::stdin().lock())?;
    let (app, _lock) = configured_app().await?;
    let user_id = staff::add(&app, &args.email, &args.name, &password).await?;
    println!("{user_id}");
    Ok(())
}

/// The application on the configured backend, for a command, with the
/// data directory's lock (embedded) to keep until the command ends.
async fn configured_app() -> Result<(Arc<functions::app::App>, Option<Arc<DataDirLock>>), String> {
    let config = PortalConfig::from_env()?;
    Ok(match config.backend {
        Backend::Embedded => {
            let embedded =
                Embedded::open(&config.data_dir, config.settings, Arc::new(SystemClock), Passwords::standard())
                    .map_err(|e| e.to_string())?;
            (embedded.app, embedded.lock)
        }
        Backend::Aws => (aws::connect(config.settings).await?.app, None),
    })
}

/// `portal client add`: prints `{"client_id", "client_secret"}` on one line.
async fn client_add(args: &[String]) -> Result<(), String> {
    let args = oidc_clients::parse_add_args(args)?;
    let (app, _lock) = configured_app().await?;
    println!("{}", oidc_clients::add(&app, args).await?);
    Ok(())
}

/// `portal client list`: one JSON line per client.
async fn client_list() -> Result<(), String> {
    let (app, _lock) = configured_app().await?;
    for client in oidc_clients::list(&app).await? {
        println!("{client}");
    }
    Ok(())
}

/// `portal import <file> [--grace-login]`: the report on standard output
/// (a JSON line per line not imported), the totals on standard error;
/// fails when any line was refused.
async fn import(args: &[String]) -> Result<(), String> {
    let (file, options) = functions::import::parse_args(args)?;
    let input = std::fs::File::open(&file).map_err(|e| format!("cannot open {file}: {e}"))?;
    let options = match PortalConfig::from_env()?.backend {
        Backend::Embedded => options.for_sqlite(),
        Backend::Aws => options.for_dynamodb(),
    };
    let (app, _lock) = configured_app().await?;
    let mut out = std::io::stdout().lock();
    let summary = functions::import::run(&app, std::io::BufReader::new(input), options, |line, outcome| {
        if let Some(report) = outcome.report_line(line) {
            use std::io::Write;
            let _ = writeln!(out, "{report}");
        }
    })
    .await?;
    eprintln!("portal import: {summary}");
    if summary.refused > 0 {
        Err(format!("{} line(s) refused, listed on standard output", summary.refused))
    } else {
        Ok(())
    }
}

async fn client_remove(client_id: &str) -> Result<(), String> {
    let (app, _lock) = configured_app().await?;
    oidc_clients::remove(&app, client_id).await
}

/// The AWS backend, in a build with the SDK (`--features aws`).
#[cfg(feature = "aws")]
mod aws {
    use std::sync::Arc;

    use functions::backend::aws::{Aws, AwsResources};
    use functions::password::Passwords;
    use functions::ports::clock::SystemClock;
    use functions::settings::Settings;
    use tokio::sync::watch;

    pub async fn connect(settings: Settings) -> Result<Aws, String> {
        Aws::connect(AwsResources::from_env(), settings, Arc::new(SystemClock), Passwords::standard()).await
    }

    /// Projects the events table's stream (on AWS the `projector` Lambda does).
    pub fn follow(aws: &Aws, stop: watch::Receiver<bool>) -> impl Future<Output = ()> + use<> {
        functions::projector::stream_poller::follow(
            aws.dynamo.clone(),
            aws.streams.clone(),
            aws.projector.clone(),
            stop,
        )
    }
}

/// Without the SDK `PortalConfig` refuses `PORTAL_BACKEND=aws`, so these
/// are never reached; they keep `run` alike for both builds.
#[cfg(not(feature = "aws"))]
mod aws {
    use functions::app::App;
    use functions::portal::config::NO_AWS;
    use functions::settings::Settings;
    use tokio::sync::watch;

    pub struct Aws {
        pub app: std::sync::Arc<App>,
    }

    pub async fn connect(_: Settings) -> Result<Aws, String> {
        Err(NO_AWS.into())
    }

    pub fn follow(_: &Aws, _: watch::Receiver<bool>) -> std::future::Ready<()> {
        std::future::ready(())
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
