//! The operator's brand: logo, primary colour, the support contacts users
//! see, the imprint and privacy links (the product's name is
//! `Settings::issuer`). Read once at start and refused there when a value
//! would break the page: a colour too light for white button text, a link
//! that is not http(s).

use serde::Serialize;

/// What the page shows of the operator (`GET /api/brand`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Brand {
    /// An http(s) URL or a path on the page's own origin (`/brand/logo.svg`).
    pub logo_url: Option<String>,
    /// The page's accent, with the shades derived from it.
    pub colors: Option<Palette>,
    /// Shown on the help page and in the reset emails.
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    /// In the footer of every page.
    pub imprint_url: Option<String>,
    pub privacy_url: Option<String>,
}

/// The page's lightest backgrounds that accent-coloured text sits on in the
/// light scheme (style.css `--surface`, `--bg`, `--info-bg`), and the
/// darkest in the dark scheme (`--bg`, `--surface`, `--info-bg`). The
/// configured colour must read on each at 4.5:1 (WCAG AA, what axe checks).
const LIGHT_BACKGROUNDS: [Rgb; 3] = [Rgb(0xff, 0xff, 0xff), Rgb(0xf4, 0xf6, 0xf8), Rgb(0xe9, 0xf0, 0xf8)];
const DARK_BACKGROUNDS: [Rgb; 3] = [Rgb(0x15, 0x19, 0x1e), Rgb(0x1e, 0x24, 0x2b), Rgb(0x17, 0x2a, 0x40)];
/// Button text on the accent: white in the light scheme, style.css's dark
/// `--accent-text` in the dark one.
const WHITE: Rgb = Rgb(0xff, 0xff, 0xff);
const DARK_TEXT: Rgb = Rgb(0x0c, 0x1a, 0x2a);
const MIN_CONTRAST: f64 = 4.5;

/// A colour as `#rrggbb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// The configured colour and what the page derives from it, all checked
/// for contrast here so that the page only sets CSS variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Palette {
    /// Buttons, links and focus rings in the light scheme (as configured).
    pub primary: Rgb,
    pub primary_hover: Rgb,
    /// The same hue lightened until it reads on the dark scheme's
    /// backgrounds and carries its dark button text.
    pub primary_dark: Rgb,
    pub primary_dark_hover: Rgb,
}

impl Serialize for Rgb {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl std::fmt::Display for Rgb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

impl Rgb {
    /// `#1d5fa8` or `#15a`; anything else is `None`.
    pub fn parse(text: &str) -> Option<Rgb> {
        let hex = text.trim().strip_prefix('#')?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let channel = |s: &str| u8::from_str_radix(s, 16).ok();
        match hex.len() {
            6 => Some(Rgb(channel(&hex[0..2])?, channel(&hex[2..4])?, channel(&hex[4..6])?)),
            3 => {
                let short = |i: usize| channel(&hex[i..i + 1]).map(|v| v * 17);
                Some(Rgb(short(0)?, short(1)?, short(2)?))
            }
            _ => None,
        }
    }

    /// WCAG 2 relative luminance.
    fn luminance(self) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
        };
        0.2126 * linear(self.0) + 0.7152 * linear(self.1) + 0.0722 * linear(self.2)
    }

    /// WCAG 2 contrast ratio, 1 to 21.
    pub fn contrast(self, other: Rgb) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    /// `amount` (0 to 1) of the way towards `target`.
    fn mix(self, target: Rgb, amount: f64) -> Rgb {
        let m = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * amount).round() as u8;
        Rgb(m(self.0, target.0), m(self.1, target.1), m(self.2, target.2))
    }

    /// The least contrast against any of `colors`.
    fn worst_contrast(self, colors: &[Rgb]) -> f64 {
        colors.iter().map(|c| self.contrast(*c)).fold(f64::INFINITY, f64::min)
    }

    /// The first shade on the way to `target`, in steps of 1 %, that reads
    /// against every one of `colors`.
    fn towards_until_readable(self, target: Rgb, colors: &[Rgb]) -> Rgb {
        (0..=100)
            .map(|step| self.mix(target, f64::from(step) / 100.0))
            .find(|shade| shade.worst_contrast(colors) >= MIN_CONTRAST)
            .unwrap_or(target)
    }
}

