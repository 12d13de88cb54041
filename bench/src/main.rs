//! `bench`: starts the release backend on a fresh database (SQLite, then
//! PostgreSQL), drives load at it over loopback from this process, and
//! prints a table of throughput, latency, errors and memory, with the
//! ratios the targets are stated in, all measured in one run.

mod cpu;
mod load;
mod server;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use serde_json::json;
use shared::TokenPair;
use tokio::sync::Mutex;

use load::Outcome;
use server::{Database, Server};

#[derive(Debug, Parser)]
#[command(about = "Load benchmarks of the backend")]
struct Args {
    /// The backend binary (build it with `cargo build --release -p backend`).
    #[arg(long, default_value = "target/release/backend")]
    backend: PathBuf,
    /// Seconds each scenario runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent connections of the throughput scenarios.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// PostgreSQL server to create the benchmark database on.
    #[arg(
        long,
        env = "TEST_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    postgres_url: String,
    /// Only SQLite (for a machine without PostgreSQL).
    #[arg(long)]
    sqlite_only: bool,
}

const PASSWORD: &str = "bench password 1";

struct Row {
    scenario: String,
    outcome: Outcome,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let backend = std::fs::canonicalize(&args.backend).with_context(|| {
        format!(
            "{} is missing: run `cargo build --release -p backend` first",
            args.backend.display()
        )
    })?;
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!("machine: {cores} cores\n");

    let mut databases = vec![Database::Sqlite];
    if !args.sqlite_only {
        databases.push(Database::Postgres);
    }
    let mut verdicts = Vec::new();
    for database in databases {
        let server = Server::start(&backend, database, &args.postgres_url).await?;
        let rows = run_all(&args, &server, database, &mut verdicts).await?;
        let (peak, now) = server.memory_kib().unwrap_or_default();
        server.stop().await?;
        print_table(database, &rows);
        let within = peak < 64 * 1024;
        println!(
            "backend memory: peak RSS {:.1} MiB, at the end {:.1} MiB\n",
            peak as f64 / 1024.0,
            now as f64 / 1024.0
        );
        verdicts.push((
            format!("{}: peak RSS below 64 MiB", database.name()),
            within,
        ));
    }
    println!("targets:");
    for (what, ok) in &verdicts {
        println!("  [{}] {what}", if *ok { "met" } else { "MISSED" });
    }
    Ok(())
}

