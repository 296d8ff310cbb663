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

    // The bucket's arithmetic is tested with synthetic instants, the async wait with tokio's
    // paused clock (`start_paused`: virtual time jumps straight to the next timer, so elapsed
    // virtual time is exact), plus one short real-time check.
    //
    // The paused tests use rates whose intervals are whole milliseconds that binary floating
    // point holds exactly (1/4 s, 1/8 s, 1/2 s): tokio's timer rounds a deadline up to the next
    // millisecond, so an interval like 1/3 s would wake 0.33 ms late.

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

    /// Time since `start`, in whole milliseconds (exact under a paused clock).
    fn since(start: Instant) -> u64 {
        Instant::now().duration_since(start).as_millis() as u64
    }

    /// Counts how often the wrapped future is polled.
    struct CountPolls<F> {
        inner: std::pin::Pin<Box<F>>,
        polls: Arc<std::sync::atomic::AtomicUsize>,
    }

    impl<F: std::future::Future> std::future::Future for CountPolls<F> {
        type Output = F::Output;

        fn poll(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<F::Output> {
            self.polls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.inner.as_mut().poll(cx)
        }
    }

    fn count_polls<F: std::future::Future>(
        fut: F,
    ) -> (CountPolls<F>, Arc<std::sync::atomic::AtomicUsize>) {
        let polls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        (
            CountPolls {
                inner: Box::pin(fut),
                polls: polls.clone(),
            },
            polls,
        )
    }

    #[tokio::test(start_paused = true)]
    async fn virtual_time_burst_goes_at_once_then_one_every_interval() {
        let bucket = TokenBucket::new(RateLimit {
            per_second: 4.0,
            burst: 3,
        });
        let start = Instant::now();
        let mut done = Vec::new();
        for _ in 0..7 {
            bucket.acquire().await;
            done.push(since(start));
        }
        // The burst of 3 at t=0, then exactly 1/rate = 250 ms apart.
        assert_eq!(done, [0, 0, 0, 250, 500, 750, 1000]);

        // A quiet period refills the bucket to the burst, never beyond it.
        tokio::time::advance(Duration::from_secs(60)).await;
        let start = Instant::now();
        let mut done = Vec::new();
        for _ in 0..5 {
            bucket.acquire().await;
            done.push(since(start));
        }
        assert_eq!(done, [0, 0, 0, 250, 500]);

        // A partial refill: 125 ms after the last token half a token is back, so the next
        // caller waits the other 125 ms.
        tokio::time::advance(ms(125)).await;
        let start = Instant::now();
        bucket.acquire().await;
        assert_eq!(since(start), 125);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_of_one_account_share_one_bucket_and_never_exceed_the_rate() {
        const CALLERS: u64 = 60;
        const BURST: u64 = 4;
        const INTERVAL_MS: u64 = 125; // 8 per second
        let limiters = RateLimiters::new(RateLimit {
            per_second: 8.0,
            burst: BURST as u32,
        });
        let start = Instant::now();
        // Every caller looks its bucket up in the registry itself, as every client does.
        let tasks: Vec<_> = (0..CALLERS)
            .map(|_| {
                let limiters = limiters.clone();
                tokio::spawn(async move {
                    limiters.bucket(key("AK1", "cn-hangzhou")).acquire().await;
                    since(start)
                })
            })
            .collect();
        let mut done = Vec::new();
        for t in tasks {
            done.push(t.await.unwrap());
        }
        done.sort_unstable();
        // The exact schedule: the burst at once, then one caller every 125 ms, no two together.
        let want: Vec<u64> = (0..CALLERS)
            .map(|k| k.saturating_sub(BURST - 1) * INTERVAL_MS)
            .collect();
        assert_eq!(done, want);
        assert_eq!(since(start), (CALLERS - BURST) * INTERVAL_MS);
        // Over any one-second window (starting at any completion) no more than
        // burst + rate * 1 s callers went through.
        for (i, &t0) in done.iter().enumerate() {
            let in_window = done[i..].iter().take_while(|&&t| t < t0 + 1000).count() as u64;
            assert!(
                in_window <= BURST + 8,
                "{in_window} calls in [{t0}, {t0}+1000) ms"
            );
            // After the burst is spent the steady state holds exactly: 8 per second.
            if t0 >= BURST * INTERVAL_MS && t0 + 1000 <= *done.last().unwrap() {
                assert_eq!(in_window, 8, "window at {t0} ms");
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn different_accounts_regions_and_clouds_do_not_share() {
        let limiters = RateLimiters::new(RateLimit {
            per_second: 2.0,
            burst: 1,
        });
        let keys = [
            key("AK1", "cn-hangzhou"),
            key("AK2", "cn-hangzhou"),
            key("AK1", "cn-beijing"),
            LimiterKey {
                cloud: Cloud::Huawei,
                ..key("AK1", "cn-hangzhou")
            },
        ];
        let start = Instant::now();
        let tasks: Vec<_> = keys
            .iter()
            .flat_map(|k| std::iter::repeat_n(k.clone(), 3))
            .map(|k| {
                let limiters = limiters.clone();
                tokio::spawn(async move {
                    limiters.bucket(k.clone()).acquire().await;
                    (k, since(start))
                })
            })
            .collect();
        let mut by_key: HashMap<LimiterKey, Vec<u64>> = HashMap::new();
        for t in tasks {
            let (k, at) = t.await.unwrap();
            by_key.entry(k).or_default().push(at);
        }
        // Each key paces only its own callers: 0, 500, 1000 ms for every one of the four.
        for k in &keys {
            let mut times = by_key.remove(k).unwrap();
            times.sort_unstable();
            assert_eq!(times, [0, 500, 1000], "{k:?}");
        }
        // Twelve calls in 1 s, where one shared bucket would have needed 5.5 s.
        assert_eq!(since(start), 1000);
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_sleeps_until_due_without_polling_in_between() {
        let bucket = Arc::new(TokenBucket::new(RateLimit {
            per_second: 0.5,
            burst: 1,
        }));
        // The free token: ready on the first poll.
        let (first, polls) = count_polls(bucket.acquire());
        first.await;
        assert_eq!(polls.load(std::sync::atomic::Ordering::SeqCst), 1);

        // Five waiters, due at 2, 4, 6, 8 and 10 s: each is polled once to start its sleep and
        // once when woken at its due time, never in between.
        let start = Instant::now();
        let tasks: Vec<_> = (0..5)
            .map(|_| {
                let bucket = bucket.clone();
                let (fut, polls) = count_polls(async move { bucket.acquire().await });
                tokio::spawn(async move {
                    fut.await;
                    (
                        since(start),
                        polls.load(std::sync::atomic::Ordering::SeqCst),
                    )
                })
            })
            .collect();
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.unwrap());
        }
        results.sort_unstable();
        assert_eq!(
            results,
            [(2000, 2), (4000, 2), (6000, 2), (8000, 2), (10_000, 2)]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_wait_still_spends_its_token() {
        let bucket = TokenBucket::new(RateLimit {
            per_second: 4.0,
            burst: 1,
        });
        let start = Instant::now();
        bucket.acquire().await;
        // This caller gives up after 100 ms of its 250 ms wait...
        let gave_up = tokio::time::timeout(ms(100), bucket.acquire()).await;
        assert!(gave_up.is_err());
        assert_eq!(since(start), 100);
        // ...and its token stays spent: the next one is due at 500 ms, not 250 ms.
        bucket.acquire().await;
        assert_eq!(since(start), 500);
    }
}
