//! Quantiles from a cumulative latency histogram, the way Prometheus'
//! `histogram_quantile` computes them: find the bucket holding the rank,
//! then interpolate linearly inside it (requests are assumed spread evenly
//! between the bucket's bounds). The error is at most the bucket's width;
//! the proxy's buckets are ~25 % apart (see `docs/proxy.md`).

/// The `q` quantile (0..=1) of a histogram: `bounds` are the finite upper
/// bounds (ascending, seconds), `cumulative[i]` the requests at most
/// `bounds[i]`, `total` every request (the `+Inf` bucket). `None` without
/// requests. A rank in the `+Inf` bucket returns the largest finite bound,
/// as Prometheus does.
pub(crate) fn histogram_quantile(
    q: f64,
    bounds: &[f64],
    cumulative: &[u64],
    total: u64,
) -> Option<f64> {
    if total == 0 || bounds.is_empty() || bounds.len() != cumulative.len() {
        return None;
    }
    let rank = q.clamp(0.0, 1.0) * total as f64;
    let Some(bucket) = cumulative.iter().position(|&count| count as f64 >= rank) else {
        return bounds.last().copied();
    };
    let (start, below) = match bucket {
        0 => (0.0_f64.min(bounds[0]), 0),
        _ => (bounds[bucket - 1], cumulative[bucket - 1]),
    };
    let end = bounds[bucket];
    let in_bucket = cumulative[bucket].saturating_sub(below);
    if in_bucket == 0 {
        return Some(end);
    }
    Some(start + (end - start) * ((rank - below as f64) / in_bucket as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNDS: [f64; 4] = [0.01, 0.05, 0.1, 0.5];

    #[test]
    fn interpolates_inside_the_bucket_like_prometheus() {
        // 100 requests: 50 ≤ 10 ms, 40 in (10, 50], 10 in (50, 100].
        let cumulative = [50, 90, 100, 100];
        let q = |q| histogram_quantile(q, &BOUNDS, &cumulative, 100).unwrap();
        assert!((q(0.5) - 0.01).abs() < 1e-12, "{}", q(0.5));
        assert!((q(0.25) - 0.005).abs() < 1e-12);
        // rank 70 is 20 of the 40 requests of (10, 50]: halfway.
        assert!((q(0.7) - 0.03).abs() < 1e-12);
        // rank 99 is 9 of the 10 requests of (50, 100].
        assert!((q(0.99) - 0.095).abs() < 1e-12);
    }

    #[test]
    fn the_inf_bucket_answers_the_largest_bound_and_nothing_is_none() {
        let cumulative = [0, 0, 0, 1];
        assert_eq!(
            histogram_quantile(0.99, &BOUNDS, &cumulative, 10),
            Some(0.5)
        );
        assert_eq!(histogram_quantile(0.5, &BOUNDS, &[0, 0, 0, 0], 0), None);
    }

    #[test]
    fn the_proxys_buckets_show_a_50_ms_shift_of_a_100_ms_p99() {
        // Every request at ~110 ms versus every request at ~160 ms: with
        // the proxy's buckets the p99 estimates differ by more than the
        // guard's dead band (10 % + 10 ms); with Prometheus' default
        // buckets both would be 248.5 ms.
        let bounds: Vec<f64> = daytwo_proxy::LATENCY_BUCKETS_SECONDS.to_vec();
        let at = |seconds: f64| -> Vec<u64> {
            bounds
                .iter()
                .map(|&le| if seconds <= le { 200 } else { 0 })
                .collect()
        };
        let stable = histogram_quantile(0.99, &bounds, &at(0.110), 200).unwrap();
        let slow = histogram_quantile(0.99, &bounds, &at(0.160), 200).unwrap();
        assert!(slow > stable * 1.1 + 0.010, "p99 {stable} → {slow}");
    }
}
