//! The reset request: an owner who lost the second factor asks support to
//! remove it. One event stream per request (`reset#<uuid>`).
//!
//! `event` holds what happened, `state` what that adds up to, `decide` what
//! the owner and support staff may do. Submitting, approving and rejecting
//! change the owner's account too; those decisions return the events of
//! both streams (`JointDecision`), which the caller appends in ONE store
//! transaction, each stream at the version its state was folded from.
//!
//! Personal data from the form (names, phone, email) enters the log only
//! sealed, under a data key per request kept outside the log. Ninety days
//! after the decision the key is destroyed and `anonymise` records it
//! (crypto-shredding): the sealed form then reads as noise, everywhere,
//! backups included, without rewriting any event.

pub mod decide;
pub mod event;
pub mod number;
pub mod queue;
pub mod state;

pub use decide::{
    Approval, JointDecision, OnFile, ResetPolicy, SettingError, Staff, Submission, Submitted, match_flags,
};
pub use event::{MatchFlags, ResetEvent};
pub use number::RequestNumber;
pub use queue::QueueStatus;
pub use state::{ResetRequest, Status};

use uuid::Uuid;

/// The stream a reset request's events live in.
pub fn stream_id(request_id: Uuid) -> String {
    format!("reset#{request_id}")
}
