//! `portal import`: the pure part. One line of the file (JSON) is checked
//! into an account to import, or refused with a reason; the password hash
//! it carries is recognised (`LegacyHash`) and its work capped, so a hash
//! that would be refused or would take too long at sign-in is refused here,
//! at import, where the operator sees it, never later at a sign-in.
//!
//! Nothing here touches the store: which lines repeat an email or a user
//! name is `Seen`'s business, whether an account already holds the email
//! the caller's.

use std::collections::HashMap;

use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::account::{AccountEvent, Locale};
use crate::email;

/// bcrypt's cost is a power of two: 14 is about a second on one core, as
/// long as a sign-in may take; the common costs are 10 to 12.
pub const MAX_BCRYPT_COST: u32 = 14;
/// Django writes 1,000,000 (5.x); twice that is about a second.
pub const MAX_PBKDF2_ITERATIONS: u32 = 2_000_000;
/// scrypt's memory, 128 · N · r bytes: 64 MiB (Werkzeug's default is 32 MiB).
pub const MAX_SCRYPT_MEMORY: u64 = 64 * 1024 * 1024;
pub const MAX_SCRYPT_P: u32 = 16;
/// argon2 parameters: Django's defaults (m = 100 MiB, t = 2, p = 8) pass.
pub const MAX_ARGON2_M_KIB: u32 = 128 * 1024;
pub const MAX_ARGON2_T: u32 = 10;
pub const MAX_ARGON2_P: u32 = 16;

/// A password hash from another system, recognised and within the caps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegacyHash {
    /// `$2a$`, `$2b$`, `$2y$` (all three are the same algorithm today).
    Bcrypt { cost: u32 },
    /// Django's `pbkdf2_sha256$<iterations>$<salt>$<base64>`.
    Pbkdf2Django { iterations: u32, salt: String, digest: Vec<u8> },
    /// Werkzeug's `pbkdf2:sha256:<iterations>$<salt>$<hex>`.
    Pbkdf2Werkzeug { iterations: u32, salt: String, digest: Vec<u8> },
    /// Werkzeug's `scrypt:<n>:<r>:<p>$<salt>$<hex>`.
    ScryptWerkzeug { log_n: u8, r: u32, p: u32, salt: String, digest: Vec<u8> },
    /// A PHC string `$argon2i$`, `$argon2d$` or `$argon2id$` (what the
    /// portal itself writes; Django's `argon2$argon2id$...` is stored
    /// without its `argon2` prefix).
    Argon2 { m_kib: u32, t: u32, p: u32 },
}

/// Why a hash is not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashRefusal {
    UnknownFormat,
    /// Recognised, but it would demand more work at each sign-in than the
    /// caps allow (a crafted file must not make sign-ins a denial of service).
    TooExpensive,
}

