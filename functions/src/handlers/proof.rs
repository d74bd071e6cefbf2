//! A presented second factor (`{"method", "code"}`), turned into what the
//! pure decision compares: the opened TOTP secret, or the keyed hash of a
//! recovery or SMS code. Used by login verification and by the changes a
//! signed-in user confirms with the current factor.

use events::OffsetDateTime;
use events::account::{self, Account, SecondFactorProof, recovery};
use serde::Deserialize;
use zeroize::Zeroizing;

use super::recovery_codes::HASH_PURPOSE;
use super::sms;
use crate::app::App;
use crate::http::ApiError;

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum MethodName {
    Totp,
    Sms,
    RecoveryCode,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Presented {
    pub method: MethodName,
    pub code: String,
}

/// What a proof needs besides the typed code, prepared outside the
/// decision because opening a secret is I/O (KMS on AWS).
pub struct Prepared {
    method: MethodName,
    code: String,
    secret: Zeroizing<Vec<u8>>,
    hash: Option<String>,
}

impl Presented {
    pub async fn prepare(&self, app: &App, account: &Account, now: OffsetDateTime) -> Result<Prepared, ApiError> {
        let mut prepared =
            Prepared { method: self.method, code: self.code.clone(), secret: Zeroizing::new(Vec::new()), hash: None };
        match self.method {
            MethodName::Totp => {
                if let Some(sealed) = &account.totp {
                    prepared.secret = app.keys.open(sealed, &account::stream_id(account.id)).await?;
                }
            }
            MethodName::RecoveryCode => {
                prepared.hash = recovery::normalize(&self.code).map(|c| app.secret.keyed_hash(HASH_PURPOSE, &c));
            }
            MethodName::Sms => prepared.hash = sms::presented_hash(app, account, &self.code, now),
        }
        Ok(prepared)
    }
}

/// The proof a signed-in user may present with a change of factor
/// (`verification`), prepared when present.
pub async fn prepare_optional(
    presented: Option<&Presented>,
    app: &App,
    account: &Account,
    now: OffsetDateTime,
) -> Result<Option<Prepared>, ApiError> {
    match presented {
        Some(p) => p.prepare(app, account, now).await.map(Some),
        None => Ok(None),
    }
}

impl Prepared {
    pub fn proof(&self) -> SecondFactorProof<'_> {
        match self.method {
            MethodName::Totp => SecondFactorProof::Totp { secret: &self.secret, code: &self.code },
            MethodName::RecoveryCode => SecondFactorProof::RecoveryCode { hash: self.hash.as_deref() },
            MethodName::Sms => SecondFactorProof::Sms { hash: self.hash.as_deref() },
        }
    }
}
