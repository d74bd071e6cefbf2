//! A reset request's number: what the owner reads out on the phone and
//! staff type into the console's search. The request's UUID is 36
//! characters nobody can read aloud; the number is 8 characters of
//! Crockford's base32 (`K3M9-T2QX`), which has no I, L, O or U, so nothing
//! reads as another character, and typing is forgiving (any case, `I`/`L`
//! read as 1, `O` as 0, hyphens and spaces ignored).
//!
//! The number is the first 40 bits of the request's UUID (random in a
//! version 4 UUID), so it needs no event field, no counter and no second
//! write, and old requests have one too. It is not unique: two requests
//! share a number with probability about n²/2⁴¹ (0.5 % after 100,000
//! requests), so a search answers every request with that number, and the
//! UUID stays the request's identity everywhere.

use std::fmt;

use uuid::Uuid;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const LENGTH: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestNumber(u64);

impl RequestNumber {
    /// The number of a request.
    pub fn of(request_id: Uuid) -> RequestNumber {
        let b = request_id.as_bytes();
        RequestNumber(b[..5].iter().fold(0u64, |n, byte| (n << 8) | u64::from(*byte)))
    }

    /// A number as a person typed it, or `None` if it is not one.
    pub fn parse(typed: &str) -> Option<RequestNumber> {
        let mut value = 0u64;
        let mut digits = 0;
        for c in typed.chars().filter(|c| !matches!(c, '-' | ' ')) {
            value = (value << 5) | u64::from(digit(c)?);
            digits += 1;
        }
        (digits == LENGTH).then_some(RequestNumber(value))
    }
}

/// Crockford's decoding of one character.
fn digit(c: char) -> Option<u8> {
    let c = match c.to_ascii_uppercase() {
        'I' | 'L' => '1',
        'O' => '0',
        c => c,
    };
    ALPHABET.iter().position(|&a| char::from(a) == c).map(|p| p as u8)
}

impl fmt::Display for RequestNumber {
    /// Two groups of four, the way it is read out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for i in 0..LENGTH {
            if i == LENGTH / 2 {
                f.write_str("-")?;
            }
            let shift = 5 * (LENGTH - 1 - i);
            let index = ((self.0 >> shift) & 31) as usize;
            write!(f, "{}", char::from(ALPHABET[index]))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_the_first_forty_bits_in_crockford_base32() {
        let id = Uuid::parse_str("00000000-0000-4000-8000-000000000000").unwrap();
        assert_eq!(RequestNumber::of(id).to_string(), "0000-0000");
        // 0xFFFFFFFFFF: all forty bits set, the last digit of the alphabet.
        let id = Uuid::parse_str("ffffffff-ff00-4000-8000-000000000000").unwrap();
        assert_eq!(RequestNumber::of(id).to_string(), "ZZZZ-ZZZZ");
        // 0x0842108421 is 00001 repeated eight times.
        let id = Uuid::parse_str("08421084-2100-4000-8000-000000000000").unwrap();
        assert_eq!(RequestNumber::of(id).to_string(), "1111-1111");
        // Bits after the fortieth do not count.
        let other = Uuid::parse_str("08421084-21ff-4fff-bfff-ffffffffffff").unwrap();
        assert_eq!(RequestNumber::of(other), RequestNumber::of(id));
    }

    #[test]
    fn reads_back_what_it_shows_and_what_people_type() {
        for _ in 0..200 {
            let number = RequestNumber::of(Uuid::new_v4());
            let shown = number.to_string();
            assert_eq!(shown.len(), 9);
            assert!(!shown.contains(['I', 'L', 'O', 'U']), "{shown}");
            assert_eq!(RequestNumber::parse(&shown), Some(number));
            assert_eq!(RequestNumber::parse(&shown.to_lowercase().replace('-', " ")), Some(number));
        }
        let ones = RequestNumber::parse("1111-1111");
        assert_eq!(RequestNumber::parse("iLl1 IlLi"), ones);
        assert_eq!(RequestNumber::parse("oOoO-0000"), RequestNumber::parse("00000000"));
    }

    #[test]
    fn refuses_what_is_not_a_number() {
        for typed in [
            "",
            "1111-111",
            "1111-11111",
            "UUUU-UUUU",
            "1111_1111",
            "ÄÄÄÄ-ÄÄÄÄ",
            "12345678-1234-4123-8123-123456789abc",
        ] {
            assert_eq!(RequestNumber::parse(typed), None, "{typed}");
        }
    }
}