impl LegacyHash {
    /// Recognises `stored` and checks its parameters against the caps.
    pub fn parse(stored: &str) -> Result<LegacyHash, HashRefusal> {
        use HashRefusal::{TooExpensive, UnknownFormat};
        if let Some(rest) = ["$2a$", "$2b$", "$2y$"].iter().find_map(|p| stored.strip_prefix(p)) {
            // 2 digits of cost, `$`, 22 characters of salt and 31 of hash.
            let (cost, tail) = rest.split_once('$').ok_or(UnknownFormat)?;
            let bcrypt64 = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '/';
            if cost.len() != 2 || tail.len() != 53 || !tail.chars().all(bcrypt64) {
                return Err(UnknownFormat);
            }
            let cost: u32 = cost.parse().map_err(|_| UnknownFormat)?;
            if !(4..=31).contains(&cost) {
                return Err(UnknownFormat);
            }
            return if cost > MAX_BCRYPT_COST { Err(TooExpensive) } else { Ok(LegacyHash::Bcrypt { cost }) };
        }
        if let Some(rest) = stored.strip_prefix("pbkdf2_sha256$") {
            let [iterations, salt, digest] = parts::<3>(rest, '$').ok_or(UnknownFormat)?;
            let iterations = positive(iterations)?;
            let digest = data_encoding::BASE64.decode(digest.as_bytes()).map_err(|_| UnknownFormat)?;
            if salt.is_empty() || salt.contains(char::is_whitespace) || digest.len() != 32 {
                return Err(UnknownFormat);
            }
            if iterations > MAX_PBKDF2_ITERATIONS {
                return Err(TooExpensive);
            }
            return Ok(LegacyHash::Pbkdf2Django { iterations, salt: salt.to_owned(), digest });
        }
        if let Some(rest) = stored.strip_prefix("pbkdf2:sha256") {
            let [method, salt, digest] = parts::<3>(rest, '$').ok_or(UnknownFormat)?;
            // Werkzeug's default iteration count when the method names none.
            let iterations = match method {
                "" => 260_000,
                m => positive(m.strip_prefix(':').ok_or(UnknownFormat)?)?,
            };
            let (salt, digest) = salt_and_hex(salt, digest, 32)?;
            if iterations > MAX_PBKDF2_ITERATIONS {
                return Err(TooExpensive);
            }
            return Ok(LegacyHash::Pbkdf2Werkzeug { iterations, salt, digest });
        }
        if let Some(rest) = stored.strip_prefix("scrypt") {
            let [method, salt, digest] = parts::<3>(rest, '$').ok_or(UnknownFormat)?;
            // Werkzeug's defaults when the method names none.
            let (n, r, p) = match method {
                "" => (32_768, 8, 1),
                m => {
                    let [n, r, p] = parts::<3>(m.strip_prefix(':').ok_or(UnknownFormat)?, ':').ok_or(UnknownFormat)?;
                    (positive(n)?, positive(r)?, positive(p)?)
                }
            };
            if !n.is_power_of_two() || n < 2 {
                return Err(UnknownFormat);
            }
            let (salt, digest) = salt_and_hex(salt, digest, 64)?;
            if 128 * u64::from(n) * u64::from(r) > MAX_SCRYPT_MEMORY || p > MAX_SCRYPT_P {
                return Err(TooExpensive);
            }
            let log_n = n.trailing_zeros() as u8;
            return Ok(LegacyHash::ScryptWerkzeug { log_n, r, p, salt, digest });
        }
        if let Some(rest) = ["$argon2id$", "$argon2i$", "$argon2d$"].iter().find_map(|p| stored.strip_prefix(p)) {
            // v=19$m=..,t=..,p=..$salt$hash (the version may be missing in old strings)
            let fields: Vec<&str> = rest.split('$').collect();
            let params = fields.iter().find(|f| f.starts_with("m=")).ok_or(UnknownFormat)?;
            let mut mtp = [None, None, None];
            for kv in params.split(',') {
                let (k, v) = kv.split_once('=').ok_or(UnknownFormat)?;
                let slot = match k {
                    "m" => 0,
                    "t" => 1,
                    "p" => 2,
                    _ => continue,
                };
                mtp[slot] = Some(positive(v)?);
            }
            let [Some(m_kib), Some(t), Some(p)] = mtp else { return Err(UnknownFormat) };
            if fields.len() < 3 {
                return Err(UnknownFormat);
            }
            if m_kib > MAX_ARGON2_M_KIB || t > MAX_ARGON2_T || p > MAX_ARGON2_P {
                return Err(TooExpensive);
            }
            return Ok(LegacyHash::Argon2 { m_kib, t, p });
        }
        Err(UnknownFormat)
    }

    /// The form the account keeps: as written, except Django's argon2,
    /// whose `argon2` prefix is dropped to leave the PHC string.
    pub fn stored_form(raw: &str) -> &str {
        raw.strip_prefix("argon2$argon2").map_or(raw, |_| &raw["argon2".len()..])
    }
}

fn parts<const N: usize>(s: &str, sep: char) -> Option<[&str; N]> {
    let v: Vec<&str> = s.splitn(N, sep).collect();
    v.try_into().ok()
}

fn positive(s: &str) -> Result<u32, HashRefusal> {
    match s.parse::<u32>() {
        Ok(n) if n > 0 && s.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(HashRefusal::UnknownFormat),
    }
}

fn salt_and_hex(salt: &str, digest: &str, len: usize) -> Result<(String, Vec<u8>), HashRefusal> {
    let digest =
        data_encoding::HEXLOWER_PERMISSIVE.decode(digest.as_bytes()).map_err(|_| HashRefusal::UnknownFormat)?;
    if salt.is_empty() || salt.contains(char::is_whitespace) || digest.len() != len {
        return Err(HashRefusal::UnknownFormat);
    }
    Ok((salt.to_owned(), digest))
}

