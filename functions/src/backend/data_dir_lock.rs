//! Who uses a data directory: a running portal (and a command such as
//! `portal staff add`) holds a shared lock on `portal.lock`, a restore an
//! exclusive one. The locks are flock(2) locks, which the kernel drops when
//! the process ends however it ends, so a crash never leaves a stale one.
//! A separate file, because closing any descriptor of `portal.db` would drop
//! SQLite's own (POSIX) locks on it.

use std::fs::File;
use std::path::Path;

/// Held as long as the value lives.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

pub const LOCK_FILE: &str = "portal.lock";

impl DataDirLock {
    /// For the portal and its commands; refused while a restore runs.
    pub fn shared(data_dir: &Path) -> Result<Self, String> {
        Self::take(data_dir, false)
            .map_err(|_| format!("{} is being restored (portal restore); try again when it ends", data_dir.display()))
    }

    /// For a restore; refused while a portal (or a command) uses the directory.
    pub fn exclusive(data_dir: &Path) -> Result<Self, String> {
        Self::take(data_dir, true).map_err(|_| {
            format!(
                "a portal is running on {}: stop it first (a restore replaces the data under it)",
                data_dir.display()
            )
        })
    }

    /// `Err(())` when another process holds a conflicting lock; a file that
    /// cannot be opened at all is reported as such by the caller's next step.
    #[cfg(unix)]
    fn take(data_dir: &Path, exclusive: bool) -> Result<Self, ()> {
        use std::os::fd::AsRawFd;
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(data_dir.join(LOCK_FILE))
            .map_err(|_| ())?;
        let mode = if exclusive { libc::LOCK_EX } else { libc::LOCK_SH };
        // SAFETY: flock only takes a lock on an open descriptor we own.
        if unsafe { libc::flock(file.as_raw_fd(), mode | libc::LOCK_NB) } != 0 {
            return Err(());
        }
        Ok(DataDirLock { _file: file })
    }

    #[cfg(not(unix))]
    fn take(data_dir: &Path, _exclusive: bool) -> Result<Self, ()> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(data_dir.join(LOCK_FILE))
            .map_err(|_| ())?;
        Ok(DataDirLock { _file: file })
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn shared_locks_share_and_exclude_a_restore_until_they_are_dropped() {
        let dir = std::env::temp_dir().join(format!("portal-lock-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let portal = DataDirLock::shared(&dir).unwrap();
        let command = DataDirLock::shared(&dir).unwrap();
        assert!(DataDirLock::exclusive(&dir).unwrap_err().contains("a portal is running"));
        drop((portal, command));
        let restore = DataDirLock::exclusive(&dir).unwrap();
        assert!(DataDirLock::shared(&dir).unwrap_err().contains("being restored"));
        drop(restore);
        DataDirLock::shared(&dir).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
