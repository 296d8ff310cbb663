//! Per-account rate limiting: one token bucket per (cloud, access key, region), shared by every
//! caller through a [`RateLimiters`] registry, so a whole fleet of NodePools stays under the
//! configured request rate of an account.
//!
//! Waiting is async (`tokio::time::sleep` until the token is due), never a busy loop. A caller
//! reserves its token when it asks: callers are served in the order they ask, and a caller whose
//! wait is cancelled still spends its token (the bucket stays conservative).
//!
//! When the cloud throttles anyway, the bucket halves its rate and honours the cloud's retry
//! hint for every caller of the account, then grows back to the configured rate (additive
//! increase, multiplicative decrease).

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
    /// The rate now: the configured rate, or less after the cloud throttled (see
    /// [`TokenBucket::throttled`]).
    rate: f64,
    /// When the rate was last lowered.
    lowered: Option<Instant>,
}

/// A token bucket. Cheap to share (`Arc`).
///
/// It adapts when the cloud throttles anyway (other clients of the account, a lower limit than
/// configured): [`throttled`](Self::throttled) halves the rate — once per [`LOWER_AT_MOST_EVERY`],
/// so that a burst of throttled answers to requests already in flight counts once — down to a
/// sixteenth of the configured rate, and honours the cloud's retry hint for every caller; the
/// rate then grows back linearly to the configured one over [`RECOVERY`].
#[derive(Debug)]
pub struct TokenBucket {
    max_rate: f64,
    burst: f64,
    state: Mutex<BucketState>,
}

/// The lowest rate, as a fraction of the configured one.
const MIN_RATE_FRACTION: f64 = 1.0 / 16.0;
/// How long the rate takes to grow from nothing back to the configured rate.
pub const RECOVERY: Duration = Duration::from_secs(60);
/// Throttled answers closer together than this lower the rate once.
pub const LOWER_AT_MOST_EVERY: Duration = Duration::from_secs(1);

