//! Password hashing: argon2id at OWASP's minimum parameters, always off the
//! async runtime, since one hash takes tens of milliseconds of CPU.
//!
//! Each hash needs 19 MiB of working memory. Allocating it per hash makes
//! the allocator keep a copy per thread that ever hashed (hundreds of MiB
//! under a login flood), so a few buffers, one per core, are reused instead,
//! and at most one hash per core runs at a time.
//!
//! Users imported from Django keep their Django hashes until they log in:
//! `django_hash` checks those, and a match is hashed again in argon2id.

use std::sync::{Arc, LazyLock, Mutex};

use anyhow::{Context, anyhow};
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};

use crate::auth::django_hash;
use crate::auth::hash_queue::Admitted;
use crate::auth::hash_slots::HashSlots;
use crate::store::users::PasswordHash as StoredHash;
use crate::telemetry::spawn_blocking_with_tracing;

/// OWASP: m = 19 MiB, t = 2, p = 1.
fn params() -> Params {
    Params::new(19_456, 2, 1, None).expect("valid argon2 parameters")
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// At most one hash per core at a time: more would only delay them all and
/// need more memory. The rest queue here, on the async side, holding no
/// thread, and are let in fairly between client addresses.
static HASHING: LazyLock<Arc<HashSlots>> = LazyLock::new(|| HashSlots::new(cores()));

/// Working memory of finished hashes, for the next ones.
static BUFFERS: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// Checked when the username is unknown, so that such a login costs the same
/// full verification as a wrong password and timing does not reveal which
/// usernames exist. Made from a random password at first use.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let mut memory = Vec::new();
    let hash = hash_now(&crate::auth::random_id(), &mut memory).expect("hashing a random password");
    give_back(memory);
    hash
});

fn take_buffer() -> Vec<Block> {
    BUFFERS
        .lock()
        .map(|mut b| b.pop())
        .ok()
        .flatten()
        .unwrap_or_default()
}

fn give_back(buffer: Vec<Block>) {
    // A buffer grown for an imported hash's larger parameters (Django's
    // argon2 takes 100 MiB) is freed, not kept for ours.
    if buffer.capacity() > params().block_count() {
        return;
    }
    if let Ok(mut buffers) = BUFFERS.lock()
        && buffers.len() < cores()
    {
        buffers.push(buffer);
    }
}

/// `memory` grown to what `params` needs (it usually already is).
fn blocks_for<'a>(memory: &'a mut Vec<Block>, params: &Params) -> &'a mut [Block] {
    if memory.len() < params.block_count() {
        memory.resize(params.block_count(), Block::default());
    }
    &mut memory[..params.block_count()]
}

fn hash_now(password: &str, memory: &mut Vec<Block>) -> anyhow::Result<String> {
    let params = params();
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|e| anyhow!("salt: {e}"))?;
    let mut out = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt_bytes,
            &mut out,
            blocks_for(memory, &params),
        )
        .map_err(|e| anyhow!("argon2: {e}"))?;
    let phc = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| anyhow!("argon2 params: {e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| anyhow!("argon2 output: {e}"))?),
    };
    Ok(phc.to_string())
}

/// Over these a stored argon2 hash is taken as corrupt, not checked: it
/// would hold a core (and its memory) for seconds per login attempt. Ours
/// use 19 MiB and 2 passes, Django's 100 MiB and 2 passes.
const MAX_ARGON2_MEMORY_KIB: u32 = 256 * 1024;
const MAX_ARGON2_PASSES: u32 = 16;

/// The parameters of an argon2 PHC string, if it parses, has a salt and a
/// hash, and they are within the caps.
pub(super) fn argon2_params(phc: &str) -> Option<Params> {
    let parsed = PasswordHash::new(phc).ok()?;
    parsed.salt.and(parsed.hash)?;
    let params = Params::try_from(&parsed).ok()?;
    (params.m_cost() <= MAX_ARGON2_MEMORY_KIB && params.t_cost() <= MAX_ARGON2_PASSES)
        .then_some(params)
}

fn verify_now(password: &str, phc: &str, memory: &mut Vec<Block>) -> bool {
    verify_phc(password, phc, Version::V0x13, memory)
}

/// Recomputes the hash of `password` with the stored salt and parameters and
/// compares the outputs in constant time (`Output`'s `PartialEq`). A string
/// without `v=` is of `default_version`.
pub(super) fn verify_phc(
    password: &str,
    phc: &str,
    default_version: Version,
    memory: &mut Vec<Block>,
) -> bool {
    let mut check = || -> Option<bool> {
        let parsed = PasswordHash::new(phc).ok()?;
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = Version::try_from(parsed.version.unwrap_or(default_version.into())).ok()?;
        let params = argon2_params(phc)?;
        let expected = parsed.hash?;
        let mut salt = [0u8; 64];
        let salt = parsed.salt?.decode_b64(&mut salt).ok()?;
        let mut out = vec![0u8; expected.len()];
        Argon2::new(algorithm, version, params.clone())
            .hash_password_into_with_memory(
                password.as_bytes(),
                salt,
                &mut out,
                blocks_for(memory, &params),
            )
            .ok()?;
        Some(Output::new(&out).ok()? == expected)
    };
    check().unwrap_or(false)
}

