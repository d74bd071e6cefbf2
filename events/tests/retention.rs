//! Retention: once sign-in activity has expired and been deleted, a fold
//! of what is left decides exactly as a fold of everything.
//!
//! A year of use is simulated through the real decisions (sign-ins with
//! mistyped passwords and codes, attacks on the password, recovery codes,
//! logouts, abandoned authenticator setups, password-reset links), with a
//! seeded generator so a failure replays. At checkpoints the events whose
//! expiry has passed are dropped, as the stores do (a stream's newest event
//! aside, which SQLite keeps and which on DynamoDB the head stands for),
//! and both folds must decide the same at that moment.

use events::account::state::ENDED_SESSIONS_KEPT;
use events::account::{
    Account, AccountEvent, AccountPolicy, Activation, Auth, Decision, Locale, LoginOutcome, NewRecoveryCodes,
    PasswordCheck, SecondFactorProof,
};
use events::codec::Recorded;
use events::lockout::{Failures, LockoutPolicy};
use events::retention::{Retention, RetentionPolicy};
use events::totp::{self, DIGITS};
use events::{Aggregate, EventCodec, Refusal};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

const T0: OffsetDateTime = datetime!(2026-01-05 08:00:00 UTC);
const SECRET: &[u8] = b"01234567890123456789";
const SEALED: &str = "sealed-secret";

/// The simulated account: its events, a clock and a generator.
struct Life {
    events: Vec<Recorded<AccountEvent>>,
    now: OffsetDateTime,
    seed: u64,
    ids: u128,
    policy: AccountPolicy,
}

impl Life {
    fn new(seed: u64) -> Life {
        let mut life = Life {
            events: Vec::new(),
            now: T0,
            seed: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            ids: 100,
            policy: AccountPolicy::default(),
        };
        let registered = events::account::register(events::account::Registration {
            account_id: Uuid::from_u128(1),
            email: events::Sealed::from_ciphertext("anna@example.de".into()),
            name: events::Sealed::from_ciphertext("Anna".into()),
            password_hash: "$argon2id$...".into(),
            roles: Vec::new(),
            locale: Locale::De,
        });
        life.record(registered);
        life
    }

    /// xorshift64*: small, seeded, good enough to vary a history.
    fn below(&mut self, n: u64) -> u64 {
        self.seed ^= self.seed >> 12;
        self.seed ^= self.seed << 25;
        self.seed ^= self.seed >> 27;
        self.seed.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }

    fn id(&mut self) -> Uuid {
        self.ids += 1;
        Uuid::from_u128(self.ids)
    }

    fn state(&self) -> Account {
        Account::from_events(&self.events)
    }

    fn record(&mut self, events: Vec<AccountEvent>) {
        for event in events {
            let version = self.events.len() as u64 + 1;
            self.events.push(Recorded { version, at: self.now, event });
        }
    }

    fn decided<T>(&mut self, decision: Decision<T>) -> Result<T, Refusal> {
        self.record(decision.events);
        decision.outcome
    }

    fn pass(&mut self, d: Duration) {
        self.now += d;
    }

    fn code(&self) -> String {
        totp::code_at_step(SECRET, totp::step_at(self.now), DIGITS)
    }

    fn login(&mut self, correct: bool) -> Result<LoginOutcome, Refusal> {
        let (login_id, session_id) = (self.id(), self.id());
        let check = PasswordCheck { correct, rehashed: None };
        let decision = self.state().login(check, login_id, session_id, self.now, &self.policy);
        self.decided(decision)
    }

    /// A sign-in as a person makes it: the password (mistyped now and
    /// then), then what it owes: a code (mistyped now and then), a recovery
    /// code, or the authenticator's setup.
    fn sign_in(&mut self) {
        for _ in 0..self.below(3) {
            let _ = self.login(false);
        }
        match self.login(true) {
            Ok(LoginOutcome::Required { login_id, .. }) => self.second_step(login_id),
            Ok(LoginOutcome::SetupRequired { login_id, .. }) => self.set_up(Auth::Mfa { login_id }, true),
            Ok(LoginOutcome::Authenticated { .. }) | Err(_) => {}
        }
    }

