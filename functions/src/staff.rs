//! `portal staff add`: a support account, created through the very code
//! path of registration (`handlers::register::create`), with the role
//! `support`. Accounts with a role get no login without a second factor:
//! the very first one answers `mfa_setup_required`.

use std::io::BufRead;

use events::account::{Locale, Role};
use uuid::Uuid;

use crate::app::App;
use crate::handlers::register;
use crate::ports::store::Meta;

/// Creates the support account; `Err` holds a message for the operator
/// (a taken email, an unacceptable email, name or password).
pub async fn add(app: &App, email: &str, name: &str, password: &str) -> Result<Uuid, String> {
    let now = app.clock.now();
    let meta = Meta { request_id: format!("staff-add-{}", Uuid::new_v4()), at: now, source_ip: None, client: None };
    let signup = register::Signup {
        email,
        password,
        name,
        username: None,
        roles: vec![Role::Support],
        locale: Locale::default(),
    };
    register::create(app, signup, &meta).await.map_err(|e| match e.code {
        "email_taken" => format!("an account with the email {:?} already exists", email.trim()),
        "invalid_request" => e.message,
        _ => format!("the account could not be created: {}", e.message),
    })
}

/// `--email <email> --name <name>`, in either order.
#[derive(Debug, PartialEq, Eq)]
pub struct AddArgs {
    pub email: String,
    pub name: String,
}

pub const USAGE: &str =
    "usage: portal staff add --email <email> --name <name>  (the password is read from standard input, one line)";

pub fn parse_add_args(args: &[String]) -> Result<AddArgs, String> {
    let (mut email, mut name) = (None, None);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let slot = match flag.as_str() {
            "--email" => &mut email,
            "--name" => &mut name,
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        };
        let value = it.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        *slot = Some(value.clone());
    }
    match (email, name) {
        (Some(email), Some(name)) => Ok(AddArgs { email, name }),
        _ => Err(format!("both --email and --name are needed\n{USAGE}")),
    }
}

/// One line of `input`, without its line ending (`\n` or `\r\n`); nothing
/// else is trimmed, so spaces that belong to the password stay.
pub fn read_password(input: &mut impl BufRead) -> Result<zeroize::Zeroizing<String>, String> {
    let mut line = zeroize::Zeroizing::new(String::new());
    input.read_line(&mut line).map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    if line.ends_with('\n') {
        line.pop();
        if line.ends_with('\r') {
            line.pop();
        }
    }
    if line.is_empty() {
        return Err("no password on standard input (one line is expected)".into());
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_the_flags_in_any_order() {
        let want = AddArgs { email: "s@x.de".into(), name: "Sam Support".into() };
        assert_eq!(parse_add_args(&args(&["--email", "s@x.de", "--name", "Sam Support"])), Ok(want));
        assert!(parse_add_args(&args(&["--name", "S", "--email", "s@x.de"])).is_ok());
        assert!(parse_add_args(&args(&["--email", "s@x.de"])).unwrap_err().contains("--name"));
        assert!(parse_add_args(&args(&["--email"])).unwrap_err().contains("needs a value"));
        assert!(parse_add_args(&args(&["--mail", "x"])).unwrap_err().contains("unknown argument"));
    }

    #[test]
    fn reads_one_line_without_its_ending() {
        let read = |s: &str| read_password(&mut s.as_bytes()).map(|p| p.to_string());
        assert_eq!(read("  Lange genug 1 \n second line\n").unwrap(), "  Lange genug 1 ");
        assert_eq!(read("Lange-genug-1234\r\n").unwrap(), "Lange-genug-1234");
        assert_eq!(read("Lange-genug-1234").unwrap(), "Lange-genug-1234");
        assert!(read("").is_err());
        assert!(read("\n").is_err());
    }
}
