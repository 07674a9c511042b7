//! The one-sided Mann–Whitney U test (Wilcoxon rank-sum) behind the latency
//! guard: do the candidate's values tend to be larger than the (shifted)
//! stable ones? Rank-based, so it assumes nothing about the shape of the
//! distribution of per-interval quantiles (skewed, heavy-tailed) and one
//! wild interval counts as one rank, not as its magnitude.
//!
//! Normal approximation with tie correction and continuity correction:
//! `U = R_x − n_x(n_x + 1)/2`, `E[U] = n_x n_y / 2`,
//! `Var[U] = n_x n_y / 12 · ((n + 1) − Σ(t³ − t) / (n(n − 1)))`,
//! `z = (U − E[U] − ½) / √Var[U]`, p-value `P(Z > z)`. Accurate enough from
//! about 8 values per group, which the guards' minimum sample size ensures.

use super::normal;

/// The result of one test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RankTest {
    pub u: f64,
    pub z: f64,
    pub p_value: f64,
}

/// Tests H1 "values of `x` tend to be larger than values of `y`". Both
/// slices non-empty; a test without any spread gives `p_value` 1.
pub fn greater(x: &[f64], y: &[f64]) -> RankTest {
    let nx = x.len() as f64;
    let ny = y.len() as f64;
    let mut all: Vec<(f64, bool)> = x
        .iter()
        .map(|&v| (v, true))
        .chain(y.iter().map(|&v| (v, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = all.len();
    let mut rank_sum_x = 0.0;
    let mut ties = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        // Ranks i+1 ..= j+1 share their mean.
        let mean_rank = (i + j + 2) as f64 / 2.0;
        let t = (j - i + 1) as f64;
        ties += t * t * t - t;
        rank_sum_x += mean_rank * all[i..=j].iter().filter(|(_, is_x)| *is_x).count() as f64;
        i = j + 1;
    }
    let u = rank_sum_x - nx * (nx + 1.0) / 2.0;
    let total = n as f64;
    let variance = nx * ny / 12.0 * ((total + 1.0) - ties / (total * (total - 1.0)).max(1.0));
    if variance <= 0.0 || !variance.is_finite() {
        return RankTest {
            u,
            z: 0.0,
            p_value: 1.0,
        };
    }
    let z = (u - nx * ny / 2.0 - 0.5) / variance.sqrt();
    RankTest {
        u,
        z,
        p_value: normal::upper_tail(z),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clearly_larger_values_are_significant() {
        let x: Vec<f64> = (0..20).map(|i| 150.0 + i as f64).collect();
        let y: Vec<f64> = (0..20).map(|i| 100.0 + i as f64).collect();
        let test = greater(&x, &y);
        assert_eq!(test.u, 400.0);
        assert!(test.p_value < 1e-6, "{test:?}");
        assert!(greater(&y, &x).p_value > 0.999);
    }

    #[test]
    fn identical_samples_give_no_evidence() {
        let x = [5.0; 12];
        assert_eq!(greater(&x, &x).p_value, 1.0);
        let y: Vec<f64> = (0..12).map(f64::from).collect();
        assert!(greater(&y, &y).p_value > 0.4);
    }

    #[test]
    fn one_huge_interval_is_one_rank() {
        let mut x: Vec<f64> = (0..15).map(|i| 100.0 + i as f64).collect();
        let y: Vec<f64> = (0..15).map(|i| 100.5 + i as f64).collect();
        x[0] = 1e9;
        assert!(greater(&x, &y).p_value > 0.05);
    }
}
