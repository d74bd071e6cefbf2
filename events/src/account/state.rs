//! What an account's events add up to.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::app_password::AppPassword;
use super::disablement::Disablement;
use super::event::{AccountEvent, Locale, Method, Owed, Role, SmsPurpose};
use super::passkey::{Passkey, PasskeySignIn};
use super::password_reset::PasswordResetPolicy;
use super::sms::SmsPolicy;
use crate::codec::Recorded;
use crate::lockout::{Failures, LockoutPolicy};
use crate::sealed::Sealed;

/// Lifetimes and limits the decisions apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountPolicy {
    pub password_lockout: LockoutPolicy,
    pub second_factor_lockout: LockoutPolicy,
    /// The contract: at most 5 minutes.
    pub mfa_token_ttl: Duration,
    pub session_ttl: Duration,
    /// The contract: an unconfirmed TOTP setup expires after 10 minutes.
    pub totp_setup_ttl: Duration,
    pub sms: SmsPolicy,
    pub password_reset: PasswordResetPolicy,
}

impl Default for AccountPolicy {
    fn default() -> Self {
        AccountPolicy {
            password_lockout: LockoutPolicy::STANDARD,
            second_factor_lockout: LockoutPolicy::STANDARD,
            mfa_token_ttl: Duration::minutes(5),
            session_ttl: Duration::hours(8),
            totp_setup_ttl: Duration::minutes(10),
            sms: SmsPolicy::default(),
            password_reset: PasswordResetPolicy::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingTotp {
    pub setup_id: Uuid,
    pub sealed_secret: String,
    pub expires_at: OffsetDateTime,
    /// It was started while an earlier setup was never confirmed, whose
    /// key may still sit, void, in the person's app.
    pub replaces_earlier_key: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecoverySet {
    pub set_id: Uuid,
    pub hashes: Vec<String>,
    pub used: Vec<bool>,
}

impl RecoverySet {
    pub fn remaining(&self) -> usize {
        self.used.iter().filter(|u| !**u).count()
    }
}

/// SMS as an active second factor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsFactor {
    pub sealed_phone: String,
    pub masked_phone: String,
}

/// The last SMS code sent; a newer one replaces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSmsCode {
    pub code_id: Uuid,
    pub code_hash: String,
    pub issued_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub masked_phone: String,
    pub purpose: SmsPurpose,
}

/// The last password-reset link sent; a newer one replaces it, using it
/// removes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingPasswordReset {
    pub token_id: Uuid,
    pub token_hash: String,
    pub expires_at: OffsetDateTime,
}

/// The last email-change link sent; a newer one replaces it, following it
/// removes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingEmailChange {
    pub token_id: Uuid,
    pub token_hash: String,
    pub new_email: Sealed,
    pub expires_at: OffsetDateTime,
}

/// A live session: what an ID token says of the sign-in it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub expires_at: OffsetDateTime,
    /// When the sign-in completed: the ID token's `auth_time`.
    pub started_at: OffsetDateTime,
    /// The second factor it was made with (`None`: the password alone).
    pub second_factor: Option<Method>,
    /// How a passkey made it, if one did (`amr`).
    #[serde(default)]
    pub passkey: Option<PasskeySignIn>,
}

/// How long the account remembers that a session was ended (rather than
/// expired): as long as a grant made in it may still be refreshed
/// (`oidc::OidcPolicy::refresh_token_ttl` is at most this).
pub const ENDED_SESSIONS_KEPT: Duration = Duration::days(30);

/// How long an unconfirmed setup is remembered as one whose key may still
/// sit, void, in the person's app.
pub const EARLIER_SETUP_REMEMBERED: Duration = Duration::days(30);

