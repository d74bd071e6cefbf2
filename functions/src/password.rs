//! Password hashing: argon2id with the OWASP parameters m=19456 KiB, t=2,
//! p=1, stored as PHC strings. A hash made under other parameters verifies
//! as before and is replaced on that login (`PasswordCheck::rehashed`).
//!
//! Every argon2 run goes through `Passwords::run`, which bounds how many run
//! at once: each takes 19 MiB and a core for about 30 ms, and unbounded, 200
//! logins at once took the portal to 500 threads and 4 GB. Beyond the bound
//! a short queue waits; beyond the queue the answer is 503 `unavailable`
//! with `Retry-After`, and nothing is written. A Lambda instance runs one
//! request at a time, so there the bound never bites.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use events::account::PasswordCheck;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::http::ApiError;

#[derive(Clone)]
pub struct Passwords {
    params: Params,
    /// argon2 verifications so far; lets tests show that unknown emails and
    /// wrong passwords cost the same work.
    verifications: Arc<AtomicU64>,
    /// Verifications of an imported account's bcrypt, PBKDF2 or scrypt hash.
    legacy_verifications: Arc<AtomicU64>,
    /// argon2 hashes made so far; lets benchmarks take argon2 out of a
    /// request's cost.
    hashes: Arc<AtomicU64>,
    /// A hash of a random password under the same parameters: verified
    /// against on unknown emails so both paths cost one argon2 run. Made on
    /// first use, not at start: a Lambda cold start would otherwise spend
    /// an argon2 run (about 30 ms) before answering anything.
    dummy: Arc<OnceLock<String>>,
    limit: Limit,
}

/// The argon2 runs at once (`permits`) and the callers that may wait for
/// one (`queue`).
#[derive(Clone)]
struct Limit {
    permits: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    queue: usize,
}

impl Limit {
    fn new(permits: usize, queue: usize) -> Self {
        Limit { permits: Arc::new(Semaphore::new(permits)), waiting: Arc::default(), queue }
    }

    /// One run per core, and a queue of sixteen runs per core: a waiter
    /// waits at most about half a second (16 runs of about 30 ms), about as
    /// long as a refused client is told to wait (`Retry-After: 1`).
    fn per_core() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Self::new(cores, 16 * cores)
    }
}

