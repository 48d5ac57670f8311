//! The precedence order, as data: every candidate gets a [`Precedence`] and the smallest wins.
//! `docs/resolution.md` states the order; the fast table, the reference matcher and `explain`
//! all compare with this one type.

use std::cmp::{Ordering, Reverse};
use std::fmt;

/// How specifically a route's hostnames match the request host (higher is more specific).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HostRank {
    /// The route has no hostnames (it takes the listener's).
    Any,
    /// A wildcard hostname matched; the number is its length in characters, `*.` included.
    Wildcard(usize),
    /// A hostname equal to the request host matched.
    Exact,
}

/// How specifically a path condition matches (higher is more specific).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathRank {
    /// `PathPrefix`; the number is the value's length without trailing slashes.
    Prefix(usize),
    /// `RegularExpression`, ranked above every prefix; the number is the pattern's length.
    Regex(usize),
    /// `Exact`.
    Exact,
}

/// The specificity of one match (`HTTPRouteMatch`) in precedence order (higher is better).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MatchRank {
    /// Path kind and length.
    pub path: PathRank,
    /// Whether a method is required.
    pub method: bool,
    /// Number of distinct header conditions.
    pub headers: usize,
    /// Number of distinct query parameter conditions.
    pub query: usize,
}

/// The cross-route tie-breakers: oldest `creationTimestamp`, then `namespace/name`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RouteOrder {
    /// `(seconds, nanoseconds)` since the epoch; routes without a (valid) timestamp come last.
    pub created: Reverse<Option<Reverse<(i64, u32)>>>,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl RouteOrder {
    /// The order key of a route.
    pub fn new(creation_timestamp: Option<&str>, namespace: &str, name: &str) -> Self {
        Self {
            created: Reverse(creation_timestamp.and_then(parse_rfc3339).map(Reverse)),
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        }
    }
}

/// The full precedence of one candidate (route, rule, match); smaller wins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Precedence {
    /// Route hostname specificity.
    pub host: HostRank,
    /// Match specificity.
    pub matched: MatchRank,
    /// Route age and name.
    pub route: RouteOrder,
    /// Rule index within the route.
    pub rule: usize,
    /// Match index within the rule.
    pub match_index: usize,
}

/// The step of the precedence order at which one candidate beats another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// A more specific route hostname.
    Hostname,
    /// An Exact path over anything else, or a regex over a prefix.
    PathKind,
    /// A longer PathPrefix (or regex pattern).
    PathLength,
    /// A method condition.
    Method,
    /// More header conditions.
    Headers,
    /// More query parameter conditions.
    Query,
    /// An older route.
    CreationTimestamp,
    /// `namespace/name` first in alphabetical order.
    Name,
    /// An earlier rule in the same route.
    RuleOrder,
    /// An earlier match in the same rule.
    MatchOrder,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Hostname => "more specific hostname",
            Self::PathKind => "path match kind (Exact > RegularExpression > PathPrefix)",
            Self::PathLength => "longer path",
            Self::Method => "method match",
            Self::Headers => "more header matches",
            Self::Query => "more query parameter matches",
            Self::CreationTimestamp => "older creationTimestamp",
            Self::Name => "namespace/name first alphabetically",
            Self::RuleOrder => "earlier rule",
            Self::MatchOrder => "earlier match",
        })
    }
}

fn path_kind(rank: PathRank) -> u8 {
    match rank {
        PathRank::Prefix(_) => 0,
        PathRank::Regex(_) => 1,
        PathRank::Exact => 2,
    }
}

impl Precedence {
    /// The first step at which `self` and `other` differ, if any.
    pub fn deciding_step(&self, other: &Self) -> Option<Step> {
        let (a, b) = (&self.matched, &other.matched);
        let steps = [
            (self.host != other.host, Step::Hostname),
            (path_kind(a.path) != path_kind(b.path), Step::PathKind),
            (a.path != b.path, Step::PathLength),
            (a.method != b.method, Step::Method),
            (a.headers != b.headers, Step::Headers),
            (a.query != b.query, Step::Query),
            (
                self.route.created != other.route.created,
                Step::CreationTimestamp,
            ),
            (
                (&self.route.namespace, &self.route.name)
                    != (&other.route.namespace, &other.route.name),
                Step::Name,
            ),
            (self.rule != other.rule, Step::RuleOrder),
            (self.match_index != other.match_index, Step::MatchOrder),
        ];
        steps
            .into_iter()
            .find(|(differs, _)| *differs)
            .map(|(_, step)| step)
    }
}

