//! Capped exponential backoff for transient SSH faults (reset, timeout, auth while booting).
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Total time to keep retrying one operation before giving up.
    pub budget: Duration,
    /// First pause; doubles after each attempt up to `cap`.
    pub base: Duration,
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            budget: Duration::from_secs(120),
            base: Duration::from_millis(250),
            cap: Duration::from_secs(8),
        }
    }
}

/// Tracks retries against the policy. The budget is for one outage: its clock starts at the
/// first fault (the first `wait`), and a successful reconnection (`recovered`) ends the outage,
/// so the next fault gets a whole budget again, however long the stage has been running.
pub struct Backoff {
    policy: RetryPolicy,
    /// When the current outage began; None while the connection is fine.
    since: Option<Instant>,
    next: Duration,
    /// Retries within the current outage.
    pub attempts: u32,
    /// Outages that ended in a reconnection.
    outages: u32,
}

impl Backoff {
    pub fn new(policy: RetryPolicy) -> Backoff {
        Backoff {
            policy,
            since: None,
            next: policy.base,
            attempts: 0,
            outages: 0,
        }
    }

    /// Sleeps before the next attempt and returns true, or returns false when the current
    /// outage would outlast the budget.
    pub fn wait(&mut self) -> bool {
        let since = *self.since.get_or_insert_with(Instant::now);
        let pause = self.next.min(self.policy.cap);
        if since.elapsed().saturating_add(pause) > self.policy.budget {
            return false;
        }
        std::thread::sleep(pause);
        self.next = self.next.saturating_mul(2).min(self.policy.cap);
        self.attempts += 1;
        true
    }

    /// The node answers again: the outage (if any) is over.
    pub fn recovered(&mut self) {
        if self.since.take().is_some() {
            self.outages += 1;
        }
        self.next = self.policy.base;
        self.attempts = 0;
    }

    /// Outages so far that ended in a reconnection.
    pub fn outages(&self) -> u32 {
        self.outages
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_is_capped_and_respects_the_budget() {
        let mut b = Backoff::new(RetryPolicy {
            budget: Duration::from_millis(100),
            base: Duration::from_millis(10),
            cap: Duration::from_millis(40),
        });
        // 10 + 20 + 40 = 70 ms fit; the next 40 ms pause would end at 110 ms > 100 ms.
        assert!(b.wait());
        assert!(b.wait());
        assert!(b.wait());
        assert!(!b.wait());
        assert_eq!(b.attempts, 3);
    }

    #[test]
    fn the_budget_starts_at_the_fault_and_a_reconnection_renews_it() {
        let policy = RetryPolicy {
            budget: Duration::from_millis(100),
            base: Duration::from_millis(10),
            cap: Duration::from_millis(40),
        };
        let mut b = Backoff::new(policy);
        // Time before the first fault (a long stage) does not count.
        std::thread::sleep(Duration::from_millis(150));
        assert!(b.wait(), "the first fault has the whole budget");
        assert!(b.wait() && b.wait());
        assert!(!b.wait(), "the outage outlasted the budget");
        b.recovered();
        assert_eq!((b.attempts, b.outages()), (0, 1));
        assert!(
            b.wait() && b.wait() && b.wait(),
            "a new outage, a new budget"
        );
        assert!(!b.wait());
    }
}
