//! The WebAuthn relying party: the passkey ceremonies' cryptography, by
//! the pure-Rust `webauthn_rp` (README "Passkeys" says why not
//! `webauthn-rs`). A ceremony has two requests: the first makes a
//! challenge and the options the browser passes to
//! `navigator.credentials`, the second verifies the browser's answer.
//! Between them its server state waits in the state store (a Lambda keeps
//! no memory), under the challenge, for `CEREMONY_TTL`, and is *taken*
//! (removed and read in one atomic step, `StateStore::take_doc`) by the
//! second request: of two answers to one challenge one is verified at all.
//!
//! What this module decides is only whether the answer is cryptographically
//! sound for this relying party (signature, challenge, origin, RP ID hash,
//! user presence and verification as asked, attestation `none`). Whose
//! credential it is, its counter and the lockout are the account's
//! decisions (`events::account::passkey`).

use data_encoding::BASE64URL_NOPAD;
use events::OffsetDateTime;
use events::account::Account;
use events::account::passkey::{Attachment, NewPasskey, Passkey, PasskeyAssertion};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use webauthn_rp::bin::{Decode, Encode};
use webauthn_rp::request::auth::{
    AllowedCredential, AllowedCredentials, AuthenticationVerificationOptions, DiscoverableCredentialRequestOptions,
    NonDiscoverableCredentialRequestOptions, SignatureCounterEnforcement,
};
use webauthn_rp::request::register::{
    CredProtect, Nickname, PublicKeyCredentialCreationOptions, PublicKeyCredentialUserEntity,
    RegistrationVerificationOptions, UserHandle, Username,
};
use webauthn_rp::request::{AsciiDomain, Credentials, ExtensionInfo, PublicKeyCredentialDescriptor, RpId};
use webauthn_rp::response::register::{CompressedPubKey, DynamicState, StaticState};
use webauthn_rp::response::{AuthTransports, AuthenticatorAttachment, Backup, CredentialId, SentChallenge};
use webauthn_rp::{
    AuthenticatedCredential, DiscoverableAuthentication, DiscoverableAuthenticationServerState,
    NonDiscoverableAuthentication, NonDiscoverableAuthenticationServerState, Registration, RegistrationServerState,
};

use crate::app::App;
use crate::http::ApiError;
use crate::personal_data::open_or_empty;
use crate::settings::Settings;

/// The state store's collection of waiting ceremonies.
const CEREMONIES: &str = "passkey-challenge";

/// How long a ceremony waits for its answer: the timeout the options give
/// the browser (`webauthn_rp`'s five minutes), and no longer.
pub const CEREMONY_TTL: time::Duration = time::Duration::minutes(5);

/// The user handle is the account id's 16 bytes: stable, not personal, and
/// what a passkey sign-in finds the account by.
const HANDLE_LEN: usize = 16;
type Handle = UserHandle<HANDLE_LEN>;

/// What a ceremony is for, and so who may finish it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Purpose {
    /// Adding a passkey in this session (its step-up already spent).
    Register { account_id: Uuid, session_id: Uuid },
    /// The second step of this login.
    SecondStep { account_id: Uuid, login_id: Uuid },
    /// A step-up in this session: the proof of a current factor that a
    /// change of a credential asks for.
    StepUp { account_id: Uuid, session_id: Uuid },
    /// A sign-in with a passkey alone: whoever it turns out to be.
    SignIn,
}

#[derive(Serialize, Deserialize)]
struct Waiting {
    purpose: Purpose,
    /// The library's server state (`Encode`), base64url.
    state: String,
}

/// Why an answer was not accepted. `Malformed` is the client's fault
/// (400, nothing written); `Failed` is an answer that does not verify,
/// which counts like a wrong code where an account is known.
#[derive(Debug)]
pub enum Refused {
    Malformed(String),
    /// No such ceremony waiting (never made, expired, or taken already).
    Unknown,
    Failed(String),
    /// The store could not be asked: nobody's fault, nothing counted (503).
    Store(crate::ports::store::StoreError),
}

