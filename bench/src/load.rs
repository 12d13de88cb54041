//! A closed-loop load generator: `workers` tasks each send one request after
//! another for a fixed time, recording every latency.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::sync::Mutex;

/// What one scenario measured.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub requests: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub latency_us: Histogram<u64>,
}

impl Outcome {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// Two runs of the same scenario as one.
    pub fn merge(mut self, other: Outcome) -> Outcome {
        self.requests += other.requests;
        self.errors += other.errors;
        self.elapsed += other.elapsed;
        self.latency_us.add(&other.latency_us).ok();
        self
    }

    pub fn p50_ms(&self) -> f64 {
        self.latency_us.value_at_quantile(0.50) as f64 / 1000.0
    }

    pub fn p99_ms(&self) -> f64 {
        self.latency_us.value_at_quantile(0.99) as f64 / 1000.0
    }
}

/// Runs `make_worker(i)` in `workers` tasks for `duration`. Each worker gets
/// a `send` closure that performs one request and says whether it succeeded.
pub async fn run<W, F, Fut>(workers: usize, duration: Duration, make_worker: W) -> Outcome
where
    W: Fn(usize) -> F,
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = bool> + Send,
{
    let histogram = Arc::new(Mutex::new(Histogram::<u64>::new(3).expect("histogram")));
    let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for i in 0..workers {
        let mut send = make_worker(i);
        let histogram = histogram.clone();
        let errors = errors.clone();
        tasks.push(tokio::spawn(async move {
            let mut local = Histogram::<u64>::new(3).expect("histogram");
            while Instant::now() < deadline {
                let t = Instant::now();
                let ok = send().await;
                local.record(t.elapsed().as_micros() as u64).ok();
                if !ok {
                    errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
            histogram.lock().await.add(&local).ok();
        }));
    }
    for task in tasks {
        task.await.ok();
    }
    let elapsed = started.elapsed();
    let latency_us = Arc::try_unwrap(histogram)
        .expect("all workers done")
        .into_inner();
    Outcome {
        requests: latency_us.len(),
        errors: errors.load(std::sync::atomic::Ordering::Relaxed),
        elapsed,
        latency_us,
    }
}
