//! The portal's settings, from the environment (see the README).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::settings::Settings;

/// Why `PORTAL_BACKEND=aws` is refused by a build without the SDK.
pub const NO_AWS: &str = "PORTAL_BACKEND=aws needs the AWS SDK, which this build leaves out \
     (it is only needed for AWS): run `cargo run --release --features aws`";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Embedded,
    Aws,
}

#[derive(Debug, Clone)]
pub struct PortalConfig {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    pub backend: Backend,
    pub settings: Settings,
    /// Serve the web page from this directory instead of the copy compiled
    /// into the binary (for working on the page without rebuilding).
    pub web_dir: Option<PathBuf>,
    /// Serve `GET /dev/outbox` (embedded backend, loopback peers only).
    pub dev_outbox: bool,
    pub limits: ConnectionLimits,
}

/// What one client may hold of the server: without these, idle or
/// half-sent connections stay open until the process runs out of files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time to send a request's header, counted from the connection's start
    /// or the previous answer (so also the idle keep-alive timeout), and
    /// again to send its body.
    pub read_timeout: Duration,
    /// Open connections at most; further ones wait in the listen backlog.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits { read_timeout: Duration::from_secs(10), max_connections: 512 }
    }
}

impl PortalConfig {
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let addr_text = get("PORTAL_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into());
        let addr: SocketAddr =
            addr_text.parse().map_err(|_| format!("PORTAL_ADDR must be host:port, got {addr_text:?}"))?;
        let backend = match get("PORTAL_BACKEND").as_deref() {
            None | Some("embedded") => Backend::Embedded,
            Some("aws") if cfg!(feature = "aws") => Backend::Aws,
            Some("aws") => return Err(NO_AWS.into()),
            Some(other) => return Err(format!("PORTAL_BACKEND must be embedded or aws, got {other:?}")),
        };
        let public_url =
            http_url("PORTAL_PUBLIC_URL", get("PORTAL_PUBLIC_URL").unwrap_or_else(|| format!("http://{addr}")))?;
        let settings = settings(&get, &public_url)?;
        let dev_outbox = match get("PORTAL_DEV_OUTBOX").as_deref() {
            None | Some("on") => true,
            Some("off") => false,
            Some(other) => return Err(format!("PORTAL_DEV_OUTBOX must be on or off, got {other:?}")),
        };
        let limits = ConnectionLimits::from_lookup(&get)?;
        Ok(PortalConfig {
            addr,
            data_dir: PathBuf::from(get("PORTAL_DATA_DIR").unwrap_or_else(|| "./data".into())),
            backend,
            settings,
            web_dir: get("PORTAL_WEB_DIR").map(PathBuf::from),
            dev_outbox,
            limits,
        })
    }
}

/// What users see (`Settings`), from `PORTAL_ISSUER` and the settings after it.
fn settings(get: impl Fn(&str) -> Option<String>, public_url: &str) -> Result<Settings, String> {
    let mut settings = Settings::new(&get("PORTAL_ISSUER").unwrap_or_else(|| "Customer Portal".into()), public_url);
    if let Some(list) = get("PORTAL_SMS_COUNTRIES") {
        settings.sms_countries = sms_countries(&list)?;
    }
    if let Some(limit) = get("PORTAL_SMS_HOURLY_LIMIT") {
        settings.policy.sms.hourly_ceiling = limit
            .trim()
            .parse()
            .map_err(|_| format!("PORTAL_SMS_HOURLY_LIMIT must be a whole number of SMS, got {limit:?}"))?;
    }
    settings.dav_url = get("PORTAL_DAV_URL").map(|url| http_url("PORTAL_DAV_URL", url)).transpose()?;
    settings.reset_policy = events::factor_reset::ResetPolicy::from_setting(get("PORTAL_RESET_APPROVALS").as_deref())
        .map_err(|e| format!("PORTAL_RESET_APPROVALS: {}", e.0))?;
    settings.calendar = events::working_days::WorkCalendar::from_settings(
        get("PORTAL_HOLIDAYS").as_deref(),
        get("PORTAL_TIME_ZONE").as_deref(),
    )
    .map_err(|e| format!("PORTAL_HOLIDAYS / PORTAL_TIME_ZONE: {e}"))?;
    settings.support_email = get("PORTAL_SUPPORT_EMAIL")
        .map(|e| events::email::normalize(&e).ok_or(format!("PORTAL_SUPPORT_EMAIL is not an email address: {e:?}")))
        .transpose()?;
    settings.retention = retention(get("PORTAL_SIGN_IN_ACTIVITY_DAYS").as_deref())?;
    settings.brand = crate::brand::Brand::from_lookup(&get)?;
    if let Some(list) = get("PORTAL_WEBAUTHN_ORIGINS") {
        settings.webauthn_origins = list
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(|o| http_url("PORTAL_WEBAUTHN_ORIGINS", o.to_owned()))
            .collect::<Result<_, _>>()?;
    }
    Ok(settings)
}

