//! The event-store conformance suite on the SQLite adapter (embedded
//! backend), with a small page size so loads really page.

use functions::adapters::sqlite::Sqlite;

acceptance::store_conformance!(Sqlite::in_memory().unwrap().with_page_size(7));

mod made_before_the_schema_had_a_version {
    use events::Aggregate;
    use events::account::{self, Account};
    use events::sealed::Content;
    use functions::adapters::sqlite::Sqlite;
    use functions::ports::outbox::Outbox;
    use functions::ports::state::StateStore;
    use functions::ports::store::{EventStore, decode};
    use time::macros::datetime;

    /// `tests/fixtures/portal-db-2026-12-02.sql` loaded into a file, as the
    /// portal of that day left it.
    fn old_database() -> (tempfile_dir::Dir, std::path::PathBuf) {
        let dir = tempfile_dir::Dir::new();
        let path = dir.0.join("portal.db");
        let dump = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/portal-db-2026-12-02.sql"))
            .expect("the fixture");
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(&dump).unwrap();
        assert_eq!(conn.pragma_query_value(None, "user_version", |r| r.get::<_, u32>(0)).unwrap(), 0);
        (dir, path)
    }

    async fn account(db: &Sqlite, email: &str) -> Account {
        let owner = db.claim_owner(&account::legacy_email_claim(email)).await.unwrap().expect("the email's claim");
        let id = owner.strip_prefix("account#").unwrap().parse().unwrap();
        assert_eq!(Account::stream_id(id), owner);
        Account::from_events(&decode(&db.load(&owner).await.unwrap()).unwrap())
    }

    #[tokio::test]
    async fn opens_migrated_with_every_account_counter_marker_and_mail() {
        let (_dir, path) = old_database();
        let db = Sqlite::open(&path).unwrap();

        let anna = account(&db, "anna@example.de").await;
        // Written before sealing: plaintext, read as legacy values.
        assert_eq!((anna.name.content(), anna.version), (Content::Legacy("Anna Beispiel"), 14));
        assert!(anna.totp.is_some(), "the authenticator app");
        assert_eq!(anna.recovery_codes_remaining(), 9, "ten issued, one proved the app password");
        assert_eq!(anna.app_passwords.len(), 1);
        assert_eq!(anna.app_passwords[0].name.content(), Content::Legacy("Thunderbird"));
        assert_eq!(anna.password_resets_sent.len(), 1);
        let ben = account(&db, "ben@example.com").await;
        assert_eq!((ben.name.content(), ben.version), (Content::Legacy("Ben"), 1));
        assert!(!ben.has_second_factor());

        let at = datetime!(2026-12-02 18:01 UTC);
        let unknown = "login-failures#63dd009170ebe70eb35e9d8c5fc7de27f40ce390fe88bd11ef6aff5d0e100f4a";
        assert_eq!(db.failures(unknown, at).await.unwrap().count, 1, "the unknown email's failed login");
        for version in [8, 12, 13] {
            let sent = format!("mail#account#af252202-c4e7-401b-a54a-6b4fbc183106#{version}");
            assert!(!db.mark_once(&sent, at).await.unwrap(), "{sent}: sent before, not again");
        }
        assert_eq!(db.checkpoint("projector").await.unwrap(), 15, "the projector goes on after the last event");
        let mails = db.items().await.unwrap();
        assert_eq!(mails.len(), 4);
        assert!(mails.iter().any(|m| m.subject.contains("Passwort zurücksetzen")), "the reset link's mail");
        drop(db);

        // Open again: nothing left to migrate, nothing lost.
        let db = Sqlite::open(&path).unwrap();
        assert_eq!(account(&db, "anna@example.de").await.version, 14);
        let conn = rusqlite::Connection::open(&path).unwrap();
        let version: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        // 1: the first versioned schema; 2: the snapshots' table; 3: the
        // events' expiry.
        assert_eq!(version, 3, "migrated to the current schema");
        // Events written before retention existed never expire.
        let far = at + time::Duration::days(36_500);
        assert_eq!(db.delete_expired(far).await.unwrap(), 0);
        assert_eq!(account(&db, "anna@example.de").await.version, 14);
    }

    /// The embedded backend moves the fixture's claims (keyed by the
    /// address itself) to keyed keys when it opens, once: afterwards no
    /// claim holds an address, and every account is found as before.
    #[tokio::test]
    async fn the_embedded_backend_keys_the_old_claims_at_open() {
        use functions::backend::embedded::Embedded;
        let (dir, _path) = old_database();
        let open = || {
            let clock = std::sync::Arc::new(functions::ports::clock::SystemClock);
            Embedded::open(&dir.0, acceptance::harness::settings(), clock, acceptance::harness::cheap_passwords())
                .unwrap()
        };
        let embedded = open();
        let conn = rusqlite::Connection::open(dir.0.join("portal.db")).unwrap();
        let keys = |conn: &rusqlite::Connection| -> Vec<String> {
            let mut stmt = conn.prepare("SELECT key FROM claims ORDER BY key").unwrap();
            stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
        };
        let moved = keys(&conn);
        assert_eq!(moved.len(), 2, "anna's and ben's");
        assert!(moved.iter().all(|k| k.starts_with("email#") && !k.contains('@')), "{moved:?}");
        assert!(moved.contains(&embedded.app.email_claim("anna@example.de")));
        let anna = embedded.app.account_for_email("anna@example.de").await.unwrap().expect("anna's account");
        assert_eq!(embedded.db.claim_owner(&account::legacy_email_claim("anna@example.de")).await.unwrap(), None);
        drop(embedded);
        // Open again: the same keys, the same account.
        let embedded = open();
        assert_eq!(keys(&conn), moved);
        assert_eq!(embedded.app.account_for_email("anna@example.de").await.unwrap(), Some(anna));
    }

    /// A directory removed at the end of the test.
    mod tempfile_dir {
        pub struct Dir(pub std::path::PathBuf);

        impl Dir {
            pub fn new() -> Dir {
                let path = std::env::temp_dir().join(format!("portal-schema-{}", uuid::Uuid::new_v4()));
                std::fs::create_dir(&path).unwrap();
                Dir(path)
            }
        }

        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }
}
