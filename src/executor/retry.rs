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

/// Tracks one operation's retries against the policy.
pub struct Backoff {
    policy: RetryPolicy,
    started: Instant,
    next: Duration,
    pub attempts: u32,
}

impl Backoff {
    pub fn new(policy: RetryPolicy) -> Backoff {
        Backoff {
            policy,
            started: Instant::now(),
            next: policy.base,
            attempts: 0,
        }
    }

    /// Sleeps before the next attempt and returns true, or returns false when the budget
    /// would be exceeded.
    pub fn wait(&mut self) -> bool {
        let pause = self.next.min(self.policy.cap);
        if self.started.elapsed() + pause > self.policy.budget {
            return false;
        }
        std::thread::sleep(pause);
        self.next = (self.next * 2).min(self.policy.cap);
        self.attempts += 1;
        true
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
}
