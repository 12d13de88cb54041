//! Where the machine's CPU time went during a scenario, read from /proc: the
//! backend's hashing threads, the rest of the backend, PostgreSQL's server
//! processes, this load generator, everything else, and idle. This is the
//! profile that says what limits login throughput, taken in the same run.
//!
//! The backend lowers the OS priority of a thread before it hashes a
//! password, so its hashing threads are the ones with a positive nice value.

use std::collections::HashMap;
use std::fs;

/// CPU time counters (clock ticks) at one moment.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    machine_total: u64,
    machine_idle: u64,
    /// Per backend thread: (ticks, nice).
    backend_threads: HashMap<u32, (u64, i64)>,
    /// Per PostgreSQL process.
    postgres: HashMap<u32, u64>,
    generator: u64,
}

/// Shares of the machine's CPU time between two snapshots, in percent.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    pub hashing: f64,
    pub backend_other: f64,
    pub postgres: f64,
    pub generator: f64,
    pub other: f64,
    pub idle: f64,
}

impl Snapshot {
    /// Reads the counters; a process that cannot be read counts as nothing.
    pub fn take(backend_pid: u32) -> Snapshot {
        let (machine_total, machine_idle) = machine().unwrap_or_default();
        let mut backend_threads = HashMap::new();
        if let Ok(tasks) = fs::read_dir(format!("/proc/{backend_pid}/task")) {
            for task in tasks.flatten() {
                let Some(tid) = task.file_name().to_str().and_then(|s| s.parse().ok()) else {
                    continue;
                };
                if let Some(stat) = stat(&format!("/proc/{backend_pid}/task/{tid}/stat")) {
                    backend_threads.insert(tid, (stat.ticks, stat.nice));
                }
            }
        }
        let mut postgres = HashMap::new();
        if let Ok(procs) = fs::read_dir("/proc") {
            for entry in procs.flatten() {
                let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
                    continue;
                };
                if let Some(stat) = stat(&format!("/proc/{pid}/stat"))
                    && stat.command == "postgres"
                {
                    postgres.insert(pid, stat.ticks);
                }
            }
        }
        let generator = stat("/proc/self/stat").map_or(0, |s| s.ticks);
        Snapshot {
            machine_total,
            machine_idle,
            backend_threads,
            postgres,
            generator,
        }
    }

    /// What happened between `self` and the later snapshot `after`.
    pub fn usage_until(&self, after: &Snapshot) -> Usage {
        let total = after
            .machine_total
            .saturating_sub(self.machine_total)
            .max(1) as f64;
        let share = |ticks: u64| 100.0 * ticks as f64 / total;
        // A thread or process that started in between counts from zero; one
        // that ended in between is lost, which the `other` share absorbs.
        let (mut hashing, mut backend_other) = (0, 0);
        for (tid, (ticks, nice)) in &after.backend_threads {
            let before = self.backend_threads.get(tid).map_or(0, |(t, _)| *t);
            let spent = ticks.saturating_sub(before);
            if *nice > 0 {
                hashing += spent;
            } else {
                backend_other += spent;
            }
        }
        let postgres: u64 = after
            .postgres
            .iter()
            .map(|(pid, ticks)| ticks.saturating_sub(self.postgres.get(pid).copied().unwrap_or(0)))
            .sum();
        let generator = after.generator.saturating_sub(self.generator);
        let idle = after.machine_idle.saturating_sub(self.machine_idle);
        let busy = hashing + backend_other + postgres + generator + idle;
        Usage {
            hashing: share(hashing),
            backend_other: share(backend_other),
            postgres: share(postgres),
            generator: share(generator),
            other: share((total as u64).saturating_sub(busy)),
            idle: share(idle),
        }
    }
}

impl Usage {
    /// The average of equally long periods.
    pub fn mean(parts: &[Usage]) -> Usage {
        let n = parts.len().max(1) as f64;
        let sum = |f: fn(&Usage) -> f64| parts.iter().map(f).sum::<f64>() / n;
        Usage {
            hashing: sum(|u| u.hashing),
            backend_other: sum(|u| u.backend_other),
            postgres: sum(|u| u.postgres),
            generator: sum(|u| u.generator),
            other: sum(|u| u.other),
            idle: sum(|u| u.idle),
        }
    }
}

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "hashing {:.1}%, backend other {:.1}%, PostgreSQL {:.1}%, load generator {:.1}%, other {:.1}%, idle {:.1}%",
            self.hashing, self.backend_other, self.postgres, self.generator, self.other, self.idle
        )
    }
}

/// All CPUs' ticks in all states, and in idle and I/O wait.
fn machine() -> Option<(u64, u64)> {
    let text = fs::read_to_string("/proc/stat").ok()?;
    let line = text.lines().next()?.strip_prefix("cpu ")?;
    let values: Vec<u64> = line
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal; guest time is already
    // counted in user and nice.
    let total = values.iter().take(8).sum();
    let idle = values.get(3)? + values.get(4).copied().unwrap_or(0);
    Some((total, idle))
}

struct Stat {
    command: String,
    ticks: u64,
    nice: i64,
}

/// `/proc/…/stat`: the command, user plus system time, and the nice value.
fn stat(path: &str) -> Option<Stat> {
    let text = fs::read_to_string(path).ok()?;
    // The command is in parentheses and may itself contain spaces or ')'.
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let command = text.get(open + 1..close)?.to_owned();
    let fields: Vec<&str> = text.get(close + 1..)?.split_whitespace().collect();
    // Fields counted from 3 (the state): utime is 14, stime 15, nice 19.
    let field = |n: usize| fields.get(n - 3);
    let ticks = field(14)?.parse::<u64>().ok()? + field(15)?.parse::<u64>().ok()?;
    let nice = field(19)?.parse().ok()?;
    Some(Stat {
        command,
        ticks,
        nice,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let me = stat("/proc/self/stat").expect("readable");
        assert!(!me.command.is_empty());
        let (total, idle) = machine().expect("/proc/stat");
        assert!(total >= idle && total > 0);
    }

    #[test]
    fn busy_work_shows_as_the_generator() {
        let before = Snapshot::take(std::process::id());
        let started = std::time::Instant::now();
        let mut x = 0u64;
        while started.elapsed() < std::time::Duration::from_millis(300) {
            x = x.wrapping_mul(31).wrapping_add(7);
        }
        std::hint::black_box(x);
        let usage = before.usage_until(&Snapshot::take(std::process::id()));
        // One busy thread: a good part of one core at least.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        assert!(usage.generator > 40.0 / cores, "{usage}");
    }
}