/// `90` (days) or `forever`; fewer than the minimum is refused.
fn retention(setting: Option<&str>) -> Result<events::retention::RetentionPolicy, String> {
    use events::retention::RetentionPolicy;
    let days = match setting.map(str::trim) {
        None => Some(RetentionPolicy::DEFAULT_DAYS),
        Some("forever") => None,
        Some(days) => Some(days.parse().map_err(|_| {
            format!("PORTAL_SIGN_IN_ACTIVITY_DAYS must be a whole number of days or forever, got {days:?}")
        })?),
    };
    RetentionPolicy::sign_in_activity_days(days).map_err(|e| format!("PORTAL_SIGN_IN_ACTIVITY_DAYS: {e}"))
}

impl ConnectionLimits {
    fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut limits = ConnectionLimits::default();
        if let Some(secs) = get("PORTAL_READ_TIMEOUT_SECS") {
            limits.read_timeout =
                Duration::from_secs(secs.trim().parse().ok().filter(|s| *s > 0).ok_or(format!(
                    "PORTAL_READ_TIMEOUT_SECS must be a whole number of seconds above 0, got {secs:?}"
                ))?);
        }
        if let Some(max) = get("PORTAL_MAX_CONNECTIONS") {
            limits.max_connections = max
                .trim()
                .parse()
                .ok()
                .filter(|m| *m > 0)
                .ok_or(format!("PORTAL_MAX_CONNECTIONS must be a whole number above 0, got {max:?}"))?;
        }
        Ok(limits)
    }
}

/// A base URL without the trailing slash; anything but http(s) is refused.
fn http_url(name: &str, url: String) -> Result<String, String> {
    let url = url.trim_end_matches('/').to_owned();
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!("{name} must start with http:// or https://, got {url:?}"));
    }
    Ok(url)
}

