//! Every shipped manifest (kgateway docs examples, Gateway API conformance inputs) validates
//! without panicking, and the conformance expectations readable from the test files hold.

use std::path::{Path, PathBuf};

use kgw_api::load::{LoadOptions, Loader};
use kgw_api::{ObjectKey, Resources};
use kgw_validate::{BackendRefReport, Options, Report, validate};

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared");

fn load_texts(texts: &[(String, String)]) -> Resources {
    let mut loader = Loader::new(LoadOptions {
        allow_unknown_fields: true,
        ..LoadOptions::default()
    });
    for (name, text) in texts {
        loader.add_str(name, &text.replace("{GATEWAY_CLASS_NAME}", "kgw"));
    }
    loader.into_parts().0
}

fn read(path: &Path) -> (String, String) {
    (
        path.display().to_string(),
        std::fs::read_to_string(path).unwrap(),
    )
}

fn conformance(test: &str) -> Report {
    let base = Path::new(SHARED).join("conformance/manifests/base/manifests.yaml");
    let file = Path::new(SHARED)
        .join("conformance/manifests/tests")
        .join(format!("{test}.yaml"));
    validate(
        &load_texts(&[read(&base), read(&file)]),
        &Options::default(),
    )
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

fn parent(report: &Report, ns: &str, name: &str, index: usize) -> Vec<(String, String, String)> {
    let route = &report.routes[&ObjectKey::new(ns, name)];
    route.parents[index]
        .conditions
        .iter()
        .map(|c| {
            (
                c.type_.to_string(),
                format!("{:?}", c.status),
                c.reason.to_string(),
            )
        })
        .collect()
}

fn has(conds: &[(String, String, String)], t: &str, s: &str, r: &str) -> bool {
    conds.iter().any(|c| c.0 == t && c.1 == s && c.2 == r)
}

#[test]
fn every_manifest_validates_without_panic() {
    let base = Path::new(SHARED).join("conformance/manifests/base/manifests.yaml");
    let tests = yaml_files(&Path::new(SHARED).join("conformance/manifests/tests"));
    assert!(tests.len() > 50);
    for file in &tests {
        let report = validate(&load_texts(&[read(&base), read(file)]), &Options::default());
        assert!(!report.gateways.is_empty(), "{}", file.display());
        let json = serde_json::to_string(&report.statuses()).unwrap();
        assert!(json.contains("\"attachedRoutes\""));
    }
    let examples = yaml_files(&Path::new(SHARED).join("examples/kgateway-docs"));
    assert!(!examples.is_empty());
    for file in &examples {
        let _ = validate(&load_texts(&[read(file)]), &Options::default());
    }
    let all: Vec<_> = examples.iter().map(|f| read(f)).collect();
    let report = validate(&load_texts(&all), &Options::default());
    assert!(!report.routes.is_empty());
}

#[test]
fn base_gateways_are_accepted_and_routes_resolve() {
    let report = conformance("httproute-simple-same-namespace");
    let conds = parent(
        &report,
        "gateway-conformance-infra",
        "gateway-conformance-infra-test",
        0,
    );
    assert!(has(&conds, "Accepted", "True", "Accepted"), "{conds:?}");
    assert!(
        has(&conds, "ResolvedRefs", "True", "ResolvedRefs"),
        "{conds:?}"
    );
    let gw = &report.gateways[&ObjectKey::new("gateway-conformance-infra", "same-namespace")];
    assert_eq!(gw.conditions[0].reason, "Accepted");
    assert!(gw.listeners[0].attached_routes >= 1);
}

#[test]
fn invalid_cross_namespace_backend_ref_is_ref_not_permitted() {
    let report = conformance("httproute-invalid-cross-namespace-backend-ref");
    let conds = parent(
        &report,
        "gateway-conformance-infra",
        "invalid-cross-namespace-backend-ref",
        0,
    );
    assert!(
        has(&conds, "ResolvedRefs", "False", "RefNotPermitted"),
        "{conds:?}"
    );
    assert!(has(&conds, "Accepted", "True", "Accepted"), "{conds:?}");
}

#[test]
fn unknown_kind_is_invalid_kind() {
    let report = conformance("httproute-invalid-backendref-unknown-kind");
    let conds = parent(
        &report,
        "gateway-conformance-infra",
        "invalid-backend-ref-unknown-kind",
        0,
    );
    assert!(
        has(&conds, "ResolvedRefs", "False", "InvalidKind"),
        "{conds:?}"
    );
}

#[test]
fn nonexistent_backend_is_backend_not_found() {
    let report = conformance("httproute-invalid-nonexistent-backendref");
    let conds = parent(
        &report,
        "gateway-conformance-infra",
        "invalid-nonexistent-backend-ref",
        0,
    );
    assert!(
        has(&conds, "ResolvedRefs", "False", "BackendNotFound"),
        "{conds:?}"
    );
}

#[test]
fn section_name_mismatch_is_no_matching_parent() {
    let report = conformance("httproute-invalid-parentref-not-matching-section-name");
    let conds = parent(
        &report,
        "gateway-conformance-infra",
        "httproute-listener-not-matching-section-name",
        0,
    );
    assert!(
        has(&conds, "Accepted", "False", "NoMatchingParent"),
        "{conds:?}"
    );
    for test in [
        "httproute-invalid-parentref-not-matching-listener-port",
        "httproute-invalid-parentref-section-name-not-matching-port",
    ] {
        let report = conformance(test);
        let route = report.routes.values().next().unwrap();
        let c = &route.parents[0].conditions[0];
        assert_eq!(
            (&*c.type_, &*c.reason),
            ("Accepted", "NoMatchingParent"),
            "{test}"
        );
    }
}

#[test]
fn disallowed_kind_is_not_allowed_by_listeners() {
    let report = conformance("httproute-disallowed-kind");
    let conds = parent(&report, "gateway-conformance-infra", "disallowed-kind", 0);
    assert!(
        has(&conds, "Accepted", "False", "NotAllowedByListeners"),
        "{conds:?}"
    );
}

#[test]
fn hostname_intersection() {
    let report = conformance("httproute-hostname-intersection");
    let ns = "gateway-conformance-infra";
    let listeners = |name: &str| {
        report.routes[&ObjectKey::new(ns, name)].parents[0]
            .listeners
            .clone()
    };
    assert_eq!(
        listeners("specific-host-matches-listener-specific-host"),
        ["listener-1"]
    );
    assert_eq!(
        listeners("specific-host-matches-listener-wildcard-host"),
        ["listener-2"]
    );
    assert_eq!(
        listeners("wildcard-host-matches-listener-specific-host"),
        ["listener-1"]
    );
    assert_eq!(
        listeners("wildcard-host-matches-listener-wildcard-host"),
        ["listener-3"]
    );
    let conds = parent(&report, ns, "no-intersecting-hosts", 0);
    assert!(
        has(&conds, "Accepted", "False", "NoMatchingListenerHostname"),
        "{conds:?}"
    );
    let gw = &report.gateways[&ObjectKey::new(ns, "httproute-hostname-intersection")];
    let counts: Vec<i32> = gw.listeners.iter().map(|l| l.attached_routes).collect();
    assert_eq!(counts, [2, 1, 1]);
}

#[test]
fn partially_invalid_reference_grant() {
    let report = conformance("httproute-partially-invalid-via-invalid-reference-grant");
    let ns = "gateway-conformance-infra";
    let conds = parent(&report, ns, "invalid-reference-grant", 0);
    assert!(
        has(&conds, "ResolvedRefs", "False", "RefNotPermitted"),
        "{conds:?}"
    );
    assert!(has(&conds, "Accepted", "True", "Accepted"), "{conds:?}");
    let route = &report.routes[&ObjectKey::new(ns, "invalid-reference-grant")];
    assert!(matches!(
        route.rules[0].backend_refs[0],
        BackendRefReport::Unresolved { .. }
    ));
    assert!(matches!(
        route.rules[1].backend_refs[0],
        BackendRefReport::Resolved(_)
    ));
}

#[test]
fn reference_grant_permits_exactly_what_it_names() {
    let report = conformance("httproute-reference-grant");
    let route = report.routes.values().next().unwrap();
    assert!(
        matches!(
            route.rules[0].backend_refs[0],
            BackendRefReport::Resolved(_)
        ),
        "{route:?}"
    );
    let report = conformance("httproute-invalid-reference-grant");
    let route = report.routes.values().next().unwrap();
    assert!(matches!(
        route.rules[0].backend_refs[0],
        BackendRefReport::Unresolved { .. }
    ));
}

#[test]
fn listener_isolation_attaches_by_section_name() {
    let report = conformance("gateway-http-listener-isolation");
    let gw =
        &report.gateways[&ObjectKey::new("gateway-conformance-infra", "http-listener-isolation")];
    assert!(
        gw.listeners.iter().all(|l| l.attached_routes == 1),
        "{gw:?}"
    );
    assert_eq!(gw.conditions[0].reason, "Accepted");
    let report = conformance("gateway-http-listener-isolation-with-hostname-intersection");
    // Base Gateways with HTTPS listeners reference Secrets the suite creates at run time, so
    // only the Gateways of this test file are expected to be fully accepted.
    for (key, g) in report
        .gateways
        .iter()
        .filter(|(k, _)| k.name.starts_with("http-listener-isolation"))
    {
        assert_eq!(g.conditions[0].reason, "Accepted", "{key}: {g:#?}");
    }
}

#[test]
fn static_http_example_with_port_warns_and_is_backend_not_found() {
    let path = Path::new(SHARED).join("examples/kgateway-docs/static-http.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let clean = validate(
        &load_texts(&[("static-http.yaml".into(), text.clone())]),
        &Options::default(),
    );
    assert!(
        clean
            .diagnostics
            .iter()
            .all(|d| d.code != "backend-ref-port")
    );
    let with_port = text.replacen(
        "        kind: Backend\n",
        "        kind: Backend\n        port: 80\n",
        1,
    );
    assert_ne!(with_port, text, "the example has a Backend reference");
    let (name, report) = (
        "static-http.yaml",
        validate(
            &load_texts(&[("static-http.yaml".into(), with_port)]),
            &Options::default(),
        ),
    );
    let warning = report
        .diagnostics
        .iter()
        .find(|d| d.code == "backend-ref-port")
        .expect("warning");
    assert_eq!(
        warning.field, "spec.rules[0].backendRefs[0].port",
        "{warning:?}"
    );
    assert_eq!(warning.file.as_deref(), Some(name));
    let route = report.routes.values().next().unwrap();
    match &route.rules[0].backend_refs[0] {
        BackendRefReport::Unresolved { reason, message } => {
            assert_eq!(reason.as_str(), "BackendNotFound");
            assert!(message.contains("includes a port"), "{message}");
        }
        other @ BackendRefReport::Resolved(_) => panic!("{other:?}"),
    }
}
