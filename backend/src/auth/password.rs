//! Password hashing: argon2id at OWASP's minimum parameters, always off the
//! async runtime, since one hash takes tens of milliseconds of CPU.
//!
//! Each hash needs 19 MiB of working memory. Allocating it per hash makes
//! the allocator keep a copy per thread that ever hashed (hundreds of MiB
//! under a login flood), so a few buffers, one per core, are reused instead,
//! and at most one hash per core runs at a time.

use std::sync::{Arc, LazyLock, Mutex};

use anyhow::{Context, anyhow};
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use tokio::sync::Semaphore;

use crate::auth::hash_queue::Admitted;
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
/// need more memory. The rest queue here, on the async side, holding no thread.
static HASHING: LazyLock<Arc<Semaphore>> = LazyLock::new(|| Arc::new(Semaphore::new(cores())));

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

/// Recomputes the hash of `password` with the stored salt and parameters and
/// compares the outputs in constant time (`Output`'s `PartialEq`).
fn verify_now(password: &str, phc: &str, memory: &mut Vec<Block>) -> bool {
    let mut check = || -> Option<bool> {
        let parsed = PasswordHash::new(phc).ok()?;
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = Version::try_from(parsed.version.unwrap_or(0x13)).ok()?;
        let params = Params::try_from(&parsed).ok()?;
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
    let slot = Arc::clone(&HASHING)
        .acquire_owned()
        .await
        .context("the hashing gate is closed")?;
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
    run_hashing(place, move |memory| match stored {
        Some(StoredHash(phc)) => verify_now(&password, &phc, memory),
        None => {
            verify_now(&password, &DUMMY_HASH, memory);
            false
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

    #[tokio::test]
    async fn a_corrupt_hash_does_not_verify() {
        assert!(
            !verify("x".into(), Some(StoredHash("not a hash".into())))
                .await
                .unwrap()
        );
    }
}
