//! The compiled routing table: per Gateway, listeners indexed by port and hostname; per
//! listener, candidates indexed by route hostname and path, each list presorted by precedence.

use std::collections::HashMap;
use std::sync::Arc;

use kgw_api::gateway::conditions::RouteConditionReason;
use kgw_api::gateway::{HttpRoute, HttpRouteMatch, HttpRouteRule};
use kgw_api::k8s::Service;
use kgw_api::kgateway::Backend;
use kgw_api::{ObjectKey, Resources};
use kgw_validate::report::{BackendRefReport, Report, ResolvedBackend, RuleReport};

use crate::backend::{RandomSource, WeightedPicks};
use crate::host::{HOST_BUF, HostPattern, normalize_host_into, wildcard_suffixes};
use crate::matcher::{CompiledMatch, PathCond, path_holds};
use crate::outcome::{BackendChoice, ListenerInfo, MatchedPath, Outcome, Resolution, Target};
use crate::path::{PathOptions, normalize_path};
use crate::rank::{MatchRank, RouteOrder};
use crate::request::RequestHead;

pub(crate) type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Options for [`RouteTable::build_with`].
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// Only these Gateways (namespace/name); `None` compiles every Gateway in the report.
    pub gateways: Option<Vec<ObjectKey>>,
    /// Request path normalisation.
    pub path: PathOptions,
}

/// The routing tables of every Gateway in a validation report.
///
/// ```
/// use kgw_resolve::{RequestHead, RouteTable, SplitMix64};
/// # let (resources, report) = (kgw_api::Resources::new(), kgw_validate::report::Report::default());
/// let table = RouteTable::build(&resources, &report);
/// for gateway in table.gateways() {
///     let outcome = gateway.resolve(&RequestHead::new("GET", "example.com", "/"), &mut SplitMix64::new(0));
///     println!("{}: {:?}", gateway.key(), outcome.status());
/// }
/// ```
#[derive(Debug, Default)]
pub struct RouteTable {
    gateways: Vec<GatewayTable>,
}

impl RouteTable {
    /// Compiles every Gateway the report covers, with default options.
    pub fn build(resources: &Resources, report: &Report) -> Self {
        Self::build_with(resources, report, &BuildOptions::default())
    }

    /// Compiles the Gateways the options select.
    pub fn build_with(resources: &Resources, report: &Report, options: &BuildOptions) -> Self {
        let mut objects = ObjectCache::default();
        objects.http_routes.reserve(resources.http_routes.len());
        objects.http_routes.extend(
            resources
                .http_routes
                .entries()
                .map(|(key, stored)| (key, &stored.object)),
        );
        let gateways = report
            .gateways
            .iter()
            .filter(|(key, _)| {
                options
                    .gateways
                    .as_ref()
                    .is_none_or(|only| only.contains(key))
            })
            .filter_map(|(key, gateway_report)| {
                let gateway = resources.gateways.get(&key.namespace, &key.name)?;
                Some(GatewayTable::build(
                    key,
                    &gateway.object,
                    gateway_report,
                    resources,
                    report,
                    options.path,
                    &mut objects,
                ))
            })
            .collect();
        Self { gateways }
    }

    /// The compiled Gateways, in report order.
    pub fn gateways(&self) -> &[GatewayTable] {
        &self.gateways
    }

    /// One Gateway's table.
    pub fn gateway(&self, namespace: &str, name: &str) -> Option<&GatewayTable> {
        self.gateways
            .iter()
            .find(|g| g.key.namespace == namespace && g.key.name == name)
    }
}

/// Shares Service and Backend objects between the backendRefs that name them.
#[derive(Default)]
struct ObjectCache<'r> {
    services: Map<ObjectKey, Option<Arc<Service>>>,
    backends: Map<ObjectKey, Option<Arc<Backend>>>,
    /// The HTTPRoutes by key: `Store::get` builds an owned key per lookup, this borrowed index
    /// serves every Gateway without allocating.
    http_routes: Map<&'r ObjectKey, &'r HttpRoute>,
}

