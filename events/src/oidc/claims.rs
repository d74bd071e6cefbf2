//! What an ID token says about how the person signed in (RFC 8176 `amr`,
//! and `acr`), from the second factor the portal session was made with.

use crate::account::Method;
use crate::account::passkey::PasskeySignIn;

/// `pwd` when the sign-in began with the password; with a second factor
/// also `mfa` and the factor's own value: `otp` for the authenticator app,
/// `sms` for a code by SMS. A recovery code is a second factor (`mfa`) but
/// no device: it adds no method value, so an app that wants the app or the
/// phone in hand can tell. The first login without a factor has no `mfa`.
///
/// A passkey adds its kind (`hwk` bound to its hardware, `swk` synced:
/// `Passkey::kind`) and `user` where the authenticator verified the user
/// (PIN, biometric). Alone it is two factors in one (possession, and
/// knowledge or inherence: its sign-in demands user verification), so
/// `mfa` without `pwd`. A passkey session recorded before the kind was
/// (`passkey` is `None`) claims no key, as it did then.
pub fn amr(second_factor: Option<Method>, passkey: Option<PasskeySignIn>) -> Vec<&'static str> {
    match (second_factor, passkey) {
        (None, _) => vec!["pwd"],
        (Some(Method::Totp), _) => vec!["pwd", "mfa", "otp"],
        (Some(Method::Sms), _) => vec!["pwd", "mfa", "sms"],
        (Some(Method::RecoveryCode), _) => vec!["pwd", "mfa"],
        (Some(Method::Passkey), None) => vec!["pwd", "mfa"],
        (Some(Method::Passkey), Some(how)) => {
            let mut amr = if how.alone { vec!["mfa"] } else { vec!["pwd", "mfa"] };
            amr.push(how.key.amr());
            if how.user_verified {
                amr.push("user");
            }
            amr
        }
    }
}

/// `acr`: `"2"` for two factors, `"1"` for the password alone.
pub fn acr(second_factor: Option<Method>) -> &'static str {
    if second_factor.is_some() { "2" } else { "1" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::passkey::KeyKind;

    #[test]
    fn mfa_only_when_a_second_factor_was_used() {
        assert_eq!(amr(None, None), ["pwd"]);
        assert_eq!(amr(Some(Method::Totp), None), ["pwd", "mfa", "otp"]);
        assert_eq!(amr(Some(Method::Sms), None), ["pwd", "mfa", "sms"]);
        assert_eq!(amr(Some(Method::RecoveryCode), None), ["pwd", "mfa"]);
        assert_eq!((acr(None), acr(Some(Method::Sms))), ("1", "2"));
    }

    #[test]
    fn a_passkey_says_its_kind_and_user_verification_and_alone_no_password() {
        let how = |key, user_verified, alone| Some(PasskeySignIn { key, user_verified, alone });
        let passkey = Some(Method::Passkey);
        assert_eq!(amr(passkey, how(KeyKind::Hwk, false, false)), ["pwd", "mfa", "hwk"]);
        assert_eq!(amr(passkey, how(KeyKind::Swk, true, false)), ["pwd", "mfa", "swk", "user"]);
        assert_eq!(amr(passkey, how(KeyKind::Swk, true, true)), ["mfa", "swk", "user"]);
        assert_eq!(amr(passkey, how(KeyKind::Hwk, true, true)), ["mfa", "hwk", "user"]);
        assert_eq!(amr(passkey, None), ["pwd", "mfa"], "a session of before: no key claimed");
        assert_eq!(acr(passkey), "2");
    }
}
