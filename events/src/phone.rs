//! Phone numbers for SMS: parsed and validated with libphonenumber's
//! metadata (the `phonenumber` crate), kept as E.164, allowed only for the
//! countries the operator enabled (`PORTAL_SMS_COUNTRIES`), and shown masked.

use phonenumber::Mode;

/// A valid mobile or fixed number in E.164, with its ISO 3166 country.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    e164: String,
    country: String,
    dial_code: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("the phone number must start with + and the country code, e.g. +4915112345678")]
    NoCountryCode,
    #[error("this is not a valid phone number")]
    Invalid,
    #[error("SMS cannot be sent to numbers of this country here (allowed: {0})")]
    CountryNotAllowed(String),
}

impl Phone {
    /// Parses what a user typed: `+49 151 1234-5678` and `+4915112345678`
    /// are the same number. A number without `+` and country code is
    /// refused rather than guessed.
    pub fn parse(input: &str, allowed_countries: &[String]) -> Result<Phone, PhoneError> {
        let input = input.trim();
        if !input.starts_with('+') {
            return Err(PhoneError::NoCountryCode);
        }
        let typed_ok = input[1..].chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')' | '/' | '.'));
        if !typed_ok || input.len() > 32 {
            return Err(PhoneError::Invalid);
        }
        let number = phonenumber::parse(None, input).map_err(|_| PhoneError::Invalid)?;
        if !phonenumber::is_valid(&number) || number.extension().is_some() {
            return Err(PhoneError::Invalid);
        }
        let country = number.country().id().map(|id| id.as_ref().to_owned()).ok_or(PhoneError::Invalid)?;
        if !allowed_countries.iter().any(|c| c.eq_ignore_ascii_case(&country)) {
            return Err(PhoneError::CountryNotAllowed(allowed_countries.join(", ")));
        }
        Ok(Phone { e164: number.format().mode(Mode::E164).to_string(), country, dial_code: number.code().value() })
    }

    /// Any valid number of any country, e.g. one given to identify its
    /// owner rather than to receive SMS.
    pub fn parse_any(input: &str) -> Result<Phone, PhoneError> {
        let country = |input: &str| {
            phonenumber::parse(None, input.trim()).ok().and_then(|n| n.country().id()).map(|id| id.as_ref().to_owned())
        };
        let allowed: Vec<String> = country(input).into_iter().collect();
        Phone::parse(input, &allowed)
    }

    pub fn e164(&self) -> &str {
        &self.e164
    }

    /// ISO 3166-1 alpha-2, e.g. `DE`.
    pub fn country(&self) -> &str {
        &self.country
    }

    /// `+49 151 ••••5678`: enough for the owner to recognise the number,
    /// too little to call it.
    pub fn masked(&self) -> String {
        let national = &self.e164[1 + self.dial_code.to_string().len()..];
        let shown_head = national.len().saturating_sub(4).min(3);
        let tail = &national[national.len().saturating_sub(4)..];
        format!("+{} {} ••••{}", self.dial_code, &national[..shown_head], tail)
    }
}

/// The dialling code of a country, e.g. `DE` → 49, for the page's list.
pub fn dial_code(country: &str) -> Option<u16> {
    phonenumber::metadata::DATABASE.by_id(country.to_ascii_uppercase().as_str()).map(|m| m.country_code())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dach() -> Vec<String> {
        ["DE", "AT", "CH"].map(String::from).to_vec()
    }

    #[test]
    fn normalises_to_e164_and_masks() {
        for typed in ["+4915112345678", "+49 151 12345678", " +49 (151) 1234-5678 ", "+49/151/12345678"] {
            let phone = Phone::parse(typed, &dach()).unwrap();
            assert_eq!(phone.e164(), "+4915112345678", "{typed}");
            assert_eq!(phone.country(), "DE");
            assert_eq!(phone.masked(), "+49 151 ••••5678");
        }
        let swiss = Phone::parse("+41 79 123 45 67", &dach()).unwrap();
        assert_eq!((swiss.e164(), swiss.masked().as_str()), ("+41791234567", "+41 791 ••••4567"));
    }

    #[test]
    fn refuses_what_is_not_a_number_or_lacks_the_country_code() {
        assert_eq!(Phone::parse("015112345678", &dach()), Err(PhoneError::NoCountryCode));
        assert_eq!(Phone::parse("", &dach()), Err(PhoneError::NoCountryCode));
        for bad in ["+", "+49", "+49 abc", "+49 151 1234567890123456", "+999 123456", "+4915112345678;ext=1", "+49 1"] {
            assert_eq!(Phone::parse(bad, &dach()), Err(PhoneError::Invalid), "{bad}");
        }
    }

    #[test]
    fn refuses_countries_that_are_not_enabled() {
        let us = Phone::parse("+1 202 555 0143", &dach());
        assert!(matches!(us, Err(PhoneError::CountryNotAllowed(_))), "{us:?}");
        assert!(Phone::parse("+1 202 555 0143", &["us".into()]).is_ok());
        assert!(Phone::parse("+43 664 1234567", &dach()).is_ok());
    }

    #[test]
    fn any_country_when_asked() {
        assert_eq!(Phone::parse_any("+1 202 555 0143").unwrap().e164(), "+12025550143");
        assert_eq!(Phone::parse_any("+49 151 12345678").unwrap().country(), "DE");
        assert_eq!(Phone::parse_any("015112345678"), Err(PhoneError::NoCountryCode));
        assert_eq!(Phone::parse_any("+999 123456"), Err(PhoneError::Invalid));
    }

    #[test]
    fn knows_dial_codes() {
        assert_eq!((dial_code("DE"), dial_code("at"), dial_code("CH")), (Some(49), Some(43), Some(41)));
        assert_eq!(dial_code("XX"), None);
    }
}