    fn second_step(&mut self, login_id: Uuid) {
        if self.below(5) == 0 {
            let session_id = self.id();
            let proof = SecondFactorProof::Totp { secret: SECRET, code: "000000" };
            let decision = self.state().verify(login_id, proof, session_id, self.now, &self.policy);
            let _ = self.decided(decision);
        }
        let session_id = self.id();
        let hash = format!("h{}", self.below(10));
        let code = self.code();
        let proof = if self.below(20) == 0 {
            SecondFactorProof::RecoveryCode { hash: Some(&hash) }
        } else {
            SecondFactorProof::Totp { secret: SECRET, code: &code }
        };
        let decision = self.state().verify(login_id, proof, session_id, self.now, &self.policy);
        let _ = self.decided(decision);
    }

    /// Starts an authenticator setup and confirms it, or abandons it.
    fn set_up(&mut self, auth: Auth, confirm: bool) {
        let setup_id = self.id();
        let code = self.code();
        let step_up =
            self.state().has_second_factor().then_some(SecondFactorProof::Totp { secret: SECRET, code: &code });
        let decision = self.state().start_totp_setup(&auth, step_up, setup_id, SEALED.into(), self.now, &self.policy);
        if self.decided(decision).is_err() || !confirm {
            return;
        }
        self.pass(Duration::seconds(40));
        let codes = NewRecoveryCodes { set_id: self.id(), hashes: (0..10).map(|i| format!("h{i}")).collect() };
        let session_id = self.id();
        let code = self.code();
        let activation = Activation { auth: &auth, codes, session_id };
        let decision = self.state().confirm_totp(activation, SECRET, &code, self.now, &self.policy);
        let _ = self.decided(decision);
    }

    fn live_session(&self) -> Option<Uuid> {
        let state = self.state();
        state.sessions.keys().copied().find(|id| state.session_active(*id, self.now))
    }

    /// One visit: mostly a sign-in, sometimes something else.
    fn visit(&mut self) {
        match self.below(20) {
            0..=12 => self.sign_in(),
            13 | 14 => {
                if let Some(session_id) = self.live_session() {
                    let decision = self.state().logout(session_id, self.now);
                    let _ = self.decided(decision);
                }
            }
            15 => {
                if let Some(session_id) = self.live_session() {
                    self.set_up(Auth::Session { session_id }, false);
                }
            }
            16 => {
                let (token_id, policy) = (self.id(), self.policy);
                let decision = self.state().request_password_reset(token_id, "hash".into(), self.now, &policy);
                let _ = self.decided(decision);
            }
            _ => {
                // Someone tries passwords: a burst, locked out before long.
                for _ in 0..self.below(25) {
                    let _ = self.login(false);
                    self.pass(Duration::seconds(20));
                }
            }
        }
    }

    /// What is left at `now`: kept events, sign-in activity not yet
    /// expired, and the stream's newest event.
    fn retained(&self, policy: &RetentionPolicy) -> Vec<Recorded<AccountEvent>> {
        let newest = self.events.len() as u64;
        self.events
            .iter()
            .filter(|r| {
                r.version == newest || policy.expires_at(r.event.retention(), r.at).is_none_or(|t| t > self.now)
            })
            .cloned()
            .collect()
    }
}

/// Every later decision needs only this much of a failure streak: ten free
/// attempts, then locks of 1, 2, .. 32 minutes, then the hour's cap.
const SATURATED: u32 = LockoutPolicy::STANDARD.free_attempts + 6;

fn streak(f: Failures, now: OffsetDateTime) -> Failures {
    let f = f.current(now);
    Failures { count: f.count.min(SATURATED), ..f }
}

/// The state as the decisions at `now` see it: what has expired by then
/// (and so decides nothing) removed, history before the horizon unknown.
fn as_seen(mut a: Account, now: OffsetDateTime, horizon: OffsetDateTime) -> Account {
    a.logins.retain(|_, l| l.expires_at > now);
    a.sessions.retain(|_, s| s.expires_at > now);
    a.ended_sessions.retain(|_, at| *at + ENDED_SESSIONS_KEPT > now);
    a.sms_sent.retain(|t| *t > now - Duration::DAY);
    a.password_resets_sent.retain(|t| *t > now - Duration::HOUR);
    a.pending_sms = a.pending_sms.filter(|p| p.expires_at > now);
    a.pending_totp = a.pending_totp.filter(|p| p.expires_at > now);
    a.pending_password_reset = a.pending_password_reset.filter(|p| p.expires_at > now);
    a.password_failures = streak(a.password_failures, now);
    a.second_factor_failures = streak(a.second_factor_failures, now);
    a.last_login_at = a.last_login_at.filter(|t| *t >= horizon);
    // A step older than the one before now's refuses no code that `verify`
    // would look at (`totp::check_code` looks at now's step and its
    // neighbours).
    a.last_totp_step = a.last_totp_step.filter(|s| s + 1 >= totp::step_at(now));
    a
}