impl Ord for Precedence {
    fn cmp(&self, other: &Self) -> Ordering {
        Reverse(self.host)
            .cmp(&Reverse(other.host))
            .then_with(|| Reverse(self.matched).cmp(&Reverse(other.matched)))
            .then_with(|| self.route.cmp(&other.route))
            .then_with(|| self.rule.cmp(&other.rule))
            .then_with(|| self.match_index.cmp(&other.match_index))
    }
}

impl PartialOrd for Precedence {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Parses an RFC 3339 timestamp (`2024-05-01T10:00:00Z`, `…T10:00:00.5+02:00`) into seconds
/// and nanoseconds since the Unix epoch. `None` when it is not one.
pub fn parse_rfc3339(text: &str) -> Option<(i64, u32)> {
    let b = text.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = b.get(range)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(
            digits
                .iter()
                .fold(0, |acc, d| acc * 10 + i64::from(d - b'0')),
        )
    };
    let sep = |i: usize, allowed: &[u8]| b.get(i).is_some_and(|c| allowed.contains(c));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut i = 19;
    let mut nanos: u32 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 9 {
                nanos = nanos * 10 + u32::from(b[i] - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start)..9 {
            nanos *= 10;
        }
    }
    let offset = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && sep(i + 3, b":") => {
            let minutes = num(i + 1..i + 3)? * 60 + num(i + 4..i + 6)?;
            if *sign == b'+' {
                minutes * 60
            } else {
                -minutes * 60
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    Some((
        days * 86_400 + hour * 3600 + minute * 60 + second - offset,
        nanos,
    ))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some((0, 0)));
        assert_eq!(
            parse_rfc3339("2020-09-08T01:02:03Z"),
            Some((1_599_526_923, 0))
        );
        assert_eq!(
            parse_rfc3339("2020-09-08T03:02:03+02:00"),
            Some((1_599_526_923, 0))
        );
        assert_eq!(
            parse_rfc3339("2020-09-08T01:02:03.25Z"),
            Some((1_599_526_923, 250_000_000))
        );
        assert_eq!(parse_rfc3339("2020-09-08"), None);
        assert_eq!(parse_rfc3339("2020-13-08T01:02:03Z"), None);
        assert_eq!(parse_rfc3339("2020-09-08T01:02:03"), None);
        assert_eq!(parse_rfc3339("2020-09-08T01:02:03Zjunk"), None);
    }

    #[test]
    fn older_routes_come_first_and_missing_timestamps_last() {
        let old = RouteOrder::new(Some("2020-09-08T01:02:03Z"), "z", "z");
        let new = RouteOrder::new(Some("2020-09-08T01:02:04Z"), "a", "a");
        let none = RouteOrder::new(None, "a", "a");
        assert!(old < new && new < none);
        assert!(RouteOrder::new(None, "a", "b") < RouteOrder::new(None, "b", "a"));
    }

    #[test]
    fn precedence_steps() {
        let base = Precedence {
            host: HostRank::Exact,
            matched: MatchRank {
                path: PathRank::Prefix(4),
                method: false,
                headers: 0,
                query: 0,
            },
            route: RouteOrder::new(None, "ns", "r"),
            rule: 0,
            match_index: 0,
        };
        let mut exact = base.clone();
        exact.matched.path = PathRank::Exact;
        assert!(exact < base);
        assert_eq!(exact.deciding_step(&base), Some(Step::PathKind));
        let mut regex = base.clone();
        regex.matched.path = PathRank::Regex(1);
        assert!(regex < base && exact < regex);
        let mut longer = base.clone();
        longer.matched.path = PathRank::Prefix(5);
        assert_eq!(longer.deciding_step(&base), Some(Step::PathLength));
        assert!(longer < base);
        let mut wildcard = longer.clone();
        wildcard.host = HostRank::Wildcard(13);
        assert!(base < wildcard);
        assert_eq!(base.deciding_step(&wildcard), Some(Step::Hostname));
        assert_eq!(base.deciding_step(&base), None);
    }
}
