//! Which events tell someone by mail, and what that mail has to say. The
//! one place that decides it: the notifications projection sends what
//! these functions choose, and the mail texts only put a `Notice` into
//! words, in the recipient's language.
//!
//! Every event is named in a match here, those that notify and those that
//! do not, so a new event cannot slip past the decision.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::account::AccountEvent;
use crate::factor_reset::{ResetEvent, ResetRequest};

/// A mail something calls for, with the values its text needs beyond the
/// recipient account (its name, its language, the recovery codes it has
/// left) and the portal's own name and address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A recovery code signed someone in (the text says how many are left).
    RecoveryCodeUsed,
    TotpActivated,
    SmsActivated {
        masked_phone: String,
    },
    /// SMS codes go to a new number instead of `old`.
    SmsReplaced {
        masked_phone: String,
        old: String,
    },
    SmsRemoved {
        masked_phone: String,
    },
    AppPasswordCreated {
        /// Sealed (`crate::sealed`): the mail's sender opens it.
        app: crate::Sealed,
    },
    /// The password was set anew through a reset link.
    PasswordReset,
    /// The reset link itself. Sent by the handler that makes it, never by
    /// the projection: the link holds the token, which no event holds.
    PasswordResetLink {
        link: String,
    },
    ResetSubmitted {
        id: Uuid,
        due: Option<OffsetDateTime>,
    },
    ResetApproved {
        id: Uuid,
    },
    ResetRejected {
        id: Uuid,
        reason: String,
    },
    /// A reset request missed its deadline (to support).
    ResetOverdue {
        id: Uuid,
        due: Option<OffsetDateTime>,
    },
    /// The password was changed in the settings.
    PasswordChanged,
    /// The link to confirm a new address. Sent by the handler that makes
    /// it, to the new address, like `PasswordResetLink`.
    EmailChangeLink {
        link: String,
    },
    /// The address was changed to `new`: to the old address (`Addressee::Previous`),
    /// which would otherwise never hear of it.
    EmailChanged {
        /// Sealed (`crate::sealed`): the mail's sender opens it.
        new: crate::Sealed,
    },
    /// The passkey's name, sealed: the mail's sender opens it.
    PasskeyAdded {
        name: crate::Sealed,
    },
    PasskeyRemoved {
        name: crate::Sealed,
    },
}

/// Which of the account's addresses an account event's notice goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addressee {
    /// The address right after the event (nearly every notice).
    Current,
    /// The address right before it: the one an address change leaves.
    Previous,
}

impl Notice {
    pub fn addressee(&self) -> Addressee {
        match self {
            Notice::EmailChanged { .. } => Addressee::Previous,
            _ => Addressee::Current,
        }
    }
}

/// The notices without their values: what picks a notice's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    RecoveryCodeUsed,
    TotpActivated,
    SmsActivated,
    SmsReplaced,
    SmsRemoved,
    AppPasswordCreated,
    PasswordReset,
    PasswordResetLink,
    ResetSubmitted,
    ResetApproved,
    ResetRejected,
    ResetOverdue,
    PasswordChanged,
    EmailChangeLink,
    EmailChanged,
    PasskeyAdded,
    PasskeyRemoved,
}

impl Notice {
    pub fn kind(&self) -> NoticeKind {
        match self {
            Notice::RecoveryCodeUsed => NoticeKind::RecoveryCodeUsed,
            Notice::TotpActivated => NoticeKind::TotpActivated,
            Notice::SmsActivated { .. } => NoticeKind::SmsActivated,
            Notice::SmsReplaced { .. } => NoticeKind::SmsReplaced,
            Notice::SmsRemoved { .. } => NoticeKind::SmsRemoved,
            Notice::AppPasswordCreated { .. } => NoticeKind::AppPasswordCreated,
            Notice::PasswordReset => NoticeKind::PasswordReset,
            Notice::PasswordResetLink { .. } => NoticeKind::PasswordResetLink,
            Notice::ResetSubmitted { .. } => NoticeKind::ResetSubmitted,
            Notice::ResetApproved { .. } => NoticeKind::ResetApproved,
            Notice::ResetRejected { .. } => NoticeKind::ResetRejected,
            Notice::ResetOverdue { .. } => NoticeKind::ResetOverdue,
            Notice::PasswordChanged => NoticeKind::PasswordChanged,
            Notice::EmailChangeLink { .. } => NoticeKind::EmailChangeLink,
            Notice::EmailChanged { .. } => NoticeKind::EmailChanged,
            Notice::PasskeyAdded { .. } => NoticeKind::PasskeyAdded,
            Notice::PasskeyRemoved { .. } => NoticeKind::PasskeyRemoved,
        }
    }
}