/// `DE,AT, ch` → `["DE", "AT", "CH"]`; unknown codes are an error, not a
/// silently dead country.
fn sms_countries(list: &str) -> Result<Vec<String>, String> {
    let countries: Vec<String> =
        list.split(',').map(|c| c.trim().to_ascii_uppercase()).filter(|c| !c.is_empty()).collect();
    if let Some(bad) = countries.iter().find(|c| events::phone::dial_code(c).is_none()) {
        return Err(format!("PORTAL_SMS_COUNTRIES lists {bad:?}, which is not an ISO 3166 country with phone numbers"));
    }
    Ok(countries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<PortalConfig, String> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        PortalConfig::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    #[test]
    fn defaults() {
        let c = config(&[]).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:8080");
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        assert_eq!(c.backend, Backend::Embedded);
        assert_eq!(c.settings.public_url, "http://127.0.0.1:8080");
        assert_eq!(c.settings.sms_countries, ["DE", "AT", "CH"]);
        assert_eq!(c.settings.policy.sms.hourly_ceiling, 1000);
        assert_eq!(c.settings.dav_url, None);
        assert!(c.dev_outbox);
        assert_eq!(c.limits, ConnectionLimits::default());
        assert_eq!(c.settings.retention.sign_in_activity, Some(time::Duration::days(90)));
    }

    #[test]
    fn sign_in_activity_is_kept_as_set_forever_or_refused_below_31_days() {
        let days =
            |v: &str| config(&[("PORTAL_SIGN_IN_ACTIVITY_DAYS", v)]).map(|c| c.settings.retention.sign_in_activity);
        assert_eq!(days("31"), Ok(Some(time::Duration::days(31))));
        assert_eq!(days("forever"), Ok(None));
        for bad in ["30", "0", "-5", "ninety", ""] {
            let refused = days(bad).unwrap_err();
            assert!(refused.starts_with("PORTAL_SIGN_IN_ACTIVITY_DAYS"), "{bad}: {refused}");
        }
    }

    #[test]
    fn extra_passkey_origins_are_a_list_of_urls() {
        let c = config(&[("PORTAL_WEBAUTHN_ORIGINS", "https://login.portal.example/, https://portal.example:8443")]);
        assert_eq!(
            c.unwrap().settings.webauthn_origins,
            ["https://login.portal.example", "https://portal.example:8443"]
        );
        assert!(config(&[]).unwrap().settings.webauthn_origins.is_empty());
    }

    #[test]
    fn reads_every_setting() {
        let c = config(&[
            ("PORTAL_ADDR", "0.0.0.0:9000"),
            ("PORTAL_DATA_DIR", "/tmp/x"),
            ("PORTAL_BACKEND", if cfg!(feature = "aws") { "aws" } else { "embedded" }),
            ("PORTAL_ISSUER", "Acme"),
            ("PORTAL_PUBLIC_URL", "https://portal.example/"),
            ("PORTAL_SMS_COUNTRIES", "de, fr,"),
            ("PORTAL_SMS_HOURLY_LIMIT", "50"),
            ("PORTAL_DAV_URL", "https://dav.portal.example/"),
            ("PORTAL_RESET_APPROVALS", "2"),
            ("PORTAL_SUPPORT_EMAIL", "Support@Portal.example"),
            ("PORTAL_TIME_ZONE", "Europe/Vienna"),
            ("PORTAL_DEV_OUTBOX", "off"),
            ("PORTAL_READ_TIMEOUT_SECS", "3"),
            ("PORTAL_MAX_CONNECTIONS", "64"),
        ])
        .unwrap();
        assert!(!c.dev_outbox);
        assert_eq!(c.limits, ConnectionLimits { read_timeout: Duration::from_secs(3), max_connections: 64 });
        assert_eq!(c.settings.reset_policy.approvals_required, 2);
        assert_eq!(c.settings.support_email.as_deref(), Some("support@portal.example"));
        assert_eq!(c.settings.calendar.time_zone().iana_name(), Some("Europe/Vienna"));
        assert_eq!(c.settings.dav_url.as_deref(), Some("https://dav.portal.example"));
        assert_eq!(c.settings.sms_countries, ["DE", "FR"]);
        assert_eq!(c.settings.policy.sms.hourly_ceiling, 50);
        assert_eq!(c.addr.port(), 9000);
        assert_eq!(c.backend, if cfg!(feature = "aws") { Backend::Aws } else { Backend::Embedded });
        assert_eq!(c.settings.issuer, "Acme");
        assert_eq!(c.settings.public_url, "https://portal.example");
    }

    /// `cargo run` without `--features aws` must say what to do, not fail later.
    #[cfg(not(feature = "aws"))]
    #[test]
    fn a_build_without_the_sdk_refuses_the_aws_backend() {
        assert_eq!(config(&[("PORTAL_BACKEND", "aws")]).unwrap_err(), NO_AWS);
    }

    #[test]
    fn refuses_bad_values_with_a_clear_message() {
        assert!(config(&[("PORTAL_ADDR", "nope")]).unwrap_err().contains("PORTAL_ADDR"));
        assert!(config(&[("PORTAL_BACKEND", "mongo")]).unwrap_err().contains("PORTAL_BACKEND"));
        assert!(config(&[("PORTAL_PUBLIC_URL", "portal.example")]).unwrap_err().contains("PORTAL_PUBLIC_URL"));
        assert!(config(&[("PORTAL_DAV_URL", "dav.example")]).unwrap_err().contains("PORTAL_DAV_URL"));
        assert!(
            config(&[("PORTAL_WEBAUTHN_ORIGINS", "login.example")]).unwrap_err().contains("PORTAL_WEBAUTHN_ORIGINS")
        );
        assert!(config(&[("PORTAL_RESET_APPROVALS", "zwei")]).unwrap_err().contains("PORTAL_RESET_APPROVALS"));
        assert!(config(&[("PORTAL_TIME_ZONE", "Mars/Olympus")]).unwrap_err().contains("PORTAL_TIME_ZONE"));
        assert!(config(&[("PORTAL_HOLIDAYS", "2026-13-01")]).unwrap_err().contains("PORTAL_HOLIDAYS"));
        assert!(config(&[("PORTAL_SUPPORT_EMAIL", "nope")]).unwrap_err().contains("PORTAL_SUPPORT_EMAIL"));
        assert!(config(&[("PORTAL_SMS_COUNTRIES", "DE,XX")]).unwrap_err().contains("\"XX\""));
        assert!(config(&[("PORTAL_SMS_HOURLY_LIMIT", "-1")]).unwrap_err().contains("PORTAL_SMS_HOURLY_LIMIT"));
        assert!(config(&[("PORTAL_DEV_OUTBOX", "no")]).unwrap_err().contains("PORTAL_DEV_OUTBOX"));
        assert!(config(&[("PORTAL_READ_TIMEOUT_SECS", "0")]).unwrap_err().contains("PORTAL_READ_TIMEOUT_SECS"));
        assert!(config(&[("PORTAL_MAX_CONNECTIONS", "many")]).unwrap_err().contains("PORTAL_MAX_CONNECTIONS"));
        // The brand's settings are checked at start too (brand.rs has each case).
        assert!(config(&[("PORTAL_PRIMARY_COLOR", "#ffcc00")]).unwrap_err().contains("is too light"));
        assert!(config(&[("PORTAL_IMPRINT_URL", "impressum")]).unwrap_err().contains("PORTAL_IMPRINT_URL"));
    }
}
