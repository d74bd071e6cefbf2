//! Emails that events cause (which ones, and to whom, `events::notice`
//! decides), each sent at most once per event: a delivery
//! marker (`mail#<stream>#<version>`) is set before sending and removed
//! again only if sending failed, so a replayed stream sends nothing twice.

use events::Aggregate;
use events::EventCodec;
use events::account::{Account, AccountEvent};
use events::factor_reset::{ResetEvent, ResetRequest};
use events::notice::{
    Addressee, Notice, Recipient, notice_for_account_event, notice_for_reset_event, recipient_of_reset_event,
};

use super::{ProjectionError, Projector};
use crate::mail_text;
use crate::personal_data::{self, AccountKey};
use crate::ports::mail::Mail;
use crate::ports::store::StoredEvent;
use crate::ports::store::decode;

pub async fn on_event(p: &Projector, stored: &StoredEvent) -> Result<(), ProjectionError> {
    if stored.stream.starts_with("reset#") {
        return on_reset_event(p, stored).await;
    }
    if !stored.stream.starts_with("account#") {
        return Ok(());
    }
    let Ok(event) = AccountEvent::decode(&stored.record) else {
        tracing::error!(stream = %stored.stream, version = stored.version, "undecodable event skipped");
        return Ok(());
    };
    let Some(notice) = notice_for_account_event(&event) else {
        return Ok(());
    };
    // The account as it was right after this event (for the address and
    // the number of codes left then, not now).
    let history = decode(&p.store.load(&stored.stream).await?)?;
    let account = Account::from_events(history.iter().take_while(|e| e.version <= stored.version));
    // The address and names open with the account's data key; once it is
    // destroyed (the account deleted) no mail goes out.
    let key = p.personal.open(account.id).await?;
    if key.is_none() && !account.email.is_legacy() {
        return Ok(());
    }
    let to = match notice.addressee() {
        Addressee::Current => account.email.clone(),
        // An address change tells the address it leaves: the one before.
        Addressee::Previous => Account::from_events(history.iter().take_while(|e| e.version < stored.version)).email,
    };
    send_opened(p, stored, &notice, &account, &to, key.as_ref()).await
}

async fn send_opened(
    p: &Projector,
    stored: &StoredEvent,
    notice: &Notice,
    account: &Account,
    to: &events::Sealed,
    key: Option<&AccountKey>,
) -> Result<(), ProjectionError> {
    let Some(to) = personal_data::open(key, to)? else { return Ok(()) };
    let (subject, body) = mail_text::render(notice, account, key, &p.settings)?;
    deliver_once(p, stored, Mail { to, subject, body }).await
}

/// The reset process's mails, in the owner's language.
async fn on_reset_event(p: &Projector, stored: &StoredEvent) -> Result<(), ProjectionError> {
    let Ok(event) = ResetEvent::decode(&stored.record) else {
        tracing::error!(stream = %stored.stream, version = stored.version, "undecodable event skipped");
        return Ok(());
    };
    if recipient_of_reset_event(&event).is_none() {
        return Ok(());
    }
    let history = decode(&p.store.load(&stored.stream).await?)?;
    let request = ResetRequest::from_events(history.iter().take_while(|e| e.version <= stored.version));
    let Some((notice, recipient)) = notice_for_reset_event(&event, &request) else {
        return Ok(());
    };
    let owner = p.account(request.account_id).await?;
    let key = p.personal.key_if_needed(&owner, [&owner.email]).await?;
    let to = match recipient {
        // Nothing to the owner of a deleted account (its key is gone).
        Recipient::Owner => match personal_data::open(key.as_ref(), &owner.email)? {
            Some(email) => email,
            None => return Ok(()),
        },
        Recipient::Support => match &p.settings.support_email {
            Some(support) => support.clone(),
            None => return Ok(()),
        },
    };
    let (subject, body) = mail_text::render(&notice, &owner, key.as_ref(), &p.settings)?;
    deliver_once(p, stored, Mail { to, subject, body }).await
}

async fn deliver_once(p: &Projector, stored: &StoredEvent, mail: Mail) -> Result<(), ProjectionError> {
    let marker = format!("mail#{}#{}", stored.stream, stored.version);
    if !p.state.mark_once(&marker, stored.meta.at).await? {
        return Ok(());
    }
    if let Err(e) = p.mailer.send(&mail).await {
        p.state.unmark(&marker).await?;
        return Err(ProjectionError::Delivery(e.to_string()));
    }
    Ok(())
}
