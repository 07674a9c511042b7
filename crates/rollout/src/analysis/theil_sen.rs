//! The Theil–Sen slope estimator with Sen's distribution-free confidence
//! interval: the slope is the median of the slopes of all pairs of points,
//! so up to ~29 % of arbitrary outliers cannot move it far (breakdown point
//! 1 − 1/√2), unlike least squares.
//!
//! The interval (Sen 1968; Hollander & Wolfe, *Nonparametric Statistical
//! Methods*, §9.4) takes order statistics of the pairwise slopes around the
//! median: with N pairwise slopes and n points,
//! `C = z(1 − α/2) · √(n(n−1)(2n+5)/18)`, the bounds are the slopes of rank
//! `(N − C)/2` and `(N + C)/2 + 1`. It assumes independent residuals.

use super::normal;

/// Above this many points the series is thinned evenly (keeping the first
/// and last), so a fit costs at most ~80 000 pairwise slopes.
pub const MAX_FIT_POINTS: usize = 400;

/// A fitted line `y = intercept + slope · x` with a confidence interval for
/// the slope.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlopeEstimate {
    pub slope: f64,
    pub intercept: f64,
    /// Lower bound of the two-sided `1 − alpha` interval; −∞ when the
    /// points are too few for that confidence.
    pub lower: f64,
    /// Upper bound; +∞ when too few points.
    pub upper: f64,
    /// Points used.
    pub points: usize,
}

impl SlopeEstimate {
    /// The line's value at `x`.
    pub fn at(&self, x: f64) -> f64 {
        self.intercept + self.slope * x
    }
}

/// Fits `points` (x, y) with a two-sided `1 − alpha` interval for the slope.
/// `None` when no two points have distinct x.
pub fn fit(points: &[(f64, f64)], alpha: f64) -> Option<SlopeEstimate> {
    let thinned;
    let points = if points.len() > MAX_FIT_POINTS {
        let last = points.len() - 1;
        thinned = (0..MAX_FIT_POINTS)
            .map(|i| points[i * last / (MAX_FIT_POINTS - 1)])
            .collect::<Vec<_>>();
        &thinned[..]
    } else {
        points
    };
    let n = points.len();
    let mut slopes = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for (i, &(x1, y1)) in points.iter().enumerate() {
        for &(x2, y2) in &points[i + 1..] {
            if x2 != x1 {
                slopes.push((y2 - y1) / (x2 - x1));
            }
        }
    }
    if slopes.is_empty() {
        return None;
    }
    slopes.sort_by(f64::total_cmp);
    let slope = median_sorted(&slopes);
    let mut residuals: Vec<f64> = points.iter().map(|&(x, y)| y - slope * x).collect();
    residuals.sort_by(f64::total_cmp);
    let intercept = median_sorted(&residuals);

    let count = slopes.len() as f64;
    let nf = n as f64;
    let c =
        normal::quantile(1.0 - alpha / 2.0) * (nf * (nf - 1.0) * (2.0 * nf + 5.0) / 18.0).sqrt();
    let lower_rank = ((count - c) / 2.0).floor();
    let upper_rank = ((count + c) / 2.0).ceil() + 1.0;
    let lower = if lower_rank >= 1.0 {
        slopes[lower_rank as usize - 1]
    } else {
        f64::NEG_INFINITY
    };
    let upper = if upper_rank <= count {
        slopes[upper_rank as usize - 1]
    } else {
        f64::INFINITY
    };
    Some(SlopeEstimate {
        slope,
        intercept,
        lower,
        upper,
        points: n,
    })
}

/// The median of a sorted, non-empty slice.
pub fn median_sorted(sorted: &[f64]) -> f64 {
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

/// The median of any non-empty slice.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    median_sorted(&sorted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(slope: f64, intercept: f64, n: usize) -> Vec<(f64, f64)> {
        (0..n)
            .map(|i| (i as f64, intercept + slope * i as f64))
            .collect()
    }

    #[test]
    fn recovers_the_slope_of_an_exact_line() {
        for slope in [-3.5, 0.0, 1.0, 1_048_576.0] {
            let fit = fit(&line(slope, 100.0, 20), 0.05).unwrap();
            assert_eq!(fit.slope, slope);
            assert_eq!(fit.intercept, 100.0);
            assert_eq!((fit.lower, fit.upper), (slope, slope));
        }
    }

    #[test]
    fn ignores_a_few_wild_outliers() {
        let mut points = line(2.0, 10.0, 30);
        points[3].1 = 1e9;
        points[17].1 = -1e9;
        points[29].1 = 5e8;
        let fit = fit(&points, 0.05).unwrap();
        assert!((fit.slope - 2.0).abs() < 1e-9, "{fit:?}");
    }

    #[test]
    fn the_interval_covers_the_true_slope_and_narrows_with_more_points() {
        let mut rng = fastrand::Rng::with_seed(3);
        let noisy = |n: usize, rng: &mut fastrand::Rng| -> Vec<(f64, f64)> {
            (0..n)
                .map(|i| (i as f64, 5.0 * i as f64 + (rng.f64() - 0.5) * 40.0))
                .collect()
        };
        let short = fit(&noisy(10, &mut rng), 0.05).unwrap();
        let long = fit(&noisy(100, &mut rng), 0.05).unwrap();
        assert!(short.lower <= 5.0 && 5.0 <= short.upper, "{short:?}");
        assert!(long.lower <= 5.0 && 5.0 <= long.upper, "{long:?}");
        assert!(long.upper - long.lower < short.upper - short.lower);
    }

    #[test]
    fn too_few_points_give_an_unbounded_interval() {
        let fit = fit(&[(0.0, 0.0), (1.0, 1.0), (2.0, 2.0)], 0.001).unwrap();
        assert_eq!(fit.slope, 1.0);
        assert!(fit.lower.is_infinite() && fit.upper.is_infinite());
        assert!(super::fit(&[(1.0, 0.0), (1.0, 5.0)], 0.05).is_none());
    }

    #[test]
    fn long_series_are_thinned_not_refused() {
        let fit = fit(&line(0.5, 0.0, 5_000), 0.05).unwrap();
        assert_eq!(fit.points, MAX_FIT_POINTS);
        assert!((fit.slope - 0.5).abs() < 1e-12);
    }

    proptest! {
        #[test]
        fn a_constant_series_has_slope_zero(value in -1e12f64..1e12, n in 2usize..60) {
            let points: Vec<(f64, f64)> = (0..n).map(|i| (i as f64, value)).collect();
            prop_assert_eq!(fit(&points, 0.05).unwrap().slope, 0.0);
        }

        #[test]
        fn one_outlier_does_not_move_the_slope_of_a_line(
            slope in -1e6f64..1e6,
            n in 8usize..60,
            index in 0usize..60,
            outlier in prop::num::f64::NORMAL,
        ) {
            let mut points = line(slope, 7.0, n);
            points[index % n].1 = outlier;
            let fit = fit(&points, 0.05).unwrap();
            prop_assert!((fit.slope - slope).abs() <= 1e-9 * slope.abs().max(1.0), "{:?}", fit);
        }
    }
}