/// A correct password waiting for its second factor (the mfa token's state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLogin {
    pub owed: Owed,
    pub expires_at: OffsetDateTime,
    pub completed: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// Version of the last applied event; 0 = no such account.
    pub version: u64,
    pub id: Uuid,
    /// Sealed (`crate::sealed`): sign-in never needs them.
    pub email: Sealed,
    pub name: Sealed,
    pub roles: Vec<Role>,
    pub locale: Locale,
    pub created_at: Option<OffsetDateTime>,
    pub password_hash: String,
    pub first_login_without_second_factor: bool,
    pub password_failures: Failures,
    pub second_factor_failures: Failures,
    /// A password has been accepted at least once.
    pub logged_in_before: bool,
    /// Sealed TOTP secret of the active authenticator app.
    pub totp: Option<String>,
    pub pending_totp: Option<PendingTotp>,
    pub last_totp_step: Option<u64>,
    pub recovery: Option<RecoverySet>,
    pub logins: HashMap<Uuid, PendingLogin>,
    pub sessions: HashMap<Uuid, Session>,
    /// Sessions ended by logout over the last `ENDED_SESSIONS_KEPT`, and
    /// when: a grant of an app made in one of them ends with it.
    pub ended_sessions: HashMap<Uuid, OffsetDateTime>,
    /// When every session last ended at once (a password or factor
    /// change, an approved factor reset): grants made in a session that
    /// started before end with them.
    pub all_sessions_ended_at: Option<OffsetDateTime>,
    pub last_login_at: Option<OffsetDateTime>,
    pub sms: Option<SmsFactor>,
    pub pending_sms: Option<PendingSmsCode>,
    /// When SMS codes were sent, over the last day (the per-account limits).
    pub sms_sent: Vec<OffsetDateTime>,
    /// Active app passwords, oldest first.
    pub app_passwords: Vec<AppPassword>,
    /// The reset request (lost second factor) waiting for support, if any.
    pub open_reset_request: Option<Uuid>,
    pub pending_password_reset: Option<PendingPasswordReset>,
    /// When password-reset links were sent, over the last hour (the limit).
    pub password_resets_sent: Vec<OffsetDateTime>,
    /// Set while staff have the account disabled (`disablement`).
    #[serde(default)]
    pub disabled: Option<Disablement>,
    /// The user name the account signs in with besides its email, as chosen
    /// (`crate::username`); `None` until one is chosen.
    #[serde(default)]
    pub username: Option<Sealed>,
    /// The address change waiting for its link to be followed (`email_change`).
    #[serde(default)]
    pub pending_email_change: Option<PendingEmailChange>,
    /// When the account was deleted (`deletion`): it no longer `exists`.
    #[serde(default)]
    pub deleted_at: Option<OffsetDateTime>,
    /// The staff member who asked for the deletion, while it waits for a
    /// second one (four eyes).
    #[serde(default)]
    pub deletion_approved_by: Option<Uuid>,
    /// Registered passkeys, oldest first (`passkey`).
    #[serde(default)]
    pub passkeys: Vec<Passkey>,
}

