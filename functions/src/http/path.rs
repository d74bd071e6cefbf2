//! Path parameters: the values of a route's `{name}` segments.

/// Values of `{name}` segments.
#[derive(Debug, Clone, Default)]
pub struct PathParams(Vec<(&'static str, String)>);

impl PathParams {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }
}

pub(super) fn matches(pattern: &'static str, path: &str) -> Option<PathParams> {
    let mut params = Vec::new();
    let mut want = pattern.split('/');
    let mut have = path.split('/');
    loop {
        match (want.next(), have.next()) {
            (None, None) => return Some(PathParams(params)),
            (Some(w), Some(h)) if w.starts_with('{') && w.ends_with('}') && !h.is_empty() => {
                params.push((&w[1..w.len() - 1], h.to_owned()));
            }
            (Some(w), Some(h)) if w == h => {}
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_path_parameters() {
        assert_eq!(matches("/api/x/{id}", "/api/x/42").unwrap().get("id"), Some("42"));
        assert!(matches("/api/x/{id}", "/api/x/").is_none());
        assert!(matches("/api/x/{id}", "/api/x/1/2").is_none());
    }
}
