//! What every event-sourced thing of the domain shares: its state is a
//! fold of its stream's events, and a decision on it gives events to
//! append plus an answer that holds only once they are stored. The runner
//! that loads, decides, appends and retries on a lost race
//! (`functions::decisions`) works through this trait alone.

use uuid::Uuid;

use crate::Refusal;
use crate::codec::{EventCodec, Recorded};

pub trait Aggregate: Default {
    type Event: EventCodec;

    /// What a decision answers when the stream has no events yet.
    const MISSING: Refusal;

    /// The stream's name, e.g. `account#<id>`.
    fn stream_id(id: Uuid) -> String;

    /// One more event (in order, each exactly once).
    fn apply(&mut self, recorded: &Recorded<Self::Event>);

    /// The number of events folded in: what an append expects the stream
    /// to be at.
    fn version(&self) -> u64;

    fn exists(&self) -> bool {
        self.version() > 0
    }

    fn from_events<'a>(events: impl IntoIterator<Item = &'a Recorded<Self::Event>>) -> Self
    where
        Self::Event: 'a,
    {
        let mut state = Self::default();
        for recorded in events {
            state.apply(recorded);
        }
        state
    }
}

/// Events to append and the answer, which holds only once they are stored.
/// `E` is the stream's event type: the account's unless said otherwise.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision<T, E = crate::account::AccountEvent> {
    pub events: Vec<E>,
    pub outcome: Result<T, Refusal>,
}

impl<T, E> Decision<T, E> {
    pub(crate) fn refuse(refusal: Refusal) -> Self {
        Decision { events: Vec::new(), outcome: Err(refusal) }
    }

    pub(crate) fn ok(events: Vec<E>, outcome: T) -> Self {
        Decision { events, outcome: Ok(outcome) }
    }

    pub(crate) fn record_and_refuse(event: E, refusal: Refusal) -> Self {
        Decision { events: vec![event], outcome: Err(refusal) }
    }

    /// Transforms the answer, keeping the events.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Decision<U, E> {
        Decision { events: self.events, outcome: self.outcome.map(f) }
    }
}
