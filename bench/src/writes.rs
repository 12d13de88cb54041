//! The database's own limit for what a rotation writes: the calls of
//! `store::tokens::rotate` (the old token claimed, the new one stored, the
//! session touched, in one transaction) in a closed loop from this process
//! on the benchmark's database, with no HTTP, JSON or signatures around
//! them. Refresh as a share of it says how much the request costs beyond
//! its writes.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use backend::clock::Timestamp;
use backend::store::Db;
use backend::store::tokens::{self, NewRefreshToken};
use tokio::sync::Mutex;

use crate::load::{self, Outcome};

/// A worker's chain: its session, and the token it rotates next.
struct Chain {
    user_id: i64,
    sid: String,
    current: String,
    rotated: u64,
}

/// Rotations per second on `workers` tasks for `duration`, each following
/// a chain of its own in one of the sessions already in the database.
pub async fn rotations(url: &str, workers: usize, duration: Duration) -> anyhow::Result<Outcome> {
    let db = Db::connect(url).await?;
    let sessions: Vec<(i64, String)> = sqlx::query_as("select user_id, sid from sessions")
        .fetch_all(&db.pool)
        .await?;
    anyhow::ensure!(!sessions.is_empty(), "no session to rotate in");
    let start = now();
    let mut chains = Vec::new();
    for i in 0..workers {
        let (user_id, sid) = sessions[i % sessions.len()].clone();
        let current = format!("writes-{i}-0");
        let row = NewRefreshToken {
            jti: &current,
            user_id,
            sid: &sid,
            created_at: start,
            expires_at: start + Duration::from_secs(3600),
        };
        tokens::insert(db.writes(), &row).await?;
        chains.push(Arc::new(Mutex::new(Chain {
            user_id,
            sid,
            current,
            rotated: 0,
        })));
    }
    let outcome = load::run(workers, duration, |i| {
        let (db, chain) = (db.clone(), chains[i].clone());
        move || {
            let (db, chain) = (db.clone(), chain.clone());
            async move {
                let mut chain = chain.lock().await;
                chain.rotated += 1;
                let next = format!("writes-{i}-{}", chain.rotated);
                let now = now();
                let row = NewRefreshToken {
                    jti: &next,
                    user_id: chain.user_id,
                    sid: &chain.sid,
                    created_at: now,
                    expires_at: now + Duration::from_secs(3600),
                };
                match tokens::rotate(&db, &chain.current, &row, now).await {
                    Ok(true) => {
                        chain.current = next;
                        true
                    }
                    _ => false,
                }
            }
        }
    })
    .await;
    db.pool.close().await;
    Ok(outcome)
}

fn now() -> Timestamp {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_micros(since.as_micros() as i64)
}