impl From<Refused> for ApiError {
    fn from(r: Refused) -> ApiError {
        match r {
            Refused::Malformed(why) => ApiError::invalid_request(format!("credential: {why}")),
            Refused::Store(e) => ApiError::from(e),
            Refused::Unknown | Refused::Failed(_) => ApiError::from(events::Refusal::InvalidCode),
        }
    }
}

/// The relying party this portal is: its ID (the host of
/// `PORTAL_PUBLIC_URL`) and the origins whose ceremonies it accepts.
pub struct RelyingParty {
    rp_id: RpId,
    origins: Vec<String>,
}

impl RelyingParty {
    pub fn of(settings: &Settings) -> Result<RelyingParty, ApiError> {
        let origin = origin_of(&settings.public_url);
        let host = origin.split("://").nth(1).unwrap_or_default();
        let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
        let domain = AsciiDomain::try_from(host.to_ascii_lowercase())
            .map_err(|_| internal(&format!("PORTAL_PUBLIC_URL's host {host:?} is no relying party ID")))?;
        let mut origins = vec![origin];
        origins.extend(settings.webauthn_origins.iter().map(|o| origin_of(o)));
        Ok(RelyingParty { rp_id: RpId::Domain(domain), origins })
    }

    /// The options for adding a passkey to `account`: a discoverable
    /// credential with user verification, so it can also sign in alone;
    /// its other passkeys excluded (the authenticator says it has one).
    pub async fn start_registration(
        &self,
        app: &App,
        account: &Account,
        session_id: Uuid,
        now: OffsetDateTime,
    ) -> Result<serde_json::Value, ApiError> {
        let handle = handle_of(account.id);
        // What the authenticator shows its owner to pick the passkey by:
        // the sign-in name and the person's name, opened for this answer
        // to the owner's own browser (an output path).
        let sign_in_name = account.username.as_ref().unwrap_or(&account.email);
        let data_key = app.personal.key_if_needed(account, [sign_in_name, &account.name]).await?;
        let name = open_or_empty(data_key.as_ref(), sign_in_name)?;
        let person = open_or_empty(data_key.as_ref(), &account.name)?;
        let name = Username::try_from(name.as_str())
            .or_else(|_| Username::try_from(account.id.to_string()))
            .map_err(|_| internal("no user name for the passkey"))?;
        let user =
            PublicKeyCredentialUserEntity { name, id: &handle, display_name: Nickname::try_from(person.as_str()).ok() };
        let exclude = account.passkeys.iter().filter_map(descriptor).collect();
        let mut options = PublicKeyCredentialCreationOptions::passkey(&self.rp_id, user, exclude);
        // The library asks authenticators to *enforce* credProtect (user
        // verification for every use); many (platform authenticators among
        // them, and Chromium's virtual one) do not know the extension and
        // then refuse to make the key at all. Asked for, not demanded: the
        // sign-in demands user verification itself.
        options.extensions.cred_protect = CredProtect::UserVerificationRequired(ExtensionInfo::AllowDontEnforceValue);
        let (server, client) = options.start_ceremony().map_err(|e| internal(&format!("passkey options: {e}")))?;
        let challenge = key(*std::borrow::Borrow::<SentChallenge>::borrow(&server));
        let state = server.encode().map_err(|e| internal(&format!("passkey state: {e}")))?;
        let json = serde_json::to_value(&client).map_err(|e| internal(&e.to_string()))?;
        store(app, &challenge, Purpose::Register { account_id: account.id, session_id }, &state, now).await?;
        Ok(json)
    }