/// Why a line is refused; `code` is what the report prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    InvalidJson(String),
    InvalidEmail,
    MissingName,
    InvalidName,
    InvalidUsername,
    MissingPasswordHash,
    UnknownHashFormat,
    HashTooExpensive,
    UnknownLanguage,
    InvalidCreatedAt,
    /// The email (under any of its forms) is on an earlier line, which is imported.
    DuplicateEmailInFile {
        first_line: usize,
    },
    DuplicateUsernameInFile {
        first_line: usize,
    },
    /// An account that was not brought over by an import holds the email
    /// (registered here, or a support account).
    EmailTaken,
    /// Another account holds the user name (in any case).
    UsernameTaken,
}

impl Refused {
    pub fn code(&self) -> &'static str {
        match self {
            Refused::InvalidJson(_) => "invalid_json",
            Refused::InvalidEmail => "invalid_email",
            Refused::MissingName => "missing_name",
            Refused::InvalidName => "invalid_name",
            Refused::InvalidUsername => "invalid_username",
            Refused::MissingPasswordHash => "missing_password_hash",
            Refused::UnknownHashFormat => "unknown_hash_format",
            Refused::HashTooExpensive => "hash_too_expensive",
            Refused::UnknownLanguage => "unknown_language",
            Refused::InvalidCreatedAt => "invalid_created_at",
            Refused::DuplicateEmailInFile { .. } => "duplicate_email_in_file",
            Refused::DuplicateUsernameInFile { .. } => "duplicate_username_in_file",
            Refused::EmailTaken => "email_taken",
            Refused::UsernameTaken => "username_taken",
        }
    }

    /// For the operator; never the hash or anything else of the line but
    /// what the reason is about.
    pub fn message(&self) -> String {
        match self {
            Refused::InvalidJson(e) => format!("not a JSON object of the import format: {e}"),
            Refused::InvalidEmail => "the email address is not valid".into(),
            Refused::MissingName => "the name is missing or empty".into(),
            Refused::InvalidName => "the name must have 1 to 100 characters and no control characters".into(),
            Refused::InvalidUsername => "the username must have 3 to 32 characters: letters a to z, digits, and '.', '_', '-' between them (no '@')".into(),
            Refused::MissingPasswordHash => "the password_hash is missing".into(),
            Refused::UnknownHashFormat => {
                "the password_hash is of no known format (bcrypt, Django or Werkzeug PBKDF2-SHA256, Werkzeug scrypt, argon2)"
                    .into()
            }
            Refused::HashTooExpensive => {
                "the password_hash demands more work than a sign-in may take (see the README for the limits)".into()
            }
            Refused::UnknownLanguage => "the language must be \"de\" or \"en\"".into(),
            Refused::InvalidCreatedAt => "created_at must be an RFC 3339 time, not in the future".into(),
            Refused::DuplicateEmailInFile { first_line } => {
                format!("the email is already on line {first_line}, which is imported")
            }
            Refused::DuplicateUsernameInFile { first_line } => {
                format!("the username is already on line {first_line}, which is imported")
            }
            Refused::EmailTaken => "an account that was not imported already has this email".into(),
            Refused::UsernameTaken => "another account already has this username (compared without case)".into(),
        }
    }
}

/// A line as the file has it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    email: String,
    name: Option<String>,
    #[serde(default)]
    username: Option<String>,
    password_hash: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    language: Option<String>,
}

/// A line that passed every check of its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Normalised (`email::normalize`): the claim's key.
    pub email: String,
    /// Every form the address may be stored under (`email::lookup_forms`).
    pub lookup_forms: Vec<String>,
    pub name: String,
    pub username: Option<String>,
    /// In the form the account keeps (`LegacyHash::stored_form`).
    pub password_hash: String,
    pub created_at: Option<OffsetDateTime>,
    pub locale: Locale,
}