/// Hashing is the one CPU-bound job here: at the lowest OS priority it still
/// takes every idle cycle, but a cheap request (a token check, a note) no
/// longer waits behind it for a time slice. Set once per blocking thread;
/// if the OS refuses, hashing just runs at normal priority.
fn lower_priority() {
    thread_local! {
        static LOWERED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    LOWERED.with(|lowered| {
        if !lowered.replace(true)
            && let Err(e) =
                thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min)
        {
            tracing::debug!(error = ?e, "cannot lower the hashing thread's priority");
        }
    });
}

/// Runs one argon2 computation on the blocking pool once a slot is free,
/// with a reused buffer. The slot, and `held` (the caller's place in the
/// per-address queue), are released by the blocking task when the hash is
/// done, not when the request is: a client that hangs up cancels the
/// request, but not the hash, which would otherwise run on beside the next
/// one and let an address that keeps hanging up run any number at once.
async fn run_hashing<R: Send + 'static>(
    held: Option<Admitted>,
    work: impl FnOnce(&mut Vec<Block>) -> R + Send + 'static,
) -> anyhow::Result<R> {
    // Hashes asked for without a place (none of the request handlers do)
    // share one anonymous client.
    let client = held.as_ref().map_or("", Admitted::client);
    let slot = HASHING.acquire(client).await;
    spawn_blocking_with_tracing(move || {
        lower_priority();
        let mut memory = take_buffer();
        let result = work(&mut memory);
        // The buffer goes back before the slot does, so the hash the slot
        // lets in next finds it instead of allocating 19 MiB of its own.
        give_back(memory);
        drop((slot, held));
        result
    })
    .await
    .context("the hashing task failed")
}

/// Hashes a new password into a PHC string.
#[tracing::instrument(skip_all)]
pub async fn hash(password: String) -> anyhow::Result<StoredHash> {
    hash_in(None, password).await
}

/// [`hash`] for a request holding a place in the hashing queue.
#[tracing::instrument(skip_all)]
pub async fn hash_in(place: Option<Admitted>, password: String) -> anyhow::Result<StoredHash> {
    run_hashing(place, move |memory| hash_now(&password, memory))
        .await?
        .map(StoredHash)
}

/// What a password check found.
#[derive(Debug)]
pub enum Verified {
    /// A wrong password, an unknown user, or a stored hash of no format
    /// checked here.
    No,
    /// The password, stored in this server's argon2id.
    Yes,
    /// The password, stored in an imported (Django) format: `new` is it
    /// hashed in ours, to replace `old` (`store::users::upgrade_password_hash`).
    Rehashed { old: StoredHash, new: StoredHash },
}

impl Verified {
    pub fn matches(&self) -> bool {
        !matches!(self, Verified::No)
    }
}

/// Whether `password` matches `stored`; with no stored hash (unknown user)
/// it does the same work against a dummy hash and answers `false`.
#[tracing::instrument(skip_all)]
pub async fn verify(password: String, stored: Option<StoredHash>) -> anyhow::Result<bool> {
    verify_in(None, password, stored).await
}

/// [`verify`] for a request holding a place in the hashing queue.
#[tracing::instrument(skip_all)]
pub async fn verify_in(
    place: Option<Admitted>,
    password: String,
    stored: Option<StoredHash>,
) -> anyhow::Result<bool> {
    Ok(check_in(place, password, stored).await?.matches())
}

/// [`verify_in`], saying also whether the stored hash is to be replaced:
/// an imported hash that matches comes back with the password hashed in
/// argon2id, in the same trip to the blocking pool.
#[tracing::instrument(skip_all)]
pub async fn check_in(
    place: Option<Admitted>,
    password: String,
    stored: Option<StoredHash>,
) -> anyhow::Result<Verified> {
    run_hashing(place, move |memory| {
        let Some(StoredHash(stored)) = stored else {
            verify_now(&password, &DUMMY_HASH, memory);
            return Verified::No;
        };
        if stored.starts_with('$') {
            return match verify_now(&password, &stored, memory) {
                true => Verified::Yes,
                false => Verified::No,
            };
        }
        match django_hash::verify(&password, &stored, memory) {
            Some(true) => {}
            Some(false) => return Verified::No,
            // Unusable (`!…`), another hasher, or corrupt: it can never
            // match, but it costs the same hash as an unknown user.
            None => {
                verify_now(&password, &DUMMY_HASH, memory);
                return Verified::No;
            }
        }
        match hash_now(&password, memory) {
            Ok(new) => Verified::Rehashed {
                old: StoredHash(stored),
                new: StoredHash(new),
            },
            Err(e) => {
                // The login stands; the Django hash is replaced next time.
                tracing::warn!(error = %e, "cannot rehash an imported password");
                Verified::Yes
            }
        }
    })
    .await
}