/// Why listener selection found no listener to route by.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ListenerMiss {
    NoListener,
    /// The server name chose this listener; the Host belongs to another.
    Misdirected(usize),
}

/// One (route, rule, match) in a candidate list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub(crate) route: u32,
    pub(crate) rule: u32,
    pub(crate) match_index: u32,
}

/// The routing table of one Gateway.
#[derive(Debug)]
pub struct GatewayTable {
    pub(crate) key: ObjectKey,
    pub(crate) path_options: PathOptions,
    pub(crate) listeners: Vec<CompiledListener>,
    ports: Vec<PortIndex>,
    pub(crate) routes: Vec<CompiledRoute>,
}

#[derive(Debug)]
pub(crate) struct CompiledListener {
    pub(crate) info: ListenerInfo,
    pub(crate) pattern: Option<HostPattern>,
    hosts: HostIndex,
    /// Routes attached to this listener.
    pub(crate) routes: Vec<u32>,
}

/// The usable listeners on one port, by hostname.
#[derive(Debug)]
struct PortIndex {
    port: u16,
    exact: Map<Box<str>, usize>,
    wildcard: Map<Box<str>, usize>,
    any: Option<usize>,
}

impl PortIndex {
    /// The single most specific listener for a normalised host.
    fn select(&self, host: &str) -> Option<usize> {
        if let Some(&l) = self.exact.get(host) {
            return Some(l);
        }
        wildcard_suffixes(host)
            .find_map(|suffix| self.wildcard.get(suffix).copied())
            .or(self.any)
    }
}

#[derive(Debug)]
pub(crate) struct CompiledRoute {
    pub(crate) key: ObjectKey,
    pub(crate) object: HttpRoute,
    pub(crate) order: RouteOrder,
    pub(crate) hosts: Vec<HostPattern>,
    pub(crate) rules: Vec<CompiledRule>,
}

#[derive(Debug)]
pub(crate) struct CompiledRule {
    pub(crate) dropped: Option<String>,
    pub(crate) matches: Vec<CompiledMatch>,
    /// Matches the report marks invalid, by index.
    pub(crate) invalid: Vec<bool>,
    pub(crate) backends: Vec<CompiledBackend>,
    pub(crate) picks: WeightedPicks,
}

#[derive(Debug)]
pub(crate) enum CompiledBackend {
    Service {
        key: ObjectKey,
        port: i32,
        service: Option<Arc<Service>>,
    },
    Backend {
        key: ObjectKey,
        backend: Arc<Backend>,
    },
    Unresolved {
        reason: RouteConditionReason,
        message: String,
    },
}

/// Candidates by route hostname.
#[derive(Debug, Default)]
struct HostIndex {
    exact: Map<Box<str>, Bucket>,
    wildcard: Map<Box<str>, Bucket>,
    any: Option<Bucket>,
}

/// Candidates of one route hostname, by path.
#[derive(Debug, Default)]
struct Bucket {
    /// Exact values and trimmed PathPrefix values.
    paths: Map<Box<str>, PathSlot>,
    /// RegularExpression candidates, presorted.
    regex: Box<[Candidate]>,
}

#[derive(Debug, Default)]
struct PathSlot {
    exact: Box<[Candidate]>,
    prefix: Box<[Candidate]>,
}

/// The rule's matches with the CRD default: none (or an empty list) is one `PathPrefix /`.
pub(crate) fn rule_matches(rule: &HttpRouteRule) -> std::borrow::Cow<'_, [HttpRouteMatch]> {
    match rule.matches.as_deref() {
        Some(matches) if !matches.is_empty() => std::borrow::Cow::Borrowed(matches),
        _ => std::borrow::Cow::Owned(vec![HttpRouteMatch::default()]),
    }
}

