//! `bench`: starts the release backend on a fresh database (SQLite, then
//! PostgreSQL), drives load at it over loopback from this process, and
//! prints a table of throughput, latency, errors and memory, with the
//! ratios the targets are stated in, all measured in one run.

mod cpu;
mod load;
mod server;
mod writes;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use shared::{RegisterBody, TokenPair};
use testkit::ApiClient;
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
    #[arg(long, env = "TEST_POSTGRES_URL", default_value = testkit::DEFAULT_POSTGRES_URL)]
    postgres_url: String,
    /// Only SQLite (for a machine without PostgreSQL).
    #[arg(long)]
    sqlite_only: bool,
    /// Only the refresh scenario, after printing the backend's pid and
    /// waiting two seconds: for a profiler to attach (`perf record -p`).
    #[arg(long)]
    profile_refresh: bool,
    /// The same for the login scenario alone.
    #[arg(long)]
    profile_logins: bool,
    /// The same for `GET /api/users/me/` alone.
    #[arg(long)]
    profile_me: bool,
}

const PASSWORD: &str = "bench password 1";

struct Row {
    scenario: String,
    outcome: Outcome,
}

impl Row {
    fn new(scenario: &str, outcome: Outcome) -> Row {
        Row {
            scenario: scenario.to_owned(),
            outcome,
        }
    }
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
        if let Some(scenario) = args.profiled() {
            profile(&args, &server, database, scenario).await?;
            server.stop().await?;
            continue;
        }
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

/// A scenario run alone, for a profiler (the `--profile-…` options).
#[derive(Clone, Copy)]
enum Profiled {
    Refresh,
    Logins,
    Me,
}

impl Args {
    fn profiled(&self) -> Option<Profiled> {
        [
            (self.profile_refresh, Profiled::Refresh),
            (self.profile_logins, Profiled::Logins),
            (self.profile_me, Profiled::Me),
        ]
        .into_iter()
        .find_map(|(asked, scenario)| asked.then_some(scenario))
    }
}

/// `scenario` alone, after printing the backend's pid and waiting two
/// seconds for a profiler to attach (`perf record -p`); then its rate,
/// where the CPU went and the backend's peak RSS.
async fn profile(
    args: &Args,
    server: &Server,
    database: Database,
    scenario: Profiled,
) -> anyhow::Result<()> {
    let bench = Bench::set_up(args, server).await?;
    println!("{}: backend pid {}", database.name(), server.pid());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = cpu::Snapshot::take(server.pid());
    let (what, outcome) = match scenario {
        Profiled::Refresh => ("refresh", bench.refresh_chains(bench.duration).await),
        Profiled::Logins => ("logins", bench.logins(bench.duration).await),
        Profiled::Me => ("users/me", bench.me(bench.workers, bench.duration).await),
    };
    let usage = before.usage_until(&cpu::Snapshot::take(server.pid()));
    let (peak, _) = server.memory_kib().unwrap_or_default();
    println!(
        "{}: {what} {:.1}/s, p99 {:.2} ms, {} errors; CPU: {usage}; backend peak RSS {:.1} MiB",
        database.name(),
        outcome.per_second(),
        outcome.p99_ms(),
        outcome.errors,
        peak as f64 / 1024.0
    );
    Ok(())
}

/// The two-core targets of the README, as measured on one database.
async fn run_all(
    args: &Args,
    server: &Server,
    database: Database,
    verdicts: &mut Vec<(String, bool)>,
) -> anyhow::Result<Vec<Row>> {
    let bench = Bench::set_up(args, server).await?;
    let name = database.name();

    let (me_floor, me) = bench.beside_floor(|d| bench.me(bench.workers, d)).await;
    bench.memory_after("users/me");
    let (verify_floor, verify) = bench.beside_floor(|d| bench.verify(d)).await;
    bench.memory_after("verify");
    let (refresh_floor, refresh) = bench.beside_floor(|d| bench.refresh_chains(d)).await;
    bench.memory_after("refresh");
    let health = me_floor
        .clone()
        .merge(verify_floor.clone())
        .merge(refresh_floor.clone());
    let writes = writes::rotations(server.database_url(), bench.workers, bench.duration).await?;
    let logins = bench.logins_beside_argon2().await?;
    bench.memory_after("logins");
    println!(
        "{name}: argon2id (m=19456, t=2, p=1) on {} threads: {:.1} hashes/s",
        bench.cores, logins.hash_rate
    );
    let me_idle = bench.me(LIGHT, bench.duration).await;
    let (me_busy, logins_busy) = bench.me_during_logins().await;
    bench.memory_after("users/me during logins");
    let timing = login_timing(&bench.api, &bench.sessions[0].0, 200).await?;
    let flood = bench.login_beside_flood().await?;
    bench.memory_after("the flood");

    // Each share is of the floor measured in the slices between its own.
    let share_of = |scenario: &Outcome, floor: &Outcome| {
        let share = scenario.per_second() / floor.per_second();
        let says = format!(
            "{:.0}%: {:.0} of {:.0} req/s",
            100.0 * share,
            scenario.per_second(),
            floor.per_second()
        );
        (share, says)
    };
    let (share, says) = share_of(&me, &me_floor);
    verdicts.push((
        format!("{name}: /api/users/me/ at least 80% of the health floor ({says})"),
        share >= 0.8,
    ));
    let (share, says) = share_of(&verify, &verify_floor);
    verdicts.push((
        format!("{name}: /api/token/verify/ at least 80% of the health floor ({says})"),
        share >= 0.8,
    ));
    let target = match database {
        Database::Sqlite => 0.5,
        Database::Postgres => 0.35,
    };
    let (share, says) = share_of(&refresh, &refresh_floor);
    verdicts.push((
        format!(
            "{name}: /api/token/refresh/ at least {:.0}% of the health floor ({says})",
            100.0 * target
        ),
        share >= target,
    ));
    let tail = refresh.p99_ms() / me.p99_ms();
    verdicts.push((
        format!("{name}: /api/token/refresh/ p99 at most 3x the /api/users/me/ p99 ({tail:.1}x)"),
        tail <= 3.0,
    ));
    println!(
        "{name}: a rotation's writes alone (store::tokens::rotate, {} tasks, no HTTP): {:.0}/s, p99 {:.2} ms; refresh is {:.0}% of it",
        bench.workers,
        writes.per_second(),
        writes.p99_ms(),
        100.0 * refresh.per_second() / writes.per_second()
    );
    let flooded = flood.flooded.p99_ms() / flood.idle.p99_ms();
    println!(
        "{name}: a login from another address while {FLOOD} bogus logins from one flood the server ({} sent: {} hashed, {} refused): p99 {:.2} ms against {:.2} ms idle ({flooded:.1}x)",
        flood.sent,
        flood.hashed,
        flood.refused,
        flood.flooded.p99_ms(),
        flood.idle.p99_ms()
    );
    verdicts.push((
        format!("{name}: a login beside a flood has a p99 at most 3x its idle p99 ({flooded:.1}x)"),
        flooded <= 3.0,
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
            100.0 * logins.outcome.per_second() / logins.hash_rate
        ),
        logins.outcome.per_second() >= 0.9 * logins.hash_rate,
    ));
    let rows = vec![
        Row::new(
            "GET /api/health/ (floor, in the slices between the next three)",
            health,
        ),
        Row::new("GET /api/users/me/", me),
        Row::new("POST /api/token/verify/", verify),
        Row::new("POST /api/token/refresh/ (each token once)", refresh),
        Row::new("POST /api/token/ (login)", logins.outcome),
        Row::new("GET /api/users/me/, 4 connections, idle", me_idle),
        Row::new("GET /api/users/me/, 4 connections, during logins", me_busy),
        Row::new("POST /api/token/ beside it", logins_busy),
        Row::new("rotation writes alone (no HTTP)", writes),
        Row::new("POST /api/token/, 1 connection, idle", flood.idle),
        Row::new(
            &format!("POST /api/token/, 1 connection, beside {FLOOD} bogus logins"),
            flood.flooded,
        ),
    ];
    let errors: u64 = rows.iter().map(|row| row.outcome.errors).sum();
    verdicts.push((format!("{name}: no errors ({errors})"), errors == 0));
    println!(
        "{name}: login timing over {} tries each: unknown username median {:.2} ms, wrong password median {:.2} ms (ratio {:.3})",
        timing.0,
        timing.1,
        timing.2,
        timing.1 / timing.2
    );
    println!(
        "{name}: where the CPU went during the login scenario: {}",
        logins.cpu
    );
    verdicts.push((
        format!("{name}: unknown username and wrong password take the same time within 10%"),
        (timing.1 / timing.2 - 1.0).abs() <= 0.10,
    ));
    Ok(rows)
}

