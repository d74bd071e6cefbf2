//! The event model of the portal's second-factor authentication.
//!
//! Everything here is pure: domain events (serde, versioned), the state of
//! each aggregate as a fold over its events, and the decisions
//! (command + state + clock reading -> new events or a refusal). No I/O, no
//! AWS, no async runtime. Time is always passed in, so every rule
//! (lockouts, TOTP step reuse, recovery codes, expiries) is testable with a
//! fixed clock.

pub mod account;
pub mod aggregate;
pub mod altcha;
pub mod codec;
pub mod email;
pub mod factor_reset;
pub mod import;
pub mod lockout;
pub mod notice;
pub mod oidc;
pub mod password_policy;
pub mod phone;
pub mod quota;
pub mod refusal;
pub mod retention;
pub mod sealed;
pub mod staff;
pub mod totp;
pub mod username;
pub mod working_days;

pub use aggregate::{Aggregate, Decision};
pub use codec::{EventCodec, EventRecord};
pub use refusal::Refusal;
pub use sealed::Sealed;
pub use time::OffsetDateTime;
pub use uuid::Uuid;
