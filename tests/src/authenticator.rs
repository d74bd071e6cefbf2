//! A software authenticator for the tests: one ES256 (P-256) credential
//! that answers the portal's WebAuthn options the way a browser and a
//! platform authenticator do, as `PublicKeyCredential.toJSON()`, with
//! attestation `none`. Its parts can be bent (origin, RP ID, counter,
//! flags) to make the answers a relying party must refuse. CBOR and the
//! signature's DER are written out by hand: a few fixed shapes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// SubjectPublicKeyInfo of an uncompressed P-256 point, up to the point.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

pub struct Authenticator {
    key: SigningKey,
    pub credential_id: Vec<u8>,
    /// The user handle the credential was made for (from the options).
    pub user_handle: Vec<u8>,
    /// The signature counter; each assertion adds one first.
    pub counter: u32,
    /// What the browser reports as the page's origin.
    pub origin: String,
    /// The RP ID the authenticator hashes (normally the options' `rpId`).
    pub rp_id: Option<String>,
    /// Backup eligible and backed up (a synced passkey).
    pub synced: bool,
    /// User verification (PIN, biometric) performed.
    pub verifies_user: bool,
}

impl Authenticator {
    /// A fresh credential (its key from `seed`, so tests stay repeatable).
    pub fn new(seed: u8, origin: &str) -> Authenticator {
        let key = SigningKey::from_slice(&[seed.max(1); 32]).expect("a valid P-256 scalar");
        Authenticator {
            key,
            credential_id: Sha256::digest([seed, 0xc7]).to_vec(),
            user_handle: Vec::new(),
            counter: 0,
            origin: origin.to_owned(),
            rp_id: None,
            synced: true,
            verifies_user: true,
        }
    }

    pub fn id(&self) -> String {
        B64.encode(&self.credential_id)
    }

    /// Answers `navigator.credentials.create` options.
    pub fn register(&mut self, options: &Value) -> Value {
        let rp_id = self.rp_id.clone().unwrap_or_else(|| options["rp"]["id"].as_str().unwrap().to_owned());
        self.user_handle = B64.decode(options["user"]["id"].as_str().unwrap()).unwrap();
        let client_data = self.client_data("webauthn.create", options["challenge"].as_str().unwrap());
        let point = self.key.verifying_key().to_sec1_point(false);
        let (x, y) = (point.x().unwrap().to_vec(), point.y().unwrap().to_vec());
        let cose_key = cbor_map(vec![
            (cbor_int(1), cbor_int(2)),
            (cbor_int(3), cbor_int(-7)),
            (cbor_int(-1), cbor_int(1)),
            (cbor_int(-2), cbor_bytes(&x)),
            (cbor_int(-3), cbor_bytes(&y)),
        ]);
        let mut auth_data = self.auth_data_head(&rp_id, 0x40);
        auth_data.extend([0u8; 16]);
        auth_data.extend((self.credential_id.len() as u16).to_be_bytes());
        auth_data.extend(&self.credential_id);
        auth_data.extend(&cose_key);
        let attestation = cbor_map(vec![
            (cbor_text("fmt"), cbor_text("none")),
            (cbor_text("attStmt"), cbor_map(vec![])),
            (cbor_text("authData"), cbor_bytes(&auth_data)),
        ]);
        let mut spki = P256_SPKI_PREFIX.to_vec();
        spki.extend(point.as_bytes());
        self.credential(json!({
            "clientDataJSON": B64.encode(&client_data),
            "attestationObject": B64.encode(&attestation),
            "authenticatorData": B64.encode(&auth_data),
            "transports": ["internal"],
            "publicKey": B64.encode(&spki),
            "publicKeyAlgorithm": -7,
        }))
    }

    /// Answers `navigator.credentials.get` options (the counter moves on).
    pub fn assert(&mut self, options: &Value) -> Value {
        self.counter += 1;
        self.assert_with_counter(options, self.counter)
    }