/// Who a reset request's notice goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient {
    /// The account the request is for.
    Owner,
    /// The support team's address (`PORTAL_SUPPORT_EMAIL`), if one is set.
    Support,
}

/// The notice an account event sends its owner, if any: changes to how
/// the account signs in, so that an intruder's change does not go unseen.
/// Decided from the event alone, so the caller folds the account (for the
/// address, the name and the codes left right after the event) only for
/// the few events that notify, not for every sign-in.
pub fn notice_for_account_event(event: &AccountEvent) -> Option<Notice> {
    use AccountEvent as E;
    match event {
        E::RecoveryCodeUsed { .. } => Some(Notice::RecoveryCodeUsed),
        E::TotpActivated { .. } => Some(Notice::TotpActivated),
        E::SmsActivated { masked_phone, replaced_masked_phone: None, .. } => {
            Some(Notice::SmsActivated { masked_phone: masked_phone.clone() })
        }
        E::SmsActivated { masked_phone, replaced_masked_phone: Some(old), .. } => {
            Some(Notice::SmsReplaced { masked_phone: masked_phone.clone(), old: old.clone() })
        }
        E::SmsRemoved { masked_phone } => Some(Notice::SmsRemoved { masked_phone: masked_phone.clone() }),
        E::AppPasswordCreated { name, .. } => Some(Notice::AppPasswordCreated { app: name.clone() }),
        // Never the password, never the token: only that it happened.
        E::PasswordReset { .. } => Some(Notice::PasswordReset),
        // The reset link goes out from the handler (`Notice::PasswordResetLink`);
        // a second factor reset by support is told by the request's `Approved`.
        E::Registered { .. }
        | E::Imported { .. }
        | E::PasswordRehashed { .. }
        | E::PasswordFailed {}
        | E::PasswordPassed { .. }
        | E::SessionStarted { .. }
        | E::SessionEnded { .. }
        | E::SessionsEnded { .. }
        | E::TotpSetupStarted { .. }
        | E::TotpAccepted { .. }
        | E::SecondFactorFailed { .. }
        | E::RecoveryCodesIssued { .. }
        | E::SmsCodeIssued { .. }
        | E::SmsCodeAccepted { .. }
        | E::AppPasswordRevoked { .. }
        | E::AppPasswordsRevoked { .. }
        | E::ResetRequested { .. }
        | E::SecondFactorsReset { .. }
        | E::ResetRequestClosed { .. }
        | E::PasswordResetRequested { .. }
        // No mail on disabling: in a fraud the mailbox may be the
        // fraudster's; support tells the owner as its process says.
        | E::Disabled { .. }
        | E::Enabled { .. }
        | E::LoginCancelled { .. }
        | E::UsernameChosen { .. }
        // A preference; the mails after it are in the new language.
        | E::LanguageChanged { .. }
        // The link goes out from the handler (`Notice::EmailChangeLink`).
        | E::EmailChangeRequested { .. } => None,
        E::PasswordChanged { .. } => Some(Notice::PasswordChanged),
        E::EmailChanged { email, .. } => Some(Notice::EmailChanged { new: email.clone() }),
        // The owner asked for it on the page, which says so; support tells
        // the owner as its process says. A mail now would need the address
        // the deletion is there to forget.
        E::AccountDeleted { .. } | E::DeletionApproved { .. } => None,
        E::PasskeyAdded { name, .. } => Some(Notice::PasskeyAdded { name: name.clone() }),
        E::PasskeyRemoved { name, .. } => Some(Notice::PasskeyRemoved { name: name.clone() }),
        // A use is a sign-in like any other; a refused counter is in the
        // activity and counts toward the lockout.
        E::PasskeyUsed { .. } | E::PasskeyCounterRegressed { .. } => None,
    }
}

