//! A budget shared by threads: each takes a part of it, in the order they asked, and waits until
//! that part is free.
//!
//! Two things are bounded this way: how many originals are held at once (each takes 1), and how
//! much memory the conversions running at once may take (each takes its estimate). First come,
//! first served, so a large conversion is never overtaken for ever by small ones.

use std::sync::{Condvar, Mutex, MutexGuard};

pub(super) struct Budget {
    state: Mutex<State>,
    changed: Condvar,
    capacity: u64,
}

struct State {
    taken: u64,
    /// The ticket of the next to ask, and of the first still waiting.
    next: u64,
    serving: u64,
}

/// A part of a budget, given back when dropped.
pub(super) struct Lease<'a> {
    budget: &'a Budget,
    amount: u64,
}

impl Budget {
    pub fn new(capacity: u64) -> Self {
        Budget {
            state: Mutex::new(State {
                taken: 0,
                next: 0,
                serving: 0,
            }),
            changed: Condvar::new(),
            capacity: capacity.max(1),
        }
    }

    /// Waits for the turn of this call and until `amount` fits beside what is taken; an amount
    /// larger than the whole budget waits until nothing else is taken, then takes all of it.
    pub fn take(&self, amount: u64) -> Lease<'_> {
        let amount = amount.min(self.capacity);
        let mut state = self.lock();
        let ticket = state.next;
        state.next += 1;
        while state.serving != ticket || state.taken + amount > self.capacity {
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        state.serving += 1;
        state.taken += amount;
        drop(state);
        // The next in line may fit beside this one.
        self.changed.notify_all();
        Lease {
            budget: self,
            amount,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        self.budget.lock().taken -= self.amount;
        self.budget.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    /// Waits until `n` calls of `take` have asked, granted or not.
    fn asked(budget: &Budget, n: u64) {
        while budget.lock().next < n {
            std::thread::yield_now();
        }
    }

    #[test]
    fn parts_that_fit_together_are_taken_together() {
        let budget = Budget::new(10);
        // Neither waits: from one thread, a second `take` that had to wait would never return.
        let a = budget.take(4);
        let b = budget.take(6);
        assert_eq!(budget.lock().taken, 10);
        drop((a, b));
        assert_eq!(budget.lock().taken, 0);
    }

    #[test]
    fn what_is_taken_at_once_stays_within_the_budget() {
        let budget = Budget::new(10);
        let taken = AtomicU64::new(0);
        let most = AtomicU64::new(0);
        std::thread::scope(|s| {
            for i in 0..8u64 {
                let (budget, taken, most) = (&budget, &taken, &most);
                s.spawn(move || {
                    for _ in 0..20 {
                        let amount = 1 + (i % 4) * 2;
                        let _lease = budget.take(amount);
                        let now = taken.fetch_add(amount, Ordering::SeqCst) + amount;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_micros(200));
                        taken.fetch_sub(amount, Ordering::SeqCst);
                    }
                });
            }
        });
        let most = most.load(Ordering::SeqCst);
        assert!(most <= 10, "{most} taken at once");
    }

    #[test]
    fn more_than_the_budget_runs_alone_and_in_its_turn() {
        let budget = Budget::new(10);
        let small = budget.take(3);
        let order = Mutex::new(Vec::new());
        std::thread::scope(|s| {
            s.spawn(|| {
                let _all = budget.take(25);
                order.lock().unwrap().push("large");
            });
            // The large one asked first; the small one that fits must wait behind it.
            asked(&budget, 2);
            s.spawn(|| {
                let _lease = budget.take(1);
                order.lock().unwrap().push("small");
            });
            asked(&budget, 3);
            std::thread::sleep(Duration::from_millis(20));
            assert!(
                order.lock().unwrap().is_empty(),
                "the large one ran beside a lease, or the small one overtook it"
            );
            drop(small);
        });
        assert_eq!(*order.lock().unwrap(), ["large", "small"]);
    }
}
