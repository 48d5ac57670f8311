//! `explain`: for every candidate listener, route, rule and match, why it won or lost.

use std::fmt;

use kgw_api::ObjectKey;

use crate::backend::RandomSource;
use crate::host::{HOST_BUF, HostPattern, normalize_host_into, wildcard_matches};
use crate::matcher::Failure;
use crate::outcome::Outcome;
use crate::path::normalize_path;
use crate::rank::{HostRank, Precedence, Step};
use crate::request::RequestHead;
use crate::table::GatewayTable;

/// What happened to one listener during listener selection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenerVerdict {
    /// Listener name.
    pub listener: String,
    /// Why it was or was not chosen.
    pub verdict: ListenerChoice,
}

/// Why a listener was or was not chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListenerChoice {
    /// It routes the request.
    Selected,
    /// It listens on another port.
    OtherPort(u16),
    /// Its hostname does not match the host (or server name).
    HostnameMismatch,
    /// It matches, but a more specific listener on the same port took the request.
    LessSpecific,
}

/// What happened to one route, rule or match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CandidateVerdict {
    /// The route.
    pub route: ObjectKey,
    /// The rule, when the verdict is about one.
    pub rule: Option<usize>,
    /// The match, when the verdict is about one.
    pub match_index: Option<usize>,
    /// Why.
    pub verdict: Verdict,
}

/// Why a candidate won or lost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// It won.
    Selected,
    /// None of the route's hostnames matches the host.
    HostnameMismatch,
    /// Validation dropped the rule (the reason is given).
    RuleDropped(String),
    /// The match can never hold (invalid regex or other invalid condition).
    InvalidMatch,
    /// The path does not match.
    PathMismatch,
    /// The method does not match.
    MethodMismatch,
    /// This header (lowercase name) is absent or has another value.
    HeaderMismatch(String),
    /// This query parameter is absent or has another value.
    QueryMismatch(String),
    /// It matched but lost to the winner at this precedence step.
    Outranked {
        /// The winning route.
        by: ObjectKey,
        /// The winning rule.
        rule: usize,
        /// The winning match.
        match_index: usize,
        /// The deciding step.
        step: Step,
    },
}

/// Every verdict of one resolution.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Explanation {
    /// Listener selection, one entry per usable listener.
    pub listeners: Vec<ListenerVerdict>,
    /// Route, rule and match verdicts on the selected listener.
    pub candidates: Vec<CandidateVerdict>,
}

impl Explanation {
    /// One line per verdict, for people.
    pub fn lines(&self) -> Vec<String> {
        self.listeners
            .iter()
            .map(ToString::to_string)
            .chain(self.candidates.iter().map(ToString::to_string))
            .collect()
    }
}

impl fmt::Display for ListenerVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "listener {}: ", self.listener)?;
        match self.verdict {
            ListenerChoice::Selected => f.write_str("selected"),
            ListenerChoice::OtherPort(p) => write!(f, "listens on port {p}"),
            ListenerChoice::HostnameMismatch => f.write_str("hostname does not match"),
            ListenerChoice::LessSpecific => {
                f.write_str("a more specific listener took the request")
            }
        }
    }
}

impl fmt::Display for CandidateVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "route {}", self.route)?;
        if let Some(rule) = self.rule {
            write!(f, " rule {rule}")?;
        }
        if let Some(m) = self.match_index {
            write!(f, " match {m}")?;
        }
        f.write_str(": ")?;
        match &self.verdict {
            Verdict::Selected => f.write_str("selected"),
            Verdict::HostnameMismatch => f.write_str("no hostname matches"),
            Verdict::RuleDropped(why) => write!(f, "rule dropped by validation: {why}"),
            Verdict::InvalidMatch => f.write_str("invalid match, never matches"),
            Verdict::PathMismatch => f.write_str("path does not match"),
            Verdict::MethodMismatch => f.write_str("method does not match"),
            Verdict::HeaderMismatch(h) => write!(f, "header {h} does not match"),
            Verdict::QueryMismatch(q) => write!(f, "query parameter {q} does not match"),
            Verdict::Outranked {
                by,
                rule,
                match_index,
                step,
            } => {
                write!(
                    f,
                    "lost to route {by} rule {rule} match {match_index}: {step}"
                )
            }
        }
    }
}

