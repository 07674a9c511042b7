//! Restart timing of a crashed replica ([`RestartPolicy`]): exponential
//! backoff, crash-loop detection, reset after a stable run. Pure: time is an
//! input, so it is tested without waiting.

use daytwo_spec::RestartPolicy;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// What to do after one exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RestartDecision {
    /// Wait this long before starting again.
    pub delay: Duration,
    /// The replica crashed `crashloop_threshold` times within `crashloop_window`.
    pub crashloop: bool,
}

#[derive(Debug)]
pub(crate) struct RestartBackoff {
    policy: RestartPolicy,
    next_delay: Duration,
    crashes: VecDeque<Instant>,
}

impl RestartBackoff {
    pub fn new(policy: RestartPolicy) -> Self {
        Self {
            next_delay: policy.backoff,
            policy,
            crashes: VecDeque::new(),
        }
    }

    /// Records an exit at `now` after the replica ran for `ran_for`.
    pub fn on_exit(&mut self, now: Instant, ran_for: Duration) -> RestartDecision {
        if ran_for >= self.policy.reset_after {
            self.next_delay = self.policy.backoff;
        }
        self.crashes.push_back(now);
        while let Some(first) = self.crashes.front() {
            if now.duration_since(*first) > self.policy.crashloop_window {
                self.crashes.pop_front();
            } else {
                break;
            }
        }
        let threshold = self.policy.crashloop_threshold.max(1) as usize;
        let crashloop = self.crashes.len() >= threshold;
        let delay = if crashloop {
            self.policy.max_backoff
        } else {
            self.next_delay.min(self.policy.max_backoff)
        };
        self.next_delay = (self.next_delay * 2).min(self.policy.max_backoff);
        RestartDecision { delay, crashloop }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RestartPolicy {
        RestartPolicy {
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(8),
            crashloop_threshold: 5,
            crashloop_window: Duration::from_secs(60),
            reset_after: Duration::from_secs(30),
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let mut backoff = RestartBackoff::new(RestartPolicy {
            crashloop_threshold: 100,
            ..policy()
        });
        let start = Instant::now();
        let delays: Vec<u64> = (0..6)
            .map(|i| {
                backoff
                    .on_exit(start + Duration::from_secs(i), Duration::ZERO)
                    .delay
                    .as_secs()
            })
            .collect();
        assert_eq!(delays, [1, 2, 4, 8, 8, 8]);
    }

    #[test]
    fn crashes_within_the_window_mark_a_crash_loop_at_max_backoff() {
        let mut backoff = RestartBackoff::new(policy());
        let start = Instant::now();
        for i in 0..4 {
            let decision = backoff.on_exit(start + Duration::from_secs(i), Duration::ZERO);
            assert!(!decision.crashloop, "crash {i}");
        }
        let decision = backoff.on_exit(start + Duration::from_secs(4), Duration::ZERO);
        assert_eq!(
            decision,
            RestartDecision {
                delay: Duration::from_secs(8),
                crashloop: true
            }
        );
    }

    #[test]
    fn crashes_older_than_the_window_do_not_count() {
        let mut backoff = RestartBackoff::new(policy());
        let start = Instant::now();
        for i in 0..5 {
            let decision = backoff.on_exit(start + Duration::from_secs(i * 20), Duration::ZERO);
            assert!(!decision.crashloop, "crash {i}");
        }
    }

    #[test]
    fn a_stable_run_resets_the_backoff() {
        let mut backoff = RestartBackoff::new(policy());
        let start = Instant::now();
        backoff.on_exit(start, Duration::ZERO);
        backoff.on_exit(start, Duration::ZERO);
        let decision = backoff.on_exit(start, Duration::from_secs(31));
        assert_eq!(decision.delay, Duration::from_secs(1));
    }
}
