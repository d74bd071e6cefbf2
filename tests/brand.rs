//! `GET /api/brand`: what the page shows of the operator, as configured
//! (PORTAL_ISSUER and the brand settings), on both backends.

use functions::brand::Brand;
use serde_json::{Value, json};

use acceptance::harness::{TestPortal, cheap_passwords, settings};

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
