//! What resolution answers: [`Outcome`], and for a matched request a [`Resolution`] that
//! borrows everything from the table.

use kgw_api::ObjectKey;
use kgw_api::gateway::conditions::RouteConditionReason;
use kgw_api::gateway::{HttpRoute, HttpRouteFilter, HttpRouteRule};
use kgw_api::k8s::Service;
use kgw_api::kgateway::Backend;

use crate::path::PathError;

/// A listener of the gateway, as the table keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenerInfo {
    /// Listener name.
    pub name: String,
    /// Port.
    pub port: u16,
    /// `HTTP` or `HTTPS`.
    pub protocol: String,
    /// Hostname (possibly `*.` wildcard), lowercased; `None` matches every host.
    pub hostname: Option<String>,
}

impl ListenerInfo {
    /// `https` for an HTTPS listener, `http` otherwise (for redirects and rewrites).
    pub fn scheme(&self) -> &'static str {
        if self.protocol.eq_ignore_ascii_case("HTTPS") {
            "https"
        } else {
            "http"
        }
    }
}

/// Where a chosen backendRef leads, with the resolved object.
#[derive(Clone, Copy, Debug)]
pub enum Target<'t> {
    /// A core Service and the Service port.
    Service {
        /// Namespace.
        namespace: &'t str,
        /// Name.
        name: &'t str,
        /// The Service port the backendRef names.
        port: i32,
        /// The Service object, when it was among the resources.
        service: Option<&'t Service>,
    },
    /// A kgateway Backend (static hosts, AWS Lambda, …).
    Backend {
        /// Namespace.
        namespace: &'t str,
        /// Name.
        name: &'t str,
        /// The Backend object.
        backend: &'t Backend,
    },
}

/// The backend decision for a matched rule.
#[derive(Clone, Copy, Debug)]
pub enum BackendChoice<'t> {
    /// Forward to this backendRef.
    Forward {
        /// Index of the backendRef in the rule.
        index: usize,
        /// Where it leads.
        target: Target<'t>,
        /// The backendRef's own filters.
        filters: &'t [HttpRouteFilter],
    },
    /// The chosen backendRef is invalid (ResolvedRefs=False): 500.
    Unresolved {
        /// Index of the backendRef in the rule.
        index: usize,
        /// The `ResolvedRefs=False` reason.
        reason: RouteConditionReason,
        /// Why.
        message: &'t str,
        /// The backendRef's own filters.
        filters: &'t [HttpRouteFilter],
    },
    /// The rule has no backendRefs: 500 unless a filter (a redirect) answers.
    NoBackends,
    /// Every backendRef has weight 0: 500.
    AllWeightsZero,
}

impl<'t> BackendChoice<'t> {
    /// The status answered when no request can be forwarded (500), `None` when forwarding.
    pub fn error_status(&self) -> Option<u16> {
        match self {
            Self::Forward { .. } => None,
            Self::Unresolved { .. } | Self::NoBackends | Self::AllWeightsZero => Some(500),
        }
    }

    /// The chosen backendRef's filters (empty when none was chosen).
    pub fn filters(&self) -> &'t [HttpRouteFilter] {
        match self {
            Self::Forward { filters, .. } | Self::Unresolved { filters, .. } => filters,
            Self::NoBackends | Self::AllWeightsZero => &[],
        }
    }
}

/// How the path condition of the winning match matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchedPath<'t> {
    /// An Exact path.
    Exact,
    /// A PathPrefix: `prefix` is the configured value normalised and without trailing slashes
    /// (`""` for `/`); it is also the first `prefix.len()` bytes of the normalised request
    /// path, the part ReplacePrefixMatch replaces.
    Prefix {
        /// The matched prefix.
        prefix: &'t str,
    },
    /// A RegularExpression.
    Regex,
}

/// A matched request: which route, rule and match won, and the backend decision.
#[derive(Clone, Copy, Debug)]
pub struct Resolution<'t> {
    /// The Gateway.
    pub gateway: &'t ObjectKey,
    /// The listener the request was routed by.
    pub listener: &'t ListenerInfo,
    /// The HTTPRoute's namespace and name.
    pub route_key: &'t ObjectKey,
    /// The HTTPRoute.
    pub route: &'t HttpRoute,
    /// Index of the matched rule.
    pub rule_index: usize,
    /// Index of the matched match within the rule (0 for a rule without matches).
    pub match_index: usize,
    /// How the path matched.
    pub path: MatchedPath<'t>,
    /// The rule's filters.
    pub rule_filters: &'t [HttpRouteFilter],
    /// The backend decision.
    pub backend: BackendChoice<'t>,
}

