//! A presented second factor (`{"method", "code"}`, or `{"method":
//! "passkey", "credential"}` for a step-up), turned into what the pure
//! decision compares: the opened TOTP secret, the keyed hash of a recovery
//! or SMS code, or a passkey assertion the relying party verified. Used by
//! login verification and by the changes a signed-in user confirms with
//! the current factor.

use events::OffsetDateTime;
use events::account::passkey::PasskeyAssertion;
use events::account::{self, Account, Auth, SecondFactorProof, recovery};
use serde::Deserialize;
use tokio::sync::OnceCell;
use zeroize::Zeroizing;

use super::recovery_codes::HASH_PURPOSE;
use super::sms;
use crate::app::App;
use crate::http::ApiError;
use crate::passkeys::{Purpose, RelyingParty};

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum MethodName {
    Totp,
    Sms,
    RecoveryCode,
    /// Only as a step-up (`verification`), answering a ceremony of
    /// `POST /api/passkeys/verification/options`; the login's second step
    /// has its own routes (`passkey_sign_in`).
    Passkey,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Presented {
    pub method: MethodName,
    /// The typed code, for every method but a passkey.
    #[serde(default)]
    code: Option<String>,
    /// A passkey's answer (`PublicKeyCredential.toJSON()`).
    #[serde(default)]
    credential: Option<serde_json::Value>,
    /// The passkey's answer, checked: its ceremony is single-use, so it is
    /// taken and verified once per request, however often the decision is
    /// retried after a concurrent write (the account's decision then checks
    /// the credential and counter against the state it appends to).
    #[serde(skip)]
    checked: OnceCell<Option<PasskeyAssertion>>,
}

/// What a proof needs besides the typed code, prepared outside the
/// decision because opening a secret is I/O (KMS on AWS), as is checking a
/// passkey's answer (its ceremony is taken from the state store).
pub struct Prepared {
    method: MethodName,
    code: String,
    secret: Zeroizing<Vec<u8>>,
    hash: Option<String>,
    passkey: Option<PasskeyAssertion>,
}

impl Presented {
    /// A code as `{"method", "code"}` carries it.
    pub fn code(method: MethodName, code: String) -> Presented {
        Presented { method, code: Some(code), credential: None, checked: OnceCell::new() }
    }

    pub fn is_passkey(&self) -> bool {
        self.method == MethodName::Passkey
    }

    /// `caller`: who presents it; a passkey's answer counts only for a
    /// ceremony made for the same session.
    pub async fn prepare(
        &self,
        app: &App,
        account: &Account,
        caller: &Auth,
        now: OffsetDateTime,
    ) -> Result<Prepared, ApiError> {
        let code = match (self.method, &self.code, &self.credential) {
            (MethodName::Passkey, None, Some(_)) => String::new(),
            (MethodName::Passkey, _, _) => {
                return Err(ApiError::invalid_request("verification: a passkey is presented as \"credential\""));
            }
            (_, Some(code), None) => code.clone(),
            _ => return Err(ApiError::invalid_request("verification: a code is presented as \"code\"")),
        };
        let mut prepared =
            Prepared { method: self.method, code, secret: Zeroizing::new(Vec::new()), hash: None, passkey: None };
        match self.method {
            MethodName::Totp => {
                if let Some(sealed) = &account.totp {
                    prepared.secret = app.keys.open(sealed, &account::stream_id(account.id)).await?;
                }
            }
            MethodName::RecoveryCode => {
                prepared.hash = recovery::normalize(&prepared.code).map(|c| app.secret.keyed_hash(HASH_PURPOSE, &c));
            }
            MethodName::Sms => prepared.hash = sms::presented_hash(app, account, &prepared.code, now),
            MethodName::Passkey => prepared.passkey = self.passkey(app, account, caller, now).await?,
        }
        Ok(prepared)
    }

    /// The passkey's answer, checked the first time it is asked for.
    async fn passkey(
        &self,
        app: &App,
        account: &Account,
        caller: &Auth,
        now: OffsetDateTime,
    ) -> Result<Option<PasskeyAssertion>, ApiError> {
        let checked = self.checked.get_or_try_init(|| async {
            let (Some(credential), Auth::Session { session_id }) = (&self.credential, caller) else { return Ok(None) };
            let purpose = Purpose::StepUp { account_id: account.id, session_id: *session_id };
            RelyingParty::of(&app.settings)?.check_for_account(app, credential, purpose, account, now).await
        });
        Ok(checked.await?.clone())
    }
}

/// The proof a signed-in user may present with a change of factor
/// (`verification`), prepared when present.
pub async fn prepare_optional(
    presented: Option<&Presented>,
    app: &App,
    account: &Account,
    caller: &Auth,
    now: OffsetDateTime,
) -> Result<Option<Prepared>, ApiError> {
    match presented {
        Some(p) => p.prepare(app, account, caller, now).await.map(Some),
        None => Ok(None),
    }
}

impl Prepared {
    pub fn proof(&self) -> SecondFactorProof<'_> {
        match self.method {
            MethodName::Totp => SecondFactorProof::Totp { secret: &self.secret, code: &self.code },
            MethodName::RecoveryCode => SecondFactorProof::RecoveryCode { hash: self.hash.as_deref() },
            MethodName::Sms => SecondFactorProof::Sms { hash: self.hash.as_deref() },
            MethodName::Passkey => SecondFactorProof::Passkey { assertion: self.passkey.as_ref() },
        }
    }
}