    /// Verifies a registration answer (the browser's
    /// `PublicKeyCredential.toJSON()`) against its waiting ceremony, which
    /// it uses up. The purpose is the caller's to check.
    pub async fn finish_registration(
        &self,
        app: &App,
        answer: &serde_json::Value,
        name: &str,
        now: OffsetDateTime,
    ) -> Result<(Purpose, NewPasskey), Refused> {
        let registration: Registration =
            serde_json::from_value(answer.clone()).map_err(|e| Refused::Malformed(e.to_string()))?;
        let challenge = registration.challenge().map_err(|e| Refused::Malformed(e.to_string()))?;
        let (purpose, state) = take(app, &key(challenge), now).await?;
        let server = RegistrationServerState::<HANDLE_LEN>::decode(state.as_slice())
            .map_err(|_| Refused::Failed("unreadable ceremony".into()))?;
        let options = RegistrationVerificationOptions::<&str, &str> {
            allowed_origins: &self.origin_refs(),
            ..RegistrationVerificationOptions::default()
        };
        let credential =
            server.verify(&self.rp_id, &registration, &options).map_err(|e| Refused::Failed(e.to_string()))?;
        let dynamic = credential.dynamic_state();
        let public_key = credential.static_state().encode().map_err(|_| Refused::Failed("public key".into()))?;
        let (backup_eligible, backed_up) = backup_flags(dynamic.backup);
        let new = NewPasskey {
            credential_id: BASE64URL_NOPAD.encode(credential.id().as_ref()),
            name: name.to_owned(),
            // Sealed by the caller, inside its decision (`handlers::passkeys`).
            sealed_name: events::Sealed::default(),
            public_key: BASE64URL_NOPAD.encode(&public_key),
            counter: dynamic.sign_count,
            backup_eligible,
            backed_up,
            user_verified: dynamic.user_verified,
            attachment: match dynamic.authenticator_attachment {
                AuthenticatorAttachment::Platform => Some(Attachment::Platform),
                AuthenticatorAttachment::CrossPlatform => Some(Attachment::CrossPlatform),
                AuthenticatorAttachment::None => None,
            },
        };
        Ok((purpose, new))
    }

    /// The options for an assertion by one of `account`'s passkeys, for
    /// `purpose` (the second step of a login, or a step-up): any of its
    /// passkeys, user verification not asked (the password was the other
    /// factor). `None` when the account has none.
    pub async fn start_for_account(
        &self,
        app: &App,
        account: &Account,
        purpose: Purpose,
        now: OffsetDateTime,
    ) -> Result<Option<serde_json::Value>, ApiError> {
        let mut allowed = AllowedCredentials::new();
        for credential in account.passkeys.iter().filter_map(descriptor) {
            allowed.push(AllowedCredential::from(credential));
        }
        let Ok(options) = NonDiscoverableCredentialRequestOptions::second_factor(&self.rp_id, allowed) else {
            return Ok(None);
        };
        let (server, client) = options.start_ceremony().map_err(|e| internal(&format!("passkey options: {e}")))?;
        let challenge = key(*std::borrow::Borrow::<SentChallenge>::borrow(&server));
        let state = server.encode().map_err(|e| internal(&format!("passkey state: {e}")))?;
        let json = serde_json::to_value(&client).map_err(|e| internal(&e.to_string()))?;
        store(app, &challenge, purpose, &state, now).await?;
        Ok(Some(json))
    }

    /// The options for a sign-in with a passkey alone (also for the
    /// browser's autofill, conditional mediation): no account named, user
    /// verification required.
    pub async fn start_sign_in(&self, app: &App, now: OffsetDateTime) -> Result<serde_json::Value, ApiError> {
        let (server, client) = DiscoverableCredentialRequestOptions::passkey(&self.rp_id)
            .start_ceremony()
            .map_err(|e| internal(&format!("passkey options: {e}")))?;
        let challenge = key(*std::borrow::Borrow::<SentChallenge>::borrow(&server));
        let state = server.encode().map_err(|e| internal(&format!("passkey state: {e}")))?;
        let json = serde_json::to_value(&client).map_err(|e| internal(&e.to_string()))?;
        store(app, &challenge, Purpose::SignIn, &state, now).await?;
        Ok(json)
    }