/// Checks one line on its own. `now` bounds `created_at`.
pub fn check_line(line: &str, now: OffsetDateTime) -> Result<Candidate, Refused> {
    let parsed: Line = serde_json::from_str(line).map_err(|e| Refused::InvalidJson(shape_only(&e)))?;
    let email = email::normalize(&parsed.email).ok_or(Refused::InvalidEmail)?;
    let lookup_forms = email::lookup_forms(&parsed.email);
    let name = parsed.name.as_deref().map(str::trim).filter(|n| !n.is_empty()).ok_or(Refused::MissingName)?;
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(Refused::InvalidName);
    }
    let username = parsed.username.as_deref().map(check_username).transpose()?;
    let raw_hash = parsed.password_hash.as_deref().filter(|h| !h.is_empty()).ok_or(Refused::MissingPasswordHash)?;
    let password_hash = LegacyHash::stored_form(raw_hash);
    LegacyHash::parse(password_hash).map_err(|e| match e {
        HashRefusal::UnknownFormat => Refused::UnknownHashFormat,
        HashRefusal::TooExpensive => Refused::HashTooExpensive,
    })?;
    let created_at = parsed
        .created_at
        .as_deref()
        .map(|t| {
            OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                .ok()
                .filter(|t| *t <= now)
                .ok_or(Refused::InvalidCreatedAt)
        })
        .transpose()?;
    let locale = match parsed.language.as_deref() {
        None => Locale::default(),
        Some("de") => Locale::De,
        Some("en") => Locale::En,
        Some(_) => return Err(Refused::UnknownLanguage),
    };
    Ok(Candidate {
        email,
        lookup_forms,
        name: name.to_owned(),
        username,
        password_hash: password_hash.to_owned(),
        created_at,
        locale,
    })
}

/// serde's message names the field and the position, never the value
/// (a hash that failed to be a string is not echoed into the report).
fn shape_only(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = text.split(" at line").next().unwrap_or(&text);
    match e.classify() {
        // "invalid type: integer `12345678`, expected a string" holds the value.
        serde_json::error::Category::Data if text.starts_with("invalid") => {
            format!("a field has the wrong type or value at column {}", e.column())
        }
        // Missing and unknown fields: only names.
        serde_json::error::Category::Data => text.to_owned(),
        _ => format!("{:?} error at column {}", e.classify(), e.column()),
    }
}

/// A user name by the portal's own rules (`crate::username`): the name an
/// imported account signs in with, claimed at import; kept as written,
/// compared without case.
fn check_username(raw: &str) -> Result<String, Refused> {
    crate::username::check(raw).map_err(|_| Refused::InvalidUsername)
}

/// The emails and user names of the lines taken so far in one file. The
/// first line of an email (or user name) is imported and later ones are
/// refused: the file's order is the operator's, the report names the line
/// that was kept, and a re-run of the same file keeps the same line.
#[derive(Debug, Default)]
pub struct Seen {
    emails: HashMap<String, usize>,
    usernames: HashMap<String, usize>,
}

impl Seen {
    /// Takes `candidate` of line `line_no` unless an earlier line has one of
    /// its email forms or its user name.
    pub fn take(&mut self, line_no: usize, candidate: &Candidate) -> Result<(), Refused> {
        let forms = candidate.lookup_forms.iter().chain(std::iter::once(&candidate.email));
        if let Some(first_line) = forms.clone().find_map(|f| self.emails.get(f)) {
            return Err(Refused::DuplicateEmailInFile { first_line: *first_line });
        }
        let username = candidate.username.as_deref().map(str::to_ascii_lowercase);
        if let Some(first_line) = username.as_ref().and_then(|u| self.usernames.get(u)) {
            return Err(Refused::DuplicateUsernameInFile { first_line: *first_line });
        }
        for form in forms {
            self.emails.insert(form.clone(), line_no);
        }
        if let Some(u) = username {
            self.usernames.insert(u, line_no);
        }
        Ok(())
    }
}

/// A candidate's personal data, sealed under its account's data key.
#[derive(Debug, Clone)]
pub struct SealedPersonal {
    pub email: crate::Sealed,
    pub name: crate::Sealed,
    pub username: Option<crate::Sealed>,
}