/// Hashes that `threads` threads manage in `duration` with the backend's own
/// argon2 parameters, and the time they took: the ceiling for login
/// throughput.
async fn argon2_hashes(threads: usize, duration: Duration) -> anyhow::Result<(u64, Duration)> {
    let started = Instant::now();
    let tasks: Vec<_> = (0..threads)
        .map(|_| {
            tokio::spawn(async move {
                let mut done = 0u64;
                while started.elapsed() < duration {
                    backend::auth::password::hash("a password to hash".into()).await?;
                    done += 1;
                }
                anyhow::Ok(done)
            })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await??;
    }
    Ok((total, started.elapsed()))
}

async fn run_all(
    args: &Args,
    server: &Server,
    database: Database,
    verdicts: &mut Vec<(String, bool)>,
) -> anyhow::Result<Vec<Row>> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections * 2)
        .build()?;
    let base = Arc::new(server.url.clone());
    let duration = Duration::from_secs(args.seconds);
    let workers = args.connections;

    // One user and session per worker.
    let mut sessions = Vec::new();
    for i in 0..workers {
        let username = format!("bench{i}");
        let created = client
            .post(format!("{base}/api/users/"))
            .json(&json!({"username": username, "password": PASSWORD}))
            .send()
            .await?;
        anyhow::ensure!(
            created.status().is_success(),
            "register: {}",
            created.status()
        );
        sessions.push((username.clone(), login(&client, &base, &username).await?));
    }
    let access = Arc::new(sessions[0].1.access.clone());
    let mut rows = Vec::new();

    let health = load::run(workers, duration, |_| {
        let (client, url) = (client.clone(), format!("{base}/api/health/"));
        move || {
            let request = client.get(&url);
            async move { request.send().await.is_ok_and(|r| r.status().is_success()) }
        }
    })
    .await;

    let me = load::run(workers, duration, |_| me_worker(&client, &base, &access)).await;

    let verify = load::run(workers, duration, |_| {
        let (client, url) = (client.clone(), format!("{base}/api/token/verify/"));
        let body = json!({ "token": access.as_str() });
        move || {
            let request = client.post(&url).json(&body);
            async move { request.send().await.is_ok_and(|r| r.status().is_success()) }
        }
    })
    .await;

    // Each worker follows its own rotation chain, so every request presents
    // a refresh token that has never been used.
    let chains: Vec<Arc<Mutex<String>>> = sessions
        .iter()
        .map(|(_, t)| Arc::new(Mutex::new(t.refresh.clone())))
        .collect();
    let refresh = load::run(workers, duration, |i| {
        let (client, url, chain) = (
            client.clone(),
            format!("{base}/api/token/refresh/"),
            chains[i].clone(),
        );
        move || {
            let (client, url, chain) = (client.clone(), url.clone(), chain.clone());
            async move {
                let mut current = chain.lock().await;
                let Ok(response) = client
                    .post(&url)
                    .json(&json!({ "refresh": *current }))
                    .send()
                    .await
                else {
                    return false;
                };
                match response.json::<TokenPair>().await {
                    Ok(pair) => {
                        *current = pair.refresh;
                        true
                    }
                    Err(_) => false,
                }
            }
        }
    })
    .await;

    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let login_workers = 2 * cores;
    // The ceiling (argon2 alone, in this process) and the logins, measured
    // in alternating slices: this machine's speed drifts by up to 10% within
    // minutes (measured), which would go straight into the ratio if the
    // ceiling were measured once, before or after.
    const SLICES: u32 = 5;
    let slice = duration / SLICES;
    let (mut hashes, mut hashing_time) = (0, Duration::ZERO);
    let mut logins: Option<Outcome> = None;
    let mut login_cpu = Vec::new();
    for _ in 0..SLICES {
        let (done, took) = argon2_hashes(cores, slice).await?;
        hashes += done;
        hashing_time += took;
        let before = cpu::Snapshot::take(server.pid());
        let part = load::run(login_workers, slice, |i| {
            login_worker(&client, &base, &sessions[i].0)
        })
        .await;
        login_cpu.push(before.usage_until(&cpu::Snapshot::take(server.pid())));
        logins = Some(match logins {
            Some(so_far) => so_far.merge(part),
            None => part,
        });
    }
    let logins = logins.expect("at least one slice");
    let login_cpu = cpu::Usage::mean(&login_cpu);
    let hash_rate = hashes as f64 / hashing_time.as_secs_f64();
    println!(
        "{}: argon2id (m=19456, t=2, p=1) on {cores} threads: {hash_rate:.1} hashes/s",
        database.name()
    );

    // /api/users/me/ at a light load, alone and while logins saturate the CPU.
    let light = 4;
    let me_idle = load::run(light, duration, |_| me_worker(&client, &base, &access)).await;
    let (me_busy, logins_busy) = tokio::join!(
        load::run(light, duration, |_| me_worker(&client, &base, &access)),
        load::run(login_workers, duration, |i| login_worker(
            &client,
            &base,
            &sessions[i].0
        )),
    );

    let timing = login_timing(&client, &base, &sessions[0].0, 200).await?;

    let name = database.name();
    let floor = health.per_second();
    verdicts.push((
        format!(
            "{name}: /api/users/me/ at least 70% of the health floor ({:.0}%)",
            100.0 * me.per_second() / floor
        ),
        me.per_second() >= 0.7 * floor,
    ));
    verdicts.push((
        format!(
            "{name}: /api/token/verify/ at least 70% of the health floor ({:.0}%)",
            100.0 * verify.per_second() / floor
        ),
        verify.per_second() >= 0.7 * floor,
    ));
    let slowdown = me_busy.p99_ms() / me_idle.p99_ms();
    verdicts.push((
        format!(
            "{name}: /api/users/me/ p99 under login saturation at most 5x idle ({slowdown:.1}x)"
        ),
        slowdown <= 5.0,
    ));
    verdicts.push((
        format!(
            "{name}: login throughput at least 90% of the argon2 rate ({:.0}%)",
            100.0 * logins.per_second() / hash_rate
        ),
        logins.per_second() >= 0.9 * hash_rate,
    ));
    let errors: u64 = [
        &health,
        &me,
        &verify,
        &refresh,
        &logins,
        &me_idle,
        &me_busy,
        &logins_busy,
    ]
    .iter()
    .map(|o| o.errors)
    .sum();
    verdicts.push((format!("{name}: no errors ({errors})"), errors == 0));
    println!(
        "{name}: login timing over {} tries each: unknown username median {:.2} ms, wrong password median {:.2} ms (ratio {:.3})",
        timing.0,
        timing.1,
        timing.2,
        timing.1 / timing.2
    );
    println!("{name}: where the CPU went during the login scenario: {login_cpu}");
    verdicts.push((
        format!("{name}: unknown username and wrong password take the same time within 10%"),
        (timing.1 / timing.2 - 1.0).abs() <= 0.10,
    ));

    for (scenario, outcome) in [
        ("GET /api/health/ (floor)", health),
        ("GET /api/users/me/", me),
        ("POST /api/token/verify/", verify),
        ("POST /api/token/refresh/ (each token once)", refresh),
        ("POST /api/token/ (login)", logins),
        ("GET /api/users/me/, 4 connections, idle", me_idle),
        ("GET /api/users/me/, 4 connections, during logins", me_busy),
        ("POST /api/token/ beside it", logins_busy),
    ] {
        rows.push(Row {
            scenario: scenario.to_owned(),
            outcome,
        });
    }
    Ok(rows)
}

