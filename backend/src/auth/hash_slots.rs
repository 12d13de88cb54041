//! The hashing slots, one per core, handed out fairly between client
//! addresses (API.md "Hashing is fair").
//!
//! `hash_queue` lets each address have a few hashes waiting here at once.
//! A first-come-first-served gate would still make a login from another
//! address wait behind every one of those; so when a slot frees, it goes to
//! the waiting request whose address has the fewest hashes running (the
//! one that just ended still counting), the one that has waited longest
//! among equals. While a flood from one address holds every slot, a login
//! from another address takes the next slot that frees: it waits for one
//! hash at most, not for the flood's queue.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;

/// A fixed number of slots and the requests waiting for one.
#[derive(Debug)]
pub struct HashSlots {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    free: usize,
    /// Slots held, per client address.
    running: HashMap<Arc<str>, usize>,
    /// In the order they came.
    waiting: VecDeque<Waiter>,
}

#[derive(Debug)]
struct Waiter {
    client: Arc<str>,
    wake: oneshot::Sender<Slot>,
}

/// A slot, given back (to the next waiter chosen fairly) when dropped.
#[derive(Debug)]
pub struct Slot {
    slots: Arc<HashSlots>,
    client: Arc<str>,
}

impl HashSlots {
    pub fn new(slots: usize) -> Arc<HashSlots> {
        Arc::new(HashSlots {
            state: Mutex::new(State {
                free: slots,
                running: HashMap::new(),
                waiting: VecDeque::new(),
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a slot for a request of `client`. A request dropped while
    /// waiting leaves the queue; one dropped just as it was given a slot
    /// gives the slot on.
    pub async fn acquire(self: &Arc<Self>, client: &str) -> Slot {
        let client: Arc<str> = client.into();
        let woken = {
            let mut state = self.lock();
            if state.free > 0 {
                state.free -= 1;
                *state.running.entry(Arc::clone(&client)).or_default() += 1;
                return Slot {
                    slots: Arc::clone(self),
                    client,
                };
            }
            let (wake, woken) = oneshot::channel();
            state.waiting.push_back(Waiter { client, wake });
            woken
        };
        // The sender is only ever dropped after sending: a waiter leaves the
        // queue by being given a slot.
        woken.await.expect("a waiter is given a slot")
    }

    /// `client`'s slot is free: it goes to the fairest waiter, or back to
    /// the free ones.
    fn release(self: &Arc<Self>, client: &Arc<str>) {
        let next = {
            let mut state = self.lock();
            state.waiting.retain(|w| !w.wake.is_closed());
            // Chosen while `client` still counts this slot as running: with
            // one slot, the address that just had it goes after the others.
            let fairest = state
                .waiting
                .iter()
                .enumerate()
                .min_by_key(|(order, w)| (state.running.get(&w.client).copied(), *order))
                .map(|(order, _)| order);
            if let Some(held) = state.running.get_mut(client) {
                *held -= 1;
                if *held == 0 {
                    state.running.remove(client);
                }
            }
            match fairest.and_then(|i| state.waiting.remove(i)) {
                Some(next) => {
                    *state.running.entry(Arc::clone(&next.client)).or_default() += 1;
                    next
                }
                None => {
                    state.free += 1;
                    return;
                }
            }
        };
        let slot = Slot {
            slots: Arc::clone(self),
            client: next.client,
        };
        // Sent outside the lock: if the waiter went away meanwhile, the slot
        // comes back and its drop releases it again, to the next one.
        let _ = next.wake.send(slot);
    }

    #[cfg(test)]
    fn waiting(&self) -> usize {
        self.lock().waiting.len()
    }

    /// Whether a request of `client` is waiting.
    #[cfg(test)]
    pub(crate) fn is_waiting(&self, client: &str) -> bool {
        self.lock().waiting.iter().any(|w| &*w.client == client)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.slots.release(&self.client);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Requests queued for one slot, in the order they were queued.
    async fn queue_up(
        slots: &Arc<HashSlots>,
        clients: &[&'static str],
    ) -> Vec<tokio::task::JoinHandle<Slot>> {
        let mut tasks = Vec::new();
        for &client in clients {
            let queued = Arc::clone(slots);
            tasks.push(tokio::spawn(async move { queued.acquire(client).await }));
            while slots.waiting() < tasks.len() {
                tokio::task::yield_now().await;
            }
        }
        tasks
    }

    #[tokio::test]
    async fn the_next_slot_goes_to_the_address_with_fewest_running() {
        let slots = HashSlots::new(2);
        let flood = [slots.acquire("flood").await, slots.acquire("flood").await];
        let mut queued = queue_up(&slots, &["flood", "flood", "flood", "real"]).await;
        let real = queued.pop().unwrap();

        // A flood hash ends: the real login, queued last, takes its slot.
        let [first, second] = flood;
        drop(first);
        let real = real.await.unwrap();
        assert_eq!(&*real.client, "real");
        assert!(queued.iter().all(|q| !q.is_finished()));

        // The next ones go to the flood, in the order they came.
        drop(second);
        let next = queued.remove(0).await.unwrap();
        assert_eq!(&*next.client, "flood");
        assert_eq!(slots.waiting(), 2);
        drop((real, next));
        for q in queued {
            drop(q.await.unwrap());
        }
        let state = slots.lock();
        assert_eq!(state.free, 2);
        assert!(state.running.is_empty() && state.waiting.is_empty());
    }

    #[tokio::test]
    async fn a_request_that_stops_waiting_passes_its_turn_on() {
        let slots = HashSlots::new(1);
        let held = slots.acquire("a").await;
        let mut queued = queue_up(&slots, &["b", "c"]).await;
        let gave_up = queued.remove(0);
        gave_up.abort();
        let _ = gave_up.await;
        drop(held);
        let next = tokio::time::timeout(Duration::from_secs(5), queued.remove(0))
            .await
            .expect("the slot reached the one still waiting")
            .unwrap();
        assert_eq!(&*next.client, "c");
        drop(next);
        assert_eq!(slots.lock().free, 1);
    }

    #[tokio::test]
    async fn free_slots_are_taken_at_once() {
        let slots = HashSlots::new(2);
        let a = slots.acquire("x").await;
        let b = slots.acquire("x").await;
        assert_eq!(slots.lock().free, 0);
        drop((a, b));
        assert_eq!(slots.lock().free, 2);
    }
}