impl Account {
    pub fn apply(&mut self, recorded: &Recorded<AccountEvent>) {
        use AccountEvent as E;
        let (at, event) = (recorded.at, &recorded.event);
        self.version = recorded.version;
        match event {
            E::Registered { .. }
            | E::Imported { .. }
            | E::PasswordRehashed { .. }
            | E::PasswordFailed { .. }
            | E::PasswordPassed { .. }
            | E::SessionStarted { .. }
            | E::SessionEnded { .. }
            | E::SessionsEnded { .. } => self.apply_sign_in(event, at),
            E::TotpSetupStarted { .. }
            | E::TotpActivated { .. }
            | E::TotpAccepted { .. }
            | E::SecondFactorFailed { .. }
            | E::RecoveryCodesIssued { .. }
            | E::RecoveryCodeUsed { .. } => self.apply_totp_and_recovery(event, at),
            E::SmsCodeIssued { .. } | E::SmsActivated { .. } | E::SmsCodeAccepted { .. } | E::SmsRemoved { .. } => {
                self.apply_sms(event, at)
            }
            E::AppPasswordCreated { .. } | E::AppPasswordRevoked { .. } | E::AppPasswordsRevoked { .. } => {
                self.apply_app_passwords(event, at)
            }
            E::ResetRequested { .. }
            | E::SecondFactorsReset { .. }
            | E::ResetRequestClosed { .. }
            | E::PasswordResetRequested { .. }
            | E::PasswordReset { .. } => self.apply_ways_back_in(event, at),
            E::Disabled { staff_id, reason } => {
                self.end_all_sessions(at);
                self.pending_password_reset = None;
                self.pending_email_change = None;
                self.disabled = Some(Disablement { at, reason: reason.clone(), by: *staff_id });
            }
            E::Enabled { .. } => self.disabled = None,
            E::LoginCancelled { login_id } => {
                self.logins.remove(login_id);
            }
            E::UsernameChosen { username } => self.username = Some(username.clone()),
            E::LanguageChanged { locale } => self.locale = *locale,
            E::PasswordChanged { password_hash } => {
                self.password_hash.clone_from(password_hash);
                self.password_failures.reset();
            }
            E::EmailChangeRequested { token_id, token_hash, new_email, expires_at } => {
                self.pending_email_change = Some(PendingEmailChange {
                    token_id: *token_id,
                    token_hash: token_hash.clone(),
                    new_email: new_email.clone(),
                    expires_at: *expires_at,
                });
            }
            E::EmailChanged { token_id, email } => {
                self.email.clone_from(email);
                self.pending_email_change.take_if(|p| p.token_id == *token_id);
            }
            E::AccountDeleted { .. } => self.apply_deletion(at),
            E::DeletionApproved { staff_id } => self.deletion_approved_by = Some(*staff_id),
            E::PasskeyAdded { .. }
            | E::PasskeyUsed { .. }
            | E::PasskeyRemoved { .. }
            | E::PasskeyCounterRegressed { .. } => self.apply_passkeys(event, at),
        }
    }

    /// Registration, the password and sessions.
    fn apply_sign_in(&mut self, event: &AccountEvent, at: OffsetDateTime) {
        match event {
            AccountEvent::Registered {
                account_id,
                email,
                name,
                password_hash,
                roles,
                locale,
                first_login_without_second_factor,
            } => {
                self.id = *account_id;
                self.email.clone_from(email);
                self.name.clone_from(name);
                self.password_hash.clone_from(password_hash);
                self.roles.clone_from(roles);
                self.locale = *locale;
                self.first_login_without_second_factor = *first_login_without_second_factor;
                self.created_at = Some(at);
            }
            AccountEvent::Imported {
                account_id,
                email,
                name,
                username,
                password_hash,
                locale,
                created_at,
                first_login_without_second_factor,
            } => {
                self.id = *account_id;
                self.email.clone_from(email);
                self.name.clone_from(name);
                self.password_hash.clone_from(password_hash);
                self.roles.clear();
                self.username.clone_from(username);
                self.locale = *locale;
                self.first_login_without_second_factor = *first_login_without_second_factor;
                // The real age, so support and the retention rules see it.
                self.created_at = Some(created_at.unwrap_or(at));
            }
            AccountEvent::PasswordRehashed { password_hash } => {
                self.password_hash.clone_from(password_hash);
            }
            AccountEvent::PasswordFailed {} => self.password_failures.record(at),
            AccountEvent::PasswordPassed { login_id, owed, expires_at } => {
                self.password_failures.reset();
                self.logged_in_before = true;
                self.last_login_at = Some(at);
                // Old pending logins only matter until they expire; dropping
                // them here keeps the state small over years of logins.
                self.logins.retain(|_, l| l.expires_at > at);
                self.logins.insert(*login_id, PendingLogin { owed: *owed, expires_at: *expires_at, completed: false });
            }
            AccountEvent::SessionStarted { session_id, login_id, expires_at, second_factor, passkey } => {
                self.sessions.retain(|_, s| s.expires_at > at);
                self.sessions.insert(
                    *session_id,
                    Session {
                        expires_at: *expires_at,
                        started_at: at,
                        second_factor: *second_factor,
                        passkey: *passkey,
                    },
                );
                if let Some(login) = login_id.and_then(|id| self.logins.get_mut(&id)) {
                    login.completed = true;
                }
            }
            AccountEvent::SessionEnded { session_id } => {
                self.sessions.remove(session_id);
                self.remember_ended([*session_id], at);
            }
            AccountEvent::SessionsEnded { .. } => self.end_all_sessions(at),
            // Applied by the other `apply_*` (see `apply`).
            _ => {}
        }
    }