fn me_worker(
    client: &reqwest::Client,
    base: &str,
    access: &Arc<String>,
) -> impl FnMut() -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>> + Send + 'static
{
    let (client, url, access) = (
        client.clone(),
        format!("{base}/api/users/me/"),
        access.clone(),
    );
    move || {
        let request = client.get(&url).bearer_auth(access.as_str());
        Box::pin(async move { request.send().await.is_ok_and(|r| r.status().is_success()) })
    }
}

fn login_worker(
    client: &reqwest::Client,
    base: &str,
    username: &str,
) -> impl FnMut() -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>> + Send + 'static
{
    let (client, url) = (client.clone(), format!("{base}/api/token/"));
    let body = json!({"username": username, "password": PASSWORD});
    move || {
        let request = client.post(&url).json(&body);
        Box::pin(async move { request.send().await.is_ok_and(|r| r.status().is_success()) })
    }
}

async fn login(client: &reqwest::Client, base: &str, username: &str) -> anyhow::Result<TokenPair> {
    let response = client
        .post(format!("{base}/api/token/"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "login: {}",
        response.status()
    );
    response.json().await.context("login body")
}

/// Median times of failed logins with an unknown username and with a wrong
/// password, interleaved so that drift affects both alike.
async fn login_timing(
    client: &reqwest::Client,
    base: &str,
    known: &str,
    tries: usize,
) -> anyhow::Result<(usize, f64, f64)> {
    let mut unknown = Vec::with_capacity(tries);
    let mut wrong = Vec::with_capacity(tries);
    for i in 0..tries {
        for (username, times) in [
            (format!("nobody{i}"), &mut unknown),
            (known.to_owned(), &mut wrong),
        ] {
            let t = Instant::now();
            let response = client
                .post(format!("{base}/api/token/"))
                .json(&json!({"username": username, "password": "not the password"}))
                .send()
                .await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            anyhow::ensure!(
                response.status() == 401,
                "timing login: {}",
                response.status()
            );
        }
    }
    Ok((tries, median(&mut unknown), median(&mut wrong)))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn print_table(database: Database, rows: &[Row]) {
    println!("{}:", database.name());
    println!("| scenario | requests/s | p50 ms | p99 ms | errors |");
    println!("|---|---:|---:|---:|---:|");
    for row in rows {
        let o = &row.outcome;
        println!(
            "| {} | {:.0} | {:.2} | {:.2} | {} |",
            row.scenario,
            o.per_second(),
            o.p50_ms(),
            o.p99_ms(),
            o.errors
        );
    }
}
