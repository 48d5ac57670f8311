//! The fast table against the reference matcher on random tables and requests: same listener,
//! route, rule, match and backend every time. `PROPTEST_CASES` sets the number of tables
//! (default 256); each table is asked 16 requests.

mod common;

use http::HeaderMap;
use kgw_api::gateway::conditions::RouteConditionReason;
use kgw_api::gateway::{
    Gateway, GatewaySpec, HttpBackendRef, HttpHeaderMatch, HttpMethod, HttpPathMatch,
    HttpQueryParamMatch, HttpRoute, HttpRouteMatch, HttpRouteRule, HttpRouteSpec, Listener,
    ParentReference, PathMatchType, StringMatchType,
};
use kgw_api::{ObjectKey, ObjectMeta, Resources, SmolStr};
use kgw_resolve::reference::Reference;
use kgw_resolve::{RequestHead, RouteTable, SplitMix64};
use kgw_validate::report::{
    BackendRefReport, GatewayReport, ListenerReport, ParentReport, Report, ResolvedBackend,
    RouteReport, RuleReport,
};
use proptest::prelude::*;
use proptest::sample::select;

const ROUTE_HOSTS: &[&str] = &[
    "a.example.com",
    "b.example.com",
    "*.example.com",
    "*.a.example.com",
    "example.com",
    "x.a.example.com",
    "*.com",
    "A.Example.com",
];
const LISTENER_HOSTS: &[Option<&str>] = &[
    None,
    Some("*.example.com"),
    Some("a.example.com"),
    Some("*.a.example.com"),
    None,
];
const PATHS: &[&str] = &[
    "/", "/a", "/a/", "/ab", "/a/b", "/b", "/a/b/c", "/%61", "/a//b",
];
const REGEXES: &[&str] = &["/a|/ab", "/a.*", "/[ab]+", "/a/b", "(", ".*", "/a/[^/]+"];
const TIMESTAMPS: &[Option<&str>] = &[
    None,
    Some("2020-01-01T00:00:00Z"),
    Some("2021-01-01T00:00:00Z"),
    Some("bad"),
    Some("2020-01-01T01:00:00+01:00"),
];
const HEADER_NAMES: &[&str] = &["x-a", "X-B", "bad name"];
const VALUES: &[&str] = &["1", "2"];
const VALUE_REGEXES: &[&str] = &["1|2", "[12]", "1,2", "("];

const REQ_HOSTS: &[&str] = &[
    "a.example.com",
    "b.example.com",
    "example.com",
    "x.a.example.com",
    "y.x.a.example.com",
    "A.Example.COM",
    "a.example.com.",
    "a.example.com:80",
    "other.net",
    "c.example.com",
    "",
];
const REQ_PATHS: &[&str] = &[
    "/", "/a", "/a/", "/ab", "/a/b", "/a/b/c", "/b", "/%61", "/%61/b", "/a/../b", "/a//b", "/abc",
    "/ab/", "bad", "/x%zz", "/a/./b/",
];
const REQ_QUERIES: &[Option<&str>] = &[
    None,
    Some("q=1"),
    Some("q=2&r=1"),
    Some("r=2&q=1"),
    Some("q=1&q=2"),
    Some("%71=1"),
    Some(""),
];
const REQ_HEADERS: &[(&str, &str)] = &[
    ("x-a", "1"),
    ("X-A", "2"),
    ("x-b", "2"),
    ("x-b", "1"),
    ("other", "1"),
];

#[derive(Clone, Debug)]
struct MatchSpec {
    path: (u8, usize),
    method: Option<HttpMethod>,
    headers: Vec<(usize, bool, usize)>,
    query: Vec<(usize, bool, usize)>,
}

#[derive(Clone, Debug)]
struct RuleSpec {
    matches: Option<Vec<MatchSpec>>,
    backends: Vec<(Option<i32>, u8)>,
    dropped: bool,
    invalid: Vec<usize>,
}

#[derive(Clone, Debug)]
struct RouteSpec {
    namespace: usize,
    hostnames: Vec<usize>,
    timestamp: usize,
    rules: Vec<RuleSpec>,
    listeners: u8,
}

#[derive(Clone, Debug)]
struct Scenario {
    listeners: Vec<(u16, usize, bool, bool)>,
    routes: Vec<RouteSpec>,
}

#[derive(Clone, Debug)]
struct RequestSpec {
    host: usize,
    port: u16,
    sni: Option<usize>,
    path: usize,
    method: HttpMethod,
    query: usize,
    headers: Vec<usize>,
    as_map: bool,
    seed: u64,
}