    /// An assertion that says `counter`, whatever the authenticator's is.
    pub fn assert_with_counter(&self, options: &Value, counter: u32) -> Value {
        let rp_id = self.rp_id.clone().unwrap_or_else(|| options["rpId"].as_str().unwrap().to_owned());
        let client_data = self.client_data("webauthn.get", options["challenge"].as_str().unwrap());
        let mut auth_data = self.auth_data_head(&rp_id, 0);
        auth_data[33..37].copy_from_slice(&counter.to_be_bytes());
        let mut signed = auth_data.clone();
        signed.extend(Sha256::digest(&client_data));
        let signature: Signature = self.key.sign(&signed);
        self.credential(json!({
            "clientDataJSON": B64.encode(&client_data),
            "authenticatorData": B64.encode(&auth_data),
            "signature": B64.encode(der(&signature)),
            "userHandle": B64.encode(&self.user_handle),
        }))
    }

    /// A `PublicKeyCredential.toJSON()` of this key around `response`.
    fn credential(&self, response: Value) -> Value {
        json!({
            "id": self.id(),
            "rawId": self.id(),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": response,
        })
    }

    fn client_data(&self, kind: &str, challenge: &str) -> Vec<u8> {
        format!(r#"{{"type":"{kind}","challenge":"{challenge}","origin":"{}","crossOrigin":false}}"#, self.origin)
            .into_bytes()
    }

    /// rpIdHash, flags (UP, UV, BE, BS as set, plus `extra`), counter.
    fn auth_data_head(&self, rp_id: &str, extra: u8) -> Vec<u8> {
        let mut flags = 0x01 | extra;
        if self.verifies_user {
            flags |= 0x04;
        }
        if self.synced {
            flags |= 0x08 | 0x10;
        }
        let mut data = Sha256::digest(rp_id.as_bytes()).to_vec();
        data.push(flags);
        data.extend(self.counter.to_be_bytes());
        data
    }
}

/// ECDSA's `r || s` as the DER `SEQUENCE { INTEGER r, INTEGER s }` WebAuthn carries.
fn der(signature: &Signature) -> Vec<u8> {
    let bytes = signature.to_bytes();
    let int = |half: &[u8]| {
        let trimmed: Vec<u8> = half.iter().copied().skip_while(|b| *b == 0).collect();
        let mut body = if trimmed.first().is_some_and(|b| b & 0x80 != 0) { vec![0] } else { vec![] };
        body.extend(trimmed);
        let mut out = vec![0x02, body.len() as u8];
        out.extend(body);
        out
    };
    let mut seq = int(&bytes[..32]);
    seq.extend(int(&bytes[32..]));
    let mut out = vec![0x30, seq.len() as u8];
    out.extend(seq);
    out
}

fn cbor_head(major: u8, value: u64) -> Vec<u8> {
    let major = major << 5;
    match value {
        0..=23 => vec![major | value as u8],
        24..=0xff => vec![major | 24, value as u8],
        0x100..=0xffff => {
            let mut v = vec![major | 25];
            v.extend((value as u16).to_be_bytes());
            v
        }
        _ => {
            let mut v = vec![major | 26];
            v.extend((value as u32).to_be_bytes());
            v
        }
    }
}

fn cbor_int(value: i64) -> Vec<u8> {
    if value >= 0 { cbor_head(0, value as u64) } else { cbor_head(1, (-1 - value) as u64) }
}

fn cbor_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut v = cbor_head(2, bytes.len() as u64);
    v.extend(bytes);
    v
}

fn cbor_text(text: &str) -> Vec<u8> {
    let mut v = cbor_head(3, text.len() as u64);
    v.extend(text.as_bytes());
    v
}

/// A map with its entries in the order given (the callers give CTAP2's
/// canonical order).
fn cbor_map(entries: Vec<(Vec<u8>, Vec<u8>)>) -> Vec<u8> {
    let mut v = cbor_head(5, entries.len() as u64);
    for (k, val) in entries {
        v.extend(k);
        v.extend(val);
    }
    v
}
