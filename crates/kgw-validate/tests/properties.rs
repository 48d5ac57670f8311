//! Invariants over generated resource sets: no cross-namespace reference is resolved without a
//! grant permitting exactly it, validation never panics, and input order does not matter.
//!
//! `PROPTEST_CASES` sets the number of cases (default 64 for CI; run
//! `PROPTEST_CASES=100000 cargo test --release -p kgw-validate --test properties` for the long run).

use kgw_api::Resources;
use kgw_api::gateway::{Gateway, HttpRoute, ReferenceGrant};
use kgw_api::k8s::{Namespace, Service};
use kgw_api::kgateway::Backend;
use kgw_validate::{BackendRefReport, Options, ReferenceGrantMode, validate};
use proptest::prelude::*;
use serde_json::{Value, json};

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

const NAMESPACES: &[&str] = &["a", "b", "c"];
const NAMES: &[&str] = &["x", "y"];
const GROUP_KINDS: &[(&str, &str)] = &[
    ("", "Service"),
    ("gateway.kgateway.dev", "Backend"),
    ("core", "Service"),
    ("example.com", "Thing"),
    ("", "Secret"),
];

/// One object of any kind this test generates.
#[derive(Clone, Debug)]
enum Object {
    Gateway(Value),
    Route(Value),
    Grant(Value),
    Service(Value),
    Backend(Value),
    Namespace(Value),
}

fn pick<T: Clone + std::fmt::Debug + 'static>(items: &'static [T]) -> impl Strategy<Value = T> {
    proptest::sample::select(items)
}

fn backend_ref() -> impl Strategy<Value = Value> {
    (
        pick(GROUP_KINDS),
        proptest::option::of(pick(NAMESPACES)),
        pick(NAMES),
        proptest::option::of(prop_oneof![Just(80), Just(8080), any::<i32>()]),
        proptest::option::of(any::<i32>()),
    )
        .prop_map(|((group, kind), ns, name, port, weight)| {
            let mut v = json!({"group": group, "kind": kind, "name": name});
            if let Some(ns) = ns {
                v["namespace"] = json!(ns);
            }
            if let Some(port) = port {
                v["port"] = json!(port);
            }
            if let Some(w) = weight {
                v["weight"] = json!(w);
            }
            v
        })
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/".to_owned()),
        Just("/a".to_owned()),
        Just("(".to_owned()),
        Just("*.example.com".to_owned()),
        "\\PC{0,12}"
    ]
}

fn route() -> impl Strategy<Value = Value> {
    let rule = (
        proptest::collection::vec(backend_ref(), 0..4),
        proptest::option::of(backend_ref()),
        proptest::option::of((
            prop_oneof![Just("Exact"), Just("PathPrefix"), Just("RegularExpression")],
            text(),
        )),
        proptest::option::of(text()),
    )
        .prop_map(|(refs, mirror, path, header)| {
            let mut rule = json!({"backendRefs": refs});
            if let Some(m) = mirror {
                rule["filters"] =
                    json!([{"type": "RequestMirror", "requestMirror": {"backendRef": m}}]);
            }
            let mut m = json!({});
            if let Some((t, v)) = path {
                m["path"] = json!({"type": t, "value": v});
            }
            if let Some(h) = header {
                m["headers"] = json!([{"type": "RegularExpression", "name": "x", "value": h}]);
            }
            rule["matches"] = json!([m]);
            rule
        });
    (
        pick(NAMESPACES),
        pick(NAMES),
        proptest::collection::vec(
            (
                pick(NAMES),
                proptest::option::of(pick(NAMESPACES)),
                proptest::option::of(pick(&["http", "other"][..])),
                proptest::option::of(prop_oneof![Just(80), any::<i32>()]),
            ),
            0..3,
        ),
        proptest::option::of(proptest::collection::vec(text(), 0..3)),
        proptest::collection::vec(rule, 0..3),
    )
        .prop_map(|(ns, name, parents, hostnames, rules)| {
            let parents: Vec<Value> = parents
                .into_iter()
                .map(|(n, pns, section, port)| {
                    let mut p = json!({"name": n});
                    if let Some(pns) = pns {
                        p["namespace"] = json!(pns);
                    }
                    if let Some(s) = section {
                        p["sectionName"] = json!(s);
                    }
                    if let Some(port) = port {
                        p["port"] = json!(port);
                    }
                    p
                })
                .collect();
            let mut spec = json!({"parentRefs": parents, "rules": rules});
            if let Some(h) = hostnames {
                spec["hostnames"] = json!(h);
            }
            json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                   "metadata": {"name": format!("r-{name}"), "namespace": ns}, "spec": spec})
        })
}