fn match_spec() -> impl Strategy<Value = MatchSpec> {
    let value = (0..2usize, any::<bool>(), 0..4usize);
    (
        (0u8..3, 0..PATHS.len().max(REGEXES.len())),
        prop::option::of(select(vec![HttpMethod::Get, HttpMethod::Post])),
        prop::collection::vec((0..HEADER_NAMES.len(), any::<bool>(), 0..4usize), 0..3),
        prop::collection::vec(value, 0..3),
    )
        .prop_map(|(path, method, headers, query)| MatchSpec {
            path,
            method,
            headers,
            query,
        })
}

fn rule_spec() -> impl Strategy<Value = RuleSpec> {
    (
        prop::option::of(prop::collection::vec(match_spec(), 0..4)),
        prop::collection::vec((prop::option::of(0i32..4), 0u8..4), 0..4),
        prop::bool::weighted(0.1),
        prop::collection::vec(0..4usize, 0..2),
    )
        .prop_map(|(matches, backends, dropped, invalid)| RuleSpec {
            matches,
            backends,
            dropped,
            invalid,
        })
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let listener = (
        select(vec![80u16, 8080]),
        0..LISTENER_HOSTS.len(),
        prop::bool::weighted(0.9),
        any::<bool>(),
    );
    let route = (
        0..2usize,
        prop::collection::vec(0..ROUTE_HOSTS.len(), 0..3),
        0..TIMESTAMPS.len(),
        prop::collection::vec(rule_spec(), 1..4),
        any::<u8>(),
    )
        .prop_map(
            |(namespace, hostnames, timestamp, rules, listeners)| RouteSpec {
                namespace,
                hostnames,
                timestamp,
                rules,
                listeners,
            },
        );
    (
        prop::collection::vec(listener, 1..5),
        prop::collection::vec(route, 1..7),
    )
        .prop_map(|(listeners, routes)| Scenario { listeners, routes })
}

fn request_spec() -> impl Strategy<Value = RequestSpec> {
    (
        0..REQ_HOSTS.len(),
        select(vec![80u16, 8080, 80, 8080, 81]),
        prop::option::weighted(0.15, 0..REQ_HOSTS.len()),
        0..REQ_PATHS.len(),
        select(vec![HttpMethod::Get, HttpMethod::Post, HttpMethod::Head]),
        0..REQ_QUERIES.len(),
        prop::collection::vec(0..REQ_HEADERS.len(), 0..4),
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(
            |(host, port, sni, path, method, query, headers, as_map, seed)| RequestSpec {
                host,
                port,
                sni,
                path,
                method,
                query,
                headers,
                as_map,
                seed,
            },
        )
}

fn meta(namespace: &str, name: &str, timestamp: Option<&str>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        namespace: Some(namespace.into()),
        creation_timestamp: timestamp.map(Into::into),
        ..Default::default()
    }
}

