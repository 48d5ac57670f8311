//! The generated Backend CRD against kgateway's own (`shared/crds/kgateway`): the same property
//! tree with the same types, formats, enums, required lists, limits, defaults, merge types and
//! CEL rules. Only descriptions differ (they come from kgw-api's doc comments).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

const UPSTREAM: &str = "../../../shared/crds/kgateway/gateway.kgateway.dev_backends.yaml";

fn upstream() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(UPSTREAM);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap()
}

/// Every schema node by path, with its keywords except descriptions and children; `required`
/// sorted so that order does not count.
fn tree(node: &Value, path: &str, out: &mut BTreeMap<String, Value>) {
    let mut own = serde_json::Map::new();
    for (k, v) in node.as_object().unwrap() {
        match k.as_str() {
            "description" | "properties" | "items" => {}
            "required" => {
                let mut names: Vec<&str> = v
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n.as_str().unwrap())
                    .collect();
                names.sort_unstable();
                own.insert(k.clone(), names.into());
            }
            _ => {
                own.insert(k.clone(), numbers_as_f64(v));
            }
        }
    }
    out.insert(path.to_owned(), Value::Object(own));
    if let Some(props) = node.get("properties").and_then(Value::as_object) {
        for (name, child) in props {
            tree(child, &format!("{path}.{name}"), out);
        }
    }
    if let Some(items) = node.get("items") {
        tree(items, &format!("{path}[]"), out);
    }
}

fn schema_tree(crd: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    tree(
        &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"],
        "",
        &mut out,
    );
    out
}

#[test]
fn backend_schema_tree_equals_upstream() {
    let generated = serde_json::to_value(kgw_kube::crd::backend_crd()).unwrap();
    let (ours, theirs) = (schema_tree(&generated), schema_tree(&upstream()));
    let mut differences = Vec::new();
    for path in ours
        .keys()
        .chain(theirs.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        if ours.get(path) != theirs.get(path) {
            differences.push(format!(
                "{path}:\n  ours:     {}\n  upstream: {}",
                ours.get(path).map_or("-".to_owned(), Value::to_string),
                theirs.get(path).map_or("-".to_owned(), Value::to_string)
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "{} differences:\n{}",
        differences.len(),
        differences.join("\n")
    );
}

#[test]
fn backend_crd_identity_equals_upstream() {
    let generated = serde_json::to_value(kgw_kube::crd::backend_crd()).unwrap();
    let upstream = upstream();
    for pointer in [
        "/kind",
        "/apiVersion",
        "/metadata/name",
        "/metadata/labels",
        "/spec/group",
        "/spec/names",
        "/spec/scope",
        "/spec/versions/0/name",
        "/spec/versions/0/served",
        "/spec/versions/0/storage",
        "/spec/versions/0/subresources",
        "/spec/versions/0/additionalPrinterColumns",
    ] {
        assert_eq!(
            generated.pointer(pointer),
            upstream.pointer(pointer),
            "{pointer}"
        );
    }
}

/// k8s-openapi keeps `minimum`/`maximum` as `f64`, so `0` comes back as `0.0`.
fn numbers_as_f64(value: &Value) -> Value {
    match value {
        Value::Number(n) => n.as_f64().map_or(Value::Null, Value::from),
        Value::Array(items) => items.iter().map(numbers_as_f64).collect(),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k.clone(), numbers_as_f64(v)))
            .collect(),
        other => other.clone(),
    }
}
