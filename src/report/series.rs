//! The report's arithmetic on raw samples (epoch seconds, value): gauges averaged and peaked
//! over a window, counters turned into growth (surviving resets) and into rates for charts.
//! InfluxDB only selects the samples; every figure is computed here, so it can be checked.

/// Samples sorted by time.
pub type Points = Vec<(i64, f64)>;

/// Mean and peak of a gauge's samples with `start < t <= end` (a sample stamped t describes
/// the interval before t), and how many there were.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GaugeStats {
    pub mean: f64,
    pub peak: f64,
    pub samples: usize,
}

pub fn gauge(points: &[(i64, f64)], start: i64, end: i64) -> Option<GaugeStats> {
    let inside: Vec<f64> = points
        .iter()
        .filter(|(t, _)| *t > start && *t <= end)
        .map(|p| p.1)
        .collect();
    if inside.is_empty() {
        return None;
    }
    let sum: f64 = inside.iter().sum();
    Some(GaugeStats {
        mean: sum / inside.len() as f64,
        peak: inside.iter().copied().fold(f64::MIN, f64::max),
        samples: inside.len(),
    })
}

/// How much a cumulative counter grew between `start` and `end`: from its last sample at or
/// before `start` (or from 0 when `from_zero` and the series begins inside the window: a
/// container's or a veth's counters start at 0 with it) to its last sample at or before `end`.
/// A drop is a reset (restart, interface re-created): the counter counted from 0 again, so the
/// new value is growth, as Prometheus' `increase()` does.
pub fn growth(points: &[(i64, f64)], start: i64, end: i64, from_zero: bool) -> Option<f64> {
    let before = points.iter().rposition(|(t, _)| *t <= start);
    let last = points.iter().rposition(|(t, _)| *t <= end)?;
    let (mut total, first) = match before {
        Some(b) => (0.0, b),
        None if from_zero => {
            let f = points.iter().position(|(t, _)| *t > start)?;
            if f > last {
                return None;
            }
            (points[f].1, f)
        }
        None => {
            let f = points.iter().position(|(t, _)| *t > start)?;
            if f > last {
                return None;
            }
            (0.0, f)
        }
    };
    for w in points[first..=last].windows(2) {
        let d = w[1].1 - w[0].1;
        total += if d >= 0.0 { d } else { w[1].1 };
    }
    Some(total)
}

/// A counter as rates per second, one per sample after the first (reset-aware), stamped with
/// the later sample's time.
pub fn rates(points: &[(i64, f64)]) -> Points {
    points
        .windows(2)
        .filter(|w| w[1].0 > w[0].0)
        .map(|w| {
            let d = w[1].1 - w[0].1;
            let d = if d >= 0.0 { d } else { w[1].1 };
            (w[1].0, d / (w[1].0 - w[0].0) as f64)
        })
        .collect()
}

/// Mean per bucket of `step` seconds (bucket start = window start + k·step) of the samples in
/// (start, end], for charts.
pub fn buckets(points: &[(i64, f64)], start: i64, end: i64, step: i64) -> Points {
    let mut acc: std::collections::BTreeMap<i64, (f64, usize)> = Default::default();
    for (t, v) in points.iter().filter(|(t, _)| *t > start && *t <= end) {
        let k = start + (t - start - 1).max(0) / step * step;
        let e = acc.entry(k).or_insert((0.0, 0));
        e.0 += v;
        e.1 += 1;
    }
    acc.into_iter()
        .map(|(k, (s, n))| (k, s / n as f64))
        .collect()
}

/// Point-wise sum of several series after bucketing each (missing buckets count as absent).
pub fn sum_buckets(series: &[Points]) -> Points {
    let mut acc: std::collections::BTreeMap<i64, f64> = Default::default();
    for s in series {
        for (t, v) in s {
            *acc.entry(*t).or_insert(0.0) += v;
        }
    }
    acc.into_iter().collect()
}

/// The bucket width for charts: at most ~300 buckets, never finer than `min` seconds.
pub fn step_for(window_secs: i64, min: i64) -> i64 {
    let raw = (window_secs + 299) / 300;
    raw.max(min).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauges_counters_resets() {
        let g = [(0, 10.0), (1, 20.0), (2, 30.0), (3, 100.0)];
        let s = gauge(&g, 0, 2).unwrap();
        assert_eq!((s.mean, s.peak, s.samples), (25.0, 30.0, 2));
        assert!(gauge(&g, 3, 9).is_none());
        // 100 at t=0, grows by 10/s, reset to 5 at t=3, then +10/s.
        let c = [(0, 100.0), (1, 110.0), (2, 120.0), (3, 5.0), (4, 15.0)];
        assert_eq!(growth(&c, 0, 4, false), Some(10.0 + 10.0 + 5.0 + 10.0));
        assert_eq!(growth(&c, 1, 2, false), Some(10.0));
        // A series that starts inside the window: from zero only when told so.
        let v = [(5, 50.0), (6, 60.0)];
        assert_eq!(growth(&v, 0, 10, true), Some(60.0));
        assert_eq!(growth(&v, 0, 10, false), Some(10.0));
        assert_eq!(growth(&v, 7, 10, false), Some(0.0));
        assert_eq!(growth(&v, 0, 4, true), None);
        assert_eq!(rates(&c), vec![(1, 10.0), (2, 10.0), (3, 5.0), (4, 10.0)]);
        assert_eq!(buckets(&g, 0, 3, 2), vec![(0, 25.0), (2, 100.0)]);
        assert_eq!(step_for(600, 1), 2);
        assert_eq!(step_for(100, 10), 10);
    }
}