    /// Checks an answer to a `start_for_account` ceremony made for
    /// `expected`: the ceremony is taken (used up), and the signature
    /// verified with `account`'s passkey of the credential it names.
    /// `Ok(None)`: it does not verify (no such ceremony, another purpose's,
    /// not a passkey of this account, a bad signature, origin or RP ID),
    /// which counts like a wrong code. A malformed answer is an error (400)
    /// and takes nothing.
    pub async fn check_for_account(
        &self,
        app: &App,
        answer: &serde_json::Value,
        expected: Purpose,
        account: &Account,
        now: OffsetDateTime,
    ) -> Result<Option<PasskeyAssertion>, ApiError> {
        let answer: NonDiscoverableAuthentication<HANDLE_LEN> =
            serde_json::from_value(answer.clone()).map_err(|e| Refused::Malformed(e.to_string()))?;
        well_formed(answer.response().authenticator_data())?;
        let challenge = answer.challenge().map_err(|e| Refused::Malformed(e.to_string()))?;
        let (purpose, state) = match take(app, &key(challenge), now).await {
            Ok(taken) => taken,
            Err(Refused::Store(e)) => return Err(e.into()),
            Err(_) => return Ok(None),
        };
        let Ok(server) = NonDiscoverableAuthenticationServerState::decode(state.as_slice()) else { return Ok(None) };
        let credential_id = BASE64URL_NOPAD.encode(answer.raw_id().as_ref());
        let Some(passkey) = account.passkey(&credential_id).filter(|_| purpose == expected) else { return Ok(None) };
        Ok(verified(self, account.id, passkey, answer.response().authenticator_data(), |rp_id, credential, options| {
            server.verify(rp_id, &answer, credential, options)
        }))
    }

    /// A parsed sign-in answer, the account its user handle names, and its
    /// ceremony taken.
    pub async fn take_sign_in(
        &self,
        app: &App,
        answer: &serde_json::Value,
        now: OffsetDateTime,
    ) -> Result<(Purpose, Uuid, SignInAnswer), Refused> {
        let answer: DiscoverableAuthentication<HANDLE_LEN> =
            serde_json::from_value(answer.clone()).map_err(|e| Refused::Malformed(e.to_string()))?;
        well_formed(answer.response().authenticator_data())?;
        let challenge = answer.challenge().map_err(|e| Refused::Malformed(e.to_string()))?;
        let (purpose, state) = take(app, &key(challenge), now).await?;
        let server = DiscoverableAuthenticationServerState::decode(state.as_slice())
            .map_err(|_| Refused::Failed("unreadable ceremony".into()))?;
        let account_id = <[u8; HANDLE_LEN]>::try_from(answer.response().user_handle().as_ref())
            .map(Uuid::from_bytes)
            .map_err(|_| Refused::Malformed("userHandle".into()))?;
        Ok((purpose, account_id, SignInAnswer { answer, server }))
    }

    fn origin_refs(&self) -> Vec<&str> {
        self.origins.iter().map(String::as_str).collect()
    }

    /// The verification options every assertion is held to. The counter
    /// is the account decision's (`counter_went_forward`), taken against
    /// the state it appends to; the library is told to pass it through.
    fn assertion_options<'o>(origins: &'o [&'o str]) -> AuthenticationVerificationOptions<'o, 'o, &'o str, &'o str> {
        AuthenticationVerificationOptions {
            allowed_origins: origins,
            sig_counter_enforcement: SignatureCounterEnforcement::Update,
            ..AuthenticationVerificationOptions::default()
        }
    }
}

/// A sign-in answer waiting to be checked against a stored passkey.
pub struct SignInAnswer {
    answer: DiscoverableAuthentication<HANDLE_LEN>,
    server: DiscoverableAuthenticationServerState,
}

impl SignInAnswer {
    pub fn credential_id(&self) -> String {
        BASE64URL_NOPAD.encode(self.answer.raw_id().as_ref())
    }

    /// Verifies the signature with `passkey` (the account's passkey of
    /// that id); `None` when it does not verify. The options required user
    /// verification, so an assertion without it does not verify.
    pub fn verify(self, rp: &RelyingParty, account_id: Uuid, passkey: &Passkey) -> Option<PasskeyAssertion> {
        let SignInAnswer { answer, server } = self;
        verified(rp, account_id, passkey, answer.response().authenticator_data(), |rp_id, credential, options| {
            server.verify(rp_id, &answer, credential, options)
        })
    }
}