fn grant() -> impl Strategy<Value = Value> {
    let from = (
        pick(&["gateway.networking.k8s.io", "", "core"][..]),
        pick(&["HTTPRoute", "Gateway", "GRPCRoute"][..]),
        pick(NAMESPACES),
    );
    let to = (pick(GROUP_KINDS), proptest::option::of(pick(NAMES)));
    (pick(NAMESPACES), pick(NAMES), proptest::collection::vec(from, 0..3), proptest::collection::vec(to, 0..3)).prop_map(|(ns, name, from, to)| {
        let from: Vec<Value> = from.into_iter().map(|(g, k, n)| json!({"group": g, "kind": k, "namespace": n})).collect();
        let to: Vec<Value> = to
            .into_iter()
            .map(|((g, k), n)| {
                let mut t = json!({"group": g, "kind": k});
                if let Some(n) = n { t["name"] = json!(n); }
                t
            })
            .collect();
        json!({"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
               "metadata": {"name": format!("g-{name}"), "namespace": ns}, "spec": {"from": from, "to": to}})
    })
}

fn object() -> impl Strategy<Value = Object> {
    prop_oneof![
        3 => route().prop_map(Object::Route),
        3 => grant().prop_map(Object::Grant),
        2 => (pick(NAMESPACES), pick(NAMES), prop_oneof![Just(80), Just(8080), any::<i32>()]).prop_map(|(ns, n, port)| Object::Service(json!(
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": n, "namespace": ns}, "spec": {"ports": [{"port": port}]}}))),
        2 => (pick(NAMESPACES), pick(NAMES), prop_oneof![Just(80), any::<i32>()]).prop_map(|(ns, n, port)| Object::Backend(json!(
            {"apiVersion": "gateway.kgateway.dev/v1alpha1", "kind": "Backend", "metadata": {"name": n, "namespace": ns},
             "spec": {"static": {"hosts": [{"host": "h", "port": port}]}}}))),
        1 => (pick(NAMESPACES), pick(NAMES), pick(&["All", "Same", "Selector"][..]), proptest::option::of(text()), prop_oneof![Just(80), any::<i32>()]).prop_map(|(ns, n, from, host, port)| {
            let mut listener = json!({"name": "http", "port": port, "protocol": "HTTP",
                "allowedRoutes": {"namespaces": {"from": from, "selector": {"matchLabels": {"team": "t"}}}}});
            if let Some(h) = host { listener["hostname"] = json!(h); }
            Object::Gateway(json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                "metadata": {"name": n, "namespace": ns}, "spec": {"gatewayClassName": "kgw", "listeners": [listener]}}))
        }),
        1 => (pick(NAMESPACES), any::<bool>()).prop_map(|(ns, labelled)| Object::Namespace(json!(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": if labelled { json!({"team": "t"}) } else { json!({}) }}}))),
    ]
}

fn build(objects: &[Object]) -> Resources {
    let mut r = Resources::new();
    for o in objects {
        match o.clone() {
            Object::Gateway(v) => {
                r.insert::<Gateway>(serde_json::from_value(v).unwrap());
            }
            Object::Route(v) => {
                r.insert::<HttpRoute>(serde_json::from_value(v).unwrap());
            }
            Object::Grant(v) => {
                r.insert::<ReferenceGrant>(serde_json::from_value(v).unwrap());
            }
            Object::Service(v) => {
                r.insert::<Service>(serde_json::from_value(v).unwrap());
            }
            Object::Backend(v) => {
                r.insert::<Backend>(serde_json::from_value(v).unwrap());
            }
            Object::Namespace(v) => {
                r.insert::<Namespace>(serde_json::from_value(v).unwrap());
            }
        }
    }
    r
}

/// The spec's rule, written independently: some grant in the target namespace has a `from`
/// entry naming HTTPRoutes of the route's namespace and a `to` entry naming the target.
fn permitted(
    resources: &Resources,
    route_ns: &str,
    group: &str,
    kind: &str,
    ns: &str,
    name: &str,
) -> bool {
    let norm = |g: &str| {
        if g == "core" {
            String::new()
        } else {
            g.to_owned()
        }
    };
    resources.reference_grants.iter().any(|g| {
        g.object.metadata.namespace() == ns
            && g.object.spec.from.iter().any(|f| {
                norm(&f.group) == "gateway.networking.k8s.io"
                    && f.kind == "HTTPRoute"
                    && f.namespace == route_ns
            })
            && g.object.spec.to.iter().any(|t| {
                norm(&t.group) == norm(group)
                    && t.kind == kind
                    && t.name.as_deref().is_none_or(|n| n == name)
            })
    })
}

/// Keeps the first object of each kind/namespace/name: a later duplicate would replace it, which
/// makes the result depend on order by design.
fn unique(objects: &[Object]) -> Vec<Object> {
    let mut seen = std::collections::HashSet::new();
    objects
        .iter()
        .filter(|o| {
            let (Object::Gateway(v)
            | Object::Route(v)
            | Object::Grant(v)
            | Object::Service(v)
            | Object::Backend(v)
            | Object::Namespace(v)) = o;
            seen.insert((
                v["kind"].to_string(),
                v["metadata"]["namespace"].to_string(),
                v["metadata"]["name"].to_string(),
            ))
        })
        .cloned()
        .collect()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn cross_namespace_refs_resolve_only_with_a_permitting_grant(
        objects in proptest::collection::vec(object(), 0..24),
        strict in any::<bool>(),
    ) {
        let resources = build(&objects);
        let mode = if strict { ReferenceGrantMode::Strict } else { ReferenceGrantMode::Permissive };
        let report = validate(&resources, &Options { reference_grant_mode: mode, ..Options::default() });
        let defaulted = resources.defaulted();
        for (key, route) in &report.routes {
            let object = &defaulted.http_routes.get(&key.namespace, &key.name).unwrap().object;
            for (rule, rule_report) in object.spec.rules.iter().flatten().zip(&route.rules) {
                let mut refs: Vec<(kgw_api::gateway::common::BackendObjectReference, &BackendRefReport)> = rule
                    .backend_refs.iter().flatten().map(kgw_api::gateway::HttpBackendRef::object_ref).zip(&rule_report.backend_refs).collect();
                for (i, m) in &rule_report.mirrors {
                    let filter = &rule.filters.as_ref().unwrap()[*i];
                    refs.push((filter.request_mirror.as_ref().unwrap().backend_ref.clone(), m));
                }
                for (r, state) in refs {
                    let ns = r.namespace_or(&key.namespace);
                    if ns != key.namespace && matches!(state, BackendRefReport::Resolved(_)) {
                        prop_assert!(
                            permitted(&resources, &key.namespace, r.group(), r.kind(), ns, &r.name),
                            "{key} -> {r:?} resolved without a grant"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn validate_never_panics(objects in proptest::collection::vec(object(), 0..32)) {
        let report = validate(&build(&objects), &Options::default());
        let _ = serde_json::to_string(&report.statuses()).unwrap();
        let _ = serde_json::to_string(&report.diagnostics).unwrap();
    }

    #[test]
    fn input_order_does_not_matter(
        (objects, shuffled) in proptest::collection::vec(object(), 0..24)
            .prop_map(|v| unique(&v))
            .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
    ) {
        let options = Options::default();
        let a = validate(&build(&objects), &options);
        let b = validate(&build(&shuffled), &options);
        prop_assert_eq!(&a, &b);
        // `IndexMap` equality ignores order; the reports' order is part of the output too.
        prop_assert!(a.routes.keys().eq(b.routes.keys()));
        prop_assert!(a.backends.keys().eq(b.backends.keys()));
        prop_assert!(a.gateways.keys().eq(b.gateways.keys()));
        prop_assert!(a.routes.keys().is_sorted() && a.backends.keys().is_sorted());
        prop_assert_eq!(
            serde_json::to_string(&a.statuses()).unwrap(),
            serde_json::to_string(&b.statuses()).unwrap()
        );
    }
}