fn build(
    s: &Scenario,
    backend_object: &kgw_api::kgateway::Backend,
) -> (Resources, Report, ObjectKey) {
    let gw = ObjectKey::new("infra", "gw");
    let mut resources = Resources::new();
    resources.insert(backend_object.clone());
    let listeners: Vec<Listener> = s
        .listeners
        .iter()
        .enumerate()
        .map(|(i, (port, host, _, https))| Listener {
            name: format!("l{i}"),
            hostname: LISTENER_HOSTS[*host].map(Into::into),
            port: i32::from(*port),
            protocol: if *https { "HTTPS" } else { "HTTP" }.into(),
            ..Default::default()
        })
        .collect();
    resources.insert(Gateway {
        api_version: "gateway.networking.k8s.io/v1".into(),
        kind: "Gateway".into(),
        metadata: meta("infra", "gw", None),
        spec: GatewaySpec {
            gateway_class_name: "kgw".into(),
            listeners,
            ..Default::default()
        },
        status: None,
    });
    let mut report = Report::default();
    report.gateways.insert(
        gw.clone(),
        GatewayReport {
            listeners: s
                .listeners
                .iter()
                .enumerate()
                .map(|(i, (_, _, usable, _))| ListenerReport {
                    name: format!("l{i}"),
                    conditions: if *usable {
                        vec![common::accepted()]
                    } else {
                        vec![]
                    },
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        },
    );
    for (r, route) in s.routes.iter().enumerate() {
        let namespace = ["ns1", "ns2"][route.namespace];
        let name = format!("r{}", (r * 7) % 10);
        if resources.http_routes.get(namespace, &name).is_some() {
            continue;
        }
        let mut rules = Vec::new();
        let mut rule_reports = Vec::new();
        for rule in &route.rules {
            let matches = rule.matches.as_ref().map(|ms| {
                ms.iter()
                    .map(|m| {
                        let (kind, v) = m.path;
                        let path = match kind {
                            0 => HttpPathMatch {
                                type_: Some(PathMatchType::Exact),
                                value: Some(PATHS[v % PATHS.len()].into()),
                            },
                            1 => HttpPathMatch {
                                type_: Some(PathMatchType::PathPrefix),
                                value: Some(PATHS[v % PATHS.len()].into()),
                            },
                            _ => HttpPathMatch {
                                type_: Some(PathMatchType::RegularExpression),
                                value: Some(REGEXES[v % REGEXES.len()].into()),
                            },
                        };
                        let string_match = |regex: bool, v: usize| {
                            if regex {
                                (
                                    Some(StringMatchType::RegularExpression),
                                    VALUE_REGEXES[v % VALUE_REGEXES.len()].to_owned(),
                                )
                            } else {
                                (
                                    Some(StringMatchType::Exact),
                                    VALUES[v % VALUES.len()].to_owned(),
                                )
                            }
                        };
                        HttpRouteMatch {
                            path: (v % 5 != 4).then_some(path),
                            method: m.method,
                            headers: (!m.headers.is_empty()).then(|| {
                                m.headers
                                    .iter()
                                    .map(|&(n, regex, v)| {
                                        let (type_, value) = string_match(regex, v);
                                        HttpHeaderMatch {
                                            type_,
                                            name: HEADER_NAMES[n].into(),
                                            value,
                                        }
                                    })
                                    .collect()
                            }),
                            query_params: (!m.query.is_empty()).then(|| {
                                m.query
                                    .iter()
                                    .map(|&(n, regex, v)| {
                                        let (type_, value) = string_match(regex, v);
                                        HttpQueryParamMatch {
                                            type_,
                                            name: ["q", "r"][n].into(),
                                            value,
                                        }
                                    })
                                    .collect()
                            }),
                        }
                    })
                    .collect()
            });
            let backend_refs: Vec<HttpBackendRef> = rule
                .backends
                .iter()
                .enumerate()
                .map(|(b, (weight, _))| HttpBackendRef {
                    name: format!("svc{b}"),
                    port: Some(8080),
                    weight: *weight,
                    ..Default::default()
                })
                .collect();
            rule_reports.push(RuleReport {
                dropped: rule.dropped.then(|| "dropped for the test".to_owned()),
                invalid_matches: rule.invalid.clone(),
                backend_refs: rule
                    .backends
                    .iter()
                    .enumerate()
                    .map(|(b, (_, kind))| match kind {
                        0 | 1 => BackendRefReport::Resolved(ResolvedBackend::Service {
                            key: ObjectKey::new(namespace, format!("svc{b}")),
                            port: 8080,
                        }),
                        2 => BackendRefReport::Resolved(ResolvedBackend::Backend {
                            key: ObjectKey::new("ns1", "static-be"),
                        }),
                        _ => BackendRefReport::Unresolved {
                            reason: RouteConditionReason::BackendNotFound,
                            message: "gone".into(),
                        },
                    })
                    .collect(),
                ..Default::default()
            });
            rules.push(HttpRouteRule {
                matches,
                backend_refs: (!backend_refs.is_empty()).then_some(backend_refs),
                ..Default::default()
            });
        }
        let parent_ref = ParentReference {
            name: "gw".into(),
            namespace: Some("infra".into()),
            ..Default::default()
        };
        let attached: Vec<SmolStr> = (0..s.listeners.len())
            .filter(|i| route.listeners & (1 << i) != 0)
            .map(|i| format!("l{i}").into())
            .collect();
        report.routes.insert(
            ObjectKey::new(namespace, &name),
            RouteReport {
                parents: vec![ParentReport {
                    parent_ref: parent_ref.clone(),
                    gateway: gw.clone(),
                    listeners: attached,
                    conditions: vec![],
                }],
                rules: rule_reports,
            },
        );
        resources.insert(HttpRoute {
            api_version: "gateway.networking.k8s.io/v1".into(),
            kind: "HTTPRoute".into(),
            metadata: meta(namespace, &name, TIMESTAMPS[route.timestamp]),
            spec: HttpRouteSpec {
                parent_refs: Some(vec![parent_ref]),
                hostnames: (!route.hostnames.is_empty()).then(|| {
                    route
                        .hostnames
                        .iter()
                        .map(|&h| ROUTE_HOSTS[h].to_owned())
                        .collect()
                }),
                rules: Some(rules),
                use_default_gateways: None,
            },
            status: None,
        });
    }
    (resources, report, gw)
}

fn static_backend() -> kgw_api::kgateway::Backend {
    let resources = common::load(
        "apiVersion: gateway.kgateway.dev/v1alpha1\nkind: Backend\nmetadata: {name: static-be, namespace: ns1}\nspec:\n  type: Static\n  static:\n    hosts: [{host: example.org, port: 80}]\n",
    );
    resources
        .backends
        .get("ns1", "static-be")
        .unwrap()
        .object
        .clone()
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fast_table_agrees_with_reference(s in scenario(), requests in prop::collection::vec(request_spec(), 16)) {
        let backend = static_backend();
        let (resources, report, gw) = build(&s, &backend);
        let table = RouteTable::build(&resources, &report);
        let fast = table.gateway("infra", "gw").unwrap();
        let reference = Reference::new(&resources, &report);
        for q in &requests {
            let pairs: Vec<(&str, &str)> = q.headers.iter().map(|&h| REQ_HEADERS[h]).collect();
            let mut map = HeaderMap::new();
            for (n, v) in &pairs {
                map.append(http::HeaderName::from_bytes(n.as_bytes()).unwrap(), v.parse().unwrap());
            }
            let path_and_query = match REQ_QUERIES[q.query] {
                Some(query) => format!("{}?{query}", REQ_PATHS[q.path]),
                None => REQ_PATHS[q.path].to_owned(),
            };
            let mut head = RequestHead::new(q.method.as_str(), REQ_HOSTS[q.host], &path_and_query).with_port(q.port);
            head = if q.as_map { head.with_headers(&map) } else { head.with_header_pairs(&pairs) };
            if let Some(sni) = q.sni {
                head = head.with_sni(REQ_HOSTS[sni]);
            }
            let got = fast.resolve(&head, &mut SplitMix64::new(q.seed)).summary();
            let want = reference.resolve(&gw, &head, &mut SplitMix64::new(q.seed));
            prop_assert_eq!(&got, &want, "request {:?}", head);
            let (explained, _) = fast.explain(&head, &mut SplitMix64::new(q.seed));
            prop_assert_eq!(explained.summary(), want);
        }
    }
}

/// The generators reach every kind of outcome, so agreement above is not agreement on 404s.
#[test]
fn generated_requests_cover_every_outcome() {
    use kgw_resolve::{BackendSummary, Summary};
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let backend = static_backend();
    let mut runner = TestRunner::deterministic();
    let mut seen = std::collections::BTreeMap::<&str, usize>::new();
    for _ in 0..300 {
        let s = scenario().new_tree(&mut runner).unwrap().current();
        let (resources, report, _) = build(&s, &backend);
        let table = RouteTable::build(&resources, &report);
        let fast = table.gateway("infra", "gw").unwrap();
        for _ in 0..16 {
            let q = request_spec().new_tree(&mut runner).unwrap().current();
            let mut head =
                RequestHead::new(q.method.as_str(), REQ_HOSTS[q.host], REQ_PATHS[q.path])
                    .with_port(q.port);
            if let Some(sni) = q.sni {
                head = head.with_sni(REQ_HOSTS[sni]);
            }
            let kind = match fast.resolve(&head, &mut SplitMix64::new(q.seed)).summary() {
                Summary::BadRequest => "400",
                Summary::NoListener => "no listener",
                Summary::Misdirected { .. } => "421",
                Summary::NoRoute { .. } => "no route",
                Summary::Matched {
                    match_index,
                    backend,
                    ..
                } => match backend {
                    BackendSummary::Service { .. } if match_index > 0 => "service, later match",
                    BackendSummary::Service { .. } => "service",
                    BackendSummary::Backend { .. } => "backend",
                    BackendSummary::Unresolved { .. } => "unresolved",
                    BackendSummary::NoBackends => "no backends",
                    BackendSummary::AllWeightsZero => "all weights zero",
                },
            };
            *seen.entry(kind).or_default() += 1;
        }
    }
    println!("{seen:#?}");
    for kind in [
        "400",
        "no listener",
        "421",
        "no route",
        "service",
        "service, later match",
        "backend",
        "unresolved",
        "no backends",
        "all weights zero",
    ] {
        assert!(
            seen.get(kind).copied().unwrap_or(0) >= 5,
            "{kind} seldom reached: {seen:?}"
        );
    }
}
