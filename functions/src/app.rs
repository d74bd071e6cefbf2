//! The application: the ports and settings every handler uses.

use std::sync::Arc;

use time::OffsetDateTime;

use crate::crypto::ServerSecret;
use crate::http::{Request, request};
use crate::password::Passwords;
use crate::personal_data::PersonalKeys;
use crate::ports::clock::Clock;
use crate::ports::keys::KeyRing;
use crate::ports::mail::Mailer;
use crate::ports::outbox::Outbox;
use crate::ports::signing::TokenSigner;
use crate::ports::sms::SmsSender;
use crate::ports::state::StateStore;
use crate::ports::store::{EventStore, Meta};
use crate::settings::Settings;

pub struct App {
    pub store: Arc<dyn EventStore>,
    pub state: Arc<dyn StateStore>,
    pub mailer: Arc<dyn Mailer>,
    pub sms: Arc<dyn SmsSender>,
    pub keys: Arc<dyn KeyRing>,
    /// Signs the OpenID Connect tokens (RS256).
    pub signer: Arc<dyn TokenSigner>,
    pub secret: ServerSecret,
    pub clock: Arc<dyn Clock>,
    pub passwords: Passwords,
    pub settings: Settings,
    /// The local outbox, present only on the embedded backend.
    pub outbox: Option<Arc<dyn Outbox>>,
    /// The accounts' data keys (`crate::personal_data`), shared with the
    /// projector so the key-encryption key is opened once per process.
    pub personal: Arc<PersonalKeys>,
}

/// What every handler knows about its request.
pub struct Ctx {
    pub now: OffsetDateTime,
    pub meta: Meta,
}

impl App {
    pub fn ctx(&self, req: &Request) -> Ctx {
        let now = self.clock.now();
        let meta = Meta {
            request_id: request::request_id(req),
            at: now,
            // Only the network (data minimisation, see `crate::client`).
            source_ip: request::source_ip(req)
                .and_then(|ip| crate::client::network_address(&ip))
                .map(|a| a.to_string()),
            client: request::client(req),
        };
        Ctx { now, meta }
    }
}
