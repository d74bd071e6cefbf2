//! Recovery codes: ten single-use codes given when a second factor is set up.
//!
//! A code is 16 characters of Crockford base32 (80 bits) shown as
//! `xxxx-xxxx-xxxx-xxxx`. Only keyed hashes are stored; the key (pepper)
//! stays with the key ring, so a leaked event log does not allow an offline
//! search of the code space.

pub const COUNT: usize = 10;
pub const CHARS: usize = 16;
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// Formats 10 random bytes (80 bits) as a code.
pub fn format_code(random: &[u8; 10]) -> String {
    let mut bits: u128 = 0;
    for b in random {
        bits = (bits << 8) | u128::from(*b);
    }
    let mut out = String::with_capacity(CHARS + 3);
    for i in 0..CHARS {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        let shift = 5 * (CHARS - 1 - i);
        out.push(char::from(ALPHABET[((bits >> shift) & 31) as usize]));
    }
    out
}

/// The canonical form that gets hashed: lower case, no separators, and the
/// letters people confuse with digits read as Crockford does (i, l -> 1;
/// o -> 0). `None` when it cannot be a code at all.
pub fn normalize(input: &str) -> Option<String> {
    let mut out = String::with_capacity(CHARS);
    for c in input.chars() {
        let c = match c.to_ascii_lowercase() {
            '-' | ' ' => continue,
            'i' | 'l' => '1',
            'o' => '0',
            c => c,
        };
        if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
            return None;
        }
        out.push(c);
    }
    (out.len() == CHARS).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_grouped_and_round_trip_through_normalize() {
        let code = format_code(&[0xde, 0xad, 0xbe, 0xef, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55]);
        assert_eq!(code.len(), 19);
        assert_eq!(code.matches('-').count(), 3);
        let plain = normalize(&code).unwrap();
        assert_eq!(plain, code.replace('-', ""));
        assert_eq!(normalize(&code.to_uppercase()), Some(plain.clone()));
        assert_eq!(normalize(&code.replace('-', " ")), Some(plain));
    }

    #[test]
    fn different_bytes_give_different_codes() {
        let a = format_code(&[0; 10]);
        let b = format_code(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert_ne!(a, b);
        assert_eq!(a, "0000-0000-0000-0000");
        assert_eq!(b, "0000-0000-0000-0001");
    }

    #[test]
    fn reads_confusable_letters_as_digits() {
        assert_eq!(normalize("OOOO-IIII-LLLL-0000"), Some("0000111111110000".into()));
    }

    #[test]
    fn refuses_what_cannot_be_a_code() {
        for bad in
            ["", "abc", "0000-0000-0000-000", "0000-0000-0000-00000", "0000-0000-0000-000u", "0000-0000-0000-000ä"]
        {
            assert_eq!(normalize(bad), None, "{bad:?}");
        }
    }
}
