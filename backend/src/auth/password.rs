//! Password hashing: argon2id at OWASP's minimum parameters, always off the
//! async runtime, since one hash takes tens of milliseconds of CPU.

use std::sync::LazyLock;

use anyhow::Context;
use argon2::password_hash::SaltString;
use argon2::password_hash::rand_core::OsRng;
use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};
use tokio::sync::Semaphore;

use crate::store::users::PasswordHash as StoredHash;
use crate::telemetry::spawn_blocking_with_tracing;

/// OWASP: m = 19 MiB, t = 2, p = 1.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// At most one hash per core at a time. Each takes 19 MiB and a core's worth
/// of CPU, so running more at once only multiplies memory (a login flood
/// would otherwise grow it without bound) and delays them all; the rest
/// queue here, on the async side, holding no thread.
static HASHING: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(1, |n| n.get())));

/// Runs one argon2 computation on the blocking pool once a slot is free.
async fn run_hashing<R: Send + 'static>(
    work: impl FnOnce() -> R + Send + 'static,
) -> anyhow::Result<R> {
    let _slot = HASHING
        .acquire()
        .await
        .context("the hashing gate is closed")?;
    spawn_blocking_with_tracing(work)
        .await
        .context("the hashing task failed")
}

/// Checked when the username is unknown, so that such a login costs the same
/// full verification as a wrong password and timing does not reveal which
/// usernames exist. Made from a random password at first use.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let random = crate::auth::random_id();
    hash_now(&random).expect("hashing a random password")
});

fn hash_now(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(argon2()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?
        .to_string())
}

fn verify_now(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|parsed| {
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Hashes a new password into a PHC string.
#[tracing::instrument(skip_all)]
pub async fn hash(password: String) -> anyhow::Result<StoredHash> {
    run_hashing(move || hash_now(&password))
        .await?
        .map(StoredHash)
}

/// Whether `password` matches `stored`; with no stored hash (unknown user)
/// it does the same work against a dummy hash and answers `false`.
#[tracing::instrument(skip_all)]
pub async fn verify(password: String, stored: Option<StoredHash>) -> anyhow::Result<bool> {
    run_hashing(move || match stored {
        Some(StoredHash(phc)) => verify_now(&password, &phc),
        None => {
            verify_now(&password, &DUMMY_HASH);
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
    async fn a_corrupt_hash_does_not_verify() {
        assert!(
            !verify("x".into(), Some(StoredHash("not a hash".into())))
                .await
                .unwrap()
        );
    }
}
