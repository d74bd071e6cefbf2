//! `GET /api/brand`: what the page shows of the operator, as configured
//! (PORTAL_ISSUER and the brand settings), on both backends.

use functions::brand::Brand;
use serde_json::{Value, json};

use acceptance::harness::{PASSWORD, TestPortal, cheap_passwords, settings};

fn brand_of(vars: &[(&str, &str)]) -> Brand {
    Brand::from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())).unwrap()
}

async fn brand(portal: &TestPortal) -> Value {
    let (status, headers, body) = portal.send_full("GET", "/api/brand", &[], Vec::new()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["content-type"], "application/json");
    body
}

#[tokio::test]
async fn the_brand_route_answers_what_is_configured() {
    let mut settings = settings();
    settings.issuer = "Stadtwerke Beispiel".into();
    settings.brand = brand_of(&[
        ("PORTAL_LOGO_URL", "/brand/logo.svg"),
        ("PORTAL_PRIMARY_COLOR", "#8a1538"),
        ("PORTAL_CONTACT_EMAIL", "Hilfe@Stadtwerke.example"),
        ("PORTAL_CONTACT_PHONE", "+49 30 1234-567"),
        ("PORTAL_IMPRINT_URL", "https://stadtwerke.example/impressum"),
        ("PORTAL_PRIVACY_URL", "https://stadtwerke.example/datenschutz"),
    ]);
    let portal = TestPortal::with_settings(settings, cheap_passwords()).await;
    let body = brand(&portal).await;
    assert_eq!(body["name"], "Stadtwerke Beispiel");
    assert_eq!(body["logo_url"], "/brand/logo.svg");
    assert_eq!(body["colors"]["primary"], "#8a1538");
    for shade in ["primary_hover", "primary_dark", "primary_dark_hover"] {
        let value = body["colors"][shade].as_str().unwrap_or_default();
        assert!(value.len() == 7 && value.starts_with('#') && value != "#8a1538", "{shade}: {value}");
    }
    assert_eq!(body["contact"], json!({ "email": "hilfe@stadtwerke.example", "phone": "+49 30 1234-567" }));
    assert_eq!(body["imprint_url"], "https://stadtwerke.example/impressum");
    assert_eq!(body["privacy_url"], "https://stadtwerke.example/datenschutz");
}

#[tokio::test]
async fn without_brand_settings_the_route_names_the_product_and_nothing_else() {
    let portal = TestPortal::new().await;
    let body = brand(&portal).await;
    assert_eq!(
        body,
        json!({
            "name": "Acme Portal",
            "logo_url": null,
            "colors": null,
            "contact": { "email": null, "phone": null },
            "imprint_url": null,
            "privacy_url": null,
        })
    );
}

#[tokio::test]
async fn the_one_name_is_the_authenticator_entry_and_the_reset_mail_names_it_and_the_contacts() {
    let mut settings = settings();
    settings.issuer = "Stadtwerke Beispiel".into();
    settings.brand =
        brand_of(&[("PORTAL_CONTACT_EMAIL", "hilfe@stadtwerke.example"), ("PORTAL_CONTACT_PHONE", "+49 30 1234-567")]);
    let portal = TestPortal::with_settings(settings, cheap_passwords()).await;
    // Unique: LocalStack's SES keeps the mails of earlier runs.
    let email = format!("bea.{}@example.de", uuid::Uuid::new_v4().simple());
    let email = email.as_str();
    portal.register(email).await;
    let (_, first) = portal.login(email, PASSWORD).await;
    assert_eq!(first["status"], "authenticated");
    let token = portal.mfa_token(email).await;
    let (status, setup) = portal.call("POST", "/api/mfa/totp/setup", Some(&token), None).await;
    assert_eq!(status, 200, "{setup}");
    let uri = setup["otpauth_uri"].as_str().unwrap();
    let label = format!("otpauth://totp/Stadtwerke%20Beispiel:{}?", email.replace('@', "%40"));
    assert!(uri.starts_with(&label), "{uri}");
    assert!(uri.contains("&issuer=Stadtwerke%20Beispiel&"), "{uri}");

    let (status, body) = portal.call("POST", "/api/password/forgot", None, Some(json!({ "email": email }))).await;
    assert_eq!(status, 202, "{body}");
    let mails = portal.outbox().await;
    let mail = mails
        .iter()
        .find(|m| m["to"] == email && m["body"].as_str().unwrap_or_default().contains("/reset-password?token="))
        .unwrap_or_else(|| panic!("no reset mail: {mails:?}"));
    assert_eq!(mail["subject"], "Stadtwerke Beispiel: Reset your password");
    let text = mail["body"].as_str().unwrap();
    assert!(text.contains("your Stadtwerke Beispiel account"), "{text}");
    assert!(text.ends_with("You can reach support at hilfe@stadtwerke.example, +49 30 1234-567.\n"), "{text}");
}
