//! What every event-sourced thing of the domain shares: its state is a
//! fold of its stream's events, and a decision on it gives events to
//! append plus an answer that holds only once they are stored. The runner
//! that loads, decides, appends and retries on a lost race
//! (`functions::decisions`) works through this trait alone.

use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::Refusal;
use crate::codec::{EventCodec, Recorded};

/// The state serializes for snapshots (`functions::decisions`): a cache of
/// the fold at some version, stored beside the stream, so a load folds only
/// the events after it. Restoring a snapshot and folding the rest must give
/// exactly the state a fold of the whole stream gives.
pub trait Aggregate: Default + Clone + Serialize + DeserializeOwned {
    type Event: EventCodec;

    /// The version of the fold (`apply` and the state's shape): bump it
    /// whenever either changes, so snapshots made by the old fold are
    /// ignored (the stream is folded from its start, then snapshotted
    /// again). `tests` in each aggregate's module pin the shape.
    const FOLD_VERSION: u32;

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
        Self::default().folded(events)
    }

    /// This state (a snapshot's, say) with `events` folded in after it.
    fn folded<'a>(mut self, events: impl IntoIterator<Item = &'a Recorded<Self::Event>>) -> Self
    where
        Self::Event: 'a,
    {
        for recorded in events {
            self.apply(recorded);
        }
        self
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