    /// The authenticator app, recovery codes and second-factor failures.
    fn apply_totp_and_recovery(&mut self, event: &AccountEvent, at: OffsetDateTime) {
        match event {
            AccountEvent::TotpSetupStarted { setup_id, sealed_secret, expires_at } => {
                let replaces_earlier_key = self.earlier_setup_remembered(at);
                self.pending_totp = Some(PendingTotp {
                    setup_id: *setup_id,
                    sealed_secret: sealed_secret.clone(),
                    expires_at: *expires_at,
                    replaces_earlier_key,
                });
            }
            AccountEvent::TotpActivated { setup_id, step, sealed_secret } => {
                let pending = self.pending_totp.take_if(|p| p.setup_id == *setup_id);
                if let Some(secret) = sealed_secret.clone().or(pending.map(|p| p.sealed_secret)) {
                    self.totp = Some(secret);
                }
                self.last_totp_step = Some(*step);
                self.second_factor_failures.reset();
            }
            AccountEvent::TotpAccepted { step } => {
                self.last_totp_step = Some(*step);
                self.second_factor_failures.reset();
            }
            AccountEvent::SecondFactorFailed { .. } => self.second_factor_failures.record(at),
            AccountEvent::RecoveryCodesIssued { set_id, hashes } => {
                self.recovery =
                    Some(RecoverySet { set_id: *set_id, hashes: hashes.clone(), used: vec![false; hashes.len()] });
            }
            AccountEvent::RecoveryCodeUsed { set_id, index } => {
                if let Some(set) = self.recovery.as_mut().filter(|s| s.set_id == *set_id)
                    && let Some(used) = set.used.get_mut(*index)
                {
                    *used = true;
                }
                self.second_factor_failures.reset();
            }
            // Applied by the other `apply_*` (see `apply`).
            _ => {}
        }
    }

    /// SMS codes and SMS as a second factor.
    fn apply_sms(&mut self, event: &AccountEvent, at: OffsetDateTime) {
        match event {
            AccountEvent::SmsCodeIssued { code_id, code_hash, expires_at, masked_phone, purpose } => {
                self.sms_sent.retain(|t| *t > at - Duration::DAY);
                self.sms_sent.push(at);
                self.pending_sms = Some(PendingSmsCode {
                    code_id: *code_id,
                    code_hash: code_hash.clone(),
                    issued_at: at,
                    expires_at: *expires_at,
                    masked_phone: masked_phone.clone(),
                    purpose: purpose.clone(),
                });
            }
            AccountEvent::SmsActivated { code_id, masked_phone, .. } => {
                if let Some(pending) = self.pending_sms.take_if(|p| p.code_id == *code_id)
                    && let SmsPurpose::Setup { sealed_phone } = pending.purpose
                {
                    self.sms = Some(SmsFactor { sealed_phone, masked_phone: masked_phone.clone() });
                }
                self.second_factor_failures.reset();
            }
            AccountEvent::SmsCodeAccepted { code_id } => {
                self.pending_sms.take_if(|p| p.code_id == *code_id);
                self.second_factor_failures.reset();
            }
            AccountEvent::SmsRemoved { .. } => self.sms = None,
            // Applied by the other `apply_*` (see `apply`).
            _ => {}
        }
    }

    /// App passwords for CalDAV/CardDAV clients.
    fn apply_app_passwords(&mut self, event: &AccountEvent, at: OffsetDateTime) {
        match event {
            AccountEvent::AppPasswordCreated { app_password_id, name, hash } => {
                self.app_passwords.push(AppPassword {
                    id: *app_password_id,
                    name: name.clone(),
                    hash: hash.clone(),
                    created_at: at,
                });
            }
            AccountEvent::AppPasswordRevoked { app_password_id } => {
                self.app_passwords.retain(|p| p.id != *app_password_id);
            }
            AccountEvent::AppPasswordsRevoked { .. } => self.app_passwords.clear(),
            // Applied by the other `apply_*` (see `apply`).
            _ => {}
        }
    }