impl TokenBucket {
    /// A full bucket.
    pub fn new(limit: RateLimit) -> Self {
        let burst = f64::from(limit.burst.max(1));
        let rate = limit.per_second.max(0.001);
        TokenBucket {
            max_rate: rate,
            burst,
            state: Mutex::new(BucketState {
                tokens: burst,
                last: Instant::now(),
                rate,
                lowered: None,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, BucketState> {
        // The lock is never held across an await and no code under it panics.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Brings the state to `now`: refill at the current rate, then let the rate grow back.
    fn advance(&self, state: &mut BucketState, now: Instant) {
        let elapsed = now.saturating_duration_since(state.last).as_secs_f64();
        state.tokens = (state.tokens + elapsed * state.rate).min(self.burst);
        state.rate =
            (state.rate + elapsed * self.max_rate / RECOVERY.as_secs_f64()).min(self.max_rate);
        state.last = state.last.max(now);
    }

    /// Reserves one token and returns how long the caller must wait before using it.
    pub fn reserve(&self) -> Duration {
        self.reserve_at(Instant::now())
    }

    /// [`reserve`](Self::reserve) at a given instant (for tests with a synthetic clock; `now`
    /// must not go backwards, an earlier instant counts as no time passed).
    pub fn reserve_at(&self, now: Instant) -> Duration {
        let mut state = self.state();
        self.advance(&mut state, now);
        state.tokens -= 1.0;
        if state.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-state.tokens / state.rate)
        }
    }

    /// Waits (asynchronously) until a token is available and takes it.
    pub async fn acquire(&self) {
        let wait = self.reserve();
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// The cloud throttled a request of this account anyway: lower the rate, and make every
    /// caller wait at least `retry_after` (the cloud's hint) from now.
    pub fn throttled(&self, retry_after: Option<Duration>) {
        self.throttled_at(Instant::now(), retry_after);
    }

    /// [`throttled`](Self::throttled) at a given instant.
    pub fn throttled_at(&self, now: Instant, retry_after: Option<Duration>) {
        let mut state = self.state();
        self.advance(&mut state, now);
        let recent = state
            .lowered
            .is_some_and(|at| now.saturating_duration_since(at) < LOWER_AT_MOST_EVERY);
        if !recent {
            state.rate = (state.rate / 2.0).max(self.max_rate * MIN_RATE_FRACTION);
            state.lowered = Some(now);
        }
        // No stored burst after a throttled answer; with a hint, the next token is due no
        // earlier than the hint says.
        state.tokens = state.tokens.min(0.0);
        if let Some(after) = retry_after {
            let hinted = -after.as_secs_f64() * state.rate;
            state.tokens = state.tokens.min(hinted);
        }
    }

    /// The rate now, in requests per second.
    pub fn rate(&self) -> f64 {
        let mut state = self.state();
        self.advance(&mut state, Instant::now());
        state.rate
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

    fn bucket(per_second: f64, burst: u32) -> TokenBucket {
        TokenBucket::new(RateLimit { per_second, burst })
    }

    #[test]
    fn a_throttled_answer_halves_the_rate_and_empties_the_burst() {
        let b = bucket(10.0, 10);
        let t0 = Instant::now();
        b.throttled_at(t0, None);
        // No burst left; tokens come at 5 per second: 200 ms apart.
        assert_eq!(b.reserve_at(t0), ms(200));
        assert_eq!(b.reserve_at(t0), ms(400));
        assert_eq!(b.reserve_at(t0), ms(600));
    }

    #[test]
    fn throttled_answers_close_together_lower_the_rate_once() {
        let b = bucket(10.0, 10);
        let t0 = Instant::now();
        for i in 0..8 {
            b.throttled_at(t0 + ms(i * 100), None);
        }
        // Halved once (to 5), plus 0.7 s of growing back (0.12); twice would be 2.5.
        let rate = b.state().rate;
        assert!((5.0..5.2).contains(&rate), "rate {rate}");
    }

    #[test]
    fn repeated_throttling_lowers_the_rate_down_to_a_sixteenth_and_no_further() {
        let b = bucket(16.0, 1);
        let mut t = Instant::now();
        for _ in 0..10 {
            b.throttled_at(t, None);
            t += LOWER_AT_MOST_EVERY;
        }
        let rate = b.state().rate;
        // Halved ten times would be 0.016; the floor is 1, plus what 10 s of recovery gave back.
        assert!(
            (1.0..1.0 + 10.0 * 16.0 / 60.0 + 0.01).contains(&rate),
            "rate {rate}"
        );
    }

    #[test]
    fn the_cloud_retry_hint_holds_every_caller_back() {
        let b = bucket(10.0, 10);
        let t0 = Instant::now();
        b.throttled_at(t0, Some(Duration::from_secs(3)));
        // 5 per second after halving: the hint is 15 tokens of debt; the next one is the 16th.
        assert_eq!(b.reserve_at(t0), ms(3200));
        // A caller arriving a second later comes after the first, not a new 3 s from now.
        let due = ms(1000) + b.reserve_at(t0 + ms(1000));
        assert!(due > ms(3200) && due < ms(3500), "due after {due:?}");
    }

    #[test]
    fn the_rate_grows_back_to_the_configured_one() {
        let b = bucket(10.0, 10);
        let t0 = Instant::now();
        b.throttled_at(t0, None);
        // Half of the rate comes back over half of RECOVERY.
        let half = RECOVERY / 2;
        let _ = b.reserve_at(t0 + half);
        assert!(
            (b.state().rate - 10.0).abs() < 1e-9,
            "rate {}",
            b.state().rate
        );
        let _ = b.reserve_at(t0 + RECOVERY * 2);
        assert_eq!(b.state().rate, 10.0, "never above the configured rate");
        // A quarter of the way: 5 + 2.5.
        let c = bucket(10.0, 10);
        c.throttled_at(t0, None);
        let _ = c.reserve_at(t0 + RECOVERY / 4);
        assert!(
            (c.state().rate - 7.5).abs() < 1e-3,
            "rate {}",
            c.state().rate
        );
    }
}