/// Connections of the light-load scenarios.
const LIGHT: usize = 4;

/// What the scenarios share: the server, a client of it, and one user with
/// a session per worker.
struct Bench<'a> {
    server: &'a Server,
    api: ApiClient,
    duration: Duration,
    workers: usize,
    cores: usize,
    /// Per worker: the username and the session it logged in to.
    sessions: Vec<(String, TokenPair)>,
    /// Per worker: the refresh token its rotation chain is at.
    chains: Vec<Arc<Mutex<String>>>,
    access: Arc<String>,
}

/// The login scenario with its ceiling: logins per second, argon2 hashes
/// per second in this process, and where the backend's CPU went.
struct Logins {
    outcome: Outcome,
    hash_rate: f64,
    cpu: cpu::Usage,
}

/// Concurrent bogus logins from one address in the flood scenario.
const FLOOD: usize = 300;

/// A real login's latency, idle and beside a flood, and what the flood got.
struct Flood {
    idle: Outcome,
    flooded: Outcome,
    sent: u64,
    hashed: u64,
    refused: u64,
}

impl<'a> Bench<'a> {
    async fn set_up(args: &Args, server: &'a Server) -> anyhow::Result<Bench<'a>> {
        let api = server.api(args.connections * 2)?;
        let workers = args.connections;
        let mut sessions = Vec::new();
        for i in 0..workers {
            let username = format!("bench{i}");
            let user = RegisterBody {
                username: Some(username.clone()),
                password: Some(PASSWORD.to_owned()),
                ..Default::default()
            };
            api.register(&user).await.context("register")?;
            let tokens = api.login(&username, PASSWORD).await.context("login")?;
            sessions.push((username, tokens));
        }
        let chains = sessions
            .iter()
            .map(|(_, t)| Arc::new(Mutex::new(t.refresh.clone())))
            .collect();
        Ok(Bench {
            server,
            chains,
            access: Arc::new(sessions[0].1.access.clone()),
            api,
            duration: Duration::from_secs(args.seconds),
            workers,
            cores: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            sessions,
        })
    }

    /// Prints the backend's memory after `scenario`: which scenario raises
    /// the peak RSS is where to look when it is too high.
    fn memory_after(&self, scenario: &str) {
        if let Some((peak, now)) = self.server.memory_kib() {
            println!(
                "  after {scenario}: backend RSS {:.1} MiB, peak so far {:.1} MiB",
                now as f64 / 1024.0,
                peak as f64 / 1024.0
            );
        }
    }

    /// `scenario` and the floor (`GET /api/health/`) in alternating slices
    /// of the scenario's time: this machine's speed drifts (the floor read
    /// 24 000 and 30 000 req/s in two runs a minute apart), which would go
    /// straight into the share if the floor were measured once, before.
    async fn beside_floor<F, Fut>(&self, scenario: F) -> (Outcome, Outcome)
    where
        F: Fn(Duration) -> Fut,
        Fut: std::future::Future<Output = Outcome>,
    {
        const SLICES: u32 = 5;
        let slice = self.duration / SLICES;
        let (mut floor, mut measured) = (self.health(slice).await, scenario(slice).await);
        for _ in 1..SLICES {
            floor = floor.merge(self.health(slice).await);
            measured = measured.merge(scenario(slice).await);
        }
        (floor, measured)
    }

    /// `GET /api/health/`: the floor the other scenarios are measured
    /// against.
    async fn health(&self, duration: Duration) -> Outcome {
        load::run(self.workers, duration, |_| {
            let api = self.api.clone();
            move || {
                let api = api.clone();
                async move { succeeded(api.health_response().await) }
            }
        })
        .await
    }

    /// `GET /api/users/me/` on `connections` connections.
    async fn me(&self, connections: usize, duration: Duration) -> Outcome {
        load::run(connections, duration, |_| {
            me_worker(&self.api, &self.access)
        })
        .await
    }

    async fn verify(&self, duration: Duration) -> Outcome {
        load::run(self.workers, duration, |_| {
            let (api, access) = (self.api.clone(), self.access.clone());
            move || {
                let (api, access) = (api.clone(), access.clone());
                async move { succeeded(api.verify_response(&access).await) }
            }
        })
        .await
    }

    /// Each worker follows its own rotation chain, so every request presents
    /// a refresh token that has never been used; a chain goes on where the
    /// last call left it.
    async fn refresh_chains(&self, duration: Duration) -> Outcome {
        load::run(self.workers, duration, |i| {
            let (api, chain) = (self.api.clone(), self.chains[i].clone());
            move || {
                let (api, chain) = (api.clone(), chain.clone());
                async move {
                    let mut current = chain.lock().await;
                    match api.refresh(&current).await {
                        Ok(pair) => {
                            *current = pair.refresh;
                            true
                        }
                        Err(_) => false,
                    }
                }
            }
        })
        .await
    }

    /// The ceiling (argon2 alone, in this process) and the logins, measured
    /// in alternating slices: this machine's speed drifts by up to 10%
    /// within minutes (measured), which would go straight into the ratio if
    /// the ceiling were measured once, before or after.
    async fn logins_beside_argon2(&self) -> anyhow::Result<Logins> {
        const SLICES: u32 = 5;
        let slice = self.duration / SLICES;
        let (mut hashes, mut hashing_time) = (0, Duration::ZERO);
        let mut logins: Option<Outcome> = None;
        let mut cpu = Vec::new();
        for _ in 0..SLICES {
            let (done, took) = argon2_hashes(self.cores, slice).await?;
            hashes += done;
            hashing_time += took;
            let before = cpu::Snapshot::take(self.server.pid());
            let part = self.logins(slice).await;
            cpu.push(before.usage_until(&cpu::Snapshot::take(self.server.pid())));
            logins = Some(match logins {
                Some(so_far) => so_far.merge(part),
                None => part,
            });
        }
        Ok(Logins {
            outcome: logins.expect("at least one slice"),
            hash_rate: hashes as f64 / hashing_time.as_secs_f64(),
            cpu: cpu::Usage::mean(&cpu),
        })
    }

    /// Logins on two connections per core, which keeps every core hashing.
    async fn logins(&self, duration: Duration) -> Outcome {
        load::run(
            std::env::var("LC")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(2 * self.cores),
            duration,
            |i| login_worker(&self.api, &self.sessions[i].0),
        )
        .await
    }

    /// Real logins one after another from one address (through the
    /// `X-Forwarded-For` of a trusted proxy), idle, then while waves of
    /// `FLOOD` concurrent bogus logins from another address keep arriving.
    async fn login_beside_flood(&self) -> anyhow::Result<Flood> {
        let real = |api: ApiClient, username: String| {
            move || {
                let (api, username) = (api.clone(), username.clone());
                async move {
                    let body = serde_json::json!({"username": username, "password": PASSWORD});
                    succeeded(login_from(&api, "198.51.100.10", &body).await)
                }
            }
        };
        let username = self.sessions[0].0.clone();
        let idle = load::run(1, self.duration, |_| {
            real(self.api.clone(), username.clone())
        })
        .await;
        let flood_api = self.server.api(FLOOD)?;
        let deadline = Instant::now() + self.duration;
        let waves = async {
            let (mut sent, mut hashed, mut refused) = (0, 0, 0);
            while Instant::now() < deadline {
                let wave = (0..FLOOD).map(|i| {
                    let body = serde_json::json!({"username": format!("bot{i}"), "password": "x"});
                    let api = &flood_api;
                    async move { login_from(api, "203.0.113.66", &body).await }
                });
                for answer in futures::future::join_all(wave).await {
                    sent += 1;
                    match answer.map(|r| r.status().as_u16()) {
                        Ok(401) => hashed += 1,
                        Ok(429) => refused += 1,
                        _ => {}
                    }
                }
            }
            (sent, hashed, refused)
        };
        let measured = async {
            // Once the first wave has filled the queue.
            tokio::time::sleep(Duration::from_millis(100)).await;
            let left = deadline.saturating_duration_since(Instant::now());
            load::run(1, left, |_| real(self.api.clone(), username.clone())).await
        };
        let ((sent, hashed, refused), flooded) = tokio::join!(waves, measured);
        Ok(Flood {
            idle,
            flooded,
            sent,
            hashed,
            refused,
        })
    }

    /// `GET /api/users/me/` at a light load while logins saturate the CPU,
    /// and those logins.
    async fn me_during_logins(&self) -> (Outcome, Outcome) {
        tokio::join!(self.me(LIGHT, self.duration), self.logins(self.duration))
    }
}

/// A login as a trusted proxy forwards it for `client`.
async fn login_from(
    api: &ApiClient,
    client: &str,
    body: &serde_json::Value,
) -> reqwest::Result<reqwest::Response> {
    api.request(reqwest::Method::POST, "/api/token/", None)
        .header("x-forwarded-for", client)
        .json(body)
        .send()
        .await
}

/// A request counts when it was answered with a 2xx.
fn succeeded(response: reqwest::Result<reqwest::Response>) -> bool {
    response.is_ok_and(|r| r.status().is_success())
}

type Worker =
    Box<dyn FnMut() -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>> + Send>;

fn me_worker(api: &ApiClient, access: &Arc<String>) -> Worker {
    let (api, access) = (api.clone(), access.clone());
    Box::new(move || {
        let (api, access) = (api.clone(), access.clone());
        Box::pin(async move { succeeded(api.me_response(&access).await) })
    })
}

fn login_worker(api: &ApiClient, username: &str) -> Worker {
    let (api, username) = (api.clone(), username.to_owned());
    Box::new(move || {
        let (api, username) = (api.clone(), username.clone());
        Box::pin(async move { succeeded(api.login_response(&username, PASSWORD).await) })
    })
}

/// Median times of failed logins with an unknown username and with a wrong
/// password, interleaved so that drift affects both alike.
async fn login_timing(
    api: &ApiClient,
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
            let response = api.login_response(&username, "not the password").await?;
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
