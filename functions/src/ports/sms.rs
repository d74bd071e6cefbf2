//! Outgoing text messages (SNS on AWS, the local outbox embedded).

use async_trait::async_trait;

use super::mail::DeliveryError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sms {
    /// E.164, e.g. `+4915112345678`.
    pub to: String,
    pub body: String,
}

#[async_trait]
pub trait SmsSender: Send + Sync {
    async fn send(&self, sms: &Sms) -> Result<(), DeliveryError>;
}