fn to_u32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

impl GatewayTable {
    fn build(
        key: &ObjectKey,
        gateway: &kgw_api::gateway::Gateway,
        gateway_report: &kgw_validate::report::GatewayReport,
        resources: &Resources,
        report: &Report,
        path_options: PathOptions,
        objects: &mut ObjectCache<'_>,
    ) -> Self {
        let mut listeners: Vec<CompiledListener> = Vec::new();
        for listener in &gateway.spec.listeners {
            let usable = gateway_report
                .listeners
                .iter()
                .find(|l| l.name == listener.name)
                .is_some_and(kgw_validate::report::ListenerReport::is_usable);
            let http = listener.protocol == "HTTP" || listener.protocol == "HTTPS";
            let Ok(port) = u16::try_from(listener.port) else {
                continue;
            };
            if !usable || !http || port == 0 {
                continue;
            }
            let pattern = listener.hostname.as_deref().map(HostPattern::parse);
            listeners.push(CompiledListener {
                info: ListenerInfo {
                    name: listener.name.clone(),
                    port,
                    protocol: listener.protocol.clone(),
                    hostname: listener.hostname.as_ref().map(|h| h.to_ascii_lowercase()),
                },
                pattern,
                hosts: HostIndex::default(),
                routes: Vec::new(),
            });
        }
        let ports = index_ports(&listeners);

        // Routes attached to this gateway, with the listeners they are accepted on.
        let mut routes = Vec::new();
        let mut attachments: Vec<Vec<usize>> = Vec::new();
        for (route_key, route_report) in &report.routes {
            let mut on: Vec<usize> = route_report
                .parents
                .iter()
                .filter(|p| p.gateway == *key)
                .flat_map(|p| p.listeners.iter())
                .filter_map(|name| listeners.iter().position(|l| l.info.name == *name))
                .collect();
            on.sort_unstable();
            on.dedup();
            if on.is_empty() {
                continue;
            }
            let Some(&route) = objects.http_routes.get(route_key) else {
                continue;
            };
            routes.push(compile_route(
                route_key,
                route,
                &route_report.rules,
                resources,
                objects,
            ));
            attachments.push(on);
        }

        // Precedence rank of each route among the others (timestamp, then namespace/name).
        let mut by_order: Vec<usize> = (0..routes.len()).collect();
        by_order.sort_by(|&a, &b| routes[a].order.cmp(&routes[b].order));
        let mut route_rank = vec![0u32; routes.len()];
        for (rank, &route) in by_order.iter().enumerate() {
            route_rank[route] = to_u32(rank);
        }

        let mut builders: Vec<HostIndexBuilder> = listeners
            .iter()
            .map(|_| HostIndexBuilder::default())
            .collect();
        for (r, on) in attachments.iter().enumerate() {
            for &l in on {
                listeners[l].routes.push(to_u32(r));
                builders[l].add_route(to_u32(r), &routes[r]);
            }
        }
        for (listener, builder) in listeners.iter_mut().zip(builders) {
            listener.hosts = builder.finish(&routes, &route_rank);
        }
        Self {
            key: key.clone(),
            path_options,
            listeners,
            ports,
            routes,
        }
    }

    /// The Gateway's namespace and name.
    pub fn key(&self) -> &ObjectKey {
        &self.key
    }

    /// The usable HTTP/HTTPS listeners, in spec order.
    pub fn listeners(&self) -> impl ExactSizeIterator<Item = &ListenerInfo> {
        self.listeners.iter().map(|l| &l.info)
    }

    /// Number of routes attached to at least one listener.
    pub fn route_count(&self) -> usize {
        self.routes.len()
    }

