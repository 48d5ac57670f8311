//! `RequestMirror`: which backend gets a copy of the request, and how often.
//!
//! The descriptor only names the target; the adapter resolves the backend reference (an unset
//! namespace means the route's), sends the copy of the request as forwarded (after the other
//! filters) and ignores the answer.

use kgw_api::gateway::{BackendObjectReference, HttpRequestMirrorFilter};
use serde::ser::{Serialize, SerializeStruct, Serializer};

/// A mirror target: the backend and the share of requests copied to it, as a fraction.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MirrorTarget {
    /// Where copies go.
    pub backend: BackendObjectReference,
    /// Requests mirrored per `denominator` requests (`0..=denominator`).
    pub numerator: u32,
    /// At least 1.
    pub denominator: u32,
}

impl MirrorTarget {
    /// The target of a `RequestMirror` filter. Neither `percent` nor `fraction` → every request;
    /// `percent` is clamped to 0–100; a fraction's denominator defaults to 100, and a
    /// non-positive one mirrors nothing. (Validation reports such values; traffic must not
    /// fail because of a mirror.) When both are set, which the CRD forbids, `percent` wins.
    pub fn from_filter(filter: &HttpRequestMirrorFilter) -> Self {
        let clamp = |v: i32, max: u32| u32::try_from(v.max(0)).unwrap_or(0).min(max);
        let (numerator, denominator) = match (filter.percent, filter.fraction) {
            (Some(p), _) => (clamp(p, 100), 100),
            (None, Some(f)) => match u32::try_from(f.denominator.unwrap_or(100)) {
                Ok(d) if d > 0 => (clamp(f.numerator, d), d),
                _ => (0, 1),
            },
            (None, None) => (100, 100),
        };
        Self {
            backend: filter.backend_ref.clone(),
            numerator,
            denominator,
        }
    }

    /// The share of requests mirrored, in percent (0–100).
    pub fn percent(&self) -> f64 {
        f64::from(self.numerator) * 100.0 / f64::from(self.denominator)
    }

    /// Whether the request with the uniformly random `sample` is mirrored: exactly
    /// `numerator` of every `denominator` consecutive samples are.
    pub fn selects(&self, sample: u64) -> bool {
        sample % u64::from(self.denominator) < u64::from(self.numerator)
    }
}

/// Serialises as the `kgw` CLI contract's `{"backend": {...}, "percent": 100}` (an integer when
/// the percentage is whole).
impl Serialize for MirrorTarget {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("MirrorTarget", 2)?;
        s.serialize_field("backend", &self.backend)?;
        let scaled = u64::from(self.numerator) * 100;
        if scaled % u64::from(self.denominator) == 0 {
            s.serialize_field("percent", &(scaled / u64::from(self.denominator)))?;
        } else {
            s.serialize_field("percent", &self.percent())?;
        }
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kgw_api::gateway::httproute::Fraction;

    fn filter(
        percent: Option<i32>,
        fraction: Option<(i32, Option<i32>)>,
    ) -> HttpRequestMirrorFilter {
        HttpRequestMirrorFilter {
            backend_ref: BackendObjectReference {
                name: "shadow".into(),
                port: Some(8080),
                ..Default::default()
            },
            percent,
            fraction: fraction.map(|(numerator, denominator)| Fraction {
                numerator,
                denominator,
            }),
        }
    }

    #[test]
    fn shares() {
        let cases = [
            (None, None, (100, 100)),
            (Some(42), None, (42, 100)),
            (Some(0), None, (0, 100)),
            (Some(150), None, (100, 100)),
            (Some(-3), None, (0, 100)),
            (None, Some((5, None)), (5, 100)),
            (None, Some((1, Some(1000))), (1, 1000)),
            (None, Some((7, Some(5))), (5, 5)),
            (None, Some((1, Some(0))), (0, 1)),
            (Some(10), Some((1, Some(2))), (10, 100)),
        ];
        for (percent, fraction, want) in cases {
            let t = MirrorTarget::from_filter(&filter(percent, fraction));
            assert_eq!(
                (t.numerator, t.denominator),
                want,
                "{percent:?} {fraction:?}"
            );
            assert_eq!(t.backend.name, "shadow");
        }
    }

    #[test]
    fn selection_follows_the_fraction() {
        let t = MirrorTarget::from_filter(&filter(None, Some((3, Some(10)))));
        assert_eq!((0..1000).filter(|s| t.selects(*s)).count(), 300);
        let all = MirrorTarget::from_filter(&filter(None, None));
        assert!((0..100).all(|s| all.selects(s)));
        let none = MirrorTarget::from_filter(&filter(Some(0), None));
        assert!(!(0..100).any(|s| none.selects(s)));
    }

    #[test]
    fn serialises_as_the_cli_contract() {
        let t = MirrorTarget::from_filter(&filter(None, None));
        assert_eq!(
            serde_json::to_value(&t).unwrap(),
            serde_json::json!({"backend": {"name": "shadow", "port": 8080}, "percent": 100})
        );
        let t = MirrorTarget::from_filter(&filter(None, Some((1, Some(1000)))));
        assert_eq!(
            serde_json::to_value(&t).unwrap()["percent"],
            serde_json::json!(0.1)
        );
        assert!((t.percent() - 0.1).abs() < 1e-12);
    }
}
