//! Every manifest in `../shared/examples` and `../shared/conformance/manifests` loads without an
//! error, and every object survives load → serialize → load unchanged, with no field dropped.

use std::path::{Path, PathBuf};

use kgw::api::load::{LoadOptions, Loader, yaml};
use kgw::api::{Resources, Stored};
use serde::Serialize;

fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel)
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(yaml_files(&path));
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The conformance suite leaves the GatewayClass name to the implementation.
fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .replace("{GATEWAY_CLASS_NAME}", "kgw")
}

fn load(sources: &[(&str, &str)]) -> Resources {
    let mut loader = Loader::new(LoadOptions::default());
    for (name, text) in sources {
        loader.add_str(name, text);
    }
    let (resources, errors) = loader.into_parts();
    let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(errors.is_empty(), "load errors:\n{}", errors.join("\n"));
    resources
}

/// Serializes every object back to one YAML-compatible JSON stream.
fn dump(resources: &Resources) -> String {
    fn push<T: Serialize>(out: &mut String, items: impl Iterator<Item = Stored<T>>) {
        for stored in items {
            out.push_str("---\n");
            out.push_str(&serde_json::to_string_pretty(&stored.object).unwrap());
            out.push('\n');
        }
    }
    let mut out = String::new();
    push(&mut out, resources.gateway_classes.iter().cloned());
    push(&mut out, resources.gateways.iter().cloned());
    push(&mut out, resources.http_routes.iter().cloned());
    push(&mut out, resources.grpc_routes.iter().cloned());
    push(&mut out, resources.reference_grants.iter().cloned());
    push(&mut out, resources.backend_tls_policies.iter().cloned());
    push(&mut out, resources.backends.iter().cloned());
    push(&mut out, resources.backend_config_policies.iter().cloned());
    push(&mut out, resources.services.iter().cloned());
    push(&mut out, resources.namespaces.iter().cloned());
    push(&mut out, resources.secrets.iter().cloned());
    out
}

fn without_sources(mut r: Resources) -> Resources {
    macro_rules! strip {
        ($($f:ident),+) => {$(
            let mut store = kgw::api::Store::default();
            for s in r.$f.iter() {
                store.insert(s.object.clone(), None);
            }
            r.$f = store;
        )+};
    }
    strip!(
        gateway_classes,
        gateways,
        http_routes,
        grpc_routes,
        reference_grants,
        backend_tls_policies,
        backends,
        backend_config_policies,
        services,
        namespaces,
        secrets
    );
    r
}

fn assert_round_trip(name: &str, resources: &Resources) {
    let dumped = dump(resources);
    let again = load(&[(name, &dumped)]);
    let mut expected = resources.clone();
    expected.skipped.clear();
    assert_eq!(
        without_sources(again),
        without_sources(expected),
        "{name}: load → serialize → load changed an object"
    );
}

/// Every field of the input is still there after typed decoding (nothing silently dropped),
/// except for Secret values, which kgw never keeps.
fn assert_no_field_dropped(name: &str, text: &str, resources: &Resources) {
    let docs = yaml::parse(text, &yaml::YamlLimits::default()).unwrap();
    let dumped = dump(resources);
    let typed: Vec<serde_json::Value> = yaml::parse(&dumped, &yaml::YamlLimits::default())
        .unwrap()
        .into_iter()
        .map(|d| d.unwrap().value)
        .collect();
    for doc in docs {
        let original = doc.unwrap().value;
        let kind = original["kind"].as_str().unwrap_or_default();
        if kind == "Secret" || !typed.iter().any(|t| t["kind"] == original["kind"]) {
            continue;
        }
        let namespace = original["metadata"]["namespace"]
            .as_str()
            .unwrap_or("default");
        let same = |t: &serde_json::Value| {
            t["kind"] == original["kind"]
                && t["metadata"]["name"] == original["metadata"]["name"]
                && t["metadata"]["namespace"]
                    .as_str()
                    .is_none_or(|ns| ns == namespace)
        };
        let Some(found) = typed.iter().find(|t| same(t)) else {
            panic!(
                "{name}: {kind} {} missing after load",
                original["metadata"]["name"]
            );
        };
        let mut expected = original.clone();
        if expected["metadata"].get("namespace").is_none()
            && found["metadata"].get("namespace").is_some()
        {
            expected["metadata"]["namespace"] = found["metadata"]["namespace"].clone();
        }
        assert_eq!(&expected, found, "{name}: {kind} lost or changed a field");
    }
}

#[test]
fn kgateway_examples_load_and_round_trip() {
    let files = yaml_files(&shared("examples"));
    assert!(
        files.len() >= 9,
        "examples not found at {}",
        shared("examples").display()
    );
    for path in files {
        let name = path.display().to_string();
        let text = read(&path);
        let resources = load(&[(&name, &text)]);
        assert!(!resources.is_empty(), "{name}: nothing loaded");
        assert_round_trip(&name, &resources);
        assert_no_field_dropped(&name, &text, &resources);
    }
}

#[test]
fn conformance_manifests_load_on_top_of_base_and_round_trip() {
    let base_path = shared("conformance/manifests/base/manifests.yaml");
    let base = read(&base_path);
    let base_name = base_path.display().to_string();
    let base_resources = load(&[(&base_name, &base)]);
    assert!(base_resources.gateways.len() >= 3);
    assert!(base_resources.skipped.contains_key("apps/v1 Deployment"));
    assert_round_trip(&base_name, &base_resources);
    assert_no_field_dropped(&base_name, &base, &base_resources);

    let tests = yaml_files(&shared("conformance/manifests/tests"));
    assert!(tests.len() >= 60);
    for path in tests {
        let name = path.display().to_string();
        let text = read(&path);
        let resources = load(&[(&base_name, &base), (&name, &text)]);
        assert!(
            resources.len() > base_resources.len(),
            "{name}: nothing loaded"
        );
        let own = load(&[(&name, &text)]);
        assert_round_trip(&name, &own);
        assert_no_field_dropped(&name, &text, &own);
    }
}

#[test]
fn loading_a_folder_finds_every_manifest_recursively_in_name_order() {
    let dir = std::env::temp_dir().join(format!("kgw-folder-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let ns = |name: &str| format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n");
    std::fs::write(dir.join("b.yaml"), ns("b")).unwrap();
    std::fs::write(dir.join("a.yml"), ns("a")).unwrap();
    std::fs::write(dir.join("sub/c.yaml"), ns("c")).unwrap();
    std::fs::write(
        dir.join("d.json"),
        r#"{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "d"}}"#,
    )
    .unwrap();
    std::fs::write(dir.join("notes.txt"), "not: a manifest").unwrap();
    let mut loader = Loader::new(LoadOptions::default());
    loader.add_path(&dir);
    let (resources, errors) = loader.into_parts();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    let names: Vec<&str> = resources
        .namespaces
        .iter()
        .map(|s| s.object.metadata.name())
        .collect();
    assert_eq!(names, ["a", "b", "d", "c"]);
}
