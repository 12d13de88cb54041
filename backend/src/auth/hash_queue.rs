//! Fair admission to password hashing (API.md "Hashing is fair").
//!
//! Hashing runs one job per core, first come first served, so a flood of
//! logins from one address would make everyone else's login wait behind all
//! of it. Each client address therefore has only a few hashes in that queue
//! at once; a few more of its requests wait their turn outside it, and the
//! rest are refused at once with 429, before they cost a hash or a database
//! write. Those few are let in to hash fairly (`hash_slots`): a login from
//! another address waits for one of the flood's hashes at most.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Hashes one address may have in the shared queue at once.
pub const IN_QUEUE: usize = 4;
/// Requests of one address that may wait for one of those places: enough
/// for a burst of people behind one NAT, bounded so a flood costs nothing.
pub const WAITING: usize = 32;

#[derive(Debug, Default)]
pub struct HashQueue {
    clients: Mutex<HashMap<String, Client>>,
}

#[derive(Debug)]
struct Client {
    places: Arc<Semaphore>,
    /// Requests admitted: holding a place or waiting for one.
    admitted: usize,
}

/// A place in the queue, given up when dropped.
#[derive(Debug)]
pub struct Admitted {
    queue: Arc<HashQueue>,
    client: String,
    _place: Option<OwnedSemaphorePermit>,
}

impl Admitted {
    /// The client address this place is held for.
    pub fn client(&self) -> &str {
        &self.client
    }
}

impl HashQueue {
    /// Waits for a place for `client`; `None` at once if too many of its
    /// requests are already waiting.
    pub async fn admit(self: &Arc<Self>, client: &str) -> Option<Admitted> {
        let places = {
            let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
            let entry = clients.entry(client.to_owned()).or_insert_with(|| Client {
                places: Arc::new(Semaphore::new(IN_QUEUE)),
                admitted: 0,
            });
            if entry.admitted >= IN_QUEUE + WAITING {
                return None;
            }
            entry.admitted += 1;
            Arc::clone(&entry.places)
        };
        let mut admitted = Admitted {
            queue: Arc::clone(self),
            client: client.to_owned(),
            _place: None,
        };
        // Dropping `admitted` (the request went away while waiting) gives
        // the count back; the semaphore is never closed.
        admitted._place = places.acquire_owned().await.ok();
        Some(admitted)
    }

    /// Requests of `client` holding a place or waiting for one.
    pub fn admitted(&self, client: &str) -> usize {
        let clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        clients.get(client).map_or(0, |c| c.admitted)
    }

    fn release(&self, client: &str) {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = clients.get_mut(client) {
            entry.admitted -= 1;
            if entry.admitted == 0 {
                clients.remove(client);
            }
        }
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.queue.release(&self.client);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn an_address_holds_a_few_places_and_a_bounded_wait() {
        let queue = Arc::new(HashQueue::default());
        let mut held = Vec::new();
        for _ in 0..IN_QUEUE {
            held.push(queue.admit("10.0.0.1").await.unwrap());
        }
        // The next ones wait for a place...
        let waiting: Vec<_> = (0..WAITING)
            .map(|_| {
                let queue = Arc::clone(&queue);
                tokio::spawn(async move { queue.admit("10.0.0.1").await.is_some() })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(waiting.iter().all(|w| !w.is_finished()));
        // ...beyond them the address is refused at once, another is not.
        assert!(queue.admit("10.0.0.1").await.is_none());
        assert!(queue.admit("10.0.0.2").await.is_some());
        drop(held);
        for w in waiting {
            assert!(w.await.unwrap());
        }
        assert!(queue.clients.lock().unwrap().is_empty());
    }

    /// A flood of 300 from one address, then one request from another, all
    /// served one at a time by the hashing slots: the latecomer is served
    /// as soon as the flood's hash that is running ends, before the
    /// flood's others, and the flood costs at most `IN_QUEUE + WAITING`.
    #[tokio::test]
    async fn a_flood_from_one_address_is_served_a_few_at_a_time() {
        let queue = Arc::new(HashQueue::default());
        let cores = crate::auth::hash_slots::HashSlots::new(1);
        let served = Arc::new(Mutex::new(Vec::new()));
        let request = |client: &'static str, id: usize| {
            let (queue, cores, served) = (queue.clone(), cores.clone(), served.clone());
            tokio::spawn(async move {
                let Some(_place) = queue.admit(client).await else {
                    return;
                };
                let _core = cores.acquire(client).await;
                served.lock().unwrap().push(id);
                tokio::time::sleep(Duration::from_micros(100)).await;
            })
        };
        let mut all: Vec<_> = (0..300).map(|i| request("203.0.113.66", i)).collect();
        // Every flood task has run up to where it waits.
        tokio::time::sleep(Duration::from_millis(20)).await;
        all.push(request("198.51.100.10", 1000));
        // Counted from when it waits for a slot (one of the flood's holds it).
        while !cores.is_waiting("198.51.100.10") {
            tokio::task::yield_now().await;
        }
        let before = served.lock().unwrap().len();
        for task in all {
            task.await.unwrap();
        }
        let served = served.lock().unwrap();
        let position = served.iter().position(|id| *id == 1000).unwrap() - before;
        // Right after the one running: not after the `IN_QUEUE` (4) of the
        // flood waiting, nor the hundreds behind them.
        assert_eq!(
            position, 0,
            "served after {position} more of the flood ({before} before it came)"
        );
        assert!(served.len() <= IN_QUEUE + WAITING + 1, "{}", served.len());
    }

    #[tokio::test]
    async fn a_request_that_stops_waiting_gives_its_place_back() {
        let queue = Arc::new(HashQueue::default());
        let held: Vec<_> = hold(&queue, IN_QUEUE).await;
        let gave_up =
            tokio::time::timeout(Duration::from_millis(20), queue.admit("10.0.0.1")).await;
        assert!(gave_up.is_err());
        drop(held);
        assert!(queue.clients.lock().unwrap().is_empty());
    }

    async fn hold(queue: &Arc<HashQueue>, n: usize) -> Vec<Admitted> {
        let mut held = Vec::new();
        for _ in 0..n {
            held.push(queue.admit("10.0.0.1").await.unwrap());
        }
        held
    }
}
