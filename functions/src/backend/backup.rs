//! `portal backup` and `portal restore` for the embedded backend.
//!
//! A backup is one SQLite file: the database copied with SQLite's online
//! backup API (one read transaction, so a running portal goes on writing
//! and the copy is one consistent moment), plus a table holding the key
//! files, without which the copy is useless: `data.key` seals the TOTP
//! secrets, `server.key` and `signing/` sign the sessions and tokens.
//! It holds what the data directory holds, so it is made private (0600).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;
use rusqlite::backup::{Backup, StepResult};

use crate::backend::data_dir_lock::DataDirLock;
use crate::backend::embedded::make_private;

const DB: &str = "portal.db";
const KEY_FILES: [&str; 2] = ["data.key", "server.key"];
const SIGNING_DIR: &str = "signing";
/// The table in a backup that carries the key files beside the database.
const FILES_TABLE: &str = "portal_backup_files";

/// What a backup holds, for the command's answer.
#[derive(Debug, PartialEq, Eq)]
pub struct Summary {
    pub events: u64,
    pub key_files: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} events and {} key files", self.events, self.key_files)
    }
}

fn sql(what: &str) -> impl Fn(rusqlite::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

fn io(what: &Path) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("{}: {e}", what.display())
}

/// Copies the data directory into `file` (replacing it), also while a
/// portal runs there. Written beside `file` first and renamed, so `file`
/// is never half a backup.
pub fn backup(data_dir: &Path, file: &Path) -> Result<Summary, String> {
    if !data_dir.join(DB).is_file() {
        return Err(format!("{} holds no portal database", data_dir.display()));
    }
    let _lock = DataDirLock::shared(data_dir)?;
    let partial = PathBuf::from(format!("{}.partial", file.display()));
    let _ = std::fs::remove_file(&partial);
    create_private(&partial).map_err(io(&partial))?;
    let written = copy_database(&data_dir.join(DB), &partial).and_then(|(mut dst, events)| {
        let key_files = add_key_files(&mut dst, data_dir)?;
        dst.close().map_err(|(_, e)| format!("closing the backup: {e}"))?;
        Ok(Summary { events, key_files })
    });
    let summary = written.inspect_err(|_| {
        let _ = std::fs::remove_file(&partial);
    })?;
    std::fs::File::open(&partial).and_then(|f| f.sync_all()).map_err(io(&partial))?;
    std::fs::rename(&partial, file).map_err(io(file))?;
    Ok(summary)
}

/// An empty file only the owner may read: SQLite then keeps its mode.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map(drop)
}

