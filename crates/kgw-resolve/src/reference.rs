//! The reference matcher: a plain linear scan that follows the specification text, with no
//! index and no precompilation. It is the oracle the fast [`crate::GatewayTable`] is tested
//! against; it allocates freely and is slow on purpose.
//!
//! Shared with the fast table are only definitions: path normalisation
//! ([`crate::path::normalize_path`]), full-match regex compilation
//! ([`crate::matcher::compile_full_match`]) and the [`Precedence`] order.

use kgw_api::gateway::{HttpRouteMatch, PathMatchType, StringMatchType};
use kgw_api::{ConditionStatus, ObjectKey, Resources};
use kgw_validate::report::{BackendRefReport, Report, ResolvedBackend};

use crate::backend::{RandomSource, scale};
use crate::matcher::compile_full_match;
use crate::outcome::{BackendSummary, Summary};
use crate::path::{PathOptions, normalize_path};
use crate::rank::{HostRank, MatchRank, PathRank, Precedence, RouteOrder};
use crate::request::RequestHead;

/// The reference matcher over resources and a report.
#[derive(Clone, Copy, Debug)]
pub struct Reference<'r> {
    resources: &'r Resources,
    report: &'r Report,
    path_options: PathOptions,
}

/// A listener's hostname specificity: exact beats wildcards (longer first) beats none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum ListenerSpecificity {
    Any,
    Wildcard(usize),
    Exact,
}

fn lower_host(raw: &str) -> String {
    let host = if raw.starts_with('[') {
        raw.find(']').map_or(raw, |end| &raw[..=end])
    } else {
        raw.split(':').next().unwrap_or(raw)
    };
    host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase()
}

/// Whether a configured hostname (maybe `*.`) matches a host: a wildcard is one or more
/// labels followed by the rest.
fn hostname_matches(pattern: &str, host: &str) -> Option<ListenerSpecificity> {
    let pattern = pattern.to_ascii_lowercase();
    let pattern = pattern.strip_suffix('.').unwrap_or(&pattern);
    match pattern.strip_prefix("*.") {
        Some(suffix) => {
            let labels = host.strip_suffix(suffix)?.strip_suffix('.')?;
            (!labels.is_empty()).then_some(ListenerSpecificity::Wildcard(pattern.len()))
        }
        None => (pattern == host).then_some(ListenerSpecificity::Exact),
    }
}

/// Segment-wise prefix: the value's `/`-separated segments (a trailing `/` ignored) are the
/// first segments of the path.
fn prefix_matches(value: &str, path: &str) -> bool {
    let value = value.trim_end_matches('/');
    let value_segments: Vec<&str> = if value.is_empty() {
        Vec::new()
    } else {
        value[1..].split('/').collect()
    };
    let path_segments: Vec<&str> = path[1..].split('/').collect();
    path_segments.len() >= value_segments.len()
        && path_segments[..value_segments.len()] == value_segments[..]
}

