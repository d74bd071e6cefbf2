//! The local outbox: what the embedded backend "sends" instead of SES and
//! SNS, readable at `GET /dev/outbox`.

use async_trait::async_trait;
use rusqlite::params;

use super::{Sqlite, unavailable};
use crate::ports::mail::{DeliveryError, Mail, Mailer};
use crate::ports::outbox::{Outbox, OutboxItem};
use crate::ports::sms::{Sms, SmsSender};
use crate::ports::store::StoreError;

impl Sqlite {
    pub async fn put_outbox(&self, channel: &str, to: &str, subject: &str, body: &str) -> Result<(), StoreError> {
        let row = (channel.to_owned(), to.to_owned(), subject.to_owned(), body.to_owned());
        let sent_at = crate::time_fmt::rfc3339(time::OffsetDateTime::now_utc());
        self.with_conn(move |conn| {
            conn.execute(
                "INSERT INTO outbox (channel, recipient, subject, body, sent_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![row.0, row.1, row.2, row.3, sent_at],
            )
            .map(|_| ())
            .map_err(unavailable)
        })
        .await
    }
}

#[async_trait]
impl Outbox for Sqlite {
    async fn items(&self) -> Result<Vec<OutboxItem>, StoreError> {
        self.with_conn(|conn| {
            let mut stmt = conn
                .prepare("SELECT channel, recipient, subject, body, sent_at FROM outbox ORDER BY id")
                .map_err(unavailable)?;
            stmt.query_map([], |r| {
                Ok(OutboxItem {
                    channel: r.get(0)?,
                    to: r.get(1)?,
                    subject: r.get(2)?,
                    body: r.get(3)?,
                    sent_at: r.get(4)?,
                })
            })
            .map_err(unavailable)?
            .collect::<Result<_, _>>()
            .map_err(unavailable)
        })
        .await
    }

    async fn forget(&self, recipients: &[String]) -> Result<(), StoreError> {
        let recipients = recipients.to_vec();
        self.with_conn(move |conn| {
            for recipient in &recipients {
                conn.execute("DELETE FROM outbox WHERE recipient = ?1", params![recipient]).map_err(unavailable)?;
            }
            // `secure_delete` zeroed the rows in the pages; the WAL still
            // holds the pages as they were until it is checkpointed and cut.
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).map_err(unavailable)
        })
        .await
    }
}

#[async_trait]
impl Mailer for Sqlite {
    async fn send(&self, mail: &Mail) -> Result<(), DeliveryError> {
        self.put_outbox("email", &mail.to, &mail.subject, &mail.body).await.map_err(|e| DeliveryError(e.to_string()))
    }
}

#[async_trait]
impl SmsSender for Sqlite {
    async fn send(&self, sms: &Sms) -> Result<(), DeliveryError> {
        self.put_outbox("sms", &sms.to, "", &sms.body).await.map_err(|e| DeliveryError(e.to_string()))
    }
}