/// The online backup, all pages in one step (one read transaction; a step
/// that finds the database locked is tried again for up to 5 s).
fn copy_database(source: &Path, partial: &Path) -> Result<(Connection, u64), String> {
    let src = Connection::open(source).map_err(sql("opening the database"))?;
    src.busy_timeout(Duration::from_secs(5)).map_err(sql("opening the database"))?;
    let mut dst = Connection::open(partial).map_err(sql("creating the backup"))?;
    {
        let backup = Backup::new(&src, &mut dst).map_err(sql("starting the backup"))?;
        let mut tries = 0;
        while backup.step(-1).map_err(sql("copying the database"))? != StepResult::Done {
            tries += 1;
            if tries > 100 {
                return Err("the database stayed locked for 5 s; try again".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    // The copy inherits WAL mode; one self-contained file is what an
    // operator moves around.
    dst.pragma_update(None, "journal_mode", "DELETE").map_err(sql("finishing the backup"))?;
    let events = dst.query_row("SELECT count(*) FROM events", [], |r| r.get(0)).map_err(sql("counting events"))?;
    Ok((dst, events))
}

/// The key files by their names relative to the data directory.
fn key_file_names(data_dir: &Path) -> Result<Vec<String>, String> {
    let mut names: Vec<String> = KEY_FILES.iter().map(|n| n.to_string()).collect();
    let signing = data_dir.join(SIGNING_DIR);
    if signing.is_dir() {
        for entry in std::fs::read_dir(&signing).map_err(io(&signing))? {
            let entry = entry.map_err(io(&signing))?;
            if entry.file_type().map_err(io(&entry.path()))?.is_file() {
                names.push(format!("{SIGNING_DIR}/{}", entry.file_name().to_string_lossy()));
            }
        }
    }
    Ok(names)
}

fn add_key_files(dst: &mut Connection, data_dir: &Path) -> Result<usize, String> {
    let tx = dst.transaction().map_err(sql("adding the key files"))?;
    tx.execute(&format!("CREATE TABLE {FILES_TABLE} (name TEXT PRIMARY KEY, content BLOB NOT NULL)"), [])
        .map_err(sql("adding the key files"))?;
    let names = key_file_names(data_dir)?;
    for name in &names {
        let path = data_dir.join(name);
        let content = std::fs::read(&path).map_err(io(&path))?;
        tx.execute(&format!("INSERT INTO {FILES_TABLE} (name, content) VALUES (?1, ?2)"), (name, content))
            .map_err(sql("adding the key files"))?;
    }
    tx.commit().map_err(sql("adding the key files"))?;
    Ok(names.len())
}

/// Replaces the data directory's database and keys with those of a backup
/// (creating the directory if needed). Refused while a portal or a command
/// uses the directory; the backup itself is only read.
pub fn restore(data_dir: &Path, file: &Path) -> Result<Summary, String> {
    std::fs::create_dir_all(data_dir).map_err(io(data_dir))?;
    let _lock = DataDirLock::exclusive(data_dir)?;
    let restoring = data_dir.join(format!("{DB}.restoring"));
    let _ = std::fs::remove_file(&restoring);
    create_private(&restoring).map_err(io(&restoring))?;
    std::fs::copy(file, &restoring).map_err(io(file))?;
    let taken = take_key_files(&restoring);
    let (events, files) = taken.inspect_err(|_| {
        let _ = std::fs::remove_file(&restoring);
    })?;
    // A write-ahead log left by the data directory's previous database
    // would be replayed onto the restored one.
    for stale in ["-wal", "-shm", "-journal"] {
        let path = data_dir.join(format!("{DB}{stale}"));
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&path)(e)),
            _ => {}
        }
    }
    std::fs::rename(&restoring, data_dir.join(DB)).map_err(io(data_dir))?;
    write_key_files(data_dir, &files)?;
    make_private(data_dir).map_err(io(data_dir))?;
    Ok(Summary { events, key_files: files.len() })
}

type KeyFiles = Vec<(String, Vec<u8>)>;

/// Reads the key files out of the copy and drops their table, so the copy
/// becomes a plain portal database. Refuses a file that is no portal
/// backup, or names a key file outside the data directory.
fn take_key_files(copy: &Path) -> Result<(u64, KeyFiles), String> {
    let not_a_backup = |e: rusqlite::Error| format!("not a portal backup: {e}");
    let conn = Connection::open(copy).map_err(not_a_backup)?;
    let events = conn.query_row("SELECT count(*) FROM events", [], |r| r.get(0)).map_err(not_a_backup)?;
    let files: KeyFiles = conn
        .prepare(&format!("SELECT name, content FROM {FILES_TABLE} ORDER BY name"))
        .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
        .map_err(not_a_backup)?;
    if let Some((bad, _)) = files.iter().find(|(name, _)| !is_key_file_name(name)) {
        return Err(format!("not a portal backup: it names the file {bad:?}"));
    }
    if let Some(missing) = KEY_FILES.iter().find(|k| !files.iter().any(|(n, _)| n == *k)) {
        return Err(format!("not a portal backup: {missing} is missing"));
    }
    conn.execute(&format!("DROP TABLE {FILES_TABLE}"), []).map_err(sql("restoring"))?;
    conn.close().map_err(|(_, e)| format!("restoring: {e}"))?;
    Ok((events, files))
}

/// `data.key`, `server.key` or `signing/<name>`: nothing that leaves the
/// data directory or replaces the database.
fn is_key_file_name(name: &str) -> bool {
    let plain = |n: &str| !n.is_empty() && !n.starts_with('.') && !n.contains(['/', '\\']);
    KEY_FILES.contains(&name) || name.strip_prefix("signing/").is_some_and(plain)
}

/// The keys of the backup, and no others: signing keys the directory had
/// beside them would be trusted for tokens the backup never issued.
fn write_key_files(data_dir: &Path, files: &KeyFiles) -> Result<(), String> {
    let signing = data_dir.join(SIGNING_DIR);
    match std::fs::remove_dir_all(&signing) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&signing)(e)),
        _ => {}
    }
    std::fs::create_dir_all(&signing).map_err(io(&signing))?;
    for (name, content) in files {
        let path = data_dir.join(name);
        let fresh = PathBuf::from(format!("{}.restoring", path.display()));
        let _ = std::fs::remove_file(&fresh);
        create_private(&fresh).and_then(|()| std::fs::write(&fresh, content)).map_err(io(&fresh))?;
        std::fs::rename(&fresh, &path).map_err(io(&path))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("portal-backup-{name}-{}", uuid::Uuid::new_v4()))
    }

    #[test]
    fn key_file_names_stay_inside_the_data_directory() {
        for good in ["data.key", "server.key", "signing/2026-12-03.p256"] {
            assert!(is_key_file_name(good), "{good}");
        }
        for bad in ["portal.db", "../data.key", "signing/../../etc/passwd", "signing/", "signing/.x", "/etc/x"] {
            assert!(!is_key_file_name(bad), "{bad}");
        }
    }

    #[test]
    fn a_backup_naming_a_file_outside_the_data_directory_is_refused_and_changes_nothing() {
        let (file, dir) = (temp("evil.db"), temp("dir"));
        let conn = Connection::open(&file).unwrap();
        conn.execute_batch(&format!(
            "CREATE TABLE events (x); CREATE TABLE {FILES_TABLE} (name TEXT PRIMARY KEY, content BLOB NOT NULL);
             INSERT INTO {FILES_TABLE} VALUES ('data.key', x'00'), ('server.key', x'00'), ('signing/../../x', x'00');"
        ))
        .unwrap();
        drop(conn);
        assert!(restore(&dir, &file).unwrap_err().contains("\"signing/../../x\""));
        assert!(!dir.join(DB).exists() && !dir.join("data.key").exists());
        std::fs::write(&file, b"not sqlite at all").unwrap();
        assert!(restore(&dir, &file).unwrap_err().starts_with("not a portal backup"));
        let _ = (std::fs::remove_file(&file), std::fs::remove_dir_all(&dir));
    }

    #[test]
    fn a_directory_without_a_database_has_nothing_to_back_up() {
        let dir = temp("empty");
        assert!(backup(&dir, &temp("out.db")).unwrap_err().contains("holds no portal database"));
    }
}
