//! Bad and hostile input: every error is located (file, document, line, column, field) and
//! nothing panics.
#![allow(clippy::format_push_string)]

use kgw_api::Resources;
use kgw_api::load::{LoadError, LoadOptions, Loader, load_str};
use proptest::prelude::*;

fn errors(text: &str) -> Vec<LoadError> {
    load_str("input.yaml", text, &LoadOptions::default())
        .unwrap_err()
        .0
}

fn one_error(text: &str) -> LoadError {
    let mut errs = errors(text);
    assert_eq!(errs.len(), 1, "{errs:?}");
    errs.remove(0)
}

fn ok(text: &str) -> Resources {
    load_str("input.yaml", text, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

const ROUTE: &str = "\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: r
  namespace: app
spec:
  parentRefs:
  - name: gw
  rules:
  - backendRefs:
    - name: svc
      port: 8080
";

#[test]
fn malformed_yaml_is_located() {
    let e = one_error("apiVersion: v1\nkind: Namespace\nmetadata: {name: [a\n");
    assert_eq!(e.code(), "yaml-syntax");
    assert_eq!(&*e.file, "input.yaml");
    assert!(e.position.is_some_and(|p| p.line >= 3), "{e}");
}

#[test]
fn wrong_type_names_field_and_line() {
    let text = ROUTE.replace("port: 8080", "port: \"8080\"");
    let e = one_error(&text);
    assert_eq!(e.code(), "invalid-field");
    assert_eq!(
        e.field.as_deref(),
        Some("spec.rules[0].backendRefs[0].port")
    );
    assert_eq!(e.position.unwrap().line, 12);
    assert_eq!(e.document, Some(0));
    let shown = e.to_string();
    assert!(shown.starts_with("input.yaml:12:"), "{shown}");
    assert!(
        shown.contains("spec.rules[0].backendRefs[0].port"),
        "{shown}"
    );
}

#[test]
fn unknown_field_is_an_error_at_its_key_unless_allowed() {
    let text = ROUTE.replace(
        "  - backendRefs:",
        "  - backendRef:\n    - name: typo\n    backendRefs:",
    );
    let e = one_error(&text);
    assert_eq!(e.code(), "unknown-field");
    assert_eq!(e.field.as_deref(), Some("spec.rules[0].backendRef"));
    assert_eq!(e.position.unwrap().line, 10);
    let options = LoadOptions {
        allow_unknown_fields: true,
        ..LoadOptions::default()
    };
    let r = load_str("input.yaml", &text, &options).unwrap();
    assert_eq!(r.http_routes.len(), 1);
}

#[test]
fn scalars_load_as_kubectl_reads_them() {
    // An unquoted 1e3 is the integer 1000 for the API server; a quoted "80" is a string.
    let r = ok(&ROUTE.replace("port: 8080", "port: 1e3"));
    let route = r.get::<kgw_api::gateway::HttpRoute>("app", "r").unwrap();
    let port = route.spec.rules.as_ref().unwrap()[0]
        .backend_refs
        .as_ref()
        .unwrap()[0]
        .port;
    assert_eq!(port, Some(1000));
    // YAML 1.1 booleans are booleans; a string field given one is a type error, as kubectl's is.
    let backend = "apiVersion: gateway.kgateway.dev/v1alpha1\nkind: Backend\nmetadata: {name: b}\n\
                   spec:\n  dynamicForwardProxy:\n    enableTls: yes\n";
    let r = ok(backend);
    let b = r.get::<kgw_api::kgateway::Backend>("default", "b").unwrap();
    assert_eq!(
        b.spec.dynamic_forward_proxy.as_ref().unwrap().enable_tls,
        Some(true)
    );
    let e = one_error(&ROUTE.replace("name: svc", "name: yes"));
    assert_eq!(e.code(), "invalid-field");
    assert_eq!(
        e.field.as_deref(),
        Some("spec.rules[0].backendRefs[0].name")
    );
    ok(&ROUTE.replace("name: svc", "name: \"yes\""));
}

#[test]
fn alias_bomb_is_a_limit_error() {
    let mut text =
        String::from("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  annotations:\n");
    text.push_str("    a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        text.push_str(&format!(
            "    a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let e = one_error(&text);
    assert_eq!(e.code(), "yaml-limit", "{e}");
    assert!(e.position.is_some());
}

#[test]
fn deep_nesting_is_a_limit_error() {
    let text = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let e = one_error(&text);
    assert!(matches!(e.code(), "yaml-limit" | "yaml-syntax"), "{e}");
    assert_eq!(e.position.unwrap().line, 3);
}

#[test]
fn huge_input_is_refused_before_parsing() {
    let big = "#".repeat(100 << 20);
    let e = one_error(&big);
    assert_eq!(e.code(), "file-too-large");
    let dir = std::env::temp_dir().join(format!("kgw-huge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("huge.yaml");
    std::fs::write(&file, big.as_bytes()).unwrap();
    let mut loader = Loader::new(LoadOptions::default());
    loader.add_path(&file);
    let (_, errs) = loader.into_parts();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].code(), "file-too-large");
    assert!(errs[0].to_string().contains("huge.yaml"));
}

#[test]
fn binary_junk_is_located() {
    let mut loader = Loader::new(LoadOptions::default());
    loader.add_bytes("junk.bin", b"apiVersion: v1\nkind: \xff\xfe\x00Namespace\n");
    let (_, errs) = loader.into_parts();
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].code(), "not-text");
    let p = errs[0].position.unwrap();
    assert_eq!((p.line, p.column), (2, 7));
}

#[test]
fn duplicate_objects_name_both_places() {
    let text = format!("{ROUTE}---\n{ROUTE}");
    let e = one_error(&text);
    assert_eq!(e.code(), "duplicate-object");
    assert_eq!(e.document, Some(1));
    assert!(e.to_string().contains("input.yaml:1"), "{e}");
    assert_eq!(e.position.unwrap().line, 14);
}

#[test]
fn document_shape_errors() {
    assert_eq!(one_error("just a string\n").code(), "not-an-object");
    assert_eq!(
        one_error("kind: Namespace\nmetadata: {name: a}\n").code(),
        "missing-kind"
    );
    assert_eq!(
        one_error("apiVersion: v1\nkind: Namespace\nmetadata: {}\n").code(),
        "missing-name"
    );
    let e = one_error(&ROUTE.replace(
        "gateway.networking.k8s.io/v1",
        "gateway.networking.k8s.io/v1alpha2",
    ));
    assert_eq!(e.code(), "unsupported-api-version");
    assert_eq!(e.field.as_deref(), Some("apiVersion"));
}

#[test]
fn every_bad_document_is_reported_and_good_ones_kept() {
    let bad_route = ROUTE
        .replace("name: r\n", "name: r2\n")
        .replace("port: 8080", "port: x");
    let text =
        format!("{ROUTE}---\napiVersion: v1\nkind: Namespace\nmetadata: {{}}\n---\n{bad_route}");
    let mut loader = Loader::new(LoadOptions::default());
    loader.add_str("input.yaml", &text);
    let (resources, errs) = loader.into_parts();
    assert_eq!(resources.http_routes.len(), 1);
    let codes: Vec<_> = errs.iter().map(|e| (e.code(), e.document)).collect();
    assert_eq!(
        codes,
        [("missing-name", Some(1)), ("invalid-field", Some(2))]
    );
}

#[test]
fn defaults_skips_lists_and_namespaces() {
    let text = "\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata: {name: a, labels: {team: x}}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: d}
  spec: {replicas: 1}
- apiVersion: v1
  kind: Service
  metadata: {name: s}
  spec:
    ports:
    - port: 80
";
    let r = ok(text);
    assert_eq!(r.namespaces.len(), 1);
    assert!(r.get::<kgw_api::k8s::Namespace>("", "a").is_some());
    assert!(
        r.get::<kgw_api::k8s::Service>("default", "s").is_some(),
        "a missing namespace means default"
    );
    assert_eq!(r.skipped.get("apps/v1 Deployment"), Some(&1));
    let svc = r.services.get("default", "s").unwrap();
    assert_eq!(
        svc.source
            .as_ref()
            .unwrap()
            .field("spec.ports[0].port")
            .line,
        16
    );
}

#[test]
fn unreadable_path_is_an_error() {
    let mut loader = Loader::new(LoadOptions::default());
    loader.add_path("/nonexistent/kgw/manifest.yaml".as_ref());
    let errs = loader.finish().unwrap_err().0;
    assert_eq!(errs[0].code(), "unreadable");
    assert!(errs[0].is_file_error());
}

proptest! {

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut loader = Loader::new(LoadOptions::default());
        loader.add_bytes("fuzz.yaml", &bytes);
        let (_, errs) = loader.into_parts();
        for e in errs {
            prop_assert!(!e.file.is_empty());
            let _ = e.to_string();
        }
    }

    #[test]
    fn mutated_routes_never_panic_and_errors_are_located(
        cut in 0..ROUTE.len(),
        insert in "[ -~\n]{0,12}",
    ) {
        let mut text = ROUTE.to_owned();
        if text.is_char_boundary(cut) {
            text.insert_str(cut, &insert);
        }
        if let Err(errs) = load_str("m.yaml", &text, &LoadOptions::default()) {
            for e in errs.0 {
                prop_assert!(e.position.is_some(), "unlocated: {}", e);
            }
        }
    }
}

#[test]
fn errors_name_the_object_when_the_document_does() {
    let e = one_error(&ROUTE.replace("port: 8080", "port: x"));
    let object = e.object.unwrap();
    assert_eq!(
        (
            object.kind.as_str(),
            object.namespace.as_str(),
            object.name.as_str()
        ),
        ("HTTPRoute", "app", "r")
    );
    assert!(one_error("just a string\n").object.is_none());
}
