//! Test helpers: loading manifests and a hand-made validation report (every parentRef accepted
//! on the listeners it names whose hostname intersects, backendRefs resolved when the object
//! exists), so the resolver is tested independently of kgw-validate.

#![allow(dead_code)]

use kgw_api::gateway::{HttpRoute, ParentReference};
use kgw_api::load::{LoadOptions, load_str};
use kgw_api::{Condition, ConditionStatus, ObjectKey, Resources, SmolStr};
use kgw_validate::report::{
    BackendRefReport, GatewayReport, ListenerReport, ParentReport, Report, ResolvedBackend,
    RouteReport, RuleReport,
};

pub fn load(yaml: &str) -> Resources {
    load_str("test.yaml", yaml, &LoadOptions::default()).unwrap()
}

pub fn accepted() -> Condition {
    Condition {
        type_: "Accepted".into(),
        status: ConditionStatus::True,
        observed_generation: None,
        last_transition_time: None,
        reason: "Accepted".into(),
        message: "".into(),
    }
}

fn covers(pattern: &str, name: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(suffix) => name.ends_with(&format!(".{suffix}")),
        None => pattern == name,
    }
}

fn pattern_overlap(a: &str, b: &str) -> bool {
    covers(a, b) || covers(b, a)
}

/// Listeners of `gateway` a parentRef of `route` is accepted on.
fn accepted_listeners(
    resources: &Resources,
    route: &HttpRoute,
    parent: &ParentReference,
    gw: &ObjectKey,
) -> Vec<SmolStr> {
    let Some(gateway) = resources.gateways.get(&gw.namespace, &gw.name) else {
        return Vec::new();
    };
    let route_hosts = route.spec.hostnames.clone().unwrap_or_default();
    gateway
        .object
        .spec
        .listeners
        .iter()
        .filter(|l| parent.section_name.as_ref().is_none_or(|s| *s == l.name))
        .filter(|l| parent.port.is_none_or(|p| p == l.port))
        .filter(|l| match &l.hostname {
            None => true,
            Some(lh) => {
                route_hosts.is_empty() || route_hosts.iter().any(|rh| pattern_overlap(lh, rh))
            }
        })
        .map(|l| SmolStr::from(&l.name))
        .collect()
}

pub fn report_for(resources: &Resources) -> Report {
    let mut report = Report::default();
    for (key, gateway) in resources.gateways.entries() {
        report.gateways.insert(
            key.clone(),
            GatewayReport {
                listeners: gateway
                    .object
                    .spec
                    .listeners
                    .iter()
                    .map(|l| ListenerReport {
                        name: l.name.clone(),
                        conditions: vec![accepted()],
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            },
        );
    }
    for (key, stored) in resources.http_routes.entries() {
        let route = &stored.object;
        let parents = route
            .spec
            .parent_refs
            .iter()
            .flatten()
            .filter(|p| p.kind() == "Gateway")
            .map(|p| {
                let gateway = ObjectKey::new(p.namespace_or(&key.namespace), p.name.clone());
                ParentReport {
                    parent_ref: p.clone(),
                    listeners: accepted_listeners(resources, route, p, &gateway),
                    gateway,
                    conditions: vec![],
                }
            })
            .collect();
        let rules = route
            .spec
            .rules
            .iter()
            .flatten()
            .map(|rule| RuleReport {
                backend_refs: rule
                    .backend_refs
                    .iter()
                    .flatten()
                    .map(|b| {
                        let obj = b.object_ref();
                        let ns = obj.namespace_or(&key.namespace).to_owned();
                        let target = ObjectKey::new(ns.clone(), &b.name);
                        match (obj.group(), obj.kind()) {
                            ("", "Service") if resources.services.get(&ns, &b.name).is_some() => {
                                BackendRefReport::Resolved(ResolvedBackend::Service { key: target, port: b.port.unwrap_or(0) })
                            }
                            ("gateway.kgateway.dev", "Backend")
                                if b.port.is_none() && resources.backends.get(&ns, &b.name).is_some() =>
                            {
                                BackendRefReport::Resolved(ResolvedBackend::Backend { key: target })
                            }
                            _ => BackendRefReport::Unresolved {
                                reason: kgw_api::gateway::conditions::RouteConditionReason::BackendNotFound,
                                message: "not found".into(),
                            },
                        }
                    })
                    .collect(),
                ..Default::default()
            })
            .collect();
        report
            .routes
            .insert(key.clone(), RouteReport { parents, rules });
    }
    report
}
