//! Shared checks for the kgw fuzz targets. Each target feeds hostile input to one stage of the
//! suite and asserts the properties that must hold for every input, not only "no panic".

pub mod scenario;

use kgw_api::load::{LoadError, LoadOptions, Loader};
use kgw_api::{Resource, Resources, Store, Stored};
use serde::Serialize;

use crate::scenario::Scenario;

/// Options that keep one fuzz input cheap: small budgets make the limit paths reachable, and
/// the round trip re-parses what loaded.
pub fn fuzz_load_options() -> LoadOptions {
    let mut options = LoadOptions {
        max_file_bytes: 1 << 20,
        ..LoadOptions::default()
    };
    options.yaml.max_nodes = 100_000;
    options.yaml.max_alias_events = 10_000;
    options.yaml.max_documents = 1_000;
    options
}

/// Loads bytes and returns what loaded plus every error.
pub fn load_bytes(bytes: &[u8], options: LoadOptions) -> (Resources, Vec<LoadError>) {
    let mut loader = Loader::new(options);
    loader.add_bytes("fuzz.yaml", bytes);
    loader.into_parts()
}

/// Every load error is located and printable: document-level errors carry a position, codes
/// are stable kebab-case, and the message names the file.
pub fn check_load_errors(errors: &[LoadError]) {
    for error in errors {
        let code = error.code();
        assert!(
            !code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
            "code {code:?}"
        );
        if error.document.is_some() {
            assert!(
                error.position.is_some(),
                "document error without a position: {error:?}"
            );
        }
        if let Some(position) = error.position {
            assert!(position.line >= 1 && position.column >= 1, "{error:?}");
        }
        let shown = error.to_string();
        assert!(shown.starts_with("fuzz.yaml"), "{shown}");
    }
}

/// Serializes every object back to one multi-document stream (JSON documents are YAML).
pub fn dump(resources: &Resources) -> String {
    fn push<T: Serialize>(out: &mut String, items: impl Iterator<Item = Stored<T>>) {
        for stored in items {
            out.push_str("---\n");
            // Typed objects always serialize: every field is a string, number, bool or a
            // container of those, and map keys are strings.
            out.push_str(&serde_json::to_string(&stored.object).expect("typed object serializes"));
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

/// The same objects with sources and the skipped-kind counts dropped, for comparisons.
pub fn without_sources(resources: &Resources) -> Resources {
    fn strip<T: Resource + Clone>(store: &mut Store<T>) {
        let mut out = Store::default();
        for stored in store.iter() {
            out.insert(stored.object.clone(), None);
        }
        *store = out;
    }
    let mut out = resources.clone();
    strip(&mut out.gateway_classes);
    strip(&mut out.gateways);
    strip(&mut out.http_routes);
    strip(&mut out.grpc_routes);
    strip(&mut out.reference_grants);
    strip(&mut out.backend_tls_policies);
    strip(&mut out.backends);
    strip(&mut out.backend_config_policies);
    strip(&mut out.services);
    strip(&mut out.namespaces);
    strip(&mut out.secrets);
    out.skipped.clear();
    out
}

/// Loads a scenario through the real loader; objects that do not load (a duplicate, a name
/// that is not a string the loader accepts) are simply absent.
pub fn load_scenario(scenario: &Scenario) -> Resources {
    let mut loader = Loader::new(LoadOptions::default());
    loader.add_str("scenario.yaml", &scenario.manifest());
    let (resources, errors) = loader.into_parts();
    check_load_errors_named(&errors, "scenario.yaml");
    resources
}

fn check_load_errors_named(errors: &[LoadError], file: &str) {
    for error in errors {
        assert!(error.to_string().starts_with(file), "{error}");
    }
}

/// The same objects, each store in reverse insertion order, sources kept.
pub fn reversed(resources: &Resources) -> Resources {
    fn rev<T: Resource + Clone>(store: &mut Store<T>) {
        let items: Vec<Stored<T>> = store.iter().cloned().collect();
        let mut out = Store::default();
        for stored in items.into_iter().rev() {
            out.insert(stored.object, stored.source);
        }
        *store = out;
    }
    let mut out = resources.clone();
    rev(&mut out.gateway_classes);
    rev(&mut out.gateways);
    rev(&mut out.http_routes);
    rev(&mut out.grpc_routes);
    rev(&mut out.reference_grants);
    rev(&mut out.backend_tls_policies);
    rev(&mut out.backends);
    rev(&mut out.backend_config_policies);
    rev(&mut out.services);
    rev(&mut out.namespaces);
    rev(&mut out.secrets);
    out
}