    /// Where a request goes. Never allocates for a path that needs no normalisation and a
    /// host shorter than 256 bytes.
    pub fn resolve<'t>(
        &'t self,
        req: &RequestHead<'_>,
        random: &mut dyn RandomSource,
    ) -> Outcome<'t> {
        let path = match normalize_path(req.path, &self.path_options) {
            Ok(path) => path,
            Err(e) => return Outcome::BadRequest(e),
        };
        let mut buf = [0u8; HOST_BUF];
        let host = normalize_host_into(req.host, &mut buf);
        match self.select_listener(req, &host) {
            Ok(l) => self.route_on(l, &host, &path, req, random),
            Err(miss) => self.miss(miss),
        }
    }

    /// Like [`Self::resolve`], but on the named listener whatever the port and host (the CLI's
    /// `--listener`); `None` when the gateway has no such usable listener.
    pub fn resolve_on_listener<'t>(
        &'t self,
        listener: &str,
        req: &RequestHead<'_>,
        random: &mut dyn RandomSource,
    ) -> Option<Outcome<'t>> {
        let l = self
            .listeners
            .iter()
            .position(|l| l.info.name == listener)?;
        let path = match normalize_path(req.path, &self.path_options) {
            Ok(path) => path,
            Err(e) => return Some(Outcome::BadRequest(e)),
        };
        let mut buf = [0u8; HOST_BUF];
        let host = normalize_host_into(req.host, &mut buf);
        Some(self.route_on(l, &host, &path, req, random))
    }

    /// Listener selection: by port, then the most specific hostname (the server name first
    /// when there is one, and then the Host must belong to the same listener).
    pub(crate) fn select_listener(
        &self,
        req: &RequestHead<'_>,
        host: &str,
    ) -> Result<usize, ListenerMiss> {
        let port = self
            .ports
            .iter()
            .find(|p| p.port == req.port)
            .ok_or(ListenerMiss::NoListener)?;
        let by_host = port.select(host);
        let Some(sni) = req.sni else {
            return by_host.ok_or(ListenerMiss::NoListener);
        };
        let mut buf = [0u8; HOST_BUF];
        let sni = normalize_host_into(sni, &mut buf);
        let by_sni = port.select(&sni).ok_or(ListenerMiss::NoListener)?;
        match by_host {
            None => Err(ListenerMiss::NoListener),
            Some(l) if l == by_sni => Ok(l),
            Some(_) => Err(ListenerMiss::Misdirected(by_sni)),
        }
    }

    fn miss(&self, miss: ListenerMiss) -> Outcome<'_> {
        match miss {
            ListenerMiss::NoListener => Outcome::NoListener,
            ListenerMiss::Misdirected(l) => Outcome::Misdirected {
                listener: &self.listeners[l].info,
            },
        }
    }

    fn route_on<'t>(
        &'t self,
        l: usize,
        host: &str,
        path: &str,
        req: &RequestHead<'_>,
        random: &mut dyn RandomSource,
    ) -> Outcome<'t> {
        let listener = &self.listeners[l];
        match listener.hosts.find(host, path, req, &self.routes) {
            Some(candidate) => Outcome::Matched(self.resolution(l, candidate, random)),
            None => Outcome::NoRoute {
                listener: &listener.info,
            },
        }
    }

    pub(crate) fn resolution<'t>(
        &'t self,
        l: usize,
        c: Candidate,
        random: &mut dyn RandomSource,
    ) -> Resolution<'t> {
        let route = &self.routes[c.route as usize];
        let rule = &route.rules[c.rule as usize];
        let spec_rule = route
            .object
            .spec
            .rules
            .as_ref()
            .and_then(|r| r.get(c.rule as usize));
        let matched = &rule.matches[c.match_index as usize];
        let backend = match rule.picks.choose(random) {
            None if rule.backends.is_empty() => BackendChoice::NoBackends,
            None => BackendChoice::AllWeightsZero,
            Some(index) => {
                let filters = spec_rule
                    .and_then(|r| r.backend_refs.as_ref()?.get(index)?.filters.as_deref())
                    .unwrap_or(&[]);
                match &rule.backends[index] {
                    CompiledBackend::Service { key, port, service } => BackendChoice::Forward {
                        index,
                        target: Target::Service {
                            namespace: &key.namespace,
                            name: &key.name,
                            port: *port,
                            service: service.as_deref(),
                        },
                        filters,
                    },
                    CompiledBackend::Backend { key, backend } => BackendChoice::Forward {
                        index,
                        target: Target::Backend {
                            namespace: &key.namespace,
                            name: &key.name,
                            backend,
                        },
                        filters,
                    },
                    CompiledBackend::Unresolved { reason, message } => BackendChoice::Unresolved {
                        index,
                        reason: *reason,
                        message,
                        filters,
                    },
                }
            }
        };
        Resolution {
            gateway: &self.key,
            listener: &self.listeners[l].info,
            route_key: &route.key,
            route: &route.object,
            rule_index: c.rule as usize,
            match_index: c.match_index as usize,
            path: match &matched.path {
                PathCond::Prefix(prefix) => MatchedPath::Prefix { prefix },
                PathCond::Regex(_) => MatchedPath::Regex,
                PathCond::Exact(_) | PathCond::Never => MatchedPath::Exact,
            },
            rule_filters: spec_rule.and_then(|r| r.filters.as_deref()).unwrap_or(&[]),
            backend,
        }
    }
}

