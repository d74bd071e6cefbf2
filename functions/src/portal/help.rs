//! What `portal --help` prints: every command and every setting, so an
//! operator finds them without the README.

/// The commands and the settings; `portal --help` prints it on standard
/// output, an unknown command on standard error before exiting non-zero.
pub const HELP: &str = "\
portal: two-factor authentication for a customer portal

usage:
  portal                     run the portal (the web page, the API, the projections)
  portal backup <file>       copy the embedded backend (database and keys) into <file>,
                             also while the portal runs
  portal restore <file>      replace the embedded backend's data with a backup;
                             refused while a portal runs on the same data directory
  portal staff add --email <email> --name <name>
                             create a support account; the password is read from
                             standard input (one line); prints its user id
  portal client add --name <name> --redirect-uri <uri> [--redirect-uri <uri>...]
                    [--public] [--post-logout-redirect-uri <uri>...]
                             register an app that signs in with the portal (OpenID
                             Connect); prints its client id and secret
  portal client list         one JSON line per app
  portal import <file.jsonl> [--grace-login]
                             bring existing customers over (one JSON account a line:
                             email, name, password_hash, optional username,
                             created_at, language); prints a JSON line per refused or
                             already imported line, the totals on standard error;
                             fails when a line was refused. The second factor is owed
                             at the first sign-in unless --grace-login
  portal client remove <client_id>
  portal --help              this text

settings (environment variables):
  PORTAL_ADDR               where to listen (127.0.0.1:8080)
  PORTAL_DATA_DIR           the embedded backend's files (./data)
  PORTAL_BACKEND            embedded (default) or aws (a build with --features aws)
  PORTAL_ISSUER             the product's one name: page header and title, authenticator
                            entry, SMS, emails, help page (Customer Portal)
  PORTAL_LOGO_URL           the logo in the page's header: an http(s) URL or a path (none)
  PORTAL_PRIMARY_COLOR      the page's primary colour, #rrggbb; too light for white button
                            text (below 4.5:1) is refused (the page's blue)
  PORTAL_CONTACT_EMAIL      the support address on the help page and in reset emails (none)
  PORTAL_CONTACT_PHONE      the support phone on the help page and in reset emails (none)
  PORTAL_IMPRINT_URL        the imprint linked in every page's footer (none)
  PORTAL_PRIVACY_URL        the privacy policy linked in every page's footer (none)
  PORTAL_PUBLIC_URL         where users reach the page (http://<PORTAL_ADDR>)
  PORTAL_SMS_COUNTRIES      countries whose phone numbers may receive SMS (DE,AT,CH)
  PORTAL_SMS_HOURLY_LIMIT   SMS the whole service sends in any hour at most (1000)
  PORTAL_RESET_APPROVALS    staff approvals a second-factor reset needs (1)
  PORTAL_HOLIDAYS           the support deadline's calendar (DE)
  PORTAL_TIME_ZONE          the time zone working days are counted in (Europe/Berlin)
  PORTAL_SUPPORT_EMAIL      where overdue reset requests are reported (none)
  PORTAL_SIGN_IN_ACTIVITY_DAYS  days sign-in activity is kept, at least 31, or forever (90)
  PORTAL_DAV_URL            the DAV server app passwords are for (none)
  PORTAL_WEBAUTHN_ORIGINS   origins besides PORTAL_PUBLIC_URL's that passkeys work on, comma-separated (none)
  PORTAL_DEV_OUTBOX         on (default) or off: serve /dev/outbox to this machine
  PORTAL_READ_TIMEOUT_SECS  seconds a client has to send a request (10)
  PORTAL_MAX_CONNECTIONS    open connections at most (512)
  PORTAL_WEB_DIR            serve the web page from this directory (compiled in)
  PORTAL_LOG_FORMAT         text (default) or json
  RUST_LOG                  log filter (info)
  with PORTAL_BACKEND=aws:  PORTAL_EVENTS_TABLE, PORTAL_STATE_TABLE, PORTAL_KMS_KEY_ID or
                            PORTAL_KMS_ALIAS, PORTAL_OIDC_KEY_ALIAS, PORTAL_SIGNING_SECRET,
                            PORTAL_MAIL_FROM, and the AWS SDK's own settings

The README explains each in full.
";

/// Whether the arguments ask for the help.
pub fn asked(args: &[String]) -> bool {
    matches!(args.first().map(String::as_str), Some("--help" | "-h" | "help"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `PORTAL_*` name the code reads, from the sources themselves,
    /// so a new setting without a line in the help fails here.
    fn settings_read_by(source: &str) -> Vec<&str> {
        source
            .match_indices("\"PORTAL_")
            .map(|(at, _)| {
                let name = &source[at + 1..];
                &name[..name.find(|c: char| !(c.is_ascii_uppercase() || c == '_')).unwrap_or(name.len())]
            })
            .collect()
    }

    #[test]
    fn lists_every_setting_the_portal_reads() {
        let sources = [
            include_str!("config.rs"),
            include_str!("../brand.rs"),
            include_str!("../backend/aws.rs"),
            include_str!("../bin/portal.rs"),
        ];
        let names: Vec<&str> = sources.iter().flat_map(|s| settings_read_by(s)).collect();
        assert!(names.contains(&"PORTAL_ADDR") && names.contains(&"PORTAL_EVENTS_TABLE"), "{names:?}");
        for name in names {
            assert!(HELP.contains(name), "{name} is missing from the help");
        }
    }

    #[test]
    fn lists_every_command() {
        for command in
            ["portal backup", "portal restore", "portal staff add", "portal client add", "client list", "portal import"]
        {
            assert!(HELP.contains(command), "{command}");
        }
        assert!(asked(&["--help".into()]) && asked(&["-h".into()]) && !asked(&[]));
    }
}
