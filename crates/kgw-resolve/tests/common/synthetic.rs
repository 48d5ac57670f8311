//! Synthetic routing tables for benchmarks and the allocation test: `hosts × paths` routes
//! (`h{i}.example.com`, one `PathPrefix /p{j}` rule each, resolved Service), plus wildcard
//! routes (`*.w{i}.example.com`), one route matching a header and a query parameter, and one
//! with a path regex.

#![allow(dead_code)]

use kgw_api::gateway::{
    Gateway, GatewaySpec, HttpBackendRef, HttpHeaderMatch, HttpPathMatch, HttpQueryParamMatch,
    HttpRoute, HttpRouteMatch, HttpRouteRule, HttpRouteSpec, Listener, ParentReference,
    PathMatchType,
};
use kgw_api::{Condition, ConditionStatus, ObjectKey, ObjectMeta, Resources};
use kgw_validate::report::{
    BackendRefReport, GatewayReport, ListenerReport, ParentReport, Report, ResolvedBackend,
    RouteReport, RuleReport,
};

fn meta(namespace: &str, name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        namespace: Some(namespace.into()),
        ..Default::default()
    }
}

fn path(kind: PathMatchType, value: &str) -> HttpRouteMatch {
    HttpRouteMatch {
        path: Some(HttpPathMatch {
            type_: Some(kind),
            value: Some(value.into()),
        }),
        ..Default::default()
    }
}

pub struct Synthetic {
    pub resources: Resources,
    pub report: Report,
}

impl Synthetic {
    pub fn new(hosts: usize, paths: usize) -> Self {
        let mut s = Self {
            resources: Resources::new(),
            report: Report::default(),
        };
        let gw = ObjectKey::new("infra", "gw");
        s.resources.insert(Gateway {
            api_version: "gateway.networking.k8s.io/v1".into(),
            kind: "Gateway".into(),
            metadata: meta("infra", "gw"),
            spec: GatewaySpec {
                gateway_class_name: "kgw".into(),
                listeners: vec![Listener {
                    name: "http".into(),
                    port: 80,
                    protocol: "HTTP".into(),
                    ..Default::default()
                }],
                ..Default::default()
            },
            status: None,
        });
        let accepted = Condition {
            type_: "Accepted".into(),
            status: ConditionStatus::True,
            observed_generation: None,
            last_transition_time: None,
            reason: "Accepted".into(),
            message: "".into(),
        };
        s.report.gateways.insert(
            gw.clone(),
            GatewayReport {
                listeners: vec![ListenerReport {
                    name: "http".into(),
                    conditions: vec![accepted],
                    ..Default::default()
                }],
                ..Default::default()
            },
        );
        for h in 0..hosts {
            for p in 0..paths {
                s.add(
                    &format!("r-{h}-{p}"),
                    &format!("h{h}.example.com"),
                    vec![path(PathMatchType::PathPrefix, &format!("/p{p}"))],
                );
            }
        }
        for w in 0..10 {
            for p in 0..paths.min(10) {
                s.add(
                    &format!("w-{w}-{p}"),
                    &format!("*.w{w}.example.com"),
                    vec![path(PathMatchType::PathPrefix, &format!("/p{p}"))],
                );
            }
        }
        let mut hq = path(PathMatchType::PathPrefix, "/hq");
        hq.headers = Some(vec![HttpHeaderMatch {
            type_: None,
            name: "x-user".into(),
            value: "1".into(),
        }]);
        hq.query_params = Some(vec![HttpQueryParamMatch {
            type_: None,
            name: "v".into(),
            value: "2".into(),
        }]);
        s.add(
            "hq",
            "h0.example.com",
            vec![hq, path(PathMatchType::RegularExpression, "/re/[0-9]+")],
        );
        s
    }

    fn add(&mut self, name: &str, hostname: &str, matches: Vec<HttpRouteMatch>) {
        let parent_ref = ParentReference {
            name: "gw".into(),
            namespace: Some("infra".into()),
            ..Default::default()
        };
        let service = ObjectKey::new("apps", format!("svc-{name}"));
        self.resources.insert(HttpRoute {
            api_version: "gateway.networking.k8s.io/v1".into(),
            kind: "HTTPRoute".into(),
            metadata: meta("apps", name),
            spec: HttpRouteSpec {
                parent_refs: Some(vec![parent_ref.clone()]),
                hostnames: Some(vec![hostname.into()]),
                rules: Some(vec![HttpRouteRule {
                    matches: Some(matches),
                    backend_refs: Some(vec![HttpBackendRef {
                        name: service.name.to_string(),
                        namespace: Some("apps".into()),
                        port: Some(8080),
                        ..Default::default()
                    }]),
                    ..Default::default()
                }]),
                use_default_gateways: None,
            },
            status: None,
        });
        self.report.routes.insert(
            ObjectKey::new("apps", name),
            RouteReport {
                parents: vec![ParentReport {
                    parent_ref,
                    gateway: ObjectKey::new("infra", "gw"),
                    listeners: vec!["http".into()],
                    conditions: vec![],
                }],
                rules: vec![RuleReport {
                    backend_refs: vec![BackendRefReport::Resolved(ResolvedBackend::Service {
                        key: service,
                        port: 8080,
                    })],
                    ..Default::default()
                }],
            },
        );
    }
}
