//! Weighted backend choice with a pluggable random source.

/// A source of random 64-bit numbers for weighted backend choice.
///
/// Implement it over any generator (`rand`, a per-connection hash for stickiness, a fixed
/// sequence in tests). The resolver draws at most one number per request, and only when the
/// matched rule has two or more backendRefs with a non-zero weight.
pub trait RandomSource {
    /// The next number, uniformly distributed over `u64`.
    fn next_u64(&mut self) -> u64;
}

impl<R: RandomSource + ?Sized> RandomSource for &mut R {
    fn next_u64(&mut self) -> u64 {
        (**self).next_u64()
    }
}

/// SplitMix64 (Steele, Lea and Flood): a tiny, fast generator, deterministic for a seed.
///
/// ```
/// use kgw_resolve::{RandomSource, SplitMix64};
/// let (mut a, mut b) = (SplitMix64::new(7), SplitMix64::new(7));
/// assert_eq!(a.next_u64(), b.next_u64());
/// ```
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }
}

impl RandomSource for SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Maps a random number onto `0..total` (Lemire's multiply-shift: no division, no modulo
/// bias worth naming). `total` must not be 0.
pub(crate) fn scale(random: u64, total: u64) -> u64 {
    let scaled = (u128::from(random) * u128::from(total)) >> 64;
    // `scaled < total`, so it fits in u64.
    u64::try_from(scaled).unwrap_or(total - 1)
}

/// A rule's backend weights, precompiled for choice by binary search.
#[derive(Clone, Debug, Default)]
pub(crate) struct WeightedPicks {
    /// (end of the cumulative weight range, backendRef index), only for non-zero weights.
    ends: Box<[(u64, usize)]>,
}

impl WeightedPicks {
    /// From the weights of a rule's backendRefs, in order (negative counts as 0).
    pub(crate) fn new(weights: impl IntoIterator<Item = i64>) -> Self {
        let mut total = 0u64;
        let mut ends = Vec::new();
        for (index, weight) in weights.into_iter().enumerate() {
            let weight = u64::try_from(weight).unwrap_or(0);
            if weight > 0 {
                total += weight;
                ends.push((total, index));
            }
        }
        Self {
            ends: ends.into_boxed_slice(),
        }
    }

    /// The chosen backendRef index, or `None` when every weight is 0 (or there are none).
    pub(crate) fn choose(&self, random: &mut dyn RandomSource) -> Option<usize> {
        match &*self.ends {
            [] => None,
            [(_, only)] => Some(*only),
            [.., (total, _)] => {
                let x = scale(random.next_u64(), *total);
                let at = self.ends.partition_point(|&(end, _)| end <= x);
                self.ends.get(at).map(|&(_, index)| index)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(Vec<u64>);
    impl RandomSource for Fixed {
        fn next_u64(&mut self) -> u64 {
            self.0.remove(0)
        }
    }

    #[test]
    fn zero_weights_are_never_chosen() {
        let picks = WeightedPicks::new([0, 1, 0, 3]);
        let mut rng = SplitMix64::new(1);
        let mut counts = [0; 4];
        for _ in 0..4000 {
            counts[picks.choose(&mut rng).unwrap()] += 1;
        }
        assert_eq!((counts[0], counts[2]), (0, 0));
        assert!((800..1200).contains(&counts[1]), "{counts:?}");
        assert!(WeightedPicks::new([0, 0]).choose(&mut rng).is_none());
        assert!(WeightedPicks::new([]).choose(&mut rng).is_none());
    }

    #[test]
    fn single_weight_draws_nothing_and_bounds_are_exact() {
        let mut none = Fixed(vec![]);
        assert_eq!(WeightedPicks::new([0, 5]).choose(&mut none), Some(1));
        let picks = WeightedPicks::new([1, 1]);
        assert_eq!(picks.choose(&mut Fixed(vec![0])), Some(0));
        assert_eq!(picks.choose(&mut Fixed(vec![u64::MAX / 2])), Some(0));
        assert_eq!(picks.choose(&mut Fixed(vec![u64::MAX / 2 + 1])), Some(1));
        assert_eq!(picks.choose(&mut Fixed(vec![u64::MAX])), Some(1));
    }
}