/// Computes the dummy hash ahead of the first login, so the first unknown
/// username does not cost a hash more than a wrong password does.
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_password() {
        let stored = hash("correct horse".into()).await.unwrap();
        assert!(stored.0.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let phc = stored.0.clone();
        assert!(verify("correct horse".into(), Some(stored)).await.unwrap());
        assert!(
            !verify("wrong horse".into(), Some(StoredHash(phc)))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        assert!(!verify("anything".into(), None).await.unwrap());
    }

    #[tokio::test]
    async fn hashes_of_the_argon2_crate_itself_verify() {
        use argon2::PasswordHasher;
        let salt = SaltString::generate(&mut OsRng);
        let phc = Argon2::default()
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        assert!(
            verify("correct horse".into(), Some(StoredHash(phc.clone())))
                .await
                .unwrap()
        );
        assert!(
            !verify("correct horsf".into(), Some(StoredHash(phc)))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn our_hashes_verify_with_the_argon2_crate_itself() {
        use argon2::PasswordVerifier;
        let stored = hash("correct horse".into()).await.unwrap();
        let parsed = PasswordHash::new(&stored.0).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
    }

    /// A request cancelled mid-hash (the client hung up) keeps its place in
    /// the queue until the hash it started is done.
    #[tokio::test]
    async fn a_cancelled_check_keeps_its_place_until_the_hash_ends() {
        let queue = std::sync::Arc::new(crate::auth::hash_queue::HashQueue::default());
        let place = queue.admit("10.0.0.1").await.unwrap();
        let check = verify_in(Some(place), "guess".into(), None);
        let cancelled = tokio::time::timeout(std::time::Duration::from_micros(1), check).await;
        assert!(cancelled.is_err(), "the check was cancelled");
        assert_eq!(queue.admitted("10.0.0.1"), 1, "still hashing");
        for _ in 0..500 {
            if queue.admitted("10.0.0.1") == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the place was never given back");
    }

    /// PBKDF2-HMAC-SHA256("password", "salt", 4096) in Django's format.
    const DJANGO_HASH: &str =
        "pbkdf2_sha256$4096$salt$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o=";

    #[tokio::test]
    async fn a_matching_django_hash_comes_back_hashed_again_in_argon2id() {
        let stored = Some(StoredHash(DJANGO_HASH.into()));
        let Verified::Rehashed { old, new } =
            check_in(None, "password".into(), stored).await.unwrap()
        else {
            panic!("not rehashed");
        };
        assert_eq!(old.0, DJANGO_HASH);
        assert!(new.0.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("password".into(), Some(new)).await.unwrap());
    }

    #[tokio::test]
    async fn a_wrong_password_for_a_django_hash_is_not_rehashed() {
        let stored = Some(StoredHash(DJANGO_HASH.into()));
        let verified = check_in(None, "passwore".into(), stored).await.unwrap();
        assert!(matches!(verified, Verified::No), "{verified:?}");
    }

    #[tokio::test]
    async fn our_own_hashes_are_not_rehashed() {
        let stored = hash("correct horse".into()).await.unwrap();
        let verified = check_in(None, "correct horse".into(), Some(stored))
            .await
            .unwrap();
        assert!(matches!(verified, Verified::Yes), "{verified:?}");
    }

    /// An unusable Django password (or a corrupt hash) never matches, but
    /// answering at once would tell such users from unknown ones.
    #[tokio::test]
    async fn a_hash_that_cannot_match_still_costs_a_full_hash() {
        warm_up();
        for stored in [
            "!P2eeLncmb8s9dVyC1e8lSTUyt3kkFOwXSrlgU5BW",
            "md5$s$x",
            "pbkdf2_sha256$99999999$s$AAAA",
        ] {
            let started = std::time::Instant::now();
            let verified = check_in(None, "x".into(), Some(StoredHash(stored.into())))
                .await
                .unwrap();
            assert!(matches!(verified, Verified::No));
            assert!(
                started.elapsed() >= std::time::Duration::from_millis(5),
                "{stored}: {:?}",
                started.elapsed()
            );
        }
    }

    #[tokio::test]
    async fn a_corrupt_hash_does_not_verify() {
        assert!(
            !verify("x".into(), Some(StoredHash("not a hash".into())))
                .await
                .unwrap()
        );
    }
}