/// The decisions a request at `now` could ask for, on one state.
fn decisions(a: &Account, now: OffsetDateTime, policy: &AccountPolicy) -> Vec<String> {
    let (login_id, session_id) = (Uuid::from_u128(7), Uuid::from_u128(8));
    let code = totp::code_at_step(SECRET, totp::step_at(now), DIGITS);
    let login = a.login(PasswordCheck { correct: true, rehashed: None }, login_id, session_id, now, policy);
    let passed = a.clone().folded(
        &(a.version + 1..)
            .zip(&login.events)
            .map(|(version, event)| Recorded { version, at: now, event: event.clone() })
            .collect::<Vec<_>>(),
    );
    vec![
        format!("{login:?}"),
        format!("{:?}", a.login(PasswordCheck { correct: false, rehashed: None }, login_id, session_id, now, policy)),
        format!(
            "{:?}",
            passed.verify(login_id, SecondFactorProof::Totp { secret: SECRET, code: &code }, session_id, now, policy)
        ),
        format!(
            "{:?}",
            passed.verify(
                login_id,
                SecondFactorProof::Totp { secret: SECRET, code: "123456" },
                session_id,
                now,
                policy
            )
        ),
        format!(
            "{:?}",
            passed.verify(login_id, SecondFactorProof::RecoveryCode { hash: Some("h3") }, session_id, now, policy)
        ),
        format!("{:?}", a.request_password_reset(login_id, "hash".into(), now, policy)),
    ]
}

#[test]
fn a_year_of_use_decides_the_same_once_old_sign_in_activity_is_gone() {
    let retention = RetentionPolicy::sign_in_activity_days(Some(RetentionPolicy::MIN_DAYS)).unwrap();
    let mut compared = 0;
    let mut dropped = 0;
    for seed in 0..40 {
        let mut life = Life::new(seed);
        let mut quiet_days = 0;
        for day in 1..=365 {
            for _ in 0..life.below(3) {
                life.visit();
                let pause = life.below(6 * 3600) as i64;
                life.pass(Duration::seconds(pause));
            }
            // Quiet weeks now and then, so whole streams of activity expire.
            if life.below(30) == 0 {
                quiet_days += 20;
            }
            life.now = life.now.max(T0 + Duration::days(day + quiet_days) + Duration::hours(8));
            if day % 45 != 0 {
                continue;
            }
            let now = life.now;
            let retained = life.retained(&retention);
            dropped += life.events.len() - retained.len();
            let all = life.state();
            let mut left = Account::from_events(&retained);
            // What the store's version says (the head), as `load` does.
            left.version = all.version;
            let horizon = retention.horizon(now).unwrap();
            assert_eq!(
                as_seen(left.clone(), now, horizon),
                as_seen(all.clone(), now, horizon),
                "seed {seed}, day {day}: the states differ"
            );
            assert_eq!(
                decisions(&left, now, &life.policy),
                decisions(&all, now, &life.policy),
                "seed {seed}, day {day}"
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 40 * 8);
    assert!(dropped > 10_000, "the simulation must expire a lot to show anything: {dropped}");
}

#[test]
fn what_is_kept_and_what_expires() {
    let policy = RetentionPolicy::default();
    let mut life = Life::new(1);
    life.sign_in(); // the first login, without a factor
    life.pass(Duration::days(1));
    life.sign_in(); // owes a setup: sets up the app
    life.pass(Duration::days(1));
    life.sign_in();
    let classes: Vec<(String, Retention)> =
        life.events.iter().map(|r| (r.event.encode().event_type, r.event.retention())).collect();
    let first_pass = classes.iter().position(|(t, _)| t == "password_passed").unwrap();
    assert_eq!(classes[first_pass].1, Retention::Kept, "the first login without a factor is kept: {classes:?}");
    for (event_type, class) in &classes[first_pass + 1..] {
        let expected = match event_type.as_str() {
            "totp_activated" | "recovery_codes_issued" | "sessions_ended" | "recovery_code_used" => Retention::Kept,
            _ => Retention::SignInActivity,
        };
        assert_eq!(*class, expected, "{event_type}");
    }
    assert!(classes.iter().any(|(t, _)| t == "totp_setup_started"));
    assert_eq!(
        policy.expires_at(Retention::SignInActivity, T0),
        Some(T0 + Duration::days(RetentionPolicy::DEFAULT_DAYS))
    );
}