/// The host rank of a route for a host, `None` when none of its hostnames matches.
pub(crate) fn route_host_rank(hosts: &[HostPattern], host: &str) -> Option<HostRank> {
    if hosts.is_empty() {
        return Some(HostRank::Any);
    }
    hosts
        .iter()
        .filter_map(|h| match h {
            HostPattern::Exact(e) => (**e == *host).then_some(HostRank::Exact),
            HostPattern::Wildcard(s) => {
                wildcard_matches(s, host).then_some(HostRank::Wildcard(s.len() + 2))
            }
        })
        .max()
}

impl GatewayTable {
    /// Resolves like [`Self::resolve`] (same outcome, same random draws) and records why
    /// every candidate won or lost. Allocates; meant for tools, not the request path.
    pub fn explain<'t>(
        &'t self,
        req: &RequestHead<'_>,
        random: &mut dyn RandomSource,
    ) -> (Outcome<'t>, Explanation) {
        let outcome = self.resolve(req, random);
        let mut explanation = Explanation::default();
        let Ok(path) = normalize_path(req.path, &self.path_options) else {
            return (outcome, explanation);
        };
        let mut buf = [0u8; HOST_BUF];
        let host = normalize_host_into(req.host, &mut buf).into_owned();
        let selected = self.select_listener(req, &host).ok();
        for (l, listener) in self.listeners.iter().enumerate() {
            let verdict = if listener.info.port != req.port {
                ListenerChoice::OtherPort(listener.info.port)
            } else if Some(l) == selected {
                ListenerChoice::Selected
            } else if listener_matches(listener.pattern.as_ref(), &host) {
                ListenerChoice::LessSpecific
            } else {
                ListenerChoice::HostnameMismatch
            };
            explanation.listeners.push(ListenerVerdict {
                listener: listener.info.name.clone(),
                verdict,
            });
        }
        let Some(l) = selected else {
            return (outcome, explanation);
        };
        let mut matched: Vec<(Precedence, usize)> = Vec::new();
        for &r in &self.listeners[l].routes {
            let route = &self.routes[r as usize];
            let Some(host_rank) = route_host_rank(&route.hosts, &host) else {
                explanation.candidates.push(CandidateVerdict {
                    route: route.key.clone(),
                    rule: None,
                    match_index: None,
                    verdict: Verdict::HostnameMismatch,
                });
                continue;
            };
            for (rule_index, rule) in route.rules.iter().enumerate() {
                if let Some(why) = &rule.dropped {
                    explanation.candidates.push(CandidateVerdict {
                        route: route.key.clone(),
                        rule: Some(rule_index),
                        match_index: None,
                        verdict: Verdict::RuleDropped(why.clone()),
                    });
                    continue;
                }
                for (match_index, m) in rule.matches.iter().enumerate() {
                    let failure = if rule.invalid[match_index] {
                        Some(Failure::Never)
                    } else {
                        m.first_failure(&path, req)
                    };
                    let verdict = match failure {
                        Some(Failure::Never) => Verdict::InvalidMatch,
                        Some(Failure::Path) => Verdict::PathMismatch,
                        Some(Failure::Method) => Verdict::MethodMismatch,
                        Some(Failure::Header(h)) => Verdict::HeaderMismatch(h),
                        Some(Failure::Query(q)) => Verdict::QueryMismatch(q),
                        None => {
                            let precedence = Precedence {
                                host: host_rank,
                                matched: m.rank,
                                route: route.order.clone(),
                                rule: rule_index,
                                match_index,
                            };
                            matched.push((precedence, explanation.candidates.len()));
                            Verdict::Selected
                        }
                    };
                    explanation.candidates.push(CandidateVerdict {
                        route: route.key.clone(),
                        rule: Some(rule_index),
                        match_index: Some(match_index),
                        verdict,
                    });
                }
            }
        }
        if let Some((best, best_at)) = matched.iter().min_by(|a, b| a.0.cmp(&b.0)).cloned() {
            let winner = explanation.candidates[best_at].clone();
            for (precedence, at) in &matched {
                if *at != best_at {
                    explanation.candidates[*at].verdict = Verdict::Outranked {
                        by: winner.route.clone(),
                        rule: best.rule,
                        match_index: best.match_index,
                        step: best.deciding_step(precedence).unwrap_or(Step::MatchOrder),
                    };
                }
            }
        }
        (outcome, explanation)
    }
}

fn listener_matches(pattern: Option<&HostPattern>, host: &str) -> bool {
    match pattern {
        None => true,
        Some(HostPattern::Exact(e)) => **e == *host,
        Some(HostPattern::Wildcard(s)) => wildcard_matches(s, host),
    }
}