type Credential<'a> = AuthenticatedCredential<'a, 'a, HANDLE_LEN, StoredPublicKey>;
type StoredPublicKey = CompressedPubKey<[u8; 32], [u8; 32], [u8; 48], Vec<u8>>;

/// Runs one of the library's assertion checks (`check`, the ceremony's
/// own `verify`) on `passkey`'s stored key, and reads what the verified
/// assertion said; `None` when it does not verify.
fn verified(
    rp: &RelyingParty,
    account_id: Uuid,
    passkey: &Passkey,
    authenticator_data: &[u8],
    check: impl FnOnce(
        &RpId,
        &mut Credential<'_>,
        &AuthenticationVerificationOptions<'_, '_, &str, &str>,
    ) -> Result<bool, webauthn_rp::response::auth::error::AuthCeremonyErr>,
) -> Option<PasskeyAssertion> {
    let handle = handle_of(account_id);
    let (id, static_state) = stored_key(passkey)?;
    let mut credential = AuthenticatedCredential::new((&id).into(), &handle, static_state, dynamic_of(passkey)).ok()?;
    let origins = rp.origin_refs();
    match check(&rp.rp_id, &mut credential, &RelyingParty::assertion_options(&origins)) {
        Ok(_) => Some(assertion_of(&credential.dynamic_state(), authenticator_data, passkey)),
        Err(e) => {
            tracing::info!(error = %e, "passkey assertion refused");
            None
        }
    }
}

type StoredKey = StaticState<StoredPublicKey>;

/// The stored credential id and public key of `passkey`.
fn stored_key(passkey: &Passkey) -> Option<(CredentialId<Vec<u8>>, StoredKey)> {
    let id = CredentialId::decode(BASE64URL_NOPAD.decode(passkey.credential_id.as_bytes()).ok()?).ok()?;
    let key_bytes = BASE64URL_NOPAD.decode(passkey.public_key.as_bytes()).ok()?;
    let static_state = StoredKey::decode(key_bytes.as_slice()).ok()?;
    Some((id, static_state))
}

/// The library's view of a stored passkey's changing state. The counter
/// is given as 0 so the library never refuses on it (see
/// `assertion_options`): it reports the presented counter, which the
/// account's decision compares with the stored one.
fn dynamic_of(passkey: &Passkey) -> DynamicState {
    DynamicState {
        user_verified: passkey.user_verified,
        backup: match (passkey.backup_eligible, passkey.backed_up) {
            (false, _) => Backup::NotEligible,
            (true, false) => Backup::Eligible,
            (true, true) => Backup::Exists,
        },
        sign_count: 0,
        authenticator_attachment: match passkey.attachment {
            Some(Attachment::Platform) => AuthenticatorAttachment::Platform,
            Some(Attachment::CrossPlatform) => AuthenticatorAttachment::CrossPlatform,
            None => AuthenticatorAttachment::None,
        },
    }
}

/// What a verified assertion said: its counter and flags, read from the
/// authenticator data the signature covers (byte 32 the flags, UV = 0x04;
/// bytes 33..37 the counter, big-endian).
fn assertion_of(dynamic: &DynamicState, authenticator_data: &[u8], passkey: &Passkey) -> PasskeyAssertion {
    let flags = authenticator_data.get(32).copied().unwrap_or_default();
    let counter = authenticator_data
        .get(33..37)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(dynamic.sign_count, u32::from_be_bytes);
    PasskeyAssertion {
        credential_id: passkey.credential_id.clone(),
        counter,
        backed_up: matches!(dynamic.backup, Backup::Exists),
        user_verified: flags & 0x04 != 0,
    }
}