impl Palette {
    /// The palette of `PORTAL_PRIMARY_COLOR`, or why the colour is refused.
    /// Too light is refused rather than darkened behind the operator's back:
    /// the message names a shade that passes.
    pub fn from_setting(text: &str) -> Result<Palette, String> {
        let primary = Rgb::parse(text)
            .ok_or(format!("PORTAL_PRIMARY_COLOR must be a hex colour such as #1d5fa8, got {text:?}"))?;
        let mut light_needs = LIGHT_BACKGROUNDS.to_vec();
        light_needs.push(WHITE);
        let worst = primary.worst_contrast(&light_needs);
        if worst < MIN_CONTRAST {
            let darker = primary.towards_until_readable(Rgb(0, 0, 0), &light_needs);
            return Err(format!(
                "PORTAL_PRIMARY_COLOR {primary} is too light: white button text and its links on the page's \
                 light backgrounds reach only {worst:.1}:1, and at least {MIN_CONTRAST}:1 is needed; \
                 a darker shade of it that passes: {darker}"
            ));
        }
        // Darker on hover, as style.css's own accent does.
        let primary_hover = primary.mix(Rgb(0, 0, 0), 0.15);
        let mut dark_needs = DARK_BACKGROUNDS.to_vec();
        dark_needs.push(DARK_TEXT);
        let primary_dark = primary.towards_until_readable(WHITE, &dark_needs);
        let primary_dark_hover = primary_dark.mix(WHITE, 0.25);
        Ok(Palette { primary, primary_hover, primary_dark, primary_dark_hover })
    }
}

impl Brand {
    /// The brand from the `PORTAL_*` settings; each bad value is refused
    /// with the setting's name.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Brand, String> {
        let link = |name: &str| get(name).map(|url| http_url(name, &url)).transpose();
        let logo_url = get("PORTAL_LOGO_URL")
            .map(|url| match url.trim() {
                path if path.starts_with('/') && !path.starts_with("//") && clean(path) => Ok(path.to_owned()),
                _ => http_url("PORTAL_LOGO_URL", &url).map_err(|e| format!("{e}, or a path such as /brand/logo.svg")),
            })
            .transpose()?;
        let colors = get("PORTAL_PRIMARY_COLOR").map(|c| Palette::from_setting(&c)).transpose()?;
        let contact_email = get("PORTAL_CONTACT_EMAIL")
            .map(|e| events::email::normalize(&e).ok_or(format!("PORTAL_CONTACT_EMAIL is not an email address: {e:?}")))
            .transpose()?;
        let contact_phone = get("PORTAL_CONTACT_PHONE").map(|p| phone(&p)).transpose()?;
        Ok(Brand {
            logo_url,
            colors,
            contact_email,
            contact_phone,
            imprint_url: link("PORTAL_IMPRINT_URL")?,
            privacy_url: link("PORTAL_PRIVACY_URL")?,
        })
    }

    /// The page's Content-Security-Policy: the fixed one, plus the logo's
    /// origin when the logo lives on another one (and nothing else from it).
    pub fn content_security_policy(&self) -> String {
        let logo_origin = self.logo_url.as_deref().and_then(origin).map(|o| format!(" {o}")).unwrap_or_default();
        format!(
            "default-src 'self'; img-src 'self' data:{logo_origin}; style-src 'self' 'unsafe-inline'; script-src 'self'; \
             worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
        )
    }

    /// The support contacts in one line (`support@x.example, +49 30 1234`),
    /// if any is configured.
    pub fn contacts(&self) -> Option<String> {
        let list: Vec<&str> =
            [&self.contact_email, &self.contact_phone].into_iter().flatten().map(String::as_str).collect();
        (!list.is_empty()).then(|| list.join(", "))
    }
}

/// No spaces, quotes or angle brackets: the value goes into a header
/// (the CSP) and into attributes.
fn clean(url: &str) -> bool {
    !url.is_empty() && url.chars().all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '<' | '>' | '\\' | ';'))
}

/// An absolute http(s) URL with a host and nothing that breaks a header.
fn http_url(name: &str, url: &str) -> Result<String, String> {
    let url = url.trim();
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && clean(url)
        && origin(url).is_some_and(|o| !o.ends_with("://"));
    if !ok {
        return Err(format!("{name} must be an http:// or https:// URL, got {url:?}"));
    }
    Ok(url.to_owned())
}

/// `https://cdn.example:8443/a/logo.svg` → `https://cdn.example:8443`; a
/// path has none (it is the page's own origin).
fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    if authority.contains('@')
        || !authority.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    {
        return None;
    }
    Some(format!("{scheme}://{authority}"))
}