    /// The two ways back into an account: support's reset of the second factor and the password-reset link.
    fn apply_ways_back_in(&mut self, event: &AccountEvent, at: OffsetDateTime) {
        match event {
            AccountEvent::ResetRequested { request_id } => self.open_reset_request = Some(*request_id),
            AccountEvent::SecondFactorsReset { request_id } => {
                self.totp = None;
                self.pending_totp = None;
                // A new authenticator starts afresh; an old step says
                // nothing about its codes.
                self.last_totp_step = None;
                self.sms = None;
                self.pending_sms = None;
                self.recovery = None;
                // Passkeys are second factors too: a reset means the
                // owner lost them, or someone else has them.
                self.passkeys.clear();
                self.second_factor_failures.reset();
                self.end_all_sessions(at);
                self.open_reset_request.take_if(|id| id == request_id);
            }
            AccountEvent::ResetRequestClosed { request_id } => {
                self.open_reset_request.take_if(|id| id == request_id);
            }
            AccountEvent::PasswordResetRequested { token_id, token_hash, expires_at } => {
                self.password_resets_sent.retain(|t| *t > at - Duration::HOUR);
                self.password_resets_sent.push(at);
                self.pending_password_reset = Some(PendingPasswordReset {
                    token_id: *token_id,
                    token_hash: token_hash.clone(),
                    expires_at: *expires_at,
                });
            }
            AccountEvent::PasswordReset { token_id, password_hash } => {
                self.password_hash.clone_from(password_hash);
                self.password_failures.reset();
                self.pending_password_reset.take_if(|p| p.token_id == *token_id);
            }
            // Applied by the other `apply_*` (see `apply`).
            _ => {}
        }
    }

    fn apply_passkeys(&mut self, event: &AccountEvent, at: OffsetDateTime) {
        match event {
            AccountEvent::PasskeyAdded {
                credential_id,
                name,
                public_key,
                counter,
                backup_eligible,
                backed_up,
                user_verified,
                attachment,
            } => self.passkeys.push(Passkey {
                credential_id: credential_id.clone(),
                name: name.clone(),
                public_key: public_key.clone(),
                counter: *counter,
                backup_eligible: *backup_eligible,
                backed_up: *backed_up,
                user_verified: *user_verified,
                attachment: *attachment,
                created_at: at,
                last_used_at: None,
            }),
            AccountEvent::PasskeyUsed { credential_id, counter, backed_up } => {
                if let Some(p) = self.passkeys.iter_mut().find(|p| p.credential_id == *credential_id) {
                    p.counter = *counter;
                    p.backed_up = *backed_up;
                    p.last_used_at = Some(at);
                }
            }
            AccountEvent::PasskeyRemoved { credential_id, .. } => {
                self.passkeys.retain(|p| p.credential_id != *credential_id)
            }
            // Counted as a failed second factor: a clone must not get
            // unlimited tries either.
            AccountEvent::PasskeyCounterRegressed { .. } => self.second_factor_failures.record(at),
            // Applied by the other `apply_*` (see `apply`).
            _ => {}
        }
    }

    /// Live sessions are remembered by id; those expired already started
    /// strictly before `at` (a session lasts hours), which
    /// `all_sessions_ended_at` covers. A session started later in the same
    /// decision (the caller's fresh one after a factor change) is neither.
    pub(super) fn end_all_sessions(&mut self, at: OffsetDateTime) {
        let live: Vec<Uuid> = self.sessions.drain().map(|(id, _)| id).collect();
        self.remember_ended(live, at);
        self.logins.clear();
        self.all_sessions_ended_at = Some(at);
    }

    fn remember_ended(&mut self, ended: impl IntoIterator<Item = Uuid>, at: OffsetDateTime) {
        self.ended_sessions.retain(|_, when| *when + ENDED_SESSIONS_KEPT > at);
        self.ended_sessions.extend(ended.into_iter().map(|id| (id, at)));
    }

    /// The live session `session_id`, if it is one.
    pub fn session(&self, session_id: Uuid, now: OffsetDateTime) -> Option<&Session> {
        self.sessions.get(&session_id).filter(|s| s.expires_at > now)
    }

