//! Per-account rate limiting: one token bucket per (cloud, access key, region), shared by every
//! caller through a [`RateLimiters`] registry, so a whole fleet of NodePools stays under the
//! configured request rate of an account.
//!
//! Waiting is async (`tokio::time::sleep` until the token is due), never a busy loop. A caller
//! reserves its token when it asks: callers are served in the order they ask, and a caller whose
//! wait is cancelled still spends its token (the bucket stays conservative).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::Cloud;

/// A rate: `per_second` tokens are added each second, up to `burst` stored.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    /// Sustained requests per second (must be > 0; smaller values are raised to 0.001).
    pub per_second: f64,
    /// How many requests may go at once after a quiet period (at least 1).
    pub burst: u32,
}

impl Default for RateLimit {
    /// 5 requests per second, bursts of 10: well under the clouds' documented per-user API
    /// limits for node pool calls.
    fn default() -> Self {
        RateLimit {
            per_second: 5.0,
            burst: 10,
        }
    }
}

#[derive(Debug)]
struct BucketState {
    /// Tokens available; negative when callers have reserved tokens not yet due.
    tokens: f64,
    last: Instant,
}

/// A token bucket. Cheap to share (`Arc`).
#[derive(Debug)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    state: Mutex<BucketState>,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(limit: RateLimit) -> Self {
        let burst = f64::from(limit.burst.max(1));
        TokenBucket {
            rate: limit.per_second.max(0.001),
            burst,
            state: Mutex::new(BucketState {
                tokens: burst,
                last: Instant::now(),
            }),
        }
    }

    /// Reserves one token and returns how long the caller must wait before using it.
    pub fn reserve(&self) -> Duration {
        self.reserve_at(Instant::now())
    }

    /// [`reserve`](Self::reserve) at a given instant (for tests with a synthetic clock; `now`
    /// must not go backwards, an earlier instant counts as no time passed).
    pub fn reserve_at(&self, now: Instant) -> Duration {
        // The lock is never held across an await and no code under it panics.
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let elapsed = now.saturating_duration_since(state.last).as_secs_f64();
        state.tokens = (state.tokens + elapsed * self.rate).min(self.burst);
        state.last = state.last.max(now);
        state.tokens -= 1.0;
        if state.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-state.tokens / self.rate)
        }
    }

    /// Waits (asynchronously) until a token is available and takes it.
    pub async fn acquire(&self) {
        let wait = self.reserve();
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

/// What a bucket is keyed by: the cloud, the account's access key ID (or, for a Huawei IAM
/// token, `token:<project id>`), and the region.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LimiterKey {
    /// The cloud.
    pub cloud: Cloud,
    /// The access key ID (never a secret).
    pub account: String,
    /// The region.
    pub region: String,
}

/// The registry of buckets shared by every client of the process: clients built for the same
/// key get the same bucket.
#[derive(Debug)]
pub struct RateLimiters {
    limit: RateLimit,
    buckets: Mutex<HashMap<LimiterKey, Arc<TokenBucket>>>,
}

impl RateLimiters {
    /// A registry whose buckets all use `limit`.
    pub fn new(limit: RateLimit) -> Arc<Self> {
        Arc::new(RateLimiters {
            limit,
            buckets: Mutex::new(HashMap::new()),
        })
    }

    /// The bucket for `key`, created on first use.
    pub fn bucket(&self, key: LimiterKey) -> Arc<TokenBucket> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        buckets
            .entry(key)
            .or_insert_with(|| Arc::new(TokenBucket::new(self.limit)))
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(account: &str, region: &str) -> LimiterKey {
        LimiterKey {
            cloud: Cloud::Alibaba,
            account: account.into(),
            region: region.into(),
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    // `tokio::test(start_paused = true)` needs tokio's `test-util` feature, which Cargo.toml
    // does not enable; the bucket's arithmetic is tested with synthetic instants instead, and
    // the async wait with a short real one.

    #[test]
    fn burst_then_steady_rate() {
        let bucket = TokenBucket::new(RateLimit {
            per_second: 2.0,
            burst: 3,
        });
        let t0 = bucket.state.lock().unwrap().last;
        // The burst is free; then each token is due 500 ms after the previous one.
        let waits: Vec<Duration> = (0..6).map(|_| bucket.reserve_at(t0)).collect();
        assert_eq!(waits, [ms(0), ms(0), ms(0), ms(500), ms(1000), ms(1500)]);
        // 1.5 s later the three reservations are paid for and the bucket is empty.
        assert_eq!(bucket.reserve_at(t0 + ms(1500)), ms(500));
        // A quiet period refills up to the burst, not beyond.
        let later = t0 + Duration::from_secs(600);
        let waits: Vec<Duration> = (0..4).map(|_| bucket.reserve_at(later)).collect();
        assert_eq!(waits, [ms(0), ms(0), ms(0), ms(500)]);
        // An instant in the past counts as no time passed.
        assert_eq!(bucket.reserve_at(t0), ms(1000));
    }

    #[test]
    fn partial_refill() {
        let bucket = TokenBucket::new(RateLimit {
            per_second: 10.0,
            burst: 1,
        });
        let t0 = bucket.state.lock().unwrap().last;
        assert_eq!(bucket.reserve_at(t0), ms(0));
        assert_eq!(bucket.reserve_at(t0 + ms(40)), ms(60));
        assert_eq!(bucket.reserve_at(t0 + ms(200)), ms(0));
    }

    #[tokio::test]
    async fn acquire_waits_asynchronously_and_concurrent_callers_are_spaced() {
        let limiters = RateLimiters::new(RateLimit {
            per_second: 20.0,
            burst: 1,
        });
        let start = Instant::now();
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let bucket = limiters.bucket(key("AK1", "cn-hangzhou"));
                tokio::spawn(async move {
                    bucket.acquire().await;
                    Instant::now()
                })
            })
            .collect();
        let mut done = Vec::new();
        for t in tasks {
            done.push(t.await.unwrap().duration_since(start));
        }
        done.sort();
        // One immediately, then one every 50 ms.
        assert!(done[0] < ms(40), "{done:?}");
        for (i, d) in done.iter().enumerate().skip(1) {
            assert!(*d >= ms(50 * i as u64 - 1), "{done:?}");
        }
        assert!(done[3] < ms(1000), "{done:?}");
    }

    #[test]
    fn registry_shares_by_key_only() {
        let limiters = RateLimiters::new(RateLimit {
            per_second: 1.0,
            burst: 1,
        });
        let a = limiters.bucket(key("AK1", "cn-hangzhou"));
        let a2 = limiters.bucket(key("AK1", "cn-hangzhou"));
        assert!(Arc::ptr_eq(&a, &a2));
        let other_region = limiters.bucket(key("AK1", "cn-beijing"));
        let other_key = limiters.bucket(key("AK2", "cn-hangzhou"));
        let other_cloud = limiters.bucket(LimiterKey {
            cloud: Cloud::Huawei,
            ..key("AK1", "cn-hangzhou")
        });
        assert!(!Arc::ptr_eq(&a, &other_region));
        assert!(!Arc::ptr_eq(&a, &other_key));
        assert!(!Arc::ptr_eq(&a, &other_cloud));
        let now = Instant::now();
        assert_eq!(a.reserve_at(now), ms(0));
        // The shared bucket is empty now; the others are not.
        for other in [&other_region, &other_key, &other_cloud] {
            assert_eq!(other.reserve_at(now), ms(0));
        }
        assert!(a2.reserve_at(now) > ms(900));
    }
}
