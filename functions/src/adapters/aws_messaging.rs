//! Email through SES and SMS through SNS.

use async_trait::async_trait;
use aws_sdk_ses::types::{Body, Content, Destination, Message};
use aws_sdk_sns::types::MessageAttributeValue;

use crate::ports::mail::{DeliveryError, Mail, Mailer};
use crate::ports::sms::{Sms, SmsSender};

pub struct SesMailer {
    pub client: aws_sdk_ses::Client,
    /// A verified SES identity (`PORTAL_MAIL_FROM`).
    pub from: String,
}

fn utf8(text: &str) -> Result<Content, DeliveryError> {
    Content::builder().data(text).charset("UTF-8").build().map_err(|e| DeliveryError(e.to_string()))
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, mail: &Mail) -> Result<(), DeliveryError> {
        let message = Message::builder()
            .subject(utf8(&mail.subject)?)
            .body(Body::builder().text(utf8(&mail.body)?).build())
            .build();
        self.client
            .send_email()
            .source(&self.from)
            .destination(Destination::builder().to_addresses(&mail.to).build())
            .message(message)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| DeliveryError(aws_sdk_ses::error::DisplayErrorContext(e).to_string()))
    }
}

pub struct SnsSms {
    pub client: aws_sdk_sns::Client,
}

#[async_trait]
impl SmsSender for SnsSms {
    async fn send(&self, sms: &Sms) -> Result<(), DeliveryError> {
        // Transactional: delivered with priority and not dropped for cost, as
        // login codes must be.
        let kind = MessageAttributeValue::builder()
            .data_type("String")
            .string_value("Transactional")
            .build()
            .map_err(|e| DeliveryError(e.to_string()))?;
        self.client
            .publish()
            .phone_number(&sms.to)
            .message(&sms.body)
            .message_attributes("AWS.SNS.SMS.SMSType", kind)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| DeliveryError(aws_sdk_sns::error::DisplayErrorContext(e).to_string()))
    }
}
