//! The web page's static files: compiled into the binary so `cargo run`
//! needs nothing else, or read from `PORTAL_WEB_DIR` while working on them.

use std::path::{Component, Path, PathBuf};

use include_dir::{Dir, include_dir};

static WEB: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../web");

pub struct StaticFile {
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The file for a request path. Paths without a file extension are the
/// page's own routes (`/settings`, `/reset-password`) and get index.html.
pub fn lookup(web_dir: Option<&Path>, request_path: &str) -> Option<StaticFile> {
    let trimmed = request_path.trim_start_matches('/');
    let last = trimmed.rsplit('/').next().unwrap_or("");
    let path = if trimmed.is_empty() || !last.contains('.') { "index.html" } else { trimmed };
    let bytes = match web_dir {
        Some(dir) => std::fs::read(safe_join(dir, path)?).ok()?,
        None => WEB.get_file(path)?.contents().to_vec(),
    };
    Some(StaticFile { content_type: content_type(path), bytes })
}

/// Joins without letting `..` or absolute parts leave the directory.
fn safe_join(dir: &Path, path: &str) -> Option<PathBuf> {
    let rel = Path::new(path);
    rel.components().all(|c| matches!(c, Component::Normal(_))).then(|| dir.join(rel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_index_for_page_routes_and_refuses_escapes() {
        assert_eq!(lookup(None, "/").unwrap().content_type, "text/html; charset=utf-8");
        assert_eq!(lookup(None, "/reset-password").unwrap().content_type, "text/html; charset=utf-8");
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../web");
        assert!(lookup(Some(&dir), "/../Cargo.toml").is_none());
        assert!(safe_join(&dir, "a/../../b.txt").is_none());
        assert!(lookup(None, "/missing.js").is_none());
    }
}
