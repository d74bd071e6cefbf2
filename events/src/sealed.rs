//! Personal data as events and folds keep it: sealed (AES-256-GCM) under
//! the account's own data key (crypto-shredding, issue 16). The domain
//! never opens it: sign-in needs no personal data (the account is found by
//! its keyed email claim), so only output paths in `functions` (mails, the
//! profile, OIDC claims, the export, the support console, the activity)
//! open it, and once the data key is destroyed nothing can.
//!
//! Events written before sealing (schema 1 of `registered`, `imported`,
//! `app_password_created`) hold plaintext; their upcaster wraps it as
//! `Sealed::legacy`, so the fold has one type and the openers one place
//! that knows the difference. Such plaintext is still in the store: what
//! deletion does with it is `functions::personal_data`'s business.

use serde::{Deserialize, Serialize};

/// How an upcast plaintext value is marked inside the newtype. No sealed
/// value starts so (sealed ones start with the key ring's `aesgcm1:`).
const LEGACY: &str = "plain1:";

/// A sealed string. Serde transparent (a JSON string in events and
/// snapshots); `Debug` never shows the content, sealed or legacy.
#[derive(Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sealed(String);

/// What a sealed value is, for the one who opens it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content<'a> {
    /// Ciphertext under the account's data key.
    Sealed(&'a str),
    /// Plaintext of an event written before sealing (upcast).
    Legacy(&'a str),
}

impl Sealed {
    /// Ciphertext as the sealer made it.
    pub fn from_ciphertext(ciphertext: String) -> Self {
        Sealed(ciphertext)
    }

    /// The plaintext of an event of an older schema (the upcasters).
    pub fn legacy(plain: &str) -> Self {
        Sealed(format!("{LEGACY}{plain}"))
    }

    pub fn content(&self) -> Content<'_> {
        match self.0.strip_prefix(LEGACY) {
            Some(plain) => Content::Legacy(plain),
            None => Content::Sealed(&self.0),
        }
    }

    pub fn is_legacy(&self) -> bool {
        matches!(self.content(), Content::Legacy(_))
    }

    /// The stored form (ciphertext, or the legacy mark and plaintext).
    pub fn as_stored(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the content: events and states are logged and compared in
        // test output, and a legacy value is plaintext.
        match self.content() {
            Content::Sealed(_) => f.write_str("Sealed(..)"),
            Content::Legacy(_) => f.write_str("Sealed(legacy ..)"),
        }
    }
}

/// Wraps the plaintext string field `field` of an older payload as
/// `Sealed::legacy` (a missing or null field stays as it is).
pub(crate) fn upcast_field(payload: &mut serde_json::Value, field: &str) {
    if let Some(value) = payload.get_mut(field)
        && let serde_json::Value::String(plain) = value
    {
        *value = serde_json::Value::String(format!("{LEGACY}{plain}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_content() {
        let sealed = Sealed::from_ciphertext("aesgcm1:c2VjcmV0".into());
        let legacy = Sealed::legacy("anna@example.de");
        assert_eq!(format!("{sealed:?} {legacy:?}"), "Sealed(..) Sealed(legacy ..)");
        assert!(!format!("{:?}", vec![legacy.clone()]).contains("anna"));
    }

    #[test]
    fn serde_is_a_plain_string_and_legacy_values_are_told_apart() {
        let sealed = Sealed::from_ciphertext("aesgcm1:abc".into());
        assert_eq!(serde_json::to_value(&sealed).unwrap(), serde_json::json!("aesgcm1:abc"));
        assert_eq!(serde_json::from_value::<Sealed>(serde_json::json!("aesgcm1:abc")).unwrap(), sealed);
        assert_eq!(sealed.content(), Content::Sealed("aesgcm1:abc"));
        assert!(!sealed.is_legacy());
        let legacy = Sealed::legacy("Anna Berg");
        assert_eq!(legacy.content(), Content::Legacy("Anna Berg"));
        let mut payload = serde_json::json!({ "name": "Anna Berg", "username": null });
        upcast_field(&mut payload, "name");
        upcast_field(&mut payload, "username");
        upcast_field(&mut payload, "missing");
        assert_eq!(serde_json::from_value::<Sealed>(payload["name"].clone()).unwrap(), legacy);
        assert!(payload["username"].is_null() && payload.get("missing").is_none());
    }
}