fn index_ports(listeners: &[CompiledListener]) -> Vec<PortIndex> {
    let mut ports: Vec<PortIndex> = Vec::new();
    for (l, listener) in listeners.iter().enumerate() {
        let at = if let Some(at) = ports.iter().position(|p| p.port == listener.info.port) {
            at
        } else {
            ports.push(PortIndex {
                port: listener.info.port,
                exact: Map::default(),
                wildcard: Map::default(),
                any: None,
            });
            ports.len() - 1
        };
        let port = &mut ports[at];
        // Two usable listeners with one port and hostname cannot both be usable after
        // validation; if they are, the first in spec order keeps the traffic.
        match &listener.pattern {
            None => {
                port.any.get_or_insert(l);
            }
            Some(HostPattern::Exact(h)) => {
                port.exact.entry(h.clone()).or_insert(l);
            }
            Some(HostPattern::Wildcard(s)) => {
                port.wildcard.entry(s.clone()).or_insert(l);
            }
        }
    }
    ports
}

fn compile_route(
    key: &ObjectKey,
    route: &HttpRoute,
    rule_reports: &[RuleReport],
    resources: &Resources,
    objects: &mut ObjectCache<'_>,
) -> CompiledRoute {
    let mut hosts: Vec<HostPattern> = Vec::new();
    for h in route.spec.hostnames.iter().flatten() {
        let pattern = HostPattern::parse(h);
        if !hosts.contains(&pattern) {
            hosts.push(pattern);
        }
    }
    let rules = route
        .spec
        .rules
        .iter()
        .flatten()
        .enumerate()
        .map(|(r, rule)| {
            let rule_report = rule_reports.get(r);
            let matches: Vec<CompiledMatch> = rule_matches(rule)
                .iter()
                .map(CompiledMatch::compile)
                .collect();
            let invalid = (0..matches.len())
                .map(|m| rule_report.is_some_and(|rr| rr.invalid_matches.contains(&m)))
                .collect();
            let refs = rule.backend_refs.as_deref().unwrap_or_default();
            let backends = refs
                .iter()
                .enumerate()
                .map(|(b, _)| {
                    compile_backend(
                        rule_report.and_then(|rr| rr.backend_refs.get(b)),
                        resources,
                        objects,
                    )
                })
                .collect();
            CompiledRule {
                dropped: rule_report.and_then(|rr| rr.dropped.clone()),
                matches,
                invalid,
                backends,
                picks: WeightedPicks::new(refs.iter().map(|b| i64::from(b.weight_or_default()))),
            }
        })
        .collect();
    CompiledRoute {
        key: key.clone(),
        object: route.clone(),
        order: RouteOrder::new(
            route.metadata.creation_timestamp.as_deref(),
            &key.namespace,
            &key.name,
        ),
        hosts,
        rules,
    }
}

