//! The event-store conformance suite on the SQLite adapter (embedded
//! backend), with a small page size so loads really page.

use functions::adapters::sqlite::Sqlite;

acceptance::store_conformance!(Sqlite::in_memory().unwrap().with_page_size(7));