fn percent_decode(raw: &str) -> Vec<u8> {
    let b = raw.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let hex = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
        if b[i] == b'%'
            && let (Some(hi), Some(lo)) = (hex(i + 1), hex(i + 2))
        {
            out.push(u8::try_from(hi * 16 + lo).unwrap_or(0));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

fn string_matches(kind: StringMatchType, expected: &str, actual: &[u8]) -> bool {
    match kind {
        StringMatchType::Exact => actual == expected.as_bytes(),
        StringMatchType::RegularExpression => {
            compile_full_match(expected).is_some_and(|re| re.is_match(actual))
        }
    }
}

impl<'r> Reference<'r> {
    /// A reference matcher with the default path options.
    pub fn new(resources: &'r Resources, report: &'r Report) -> Self {
        Self {
            resources,
            report,
            path_options: PathOptions::default(),
        }
    }

    /// The same with other path options.
    pub fn with_path_options(mut self, options: PathOptions) -> Self {
        self.path_options = options;
        self
    }

    /// Resolves a request on a gateway, spelled out step by step.
    pub fn resolve(
        &self,
        gateway_key: &ObjectKey,
        req: &RequestHead<'_>,
        random: &mut dyn RandomSource,
    ) -> Summary {
        // The path is normalised before anything else; a bad one is a 400.
        let Ok(path) = normalize_path(req.path, &self.path_options) else {
            return Summary::BadRequest;
        };
        let host = lower_host(req.host);
        let Some(gateway_report) = self.report.gateways.get(gateway_key) else {
            return Summary::NoListener;
        };
        let Some(gateway) = self
            .resources
            .gateways
            .get(&gateway_key.namespace, &gateway_key.name)
        else {
            return Summary::NoListener;
        };

        // Listeners: usable, HTTP or HTTPS, on the request's port.
        let on_port: Vec<_> = gateway
            .object
            .spec
            .listeners
            .iter()
            .filter(|l| {
                let accepted = gateway_report.listeners.iter().any(|r| {
                    r.name == l.name
                        && r.conditions
                            .iter()
                            .any(|c| c.type_ == "Accepted" && c.status == ConditionStatus::True)
                        && !r
                            .conditions
                            .iter()
                            .any(|c| c.type_ == "Conflicted" && c.status == ConditionStatus::True)
                });
                accepted
                    && (l.protocol == "HTTP" || l.protocol == "HTTPS")
                    && i64::from(l.port) == i64::from(req.port)
            })
            .collect();
        // The single most specific listener whose hostname matches; first in spec order on a tie.
        let most_specific = |name: &str| {
            let mut best: Option<(ListenerSpecificity, usize)> = None;
            for (i, l) in on_port.iter().enumerate() {
                let specificity = match &l.hostname {
                    None => Some(ListenerSpecificity::Any),
                    Some(h) => hostname_matches(h, name),
                };
                if let Some(s) = specificity
                    && best.is_none_or(|(b, _)| s > b)
                {
                    best = Some((s, i));
                }
            }
            best.map(|(_, i)| on_port[i])
        };
        let Some(listener) = most_specific(&host) else {
            return Summary::NoListener;
        };
        if let Some(sni) = req.sni {
            let Some(by_sni) = most_specific(&lower_host(sni)) else {
                return Summary::NoListener;
            };
            if by_sni.name != listener.name {
                return Summary::Misdirected {
                    listener: by_sni.name.clone(),
                };
            }
        }

        // Every (route, rule, match) of the routes accepted on that listener that matches.
        let mut best: Option<(Precedence, ObjectKey)> = None;
        for (route_key, route_report) in &self.report.routes {
            let attached = route_report.parents.iter().any(|p| {
                p.gateway == *gateway_key && p.listeners.iter().any(|l| *l == listener.name)
            });
            let Some(route) = self
                .resources
                .http_routes
                .get(&route_key.namespace, &route_key.name)
            else {
                continue;
            };
            if !attached {
                continue;
            }
            let route = &route.object;
            let hostnames = route.spec.hostnames.as_deref().unwrap_or_default();
            let host_rank = if hostnames.is_empty() {
                HostRank::Any
            } else {
                let Some(rank) = hostnames
                    .iter()
                    .filter_map(|h| match hostname_matches(h, &host)? {
                        ListenerSpecificity::Exact => Some(HostRank::Exact),
                        ListenerSpecificity::Wildcard(len) => Some(HostRank::Wildcard(len)),
                        ListenerSpecificity::Any => None,
                    })
                    .max()
                else {
                    continue;
                };
                rank
            };
            for (r, rule) in route.spec.rules.iter().flatten().enumerate() {
                let rule_report = route_report.rules.get(r);
                if rule_report.is_some_and(|rr| rr.dropped.is_some()) {
                    continue;
                }
                let default = [HttpRouteMatch::default()];
                let matches = match rule.matches.as_deref() {
                    Some(m) if !m.is_empty() => m,
                    _ => &default[..],
                };
                for (m, route_match) in matches.iter().enumerate() {
                    if rule_report.is_some_and(|rr| rr.invalid_matches.contains(&m)) {
                        continue;
                    }
                    let Some(rank) = Self::match_rank(route_match, &path, req) else {
                        continue;
                    };
                    let precedence = Precedence {
                        host: host_rank,
                        matched: rank,
                        route: RouteOrder::new(
                            route.metadata.creation_timestamp.as_deref(),
                            &route_key.namespace,
                            &route_key.name,
                        ),
                        rule: r,
                        match_index: m,
                    };
                    if best.as_ref().is_none_or(|(b, _)| precedence < *b) {
                        best = Some((precedence, route_key.clone()));
                    }
                }
            }
        }
        let Some((winner, route_key)) = best else {
            return Summary::NoRoute {
                listener: listener.name.clone(),
            };
        };
        let backend = self.choose_backend(&route_key, winner.rule, random);
        Summary::Matched {
            listener: listener.name.clone(),
            route: route_key,
            rule: winner.rule,
            match_index: winner.match_index,
            backend,
        }
    }

    /// The rank of a match when all its conditions hold.
    fn match_rank(m: &HttpRouteMatch, path: &str, req: &RequestHead<'_>) -> Option<MatchRank> {
        let (kind, value) = m.path_or_default();
        let normal_value = || normalize_path(value, &PathOptions::default()).ok();
        let path_rank = match kind {
            PathMatchType::Exact => (normal_value()? == path).then_some(PathRank::Exact)?,
            PathMatchType::PathPrefix => {
                let v = normal_value()?;
                prefix_matches(&v, path)
                    .then_some(PathRank::Prefix(v.trim_end_matches('/').len()))?
            }
            PathMatchType::RegularExpression => compile_full_match(value)?
                .is_match(path.as_bytes())
                .then_some(PathRank::Regex(value.len()))?,
        };
        if let Some(method) = m.method
            && method.as_str() != req.method
        {
            return None;
        }
        // Headers: the first entry for a name counts; repeated request headers are one value
        // joined with ",".
        let request_headers = req.headers.all();
        let mut seen: Vec<String> = Vec::new();
        for h in m.headers.iter().flatten() {
            let name = h.name.to_ascii_lowercase();
            if seen.contains(&name) {
                continue;
            }
            seen.push(name.clone());
            if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return None;
            }
            let values: Vec<&[u8]> = request_headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(&name))
                .map(|(_, v)| v.as_slice())
                .collect();
            if values.is_empty()
                || !string_matches(h.type_or_default(), &h.value, &values.join(&b","[..]))
            {
                return None;
            }
        }
        let headers = seen.len();
        // Query parameters: the first parameter with the name counts, both percent-decoded.
        let pairs: Vec<(Vec<u8>, Vec<u8>)> = req
            .query
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (n, v) = p.split_once('=').unwrap_or((p, ""));
                (percent_decode(n), percent_decode(v))
            })
            .collect();
        let mut seen: Vec<&str> = Vec::new();
        for q in m.query_params.iter().flatten() {
            if seen.contains(&q.name.as_str()) {
                continue;
            }
            seen.push(&q.name);
            let value = pairs
                .iter()
                .find(|(n, _)| n == q.name.as_bytes())
                .map(|(_, v)| v)?;
            if !string_matches(q.type_or_default(), &q.value, value) {
                return None;
            }
        }
        Some(MatchRank {
            path: path_rank,
            method: m.method.is_some(),
            headers,
            query: seen.len(),
        })
    }

    /// Weighted choice among the rule's backendRefs: weight 0 never chosen, one draw when
    /// there is a choice, `scale(draw, total)` walked through the cumulative weights.
    fn choose_backend(
        &self,
        route_key: &ObjectKey,
        rule: usize,
        random: &mut dyn RandomSource,
    ) -> BackendSummary {
        let refs = self
            .resources
            .http_routes
            .get(&route_key.namespace, &route_key.name)
            .and_then(|r| {
                r.object
                    .spec
                    .rules
                    .as_ref()?
                    .get(rule)?
                    .backend_refs
                    .clone()
            })
            .unwrap_or_default();
        if refs.is_empty() {
            return BackendSummary::NoBackends;
        }
        let weights: Vec<u64> = refs
            .iter()
            .map(|b| u64::try_from(b.weight_or_default()).unwrap_or(0))
            .collect();
        let total: u64 = weights.iter().sum();
        let positive = weights.iter().filter(|w| **w > 0).count();
        let index = match positive {
            0 => return BackendSummary::AllWeightsZero,
            1 => weights.iter().position(|w| *w > 0).unwrap_or(0),
            _ => {
                let mut x = scale(random.next_u64(), total);
                let mut chosen = 0;
                for (i, w) in weights.iter().enumerate() {
                    if x < *w {
                        chosen = i;
                        break;
                    }
                    x -= w;
                }
                chosen
            }
        };
        let report = self
            .report
            .routes
            .get(route_key)
            .and_then(|r| r.rules.get(rule)?.backend_refs.get(index));
        match report {
            Some(BackendRefReport::Resolved(ResolvedBackend::Service { key, port })) => {
                BackendSummary::Service {
                    index,
                    key: key.clone(),
                    port: *port,
                }
            }
            Some(BackendRefReport::Resolved(ResolvedBackend::Backend { key }))
                if self
                    .resources
                    .backends
                    .get(&key.namespace, &key.name)
                    .is_some() =>
            {
                BackendSummary::Backend {
                    index,
                    key: key.clone(),
                }
            }
            _ => BackendSummary::Unresolved { index },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_helpers() {
        assert!(prefix_matches("/abc/", "/abc"));
        assert!(prefix_matches("/", "/x"));
        assert!(!prefix_matches("/abc", "/abcd"));
        assert_eq!(
            hostname_matches("*.example.com", "a.b.example.com"),
            Some(ListenerSpecificity::Wildcard(13))
        );
        assert_eq!(hostname_matches("*.example.com", "example.com"), None);
        assert_eq!(lower_host("A.B.:80"), "a.b");
        assert_eq!(percent_decode("a%2Fb%zz"), b"a/b%zz");
    }
}