impl<'t> Resolution<'t> {
    /// The matched rule.
    pub fn rule(&self) -> Option<&'t HttpRouteRule> {
        self.route.spec.rules.as_ref()?.get(self.rule_index)
    }

    /// The matched PathPrefix (normalised, no trailing slash), for ReplacePrefixMatch.
    pub fn matched_prefix(&self) -> Option<&'t str> {
        match self.path {
            MatchedPath::Prefix { prefix } => Some(prefix),
            MatchedPath::Exact | MatchedPath::Regex => None,
        }
    }

    /// The chosen backendRef's filters.
    pub fn backend_filters(&self) -> &'t [HttpRouteFilter] {
        self.backend.filters()
    }
}

/// The answer to "where does this request go".
#[derive(Clone, Copy, Debug)]
pub enum Outcome<'t> {
    /// A rule matched; see the backend decision for 500s.
    Matched(Resolution<'t>),
    /// A listener took the request but none of its routes matched: 404.
    NoRoute {
        /// The listener.
        listener: &'t ListenerInfo,
    },
    /// No listener of the gateway serves this port and host: 404.
    NoListener,
    /// The TLS server name chose `listener`, but the Host belongs to another listener: 421.
    Misdirected {
        /// The listener the server name selected.
        listener: &'t ListenerInfo,
    },
    /// The path cannot be normalised: 400.
    BadRequest(PathError),
}

impl<'t> Outcome<'t> {
    /// The status the gateway answers itself, or `None` when the request is forwarded (a
    /// rule's redirect filter may still answer: that is kgw-rewrite's decision).
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Matched(resolution) => resolution.backend.error_status(),
            Self::NoRoute { .. } | Self::NoListener => Some(404),
            Self::Misdirected { .. } => Some(421),
            Self::BadRequest(_) => Some(400),
        }
    }

    /// The resolution, when a rule matched.
    pub fn resolution(&self) -> Option<&Resolution<'t>> {
        match self {
            Self::Matched(resolution) => Some(resolution),
            _ => None,
        }
    }

    /// An owned summary, comparable with the reference matcher's answer.
    pub fn summary(&self) -> Summary {
        match self {
            Self::BadRequest(_) => Summary::BadRequest,
            Self::NoListener => Summary::NoListener,
            Self::Misdirected { listener } => Summary::Misdirected {
                listener: listener.name.clone(),
            },
            Self::NoRoute { listener } => Summary::NoRoute {
                listener: listener.name.clone(),
            },
            Self::Matched(r) => Summary::Matched {
                listener: r.listener.name.clone(),
                route: r.route_key.clone(),
                rule: r.rule_index,
                match_index: r.match_index,
                backend: match r.backend {
                    BackendChoice::Forward { index, target, .. } => match target {
                        Target::Service {
                            namespace,
                            name,
                            port,
                            ..
                        } => BackendSummary::Service {
                            index,
                            key: ObjectKey::new(namespace, name),
                            port,
                        },
                        Target::Backend {
                            namespace, name, ..
                        } => BackendSummary::Backend {
                            index,
                            key: ObjectKey::new(namespace, name),
                        },
                    },
                    BackendChoice::Unresolved { index, .. } => BackendSummary::Unresolved { index },
                    BackendChoice::NoBackends => BackendSummary::NoBackends,
                    BackendChoice::AllWeightsZero => BackendSummary::AllWeightsZero,
                },
            },
        }
    }
}

/// An owned, comparable digest of an [`Outcome`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Summary {
    /// 400.
    BadRequest,
    /// 404, no listener.
    NoListener,
    /// 421.
    Misdirected {
        /// Listener chosen by the server name.
        listener: String,
    },
    /// 404, no route on the listener.
    NoRoute {
        /// The listener.
        listener: String,
    },
    /// A rule matched.
    Matched {
        /// The listener.
        listener: String,
        /// The route.
        route: ObjectKey,
        /// Rule index.
        rule: usize,
        /// Match index.
        match_index: usize,
        /// Backend decision.
        backend: BackendSummary,
    },
}

/// An owned digest of a [`BackendChoice`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackendSummary {
    /// A Service.
    Service {
        /// backendRef index.
        index: usize,
        /// The Service.
        key: ObjectKey,
        /// Service port.
        port: i32,
    },
    /// A kgateway Backend.
    Backend {
        /// backendRef index.
        index: usize,
        /// The Backend.
        key: ObjectKey,
    },
    /// An invalid backendRef (500).
    Unresolved {
        /// backendRef index.
        index: usize,
    },
    /// No backendRefs (500).
    NoBackends,
    /// All weights 0 (500).
    AllWeightsZero,
}
