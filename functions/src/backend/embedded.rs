//! The embedded backend: SQLite, the local outbox and key files under the
//! data directory, the projector in-process. What `cargo run` starts.

use std::path::Path;
use std::sync::Arc;

use crate::adapters::local_keys::{LocalKeyRing, load_or_create_key};
use crate::adapters::local_signing::{LocalSigner, RotationPolicy};
use crate::adapters::sqlite::Sqlite;
use crate::app::App;
use crate::backend::data_dir_lock::{DataDirLock, LOCK_FILE};
use crate::crypto::ServerSecret;
use crate::password::Passwords;
use crate::ports::clock::Clock;
use crate::ports::signing::TokenSigner;
use crate::projector::Projector;
use crate::settings::Settings;

pub struct Embedded {
    pub app: Arc<App>,
    pub db: Sqlite,
    pub projector: Projector,
    /// The data directory's shared lock (none in memory): whoever runs the
    /// app keeps it, so `portal restore` cannot replace the data under it.
    pub lock: Option<Arc<DataDirLock>>,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot use the data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("cannot open the database: {0}")]
    Database(#[from] crate::ports::store::StoreError),
    #[error("{0}")]
    Locked(String),
}

impl Embedded {
    /// Opens (creating on first start) the data directory.
    pub fn open(
        data_dir: &Path,
        settings: Settings,
        clock: Arc<dyn Clock>,
        passwords: Passwords,
    ) -> Result<Self, OpenError> {
        let io = |source| OpenError::DataDir { path: data_dir.display().to_string(), source };
        std::fs::create_dir_all(data_dir).map_err(io)?;
        make_private(data_dir).map_err(io)?;
        let lock = DataDirLock::shared(data_dir).map_err(OpenError::Locked)?;
        let db = Sqlite::open(&data_dir.join("portal.db"))?;
        // Again: SQLite has just created the -wal and -shm files.
        make_private(data_dir).map_err(io)?;
        let data_key = load_or_create_key(&data_dir.join("data.key")).map_err(io)?;
        let server_key = load_or_create_key(&data_dir.join("server.key")).map_err(io)?;
        let signer =
            LocalSigner::open(&data_dir.join("signing"), clock.clone(), RotationPolicy::default()).map_err(io)?;
        let embedded = Self::assemble(db, &data_key, &server_key, Arc::new(signer), settings, clock, passwords);
        let moved = embedded.db.rekey_claims(|key| embedded.app.rekeyed_legacy_claim(key))?;
        if moved > 0 {
            tracing::info!(moved, "email claims moved to keyed keys");
        }
        Ok(Embedded { lock: Some(Arc::new(lock)), ..embedded })
    }

    /// Everything in memory, with random keys: for tests.
    pub fn in_memory(settings: Settings, clock: Arc<dyn Clock>, passwords: Passwords) -> Result<Self, OpenError> {
        let db = Sqlite::in_memory()?;
        let (data_key, server_key) = (crate::crypto::random_bytes::<32>(), crate::crypto::random_bytes::<32>());
        let signer = Arc::new(LocalSigner::in_memory(clock.clone(), RotationPolicy::default()));
        Ok(Self::assemble(db, &data_key, &server_key, signer, settings, clock, passwords))
    }

    fn assemble(
        db: Sqlite,
        data_key: &[u8; 32],
        server_key: &[u8; 32],
        signer: Arc<dyn TokenSigner>,
        settings: Settings,
        clock: Arc<dyn Clock>,
        passwords: Passwords,
    ) -> Self {
        let store = Arc::new(db.clone());
        let keys: Arc<dyn crate::ports::keys::KeyRing> = Arc::new(LocalKeyRing::new(data_key));
        let personal = Arc::new(crate::personal_data::PersonalKeys::new(store.clone(), keys.clone()));
        let app = App {
            store: store.clone(),
            state: store.clone(),
            mailer: store.clone(),
            sms: store.clone(),
            keys,
            secret: ServerSecret::from_master(server_key),
            signer,
            clock,
            passwords,
            settings: settings.clone(),
            outbox: Some(Arc::new(db.clone())),
            personal: personal.clone(),
        };
        let projector = Projector {
            store: store.clone(),
            state: store.clone(),
            mailer: store,
            keys: app.keys.clone(),
            settings,
            personal,
        };
        Embedded { app: Arc::new(app), db, projector, lock: None }
    }
}

/// What the embedded backend keeps in its data directory (other files there
/// are left alone).
const FILES: [&str; 7] =
    ["portal.db", "portal.db-wal", "portal.db-shm", "portal.db-journal", "data.key", "server.key", LOCK_FILE];

/// The files hold password hashes, and the outbox live reset links and SMS
/// codes: only the portal's user may read them. The directory becomes 0700
/// and every file 0600, also those a previous version left readable; a new
/// database file is created 0600 first, because SQLite gives its -wal and
/// -shm files the database file's mode.
pub(crate) fn make_private(data_dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let db = data_dir.join("portal.db");
        if !db.exists() {
            std::fs::OpenOptions::new().write(true).create(true).truncate(false).mode(0o600).open(&db)?;
        }
        std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700))?;
        for name in FILES {
            match std::fs::set_permissions(data_dir.join(name), std::fs::Permissions::from_mode(0o600)) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                other => other?,
            }
        }
    }
    #[cfg(not(unix))]
    let _ = data_dir;
    Ok(())
}