fn compile_backend(
    report: Option<&BackendRefReport>,
    resources: &Resources,
    objects: &mut ObjectCache<'_>,
) -> CompiledBackend {
    match report {
        None => CompiledBackend::Unresolved {
            reason: RouteConditionReason::BackendNotFound,
            message: "the validation report has no entry for this backendRef".to_owned(),
        },
        Some(BackendRefReport::Unresolved { reason, message }) => CompiledBackend::Unresolved {
            reason: *reason,
            message: message.clone(),
        },
        Some(BackendRefReport::Resolved(ResolvedBackend::Service { key, port })) => {
            // Look up before inserting: most backendRefs name an object seen before, and
            // `entry` would clone the key every time.
            let service = if let Some(cached) = objects.services.get(key) {
                cached.clone()
            } else {
                let service = resources
                    .services
                    .get(&key.namespace, &key.name)
                    .map(|s| Arc::new(s.object.clone()));
                objects.services.insert(key.clone(), service.clone());
                service
            };
            CompiledBackend::Service {
                key: key.clone(),
                port: *port,
                service,
            }
        }
        Some(BackendRefReport::Resolved(ResolvedBackend::Backend { key })) => {
            let backend = if let Some(cached) = objects.backends.get(key) {
                cached.clone()
            } else {
                let backend = resources
                    .backends
                    .get(&key.namespace, &key.name)
                    .map(|b| Arc::new(b.object.clone()));
                objects.backends.insert(key.clone(), backend.clone());
                backend
            };
            match backend {
                Some(backend) => CompiledBackend::Backend {
                    key: key.clone(),
                    backend,
                },
                None => CompiledBackend::Unresolved {
                    reason: RouteConditionReason::BackendNotFound,
                    message: format!("Backend {key} is not among the resources"),
                },
            }
        }
    }
}

/// Accumulates candidates before sorting.
#[derive(Default)]
struct HostIndexBuilder {
    exact: Map<Box<str>, BucketBuilder>,
    wildcard: Map<Box<str>, BucketBuilder>,
    any: Option<BucketBuilder>,
}

#[derive(Default)]
struct BucketBuilder {
    paths: Map<Box<str>, (Vec<Candidate>, Vec<Candidate>)>,
    regex: Vec<Candidate>,
}

impl HostIndexBuilder {
    fn add_route(&mut self, r: u32, route: &CompiledRoute) {
        if route.hosts.is_empty() {
            self.any
                .get_or_insert_with(BucketBuilder::default)
                .add_route(r, route);
        }
        // Hostnames were deduplicated, so a route lands in each bucket once.
        for host in &route.hosts {
            let bucket = match host {
                HostPattern::Exact(h) => self.exact.entry(h.clone()).or_default(),
                HostPattern::Wildcard(s) => self.wildcard.entry(s.clone()).or_default(),
            };
            bucket.add_route(r, route);
        }
    }

    fn finish(self, routes: &[CompiledRoute], route_rank: &[u32]) -> HostIndex {
        let finish = |b: BucketBuilder| b.finish(routes, route_rank);
        HostIndex {
            exact: self
                .exact
                .into_iter()
                .map(|(k, b)| (k, finish(b)))
                .collect(),
            wildcard: self
                .wildcard
                .into_iter()
                .map(|(k, b)| (k, finish(b)))
                .collect(),
            any: self.any.map(finish),
        }
    }
}