/// A phone number as people write it (`+49 30 1234-567`, `(030) 1234 567`):
/// digits with spaces, `+`, `-`, `/`, parentheses; 5 to 20 digits.
fn phone(text: &str) -> Result<String, String> {
    let text = text.trim();
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let allowed = text.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '/' | '(' | ')'));
    if !allowed || !(5..=20).contains(&digits) {
        return Err(format!(
            "PORTAL_CONTACT_PHONE must be a phone number (digits, spaces, + - / and parentheses), got {text:?}"
        ));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brand(vars: &[(&str, &str)]) -> Result<Brand, String> {
        Brand::from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn nothing_configured_is_the_neutral_brand() {
        assert_eq!(brand(&[]), Ok(Brand::default()));
        assert_eq!(Brand::default().contacts(), None);
        assert!(Brand::default().content_security_policy().starts_with("default-src 'self'; img-src 'self' data:; "));
    }

    #[test]
    fn contrast_ratios_match_wcag() {
        assert!((WHITE.contrast(Rgb(0, 0, 0)) - 21.0).abs() < 1e-9);
        // style.css's own accent against white: 6.45:1 (WebAIM's checker).
        assert!((Rgb(0x1d, 0x5f, 0xa8).contrast(WHITE) - 6.45).abs() < 0.01);
        assert_eq!(Rgb::parse("#15A"), Some(Rgb(0x11, 0x55, 0xaa)));
        for bad in ["1d5fa8", "#1d5fa", "#gggggg", "blue", "#1d5fa8ff", ""] {
            assert_eq!(Rgb::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_dark_enough_colour_gives_a_palette_that_reads_in_both_schemes() {
        let p = Palette::from_setting("#8a1538").unwrap();
        assert_eq!(p.primary.to_string(), "#8a1538");
        assert!(p.primary_hover.contrast(WHITE) > p.primary.contrast(WHITE));
        assert!(p.primary_dark.worst_contrast(&DARK_BACKGROUNDS) >= MIN_CONTRAST);
        assert!(p.primary_dark.contrast(DARK_TEXT) >= MIN_CONTRAST);
        assert!(p.primary_dark_hover.contrast(DARK_TEXT) >= p.primary_dark.contrast(DARK_TEXT));
    }

    #[test]
    fn a_colour_too_light_for_white_text_is_refused_with_a_shade_that_passes() {
        let refused = Palette::from_setting("#4da3ff").unwrap_err();
        assert!(refused.starts_with("PORTAL_PRIMARY_COLOR #4da3ff is too light"), "{refused}");
        let suggested = refused.rsplit(' ').next().unwrap();
        let palette = Palette::from_setting(suggested).unwrap();
        assert!(palette.primary.worst_contrast(&LIGHT_BACKGROUNDS) >= MIN_CONTRAST, "{suggested}");
        // Just above the line passes, just below does not.
        assert!(Palette::from_setting("#ffff00").is_err());
        assert!(Palette::from_setting("#1d5fa8").is_ok());
        let not_a_colour = Palette::from_setting("navy").unwrap_err();
        assert!(not_a_colour.contains("must be a hex colour"), "{not_a_colour}");
    }

    #[test]
    fn reads_every_brand_setting() {
        let b = brand(&[
            ("PORTAL_LOGO_URL", "https://cdn.acme.example/logo.svg"),
            ("PORTAL_PRIMARY_COLOR", "#8A1538"),
            ("PORTAL_CONTACT_EMAIL", "Hilfe@Acme.example"),
            ("PORTAL_CONTACT_PHONE", "+49 30 1234-567"),
            ("PORTAL_IMPRINT_URL", "https://acme.example/impressum"),
            ("PORTAL_PRIVACY_URL", "https://acme.example/datenschutz"),
        ])
        .unwrap();
        assert_eq!(b.logo_url.as_deref(), Some("https://cdn.acme.example/logo.svg"));
        assert_eq!(b.colors.unwrap().primary, Rgb(0x8a, 0x15, 0x38));
        assert_eq!(b.contacts().as_deref(), Some("hilfe@acme.example, +49 30 1234-567"));
        assert_eq!(b.imprint_url.as_deref(), Some("https://acme.example/impressum"));
        assert_eq!(b.privacy_url.as_deref(), Some("https://acme.example/datenschutz"));
        let csp = b.content_security_policy();
        assert!(csp.contains("img-src 'self' data: https://cdn.acme.example; "), "{csp}");
        // A logo on the page's own origin needs nothing more in the CSP.
        let own = brand(&[("PORTAL_LOGO_URL", "/brand/logo.svg")]).unwrap();
        assert_eq!(own.content_security_policy(), Brand::default().content_security_policy());
    }

    #[test]
    fn refuses_bad_values_naming_the_setting() {
        let refused = |name: &str, value: &str| brand(&[(name, value)]).unwrap_err();
        for (name, bad) in [
            ("PORTAL_LOGO_URL", "javascript:alert(1)"),
            ("PORTAL_LOGO_URL", "//evil.example/logo.svg"),
            ("PORTAL_LOGO_URL", "https://cdn.example/logo.svg; script-src *"),
            ("PORTAL_LOGO_URL", "https://user@cdn.example/logo.svg"),
            ("PORTAL_IMPRINT_URL", "acme.example/impressum"),
            ("PORTAL_PRIVACY_URL", "https://"),
            ("PORTAL_PRIVACY_URL", "https://acme.example/\"onmouseover"),
            ("PORTAL_CONTACT_EMAIL", "support"),
            ("PORTAL_CONTACT_PHONE", "call us"),
            ("PORTAL_CONTACT_PHONE", "123"),
            ("PORTAL_PRIMARY_COLOR", "#fff"),
        ] {
            let message = refused(name, bad);
            assert!(message.starts_with(name), "{name}={bad}: {message}");
        }
    }
}