    /// Whether a session that started at `started_at` was ended by logout,
    /// or by everything ending at once (rather than simply expiring): what
    /// ends the grants apps got in it, refresh tokens included.
    pub fn session_was_ended(&self, session_id: Uuid, started_at: OffsetDateTime) -> bool {
        self.ended_sessions.contains_key(&session_id) || self.all_sessions_ended_at.is_some_and(|t| started_at < t)
    }

    pub fn has_second_factor(&self) -> bool {
        self.totp.is_some() || self.sms.is_some() || !self.passkeys.is_empty()
    }

    /// The methods a login may use, in the contract's words.
    pub fn methods(&self) -> Vec<Method> {
        let mut methods = Vec::new();
        if self.totp.is_some() {
            methods.push(Method::Totp);
        }
        if self.sms.is_some() {
            methods.push(Method::Sms);
        }
        if self.recovery_codes_remaining() > 0 {
            methods.push(Method::RecoveryCode);
        }
        if !self.passkeys.is_empty() {
            methods.push(Method::Passkey);
        }
        methods
    }

    pub fn recovery_codes_remaining(&self) -> usize {
        self.recovery.as_ref().map_or(0, RecoverySet::remaining)
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn session_active(&self, session_id: Uuid, now: OffsetDateTime) -> bool {
        self.session(session_id, now).is_some()
    }

    /// The pending login an mfa token stands for, while it is still usable.
    pub fn pending_login(&self, login_id: Uuid, now: OffsetDateTime) -> Option<PendingLogin> {
        self.logins.get(&login_id).copied().filter(|l| !l.completed && l.expires_at > now && l.owed != Owed::Nothing)
    }

    pub fn password_retry_after(&self, policy: &AccountPolicy, now: OffsetDateTime) -> Option<u64> {
        self.password_failures.retry_after(&policy.password_lockout, now)
    }

    pub fn second_factor_retry_after(&self, policy: &AccountPolicy, now: OffsetDateTime) -> Option<u64> {
        self.second_factor_failures.retry_after(&policy.second_factor_lockout, now)
    }

    /// The last SMS code, unless it has expired.
    pub fn pending_sms(&self, now: OffsetDateTime) -> Option<&PendingSmsCode> {
        self.pending_sms.as_ref().filter(|p| p.expires_at > now)
    }

    /// Whether an earlier setup was never confirmed: its key may sit, void,
    /// in the person's app. It counts for `EARLIER_SETUP_REMEMBERED` after
    /// it expired, while its event is surely still on record
    /// (`retention::RetentionPolicy::MIN_DAYS`), so the answer is the same
    /// once older setups have been deleted.
    pub fn earlier_setup_remembered(&self, now: OffsetDateTime) -> bool {
        self.pending_totp.as_ref().is_some_and(|p| p.expires_at + EARLIER_SETUP_REMEMBERED > now)
    }

    /// The pending TOTP setup, unless it has expired.
    pub fn pending_totp(&self, now: OffsetDateTime) -> Option<&PendingTotp> {
        self.pending_totp.as_ref().filter(|p| p.expires_at > now)
    }
}

impl crate::Aggregate for Account {
    type Event = AccountEvent;

    /// 2: the secret from `TotpActivated`, an earlier setup remembered 30
    /// days, a failure streak forgotten after a day. 3: disabled accounts.
    /// 4: user names (an imported account's from its `Imported`).
    /// 5: deleted accounts. 6: email, name, user name and app-password
    /// names sealed (`crate::sealed`). 7: passkeys (their names sealed;
    /// a deletion removes them).
    const FOLD_VERSION: u32 = 7;

    const MISSING: crate::Refusal = crate::Refusal::Unauthorized;

    fn stream_id(id: uuid::Uuid) -> String {
        super::stream_id(id)
    }

    fn apply(&mut self, recorded: &Recorded<AccountEvent>) {
        Account::apply(self, recorded)
    }

    fn version(&self) -> u64 {
        self.version
    }

    /// A deleted account is as absent as one never made: every decision
    /// answers `MISSING` (`Unauthorized`).
    fn exists(&self) -> bool {
        self.version > 0 && self.deleted_at.is_none()
    }
}
