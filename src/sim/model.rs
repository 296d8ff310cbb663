//! Node-count progress over time, as pure functions of a timestamp (milliseconds since the Unix
//! epoch): nothing ticks, every answer is computed from when the last change happened.

use serde::{Deserialize, Serialize};

/// Why a pool cannot reach its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Blocked {
    /// The flavor / instance type is sold out: no node can be added.
    SoldOut,
    /// The cluster's node quota stops growth at `cap`.
    Quota,
    /// Node creation fails: the pool ends in Error / failed.
    Failed,
}

/// One move of a pool's node count from `from` toward `to`, started at `since_ms`.
///
/// Nodes start moving `delay_ms` after `since_ms` and then change by one every `step_ms`. Growth
/// stops at `cap` (sold out, quota); shrinking is never blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Node count when the move started.
    pub from: u32,
    /// Target node count.
    pub to: u32,
    /// Most nodes the pool can reach during this move.
    pub cap: u32,
    /// When the move started.
    pub since_ms: i64,
    /// Wait before the first node changes.
    pub delay_ms: i64,
    /// Time per node.
    pub step_ms: i64,
    /// Why growth is limited, if it is.
    pub blocked: Option<Blocked>,
}

impl Progress {
    /// A move that starts now.
    pub fn new(from: u32, to: u32, now_ms: i64, delay_ms: i64, step_ms: i64) -> Self {
        Self {
            from,
            to,
            cap: u32::MAX,
            since_ms: now_ms,
            delay_ms,
            step_ms,
            blocked: None,
        }
    }

    /// Limits growth: the pool cannot go above `cap` nodes, for `why`.
    pub fn limit(mut self, cap: u32, why: Blocked) -> Self {
        if self.to > self.from && cap < self.to {
            self.cap = cap.max(self.from);
            self.blocked = Some(why);
        }
        self
    }

    /// Node creation fails: the count stays where it is.
    pub fn fail(mut self) -> Self {
        self.cap = self.from;
        self.blocked = Some(Blocked::Failed);
        self
    }

    /// The count this move ends at.
    pub fn reach(&self) -> u32 {
        if self.blocked == Some(Blocked::Failed) {
            self.from
        } else if self.to > self.from {
            self.to.min(self.cap)
        } else {
            self.to
        }
    }

    /// Whether the count ends short of the target.
    pub fn is_short(&self) -> bool {
        self.reach() != self.to
    }

    /// When the move is over.
    pub fn settled_at(&self) -> i64 {
        let nodes = i64::from(self.reach().abs_diff(self.from));
        self.since_ms + self.delay_ms + nodes * self.step_ms
    }

    /// Whether the move is over at `now_ms`.
    pub fn is_settled(&self, now_ms: i64) -> bool {
        now_ms >= self.settled_at()
    }

    /// Whether the initial delay is still running.
    pub fn in_delay(&self, now_ms: i64) -> bool {
        now_ms < self.since_ms + self.delay_ms
    }

    /// The node count at `now_ms`.
    pub fn count(&self, now_ms: i64) -> u32 {
        let elapsed = now_ms - self.since_ms - self.delay_ms;
        let reach = self.reach();
        if elapsed < 0 {
            return self.from;
        }
        let diff = reach.abs_diff(self.from);
        let moved = if self.step_ms <= 0 {
            diff
        } else {
            u32::try_from(elapsed / self.step_ms)
                .unwrap_or(u32::MAX)
                .min(diff)
        };
        if reach >= self.from {
            self.from + moved
        } else {
            self.from - moved
        }
    }

    /// Starts a new move toward `to` from wherever this one is at `now_ms`.
    pub fn retarget(&self, to: u32, now_ms: i64, step_ms: i64) -> Self {
        Self::new(self.count(now_ms), to, now_ms, 0, step_ms)
    }
}

/// The current time in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// A random lowercase hex string of `n` characters.
pub fn random_hex(n: usize) -> String {
    (0..n)
        .map(|_| char::from_digit(fastrand::u32(0..16), 16).unwrap_or('0'))
        .collect()
}

/// A random UUID-shaped id (version 4 layout).
pub fn random_uuid() -> String {
    let h = random_hex(32);
    format!(
        "{}-{}-4{}-{}{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        ["8", "9", "a", "b"][fastrand::usize(0..4)],
        &h[17..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_one_node_per_step_after_the_delay() {
        let p = Progress::new(0, 3, 1000, 500, 100);
        assert_eq!(p.count(1000), 0);
        assert_eq!(p.count(1499), 0);
        assert!(p.in_delay(1499));
        assert_eq!(p.count(1500), 0);
        assert_eq!(p.count(1600), 1);
        assert_eq!(p.count(1799), 2);
        assert!(!p.is_settled(1799));
        assert_eq!(p.count(1800), 3);
        assert!(p.is_settled(1800));
        assert_eq!(p.count(99_999), 3);
    }

    #[test]
    fn shrinks_and_retargets_from_the_current_count() {
        let p = Progress::new(5, 2, 0, 0, 10);
        assert_eq!(p.count(15), 4);
        let q = p.retarget(6, 15, 10);
        assert_eq!((q.from, q.to), (4, 6));
        assert_eq!(q.count(35), 6);
        let instant = Progress::new(0, 7, 0, 0, 0);
        assert_eq!(instant.count(0), 7);
    }

    #[test]
    fn blocked_moves_stop_short() {
        let sold = Progress::new(1, 4, 0, 0, 10).limit(1, Blocked::SoldOut);
        assert_eq!(sold.count(1000), 1);
        assert!(sold.is_short() && sold.is_settled(0));
        let quota = Progress::new(0, 4, 0, 0, 10).limit(2, Blocked::Quota);
        assert_eq!(quota.count(1000), 2);
        assert_eq!(quota.settled_at(), 20);
        // Shrinking is never limited.
        let down = Progress::new(4, 1, 0, 0, 10).limit(0, Blocked::SoldOut);
        assert_eq!(down.blocked, None);
        assert_eq!(down.count(1000), 1);
        let failed = Progress::new(0, 3, 0, 100, 10).fail();
        assert_eq!(failed.count(1000), 0);
        assert_eq!(failed.settled_at(), 100);
    }

    #[test]
    fn ids_have_the_right_shape() {
        let u = random_uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(u.as_bytes()[14], b'4');
        assert_eq!(random_hex(24).len(), 24);
    }
}
