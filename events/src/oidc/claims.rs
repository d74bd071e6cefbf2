//! What an ID token says about how the person signed in (RFC 8176 `amr`,
//! and `acr`), from the second factor the portal session was made with.

use crate::account::Method;

/// `pwd` always (the portal's sign-in starts with the password); with a
/// second factor also `mfa` and the factor's own value: `otp` for the
/// authenticator app, `sms` for a code by SMS. A recovery code is a second
/// factor (`mfa`) but no device: it adds no method value, so an app that
/// wants the app or the phone in hand can tell. The first login without a
/// factor has no `mfa`.
pub fn amr(second_factor: Option<Method>) -> Vec<&'static str> {
    match second_factor {
        None => vec!["pwd"],
        Some(Method::Totp) => vec!["pwd", "mfa", "otp"],
        Some(Method::Sms) => vec!["pwd", "mfa", "sms"],
        Some(Method::RecoveryCode) => vec!["pwd", "mfa"],
        // After the password; which kind of key (`hwk`, `swk`) is not
        // recorded on the session yet, so no key value is claimed.
        Some(Method::Passkey) => vec!["pwd", "mfa"],
    }
}

/// `acr`: `"2"` for two factors, `"1"` for the password alone.
pub fn acr(second_factor: Option<Method>) -> &'static str {
    if second_factor.is_some() { "2" } else { "1" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mfa_only_when_a_second_factor_was_used() {
        assert_eq!(amr(None), ["pwd"]);
        assert_eq!(amr(Some(Method::Totp)), ["pwd", "mfa", "otp"]);
        assert_eq!(amr(Some(Method::Sms)), ["pwd", "mfa", "sms"]);
        assert_eq!(amr(Some(Method::RecoveryCode)), ["pwd", "mfa"]);
        assert_eq!((acr(None), acr(Some(Method::Sms))), ("1", "2"));
    }
}