/// The notice a reset request's event sends, and to whom: the owner hears
/// of the submission and of the decision, support of a missed deadline.
/// `request` is the request as it was right after the event.
pub fn notice_for_reset_event(event: &ResetEvent, request: &ResetRequest) -> Option<(Notice, Recipient)> {
    let recipient = recipient_of_reset_event(event)?;
    let id = request.request_id;
    let due = request.due_by;
    let notice = match event {
        ResetEvent::Submitted { .. } => Notice::ResetSubmitted { id, due },
        ResetEvent::Approved {} => Notice::ResetApproved { id },
        ResetEvent::Rejected { reason, .. } => Notice::ResetRejected { id, reason: reason.clone() },
        ResetEvent::MarkedOverdue {} => Notice::ResetOverdue { id, due },
        _ => return None,
    };
    Some((notice, recipient))
}

/// Who hears of a reset request's event, if anyone: decided by the event's
/// kind alone, so the projector loads the request's stream only for the
/// four kinds that send mail (most of a request's events send none).
pub fn recipient_of_reset_event(event: &ResetEvent) -> Option<Recipient> {
    match event {
        ResetEvent::Submitted { .. } | ResetEvent::Approved {} | ResetEvent::Rejected { .. } => Some(Recipient::Owner),
        ResetEvent::MarkedOverdue {} => Some(Recipient::Support),
        ResetEvent::Viewed { .. }
        | ResetEvent::Taken { .. }
        | ResetEvent::ApprovalGiven { .. }
        | ResetEvent::Anonymised {} => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::event::SmsPurpose;
    use crate::account::{AppPasswordsRevokedReason, Locale, Method, Owed, SessionEndReason};
    use crate::codec::Recorded;
    use crate::factor_reset::MatchFlags;
    use time::macros::datetime;

    const ID: Uuid = Uuid::from_u128(7);
    const T: OffsetDateTime = datetime!(2026-11-02 09:00:00 UTC);

    #[test]
    fn the_owner_hears_of_every_change_to_how_the_account_signs_in() {
        let told = [
            (AccountEvent::RecoveryCodeUsed { set_id: ID, index: 0 }, Notice::RecoveryCodeUsed),
            (AccountEvent::TotpActivated { setup_id: ID, step: 1, sealed_secret: None }, Notice::TotpActivated),
            (
                AccountEvent::SmsActivated {
                    code_id: ID,
                    masked_phone: String::from("+49 ••1"),
                    replaced_masked_phone: None,
                },
                Notice::SmsActivated { masked_phone: String::from("+49 ••1") },
            ),
            (
                AccountEvent::SmsActivated {
                    code_id: ID,
                    masked_phone: String::from("+49 ••1"),
                    replaced_masked_phone: Some(String::from("+49 ••2")),
                },
                Notice::SmsReplaced { masked_phone: String::from("+49 ••1"), old: String::from("+49 ••2") },
            ),
            (
                AccountEvent::SmsRemoved { masked_phone: String::from("+49 ••1") },
                Notice::SmsRemoved { masked_phone: String::from("+49 ••1") },
            ),
            (
                AccountEvent::AppPasswordCreated {
                    app_password_id: ID,
                    name: crate::Sealed::from_ciphertext("Kalender".into()),
                    hash: "h".into(),
                },
                Notice::AppPasswordCreated { app: crate::Sealed::from_ciphertext("Kalender".into()) },
            ),
            (AccountEvent::PasswordReset { token_id: ID, password_hash: "p".into() }, Notice::PasswordReset),
            (AccountEvent::PasswordChanged { password_hash: "p".into() }, Notice::PasswordChanged),
            (
                AccountEvent::EmailChanged {
                    token_id: ID,
                    email: crate::Sealed::from_ciphertext("neu@example.de".into()),
                },
                Notice::EmailChanged { new: crate::Sealed::from_ciphertext("neu@example.de".into()) },
            ),
        ];
        for (event, notice) in told {
            assert_eq!(notice_for_account_event(&event), Some(notice), "{event:?}");
        }
    }

    #[test]
    fn only_an_address_change_goes_to_the_address_it_leaves() {
        assert_eq!(
            Notice::EmailChanged { new: crate::Sealed::from_ciphertext("n@example.de".into()) }.addressee(),
            Addressee::Previous
        );
        assert_eq!(Notice::PasswordChanged.addressee(), Addressee::Current);
        assert_eq!(Notice::EmailChangeLink { link: "l".into() }.addressee(), Addressee::Current);
    }

    #[test]
    fn sign_ins_failures_and_what_support_or_the_handler_tells_send_no_mail() {
        let silent = [
            AccountEvent::Registered {
                account_id: ID,
                email: crate::Sealed::from_ciphertext("a@example.de".into()),
                name: crate::Sealed::from_ciphertext("A".into()),
                password_hash: "p".into(),
                roles: vec![],
                locale: Locale::De,
                first_login_without_second_factor: true,
            },
            AccountEvent::Imported {
                account_id: ID,
                email: crate::Sealed::from_ciphertext("a@example.de".into()),
                name: crate::Sealed::from_ciphertext("A".into()),
                username: None,
                password_hash: "p".into(),
                locale: Locale::De,
                created_at: None,
                first_login_without_second_factor: false,
            },
            AccountEvent::PasswordRehashed { password_hash: "p".into() },
            AccountEvent::PasswordFailed {},
            AccountEvent::PasswordPassed { login_id: ID, owed: Owed::Verify, expires_at: T },
            AccountEvent::SessionStarted {
                session_id: ID,
                login_id: None,
                expires_at: T,
                second_factor: None,
                passkey: None,
            },
            AccountEvent::SessionEnded { session_id: ID },
            AccountEvent::SessionsEnded { reason: SessionEndReason::PasswordChanged },
            AccountEvent::TotpSetupStarted { setup_id: ID, sealed_secret: "s".into(), expires_at: T },
            AccountEvent::TotpAccepted { step: 1 },
            AccountEvent::SecondFactorFailed { method: Method::Totp },
            AccountEvent::RecoveryCodesIssued { set_id: ID, hashes: vec![] },
            AccountEvent::SmsCodeIssued {
                code_id: ID,
                code_hash: "h".into(),
                expires_at: T,
                masked_phone: "+49 ••1".into(),
                purpose: SmsPurpose::Login { login_id: ID },
            },
            AccountEvent::SmsCodeAccepted { code_id: ID },
            AccountEvent::AppPasswordRevoked { app_password_id: ID },
            AccountEvent::AppPasswordsRevoked { reason: AppPasswordsRevokedReason::PasswordChanged },
            AccountEvent::ResetRequested { request_id: ID },
            AccountEvent::SecondFactorsReset { request_id: ID },
            AccountEvent::ResetRequestClosed { request_id: ID },
            AccountEvent::PasswordResetRequested { token_id: ID, token_hash: "h".into(), expires_at: T },
            AccountEvent::LanguageChanged { locale: Locale::De },
            AccountEvent::EmailChangeRequested {
                token_id: ID,
                token_hash: "h".into(),
                new_email: crate::Sealed::from_ciphertext("neu@example.de".into()),
                expires_at: T,
            },
        ];
        for event in silent {
            assert_eq!(notice_for_account_event(&event), None, "{event:?}");
        }
    }

    fn request_after(events: Vec<ResetEvent>) -> ResetRequest {
        let mut request = ResetRequest::default();
        for (i, event) in events.into_iter().enumerate() {
            request.apply(&Recorded { version: i as u64 + 1, at: T, event });
        }
        request
    }

    #[test]
    fn the_owner_hears_of_submission_and_decision_support_of_a_missed_deadline() {
        let due = T + time::Duration::days(1);
        let submitted = ResetEvent::Submitted {
            request_id: ID,
            account_id: Uuid::from_u128(1),
            due_by: due,
            sealed_form: "f".into(),
            matches: MatchFlags::default(),
        };
        let request = request_after(vec![submitted.clone()]);
        let rejected = ResetEvent::Rejected { staff_id: ID, reason: "no".into() };
        let cases = [
            (submitted, Some((Notice::ResetSubmitted { id: ID, due: Some(due) }, Recipient::Owner))),
            (ResetEvent::Approved {}, Some((Notice::ResetApproved { id: ID }, Recipient::Owner))),
            (rejected, Some((Notice::ResetRejected { id: ID, reason: "no".into() }, Recipient::Owner))),
            (ResetEvent::MarkedOverdue {}, Some((Notice::ResetOverdue { id: ID, due: Some(due) }, Recipient::Support))),
            (ResetEvent::Viewed { staff_id: ID }, None),
            (ResetEvent::Taken { staff_id: ID }, None),
            (ResetEvent::ApprovalGiven { staff_id: ID, note: String::new() }, None),
            (ResetEvent::Anonymised {}, None),
        ];
        for (event, expected) in cases {
            // The projector's choice before it loads the stream says the same.
            assert_eq!(recipient_of_reset_event(&event), expected.as_ref().map(|(_, r)| *r), "{event:?}");
            assert_eq!(notice_for_reset_event(&event, &request), expected, "{event:?}");
        }
    }
}