/// The shape of an assertion's authenticator data, checked before its
/// ceremony is taken (the library parses it only when verifying): 32 bytes
/// of RP ID hash, the flags, the 4-byte counter, then extensions (CBOR)
/// only when the ED flag (0x80) says so, and never attested credential
/// data (AT, 0x40) in an assertion. What fails this is a malformed request
/// (400, nothing written, the ceremony still open), not a failed factor.
fn well_formed(authenticator_data: &[u8]) -> Result<(), Refused> {
    let malformed = || Refused::Malformed("authenticatorData is not an assertion's authenticator data".into());
    let flags = *authenticator_data.get(32).ok_or_else(malformed)?;
    let with_extensions = flags & 0x80 != 0;
    let fits = if with_extensions { authenticator_data.len() > 37 } else { authenticator_data.len() == 37 };
    if flags & 0x40 != 0 || !fits {
        return Err(malformed());
    }
    Ok(())
}

fn backup_flags(backup: Backup) -> (bool, bool) {
    match backup {
        Backup::NotEligible => (false, false),
        Backup::Eligible => (true, false),
        Backup::Exists => (true, true),
    }
}

fn descriptor(passkey: &Passkey) -> Option<PublicKeyCredentialDescriptor<Vec<u8>>> {
    let (id, _) = stored_key(passkey)?;
    Some(PublicKeyCredentialDescriptor { id, transports: AuthTransports::NONE })
}

fn handle_of(account_id: Uuid) -> Handle {
    match Handle::decode(account_id.into_bytes()) {
        Ok(handle) => handle,
        Err(never) => match never {},
    }
}

/// A fault of ours (a setting, the library), logged, answered as 500.
fn internal(what: &str) -> ApiError {
    tracing::error!(what, "passkeys");
    ApiError::internal()
}

/// `scheme://host[:port]` of a URL: what a browser reports as the origin.
fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    format!("{scheme}://{}", host.to_ascii_lowercase())
}

/// The store's key of a ceremony: its challenge, in hex.
fn key(challenge: SentChallenge) -> String {
    format!("{:032x}", challenge.0)
}

async fn store(app: &App, key: &str, purpose: Purpose, state: &[u8], now: OffsetDateTime) -> Result<(), ApiError> {
    let doc = serde_json::to_value(Waiting { purpose, state: BASE64URL_NOPAD.encode(state) })
        .map_err(|e| internal(&e.to_string()))?;
    app.state.put_doc(CEREMONIES, key, 1, &doc, Some(now + CEREMONY_TTL)).await?;
    Ok(())
}

async fn take(app: &App, key: &str, now: OffsetDateTime) -> Result<(Purpose, Vec<u8>), Refused> {
    let doc = app.state.take_doc(CEREMONIES, key, now).await.map_err(Refused::Store)?.ok_or(Refused::Unknown)?;
    let waiting: Waiting = serde_json::from_value(doc).map_err(|_| Refused::Unknown)?;
    let state = BASE64URL_NOPAD.decode(waiting.state.as_bytes()).map_err(|_| Refused::Unknown)?;
    Ok((waiting.purpose, state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_assertions_authenticator_data_is_well_formed() {
        let mut data = vec![0u8; 37];
        data[32] = 0x05;
        assert!(well_formed(&data).is_ok());
        for bad in [&data[..36], &[data.as_slice(), &[0xa0]].concat()[..]] {
            assert!(matches!(well_formed(bad), Err(Refused::Malformed(_))), "{bad:?}");
        }
        data[32] = 0x45;
        assert!(well_formed(&data).is_err(), "attested credential data has no place here");
        data[32] = 0x85;
        assert!(well_formed(&data).is_err(), "extensions announced, none there");
    }

    #[test]
    fn the_origin_is_scheme_host_and_port() {
        assert_eq!(origin_of("https://Portal.Example/sub/path"), "https://portal.example");
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }

    #[test]
    fn the_relying_party_id_is_the_public_hosts_and_extra_origins_count() {
        let mut settings = Settings::new("P", "https://portal.example:8443/app");
        settings.webauthn_origins = vec!["https://login.portal.example".into()];
        let rp = RelyingParty::of(&settings).unwrap();
        assert_eq!(rp.rp_id.as_ref(), "portal.example");
        assert_eq!(rp.origins, ["https://portal.example:8443", "https://login.portal.example"]);
    }
}