impl BucketBuilder {
    fn add_route(&mut self, r: u32, route: &CompiledRoute) {
        for (rule_index, rule) in route.rules.iter().enumerate() {
            if rule.dropped.is_some() {
                continue;
            }
            for (match_index, m) in rule.matches.iter().enumerate() {
                if m.never || rule.invalid[match_index] {
                    continue;
                }
                let c = Candidate {
                    route: r,
                    rule: to_u32(rule_index),
                    match_index: to_u32(match_index),
                };
                match &m.path {
                    PathCond::Exact(v) => self.paths.entry(v.clone()).or_default().0.push(c),
                    PathCond::Prefix(p) => self.paths.entry(p.clone()).or_default().1.push(c),
                    PathCond::Regex(_) => self.regex.push(c),
                    PathCond::Never => {}
                }
            }
        }
    }

    fn finish(self, routes: &[CompiledRoute], route_rank: &[u32]) -> Bucket {
        let sort = |mut list: Vec<Candidate>| -> Box<[Candidate]> {
            list.sort_by_cached_key(|c| {
                let rank: MatchRank = routes[c.route as usize].rules[c.rule as usize].matches
                    [c.match_index as usize]
                    .rank;
                (
                    std::cmp::Reverse(rank),
                    route_rank[c.route as usize],
                    c.rule,
                    c.match_index,
                )
            });
            list.into_boxed_slice()
        };
        Bucket {
            paths: self
                .paths
                .into_iter()
                .map(|(k, (exact, prefix))| {
                    (
                        k,
                        PathSlot {
                            exact: sort(exact),
                            prefix: sort(prefix),
                        },
                    )
                })
                .collect(),
            regex: sort(self.regex),
        }
    }
}

impl HostIndex {
    /// The winning candidate: buckets from the most specific route hostname to the least,
    /// the first bucket with a match decides.
    fn find(
        &self,
        host: &str,
        path: &str,
        req: &RequestHead<'_>,
        routes: &[CompiledRoute],
    ) -> Option<Candidate> {
        if let Some(found) = self.exact.get(host).and_then(|b| b.find(path, req, routes)) {
            return Some(found);
        }
        if !self.wildcard.is_empty() {
            for suffix in wildcard_suffixes(host) {
                if let Some(found) = self
                    .wildcard
                    .get(suffix)
                    .and_then(|b| b.find(path, req, routes))
                {
                    return Some(found);
                }
            }
        }
        self.any.as_ref().and_then(|b| b.find(path, req, routes))
    }
}

fn match_of(routes: &[CompiledRoute], c: Candidate) -> &CompiledMatch {
    &routes[c.route as usize].rules[c.rule as usize].matches[c.match_index as usize]
}

impl Bucket {
    /// Exact paths, then regexes, then prefixes from the longest; each list is presorted, so
    /// the first candidate whose remaining conditions hold wins.
    fn find(
        &self,
        path: &str,
        req: &RequestHead<'_>,
        routes: &[CompiledRoute],
    ) -> Option<Candidate> {
        let first = |list: &[Candidate]| {
            list.iter()
                .copied()
                .find(|&c| match_of(routes, c).conditions_hold(req))
        };
        let whole = self.paths.get(path);
        if let Some(found) = whole.and_then(|slot| first(&slot.exact)) {
            return Some(found);
        }
        if let Some(found) = self.regex.iter().copied().find(|&c| {
            let m = match_of(routes, c);
            path_holds(&m.path, path) && m.conditions_hold(req)
        }) {
            return Some(found);
        }
        // A trimmed prefix never ends with `/`, so the whole path is a candidate prefix only
        // when it does not either.
        if !path.ends_with('/')
            && let Some(found) = whole.and_then(|slot| first(&slot.prefix))
        {
            return Some(found);
        }
        for (i, b) in path.bytes().enumerate().rev() {
            if b == b'/'
                && let Some(found) = self
                    .paths
                    .get(&path[..i])
                    .and_then(|slot| first(&slot.prefix))
            {
                return Some(found);
            }
        }
        None
    }
}