/// The right to run argon2 once; held for the run.
pub struct PasswordPermit(#[allow(dead_code)] OwnedSemaphorePermit);

/// Leaves the queue however the wait ends (also when the request is dropped).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Passwords {
    pub const M_KIB: u32 = 19_456;
    pub const T: u32 = 2;
    pub const P: u32 = 1;

    pub fn standard() -> Self {
        Self::with_params(Self::M_KIB, Self::T, Self::P)
    }

    pub fn with_params(m_kib: u32, t: u32, p: u32) -> Self {
        let params = Params::new(m_kib, t, p, None).expect("valid argon2 parameters");
        Passwords {
            params,
            verifications: Arc::default(),
            legacy_verifications: Arc::default(),
            hashes: Arc::default(),
            dummy: Arc::default(),
            limit: Limit::per_core(),
        }
    }

    /// At most `permits` argon2 runs at once, `queue` callers waiting.
    pub fn with_limit(mut self, permits: usize, queue: usize) -> Self {
        self.limit = Limit::new(permits, queue);
        self
    }

    /// Waits for a turn to run argon2, or refuses with 503 when the queue
    /// is full.
    pub async fn permit(&self) -> Result<PasswordPermit, ApiError> {
        if let Ok(permit) = self.limit.permits.clone().try_acquire_owned() {
            return Ok(PasswordPermit(permit));
        }
        let waiting = Waiting(&self.limit.waiting);
        if self.limit.waiting.fetch_add(1, Ordering::SeqCst) >= self.limit.queue {
            drop(waiting);
            tracing::debug!("argon2 queue full; answering 503");
            return Err(ApiError::unavailable());
        }
        let permit = self.limit.permits.clone().acquire_owned().await.expect("the semaphore is never closed");
        drop(waiting);
        Ok(PasswordPermit(permit))
    }

    /// Runs `work` (the hashing or verifying) off the async threads, within
    /// the bound: the one way handlers reach argon2.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Passwords) -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let permit = self.permit().await?;
        let passwords = self.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work(&passwords)
        })
        .await
        .map_err(|_| ApiError::internal())
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    pub fn hash(&self, password: &str) -> String {
        self.hashes.fetch_add(1, Ordering::Relaxed);
        self.argon2().hash_password(password.as_bytes()).expect("argon2 hashing with valid parameters").to_string()
    }

    /// Verifies against a stored PHC string. A stored hash that does not
    /// parse counts as a wrong password (and is logged by the caller as
    /// corrupt data, never with the password).
    ///
    /// The hash of an imported account may be of another system's format
    /// (`crate::legacy_hash`: bcrypt, PBKDF2, scrypt): it is verified here,
    /// within the same bound on runs as argon2, and a correct password is
    /// always rehashed, so the old format is gone after the first sign-in.
    pub fn verify(&self, stored: &str, password: &str) -> PasswordCheck {
        if let Some(correct) = crate::legacy_hash::verify(stored, password) {
            self.legacy_verifications.fetch_add(1, Ordering::Relaxed);
            return PasswordCheck { correct, rehashed: correct.then(|| self.hash(password)) };
        }
        let Ok(parsed) = PasswordHash::new(stored) else {
            // Still one argon2 run, so a broken record costs the same time.
            return self.verify_dummy(password);
        };
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let correct = self.argon2().verify_password(password.as_bytes(), &parsed).is_ok();
        let rehashed = (correct && !self.is_current(&parsed)).then(|| self.hash(password));
        PasswordCheck { correct, rehashed }
    }

    /// The same work as `verify`, for an email without an account.
    pub fn verify_dummy(&self, password: &str) -> PasswordCheck {
        let dummy = self.dummy.get_or_init(|| {
            let random = data_encoding::HEXLOWER.encode(&crate::crypto::random_bytes::<16>());
            self.hash(&random)
        });
        let _ = self.verify(dummy, password);
        PasswordCheck { correct: false, rehashed: None }
    }

    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    pub fn legacy_verifications(&self) -> u64 {
        self.legacy_verifications.load(Ordering::Relaxed)
    }

    pub fn hashes(&self) -> u64 {
        self.hashes.load(Ordering::Relaxed)
    }

    fn is_current(&self, parsed: &PasswordHash) -> bool {
        let param = |name: &str| parsed.params.get_decimal(name);
        parsed.algorithm.as_str() == "argon2id"
            && parsed.version == Some(0x13)
            && param("m") == Some(self.params.m_cost())
            && param("t") == Some(self.params.t_cost())
            && param("p") == Some(self.params.p_cost())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_phc_strings_with_the_policy_parameters() {
        let p = Passwords::standard();
        let h = p.hash("correct horse battery");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(p.verify(&h, "correct horse battery").correct);
        assert!(!p.verify(&h, "correct horse batterx").correct);
    }

    #[test]
    fn long_passwords_are_not_truncated() {
        let p = Passwords::with_params(1024, 1, 1);
        let base = "a".repeat(200);
        let h = p.hash(&format!("{base}1"));
        assert!(!p.verify(&h, &format!("{base}2")).correct);
    }

    #[test]
    fn an_older_policy_is_rehashed_on_a_correct_password_only() {
        let old = Passwords::with_params(4096, 1, 1);
        let h = old.hash("correct horse battery");
        let current = Passwords::standard();
        let check = current.verify(&h, "correct horse battery");
        assert!(check.correct);
        let new = check.rehashed.expect("rehashed");
        assert!(new.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(current.verify(&new, "correct horse battery").rehashed.is_none());
        assert!(current.verify(&h, "wrong").rehashed.is_none());
    }

    #[tokio::test]
    async fn beyond_the_runs_and_the_queue_the_answer_is_503_with_retry_after() {
        let p = Passwords::with_params(1024, 1, 1).with_limit(1, 1);
        let busy = p.permit().await.unwrap();
        // The second caller waits in the queue...
        let queued = tokio::spawn({
            let p = p.clone();
            async move { p.run(|p| p.hash("queued")).await }
        });
        while p.limit.waiting.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        // ...the third finds the queue full and runs nothing.
        let refused = p.run(|p| p.hash("refused")).await.unwrap_err();
        assert_eq!((refused.status, refused.code, refused.retry_after), (503, "unavailable", Some(1)));
        assert_eq!(p.hashes(), 0);
        drop(busy);
        assert!(queued.await.unwrap().is_ok());
        assert_eq!(p.hashes(), 1);
        assert_eq!(p.limit.waiting.load(Ordering::SeqCst), 0, "the queue is empty again");
        assert!(p.run(|p| p.hash("again")).await.is_ok());
    }

    #[test]
    fn garbage_hashes_verify_as_wrong() {
        assert!(!Passwords::with_params(1024, 1, 1).verify("not a hash", "x").correct);
    }
}
