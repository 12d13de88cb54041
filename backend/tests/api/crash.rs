//! SIGKILL in the middle of registrations and refreshes, then a restart on
//! the same database: nothing acknowledged is lost, and no refresh token was
//! rotated twice.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backend::store::Db as Store;
use reqwest::StatusCode;
use rstest_reuse::apply;
use serde_json::Value;
use shared::TokenPair;

use testkit::ApiClient;

use crate::helpers::{Db, PgDatabase, both_databases, claims_of, expect_json, start_server};

const PASSWORD: &str = "correct horse battery";

/// What the clients were told before the crash.
#[derive(Default)]
struct Acknowledged {
    registered: Vec<String>,
    /// Per session: every refresh token the server handed out, in order.
    chains: HashMap<String, Vec<String>>,
}

#[apply(both_databases)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_crash_loses_nothing_that_was_acknowledged(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let (_pg, url) = match db {
        Db::Sqlite => (None, testkit::sqlite_url(dir.path())),
        Db::Postgres => {
            let pg = PgDatabase::create().await.unwrap();
            let url = pg.url().to_owned();
            (Some(pg), url)
        }
    };
    let server = start_server(dir.path(), &url, &[]).await;
    let api = server.api();
    let seen = Arc::new(Mutex::new(Acknowledged::default()));
    let mut sessions = Vec::new();
    for i in 0..4 {
        let username = format!("chain{i}");
        register(&api, &username)
            .await
            .expect("set-up registration");
        let pair: TokenPair = expect_json(login(&api, &username).await, StatusCode::OK).await;
        let sid = claims_of(&pair.refresh)["sid"].as_str().unwrap().to_owned();
        seen.lock()
            .unwrap()
            .chains
            .insert(sid.clone(), vec![pair.refresh]);
        sessions.push(sid);
    }

    // Load: registrations and refresh chains, until the server dies.
    let mut load = Vec::new();
    for worker in 0..4 {
        let (api, seen) = (api.clone(), seen.clone());
        load.push(tokio::spawn(async move {
            for n in 0.. {
                let username = format!("w{worker}n{n}");
                match register(&api, &username).await {
                    Ok(true) => seen.lock().unwrap().registered.push(username),
                    Ok(false) => {}
                    Err(()) => break,
                }
            }
        }));
    }
    for sid in sessions.clone() {
        let (api, seen) = (api.clone(), seen.clone());
        load.push(tokio::spawn(async move {
            loop {
                let current = seen.lock().unwrap().chains[&sid].last().unwrap().clone();
                let Ok(response) = api.refresh_response(&current).await else {
                    break;
                };
                let Ok(pair) = response.json::<TokenPair>().await else {
                    break;
                };
                seen.lock()
                    .unwrap()
                    .chains
                    .get_mut(&sid)
                    .unwrap()
                    .push(pair.refresh);
            }
        }));
    }
    // Let the load run until a fair amount has been acknowledged.
    wait_until(|| {
        let seen = seen.lock().unwrap();
        seen.registered.len() >= 8 && seen.chains.values().all(|c| c.len() >= 5)
    })
    .await;

    server.crash().await.unwrap();
    for task in load {
        task.await.unwrap();
    }
    let restarted = start_server(dir.path(), &url, &[]).await;
    let api = restarted.api();
    let seen = Arc::try_unwrap(seen).ok().unwrap().into_inner().unwrap();

    let health: Value = expect_json(api.health_response().await.unwrap(), StatusCode::OK).await;
    assert_eq!(health["status"], "ok");
    for username in &seen.registered {
        assert_eq!(
            login(&api, username).await.status(),
            StatusCode::OK,
            "{username} was lost"
        );
    }
    let store = Store::connect(&url).await.unwrap();
    for (sid, chain) in &seen.chains {
        let rows: Vec<(String, Option<i64>)> =
            sqlx::query_as("select jti, rotated_at from refresh_tokens where sid = $1")
                .bind(sid)
                .fetch_all(&store.pool)
                .await
                .unwrap();
        let state: HashMap<String, Option<i64>> = rows.into_iter().collect();
        let live = state.values().filter(|rotated| rotated.is_none()).count();
        assert_eq!(
            live, 1,
            "session {sid}: exactly one unrotated token, or a token was rotated twice"
        );
        // Every token handed out but the last was presented and answered:
        // rotated exactly once.
        for token in &chain[..chain.len() - 1] {
            let jti = claims_of(token)["jti"].as_str().unwrap().to_owned();
            assert!(
                state[&jti].is_some(),
                "an acknowledged rotation of {jti} was lost"
            );
        }
        // The last one is either still usable, or its rotation committed as
        // the server died and its successor was never delivered.
        let last = chain.last().unwrap();
        let jti = claims_of(last)["jti"].as_str().unwrap().to_owned();
        assert!(
            state.contains_key(&jti),
            "an acknowledged token of {sid} was lost"
        );
        assert!(
            state.len() == chain.len() || state.len() == chain.len() + 1,
            "session {sid}: {} tokens stored for {} handed out",
            state.len(),
            chain.len()
        );
        let response = api.refresh_response(last).await.unwrap();
        match state[&jti] {
            None => assert_eq!(
                response.status(),
                StatusCode::OK,
                "the usable last token of {sid} was refused"
            ),
            // Rotated as the server died: inside the grace a retry gets
            // the session's current token; otherwise it is refused.
            Some(_) => assert!(
                [StatusCode::OK, StatusCode::UNAUTHORIZED].contains(&response.status()),
                "{}",
                response.status()
            ),
        }
    }
}

/// `Ok(true)`: 201. `Ok(false)`: answered otherwise. `Err`: no answer.
async fn register(api: &ApiClient, username: &str) -> Result<bool, ()> {
    let body = shared::RegisterBody {
        username: Some(username.to_owned()),
        password: Some(PASSWORD.to_owned()),
        ..Default::default()
    };
    let response = api.register_response(&body).await.map_err(|_| ())?;
    let created = response.status() == StatusCode::CREATED;
    // A 201 counts only once its body has arrived whole.
    let body = response.bytes().await.map_err(|_| ())?;
    Ok(created && serde_json::from_slice::<Value>(&body).is_ok())
}

async fn login(api: &ApiClient, username: &str) -> reqwest::Response {
    api.login_response(username, PASSWORD).await.unwrap()
}

async fn wait_until(mut done: impl FnMut() -> bool) {
    tokio::time::timeout(Duration::from_secs(60), async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the load made progress within 60 s");
}