/// The account's one event. `grace_login`: the first sign-in may pass
/// without a second factor, as after a registration; without it the
/// second factor is owed at once (setup at the first sign-in), as the
/// guides ask of existing accounts.
/// `sealed` holds the candidate's email, name and user name sealed by
/// the caller under the new account's data key (`crate::sealed`).
pub fn import(candidate: Candidate, sealed: SealedPersonal, account_id: Uuid, grace_login: bool) -> AccountEvent {
    AccountEvent::Imported {
        account_id,
        email: sealed.email,
        name: sealed.name,
        username: sealed.username,
        password_hash: candidate.password_hash,
        locale: candidate.locale,
        created_at: candidate.created_at,
        first_login_without_second_factor: grace_login,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-12-03 08:00 UTC);
    const BCRYPT: &str = "$2b$04$jQ1dx/EZpeNbi0nJR7vWe.jwxDkJn0rApGsRacvWd6/1iD4FuAydO";

    fn line(fields: &str) -> String {
        format!(r#"{{"email":"anna@example.de","name":"Anna","password_hash":"{BCRYPT}"{fields}}}"#)
    }

    #[test]
    fn a_good_line_is_taken_with_its_defaults() {
        let c = check_line(&line(""), NOW).unwrap();
        assert_eq!(
            (c.email.as_str(), c.name.as_str(), c.locale, c.created_at),
            ("anna@example.de", "Anna", Locale::En, None)
        );
        let c =
            check_line(&line(r#","language":"de","created_at":"2019-04-01T10:00:00+02:00","username":"anna.b""#), NOW)
                .unwrap();
        assert_eq!(c.locale, Locale::De);
        assert_eq!(c.created_at, Some(datetime!(2019-04-01 08:00 UTC)));
        assert_eq!(c.username.as_deref(), Some("anna.b"));
    }

    #[test]
    fn each_kind_of_bad_line_is_refused_with_its_reason() {
        let cases = [
            ("{not json".to_owned(), "invalid_json"),
            (r#"["a"]"#.to_owned(), "invalid_json"),
            (line(r#","admin":true"#), "invalid_json"),
            (line("").replace("anna@example.de", "anna@"), "invalid_email"),
            (line("").replace(r#""name":"Anna""#, r#""name":"  ""#), "missing_name"),
            (line("").replace(r#""name":"Anna","#, ""), "missing_name"),
            (line("").replace("Anna", &"A".repeat(101)), "invalid_name"),
            (line(r#","username":"anna b""#), "invalid_username"),
            (line("").replace(BCRYPT, ""), "missing_password_hash"),
            (line("").replace(BCRYPT, "md5$abc$def"), "unknown_hash_format"),
            (line("").replace("$2b$04$", "$2b$15$"), "hash_too_expensive"),
            (line(r#","language":"fr""#), "unknown_language"),
            (line(r#","created_at":"yesterday""#), "invalid_created_at"),
            (line(r#","created_at":"2099-01-01T00:00:00Z""#), "invalid_created_at"),
        ];
        for (text, code) in cases {
            assert_eq!(check_line(&text, NOW).map(|_| ()).map_err(|e| e.code()), Err(code), "{text}");
        }
    }

    #[test]
    fn the_report_never_echoes_a_hash() {
        let text = r#"{"email":"a@example.de","name":"A","password_hash":12345678}"#;
        let refused = check_line(text, NOW).unwrap_err();
        assert!(!refused.message().contains("12345678"), "{}", refused.message());
    }

    #[test]
    fn formats_are_recognised_and_their_work_capped() {
        let ok = [
            BCRYPT,
            "$2a$14$frAfm0CXYcZka59/rjc99eLcGehF04ZEBlhUE3GhMQGpGODM/8G/K",
            "pbkdf2_sha256$1000000$salt$bwFjYq29pyOizyVeOvh3RTCG+PvVploTSBnpDCagQKw=",
            "pbkdf2:sha256:1000$AcYcuEfR1eIpZ5hw$fea7e9cf149b9f5963109d38eab4bcfa98d79dd9828bbe3cce2520d58db8b96a",
            "$argon2i$v=19$m=8192,t=2,p=2$4sa/7v2eOBaC/0ISpQ6BTA$V+eSBrWlfefoEAbWlrhbDH1ZC4DDS0C+3Jdgywo6dQI",
        ];
        for h in ok {
            assert!(LegacyHash::parse(h).is_ok(), "{h}");
        }
        let scrypt = |n: &str| format!("scrypt:{n}:8:1$salt${}", "ab".repeat(64));
        assert!(matches!(LegacyHash::parse(&scrypt("32768")), Ok(LegacyHash::ScryptWerkzeug { log_n: 15, .. })));
        assert_eq!(LegacyHash::parse(&scrypt("131072")), Err(HashRefusal::TooExpensive), "128 MiB");
        assert_eq!(LegacyHash::parse(&scrypt("1000")), Err(HashRefusal::UnknownFormat), "not a power of two");
        let too_much = [
            "$2a$15$frAfm0CXYcZka59/rjc99eLcGehF04ZEBlhUE3GhMQGpGODM/8G/K",
            "pbkdf2_sha256$2000001$salt$bwFjYq29pyOizyVeOvh3RTCG+PvVploTSBnpDCagQKw=",
            "$argon2id$v=19$m=1048576,t=2,p=1$c2FsdA$aGFzaA",
            "$argon2id$v=19$m=8192,t=11,p=1$c2FsdA$aGFzaA",
        ];
        for h in too_much {
            assert_eq!(LegacyHash::parse(h), Err(HashRefusal::TooExpensive), "{h}");
        }
        let unknown = [
            "",
            "5f4dcc3b5aa765d61d8327deb882cf99",
            "$1$abc$def",
            "$2b$04$short",
            "pbkdf2_sha256$0$s$AAAA",
            "sha1$a$b",
        ];
        for h in unknown {
            assert_eq!(LegacyHash::parse(h), Err(HashRefusal::UnknownFormat), "{h}");
        }
    }

    #[test]
    fn djangos_argon2_is_kept_as_its_phc_string() {
        let django = "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA";
        assert_eq!(LegacyHash::stored_form(django), "$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA");
        assert_eq!(LegacyHash::stored_form(BCRYPT), BCRYPT);
    }

    #[test]
    fn an_imported_account_is_kept_sends_no_mail_and_folds_with_its_real_age() {
        use crate::codec::Recorded;
        use crate::retention::Retention;
        use crate::{Aggregate, EventCodec};
        let candidate = check_line(&line(r#","created_at":"2019-04-01T08:00:00Z""#), NOW).unwrap();
        let sealed = SealedPersonal {
            email: crate::Sealed::from_ciphertext("aesgcm1:email".into()),
            name: crate::Sealed::from_ciphertext("aesgcm1:name".into()),
            username: None,
        };
        let event = import(candidate.clone(), sealed.clone(), Uuid::nil(), false);
        assert_eq!(event.retention(), Retention::Kept, "the account itself never expires");
        assert_eq!(crate::notice::notice_for_account_event(&event), None);
        let fold = |event| crate::account::Account::from_events(&[Recorded { version: 1, at: NOW, event }]);
        let account = fold(event);
        assert_eq!((account.created_at, &account.email), (Some(datetime!(2019-04-01 08:00 UTC)), &sealed.email));
        assert!(!account.first_login_without_second_factor, "the second factor is owed at once");
        let undated = Candidate { created_at: None, ..candidate };
        let account = fold(import(undated, sealed, Uuid::nil(), true));
        assert_eq!(account.created_at, Some(NOW), "without created_at: the import's time");
        assert!(account.first_login_without_second_factor, "--grace-login");
    }

    #[test]
    fn the_first_line_of_an_email_or_user_name_is_kept_and_later_ones_are_refused() {
        let mut seen = Seen::default();
        let first = check_line(&line(r#","username":"Anna""#), NOW).unwrap();
        assert_eq!(seen.take(1, &first), Ok(()));
        let same_email = check_line(&line("").replace("anna@example.de", " ANNA@Example.DE "), NOW).unwrap();
        assert_eq!(seen.take(2, &same_email), Err(Refused::DuplicateEmailInFile { first_line: 1 }));
        let same_user = check_line(&line(r#","username":"anna""#).replace("anna@", "bob@"), NOW).unwrap();
        assert_eq!(seen.take(3, &same_user), Err(Refused::DuplicateUsernameInFile { first_line: 1 }));
        let other = check_line(&line("").replace("anna@", "bob@"), NOW).unwrap();
        assert_eq!(seen.take(4, &other), Ok(()));
    }
}
