//! TOTP secrets sealed by KMS: Encrypt/Decrypt under one key, the stream id
//! as encryption context (so a ciphertext copied to another account does not
//! decrypt there, and CloudTrail shows whose secret was opened).

use async_trait::async_trait;
use aws_sdk_kms::primitives::Blob;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use zeroize::Zeroizing;

use crate::ports::keys::{KeyError, KeyRing};

const PREFIX: &str = "kms1:";
/// The encryption context's key: the roles allow the TOTP key only with it
/// (`kms:EncryptionContext:portal:stream` in infra/template.yaml).
pub const CONTEXT_KEY: &str = "portal:stream";

pub struct KmsKeyRing {
    pub client: aws_sdk_kms::Client,
    /// Key id, ARN or `alias/...`.
    pub key_id: String,
}

fn failed<E: std::error::Error + 'static, R: std::fmt::Debug>(e: aws_sdk_kms::error::SdkError<E, R>) -> KeyError {
    match &e {
        aws_sdk_kms::error::SdkError::ServiceError(_) => {
            tracing::error!(error = %aws_sdk_kms::error::DisplayErrorContext(&e), "KMS refused");
            KeyError::Invalid
        }
        _ => KeyError::Unavailable(aws_sdk_kms::error::DisplayErrorContext(&e).to_string()),
    }
}

#[async_trait]
impl KeyRing for KmsKeyRing {
    async fn seal(&self, plaintext: &[u8], context: &str) -> Result<String, KeyError> {
        let out = self
            .client
            .encrypt()
            .key_id(&self.key_id)
            .plaintext(Blob::new(plaintext))
            .encryption_context(CONTEXT_KEY, context)
            .send()
            .await
            .map_err(failed)?;
        let blob = out.ciphertext_blob().ok_or(KeyError::Invalid)?;
        Ok(format!("{PREFIX}{}", B64.encode(blob.as_ref())))
    }

    async fn open(&self, sealed: &str, context: &str) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let raw = sealed.strip_prefix(PREFIX).ok_or(KeyError::Invalid)?;
        let blob = B64.decode(raw).map_err(|_| KeyError::Invalid)?;
        let out = self
            .client
            .decrypt()
            .ciphertext_blob(Blob::new(blob))
            .encryption_context(CONTEXT_KEY, context)
            .send()
            .await
            .map_err(failed)?;
        let plain = out.plaintext().ok_or(KeyError::Invalid)?;
        Ok(Zeroizing::new(plain.as_ref().to_vec()))
    }
}
