//! # kgw-validate
//!
//! What a conformant controller (kgateway, for the Backend parts) would decide about a set of
//! resources, plus authoring diagnostics: the CRDs' OpenAPI limits and CEL rules as Rust checks,
//! reference checks (ReferenceGrant, kinds, existence, a port on a Backend reference), and the
//! Gateway API status of every Gateway, listener, HTTPRoute parent and Backend.
//!
//! ```
//! use kgw_api::load::{load_str, LoadOptions};
//! use kgw_validate::{validate, BackendRefReport, Options};
//!
//! let manifest = "\
//! apiVersion: gateway.networking.k8s.io/v1
//! kind: Gateway
//! metadata: {name: http, namespace: infra}
//! spec:
//!   gatewayClassName: kgateway
//!   listeners: [{name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}]
//! ---
//! apiVersion: gateway.kgateway.dev/v1alpha1
//! kind: Backend
//! metadata: {name: json, namespace: apps}
//! spec:
//!   static: {hosts: [{host: jsonplaceholder.typicode.com, port: 80}]}
//! ---
//! apiVersion: gateway.networking.k8s.io/v1
//! kind: HTTPRoute
//! metadata: {name: r, namespace: apps}
//! spec:
//!   parentRefs: [{name: http, namespace: infra}]
//!   rules:
//!   - backendRefs: [{group: gateway.kgateway.dev, kind: Backend, name: json, port: 80}]
//! ";
//! let resources = load_str("example.yaml", manifest, &LoadOptions::default())?;
//! let report = validate(&resources, &Options::default());
//! let port = report.diagnostics.iter().find(|d| d.code == "backend-ref-port").unwrap();
//! assert_eq!(port.field, "spec.rules[0].backendRefs[0].port");
//! assert_eq!(port.line, Some(20));
//! let route = &report.routes[&kgw_api::ObjectKey::new("apps", "r")];
//! assert!(matches!(route.rules[0].backend_refs[0], BackendRefReport::Unresolved { .. }));
//! assert_eq!(route.parents[0].listeners, ["http"]);
//! # Ok::<(), kgw_api::load::LoadErrors>(())
//! ```

mod attach;
mod backend;
mod backend_refs;
mod diag;
mod fields;
mod gateway;
mod grants;
pub mod hostname;
pub mod regex_match;
pub mod report;
mod routes;
#[cfg(test)]
mod testing;

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::sync::Arc;

use indexmap::IndexMap;
use kgw_api::defaults::ApplyDefaults;
use kgw_api::{ObjectKey, Resource, Resources, Store, Stored};

pub use backend_refs::{KGATEWAY_GROUP, backend_port_message};
pub use grants::ReferenceGrantMode;
pub use report::{
    BackendRefReport, BackendReport, Diagnostic, GatewayReport, ListenerReport, ListenerStatus,
    ObjectStatus, ParentRefStatus, ParentReport, ParentStatus, Report, ResolvedBackend,
    RouteReport, RuleReport, Severity,
};

/// How validation behaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// How cross-namespace references are checked (kgateway's `KGW_REFERENCE_GRANT_MODE`).
    pub reference_grant_mode: ReferenceGrantMode,
    /// When set, only Gateways whose GatewayClass has this `controllerName` (or whose class is
    /// absent from the input) are handled; routes get no status for other Gateways.
    pub controller_name: Option<String>,
    /// Whether the controller runs with EC2 discovery (`KGW_ENABLE_AWS_EC2_DISCOVERY`); without
    /// it kgateway rejects EC2 Backends.
    pub aws_ec2_discovery: bool,
    /// Largest compiled size of a `RegularExpression` match, in bytes.
    pub regex_size_limit: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            reference_grant_mode: ReferenceGrantMode::default(),
            controller_name: None,
            aws_ec2_discovery: false,
            regex_size_limit: regex_match::DEFAULT_SIZE_LIMIT,
        }
    }
}

/// The entries of a store sorted by key, so that processing does not depend on input order
/// (with the objects: looking them up again by key would build an owned key each time).
fn sorted_entries<T: Resource>(store: &Store<T>) -> Vec<(&ObjectKey, &Stored<T>)> {
    let entries: Vec<_> = store.entries().collect();
    key_order(store)
        .into_iter()
        .map(|position| entries[position])
        .collect()
}

/// The positions of a store's entries, sorted by key.
fn key_order<T: Resource>(store: &Store<T>) -> Vec<usize> {
    let mut entries: Vec<_> = store
        .entries()
        .enumerate()
        .map(|(position, (key, _))| (order_prefix(key), key, position))
        .collect();
    // Comparing the keys' strings dominated sorting (two string comparisons per step, each
    // a pointer away); most pairs differ in their first 16 bytes, compared here as one
    // integer. Keys are unique, so an unstable sort gives the same order.
    if entries.iter().all(|(prefix, _, _)| prefix.is_some()) {
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    } else {
        entries.sort_unstable_by(|a, b| a.1.cmp(b.1));
    }
    entries
        .into_iter()
        .map(|(_, _, position)| position)
        .collect()
}

/// A report for every object of a store, keyed in key order, but computed in the store's own
/// order.
///
/// The store's order is the order the objects were loaded (or watched) in, which is the order
/// their parts were allocated: visiting them so lets the processor's prefetchers follow, where
/// key order jumps across the heap (at 10k routes, validating in key order took 1.5 times as
/// long: docs/benchmarks.md).
/// `report` must not depend on which objects came before, so that the result is the same for
/// any input order.
fn reports_by_key<'s, T: Resource, R>(
    store: &'s Store<T>,
    mut report: impl FnMut(&'s ObjectKey, &'s Stored<T>) -> R,
) -> IndexMap<ObjectKey, R> {
    let mut reports: Vec<(&ObjectKey, R)> = store
        .entries()
        .map(|(key, stored)| (key, report(key, stored)))
        .collect();
    apply_permutation(&mut reports, &mut key_order(store));
    reports
        .into_iter()
        .map(|(key, report)| (key.clone(), report))
        .collect()
}

/// The first 16 bytes of `namespace NUL name` as a big-endian integer (zero-padded): when no
/// namespace contains NUL, comparing two prefixes orders keys as `ObjectKey`'s `Ord` does
/// (namespace, then name), except that keys sharing a prefix compare equal. `None` when the
/// namespace contains NUL, where that no longer holds.
fn order_prefix(key: &ObjectKey) -> Option<u128> {
    if key.namespace.as_bytes().contains(&0) {
        return None;
    }
    let mut bytes = [0u8; 16];
    let joined = key.namespace.bytes().chain([0]).chain(key.name.bytes());
    for (slot, byte) in bytes.iter_mut().zip(joined) {
        *slot = byte;
    }
    Some(u128::from_be_bytes(bytes))
}

/// Validates loaded (not defaulted) resources: diagnostics and the status of every object.
pub fn validate(resources: &Resources, options: &Options) -> Report {
    // Defaults are read through the types' accessors rather than by cloning every object with
    // `Resources::defaulted()`: at 10k routes the clone alone costs more than validation.
    let grants = grants::GrantIndex::new(resources, options.reference_grant_mode);
    let mut diagnostics = Vec::new();

    // Findings are sorted at the end, so grants are checked in the store's order.
    for (_, stored) in resources.reference_grants.entries() {
        let mut sink = diag::Sink::new(stored, &mut diagnostics);
        fields::reference_grant::check(&stored.object, &mut sink);
    }

    let backends = reports_by_key(&resources.backends, |_, raw| {
        backend::backend_report(raw, resources, options, &mut diagnostics)
    });

    let mut parents = routes::Parents {
        handled: IndexMap::new(),
        all: BTreeSet::new(),
        labels: attach::NamespaceLabels::new(resources),
        attached_scratch: Vec::new(),
    };
    for (key, raw) in sorted_entries(&resources.gateways) {
        parents.all.insert(key.clone());
        let class = resources
            .gateway_classes
            .get("", &raw.object.spec.gateway_class_name);
        let handled = match (&options.controller_name, class) {
            (Some(controller), Some(class)) => class.object.spec.controller_name == *controller,
            _ => true,
        };
        if handled {
            let mut gateway = raw.object.clone();
            gateway.apply_defaults(&key.namespace);
            let report =
                gateway::gateway_report(raw, &gateway, resources, &grants, &mut diagnostics);
            parents.handled.insert(key.clone(), (gateway, report));
        }
    }

    let mut regexes = regex_match::RegexChecks::new(options.regex_size_limit);
    // A route's report depends only on the route and the other kinds; what routes share (the
    // listeners' attachment counts, the regex verdicts) comes out the same in any order.
    let routes = reports_by_key(&resources.http_routes, |key, raw| {
        let referrer = backend_refs::Referrer {
            resources,
            grants: &grants,
            kind: "HTTPRoute",
            namespace: &key.namespace,
        };
        routes::route_report(raw, &referrer, &mut parents, &mut regexes, &mut diagnostics)
    });

    let gateways = parents
        .handled
        .into_iter()
        .map(|(k, (_, report))| (k, report))
        .collect();
    sort_diagnostics(&mut diagnostics);
    Report {
        diagnostics,
        gateways,
        routes,
        backends,
    }
}

/// Sorts by file, line, column, then code, object, field and message: a total order, so equal
/// sets of findings come out identical.
///
/// Sorts indices and then moves each finding into place once: a `Diagnostic` is some 200 bytes,
/// and sorting the findings themselves moved each of them about log2(n) times (at 5,000 findings,
/// megabytes of copying).
fn sort_diagnostics(diagnostics: &mut [Diagnostic]) {
    let mut order: Vec<usize> = (0..diagnostics.len()).collect();
    order.sort_unstable_by(|&a, &b| compare_diagnostics(&diagnostics[a], &diagnostics[b]));
    apply_permutation(diagnostics, &mut order);
}

fn compare_diagnostics(a: &Diagnostic, b: &Diagnostic) -> Ordering {
    // Diagnostics of one file share its name: comparing the pointers first saves a string
    // comparison per step.
    let file = match (&a.file, &b.file) {
        (Some(x), Some(y)) if Arc::ptr_eq(x, y) => Ordering::Equal,
        (x, y) => x.cmp(y),
    };
    file.then_with(|| {
        (
            a.line, a.column, a.code, &a.object, &a.field, &a.message, a.severity,
        )
            .cmp(&(
                b.line, b.column, b.code, &b.object, &b.field, &b.message, b.severity,
            ))
    })
}

/// Rearranges `items` so that the item at `k` is the one that was at `order[k]`; `order` must be
/// a permutation of `0..items.len()` and is left as the identity. Each cycle of the permutation
/// is followed once, so every item is moved at most twice.
fn apply_permutation<T>(items: &mut [T], order: &mut [usize]) {
    for start in 0..order.len() {
        let mut at = start;
        loop {
            let from = order[at];
            order[at] = at;
            // Back at the cycle's start (or a fixed point): `items[at]` already holds what was
            // at `start`.
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use kgw_api::ObjectKey;
    use proptest::prelude::*;

    use super::{apply_permutation, order_prefix, reports_by_key};

    #[test]
    fn reports_are_computed_in_store_order_and_keyed_in_key_order() {
        let backend = |namespace: &str, name: &str| {
            format!(
                "apiVersion: gateway.kgateway.dev/v1alpha1\nkind: Backend\n\
                 metadata: {{name: {name}, namespace: {namespace}}}\n\
                 spec: {{static: {{hosts: [{{host: h, port: 80}}]}}}}\n"
            )
        };
        let manifest = [
            ("b", "mm"),
            ("a", "nn"),
            ("b", "kk"),
            ("a", "a-long-name-beyond-16-bytes"),
        ]
        .map(|(namespace, name)| backend(namespace, name))
        .join("---\n");
        let resources = kgw_api::load::load_str(
            "order.yaml",
            &manifest,
            &kgw_api::load::LoadOptions::default(),
        )
        .unwrap();
        let mut visited = Vec::new();
        let reports = reports_by_key(&resources.backends, |key, _| {
            visited.push(key.to_string());
            visited.len()
        });
        // Visited as loaded (the order their parts lie in memory), keyed in key order, each
        // report staying with its own key.
        assert_eq!(
            visited,
            ["b/mm", "a/nn", "b/kk", "a/a-long-name-beyond-16-bytes"]
        );
        let keyed: Vec<(String, usize)> =
            reports.iter().map(|(k, &v)| (k.to_string(), v)).collect();
        assert_eq!(
            keyed,
            [
                ("a/a-long-name-beyond-16-bytes".to_owned(), 4),
                ("a/nn".to_owned(), 2),
                ("b/kk".to_owned(), 3),
                ("b/mm".to_owned(), 1),
            ]
        );
    }

    proptest! {
        #[test]
        fn permutations_apply_like_indexing(
            order in (0..40usize).prop_flat_map(|n| Just((0..n).collect::<Vec<_>>()).prop_shuffle()),
        ) {
            let items: Vec<String> = (0..order.len()).map(|i| format!("item {i}")).collect();
            let expected: Vec<String> = order.iter().map(|&i| items[i].clone()).collect();
            let (mut moved, mut order) = (items, order);
            apply_permutation(&mut moved, &mut order);
            prop_assert_eq!(moved, expected);
            prop_assert!(order.iter().enumerate().all(|(k, &i)| k == i));
        }

        #[test]
        fn order_prefixes_agree_with_key_order(
            a in ("[a-c\\x00]{0,20}", "[a-c\\x00]{0,20}"),
            b in ("[a-c\\x00]{0,20}", "[a-c\\x00]{0,20}"),
        ) {
            let (a, b) = (ObjectKey::new(a.0, a.1), ObjectKey::new(b.0, b.1));
            if let (Some(pa), Some(pb)) = (order_prefix(&a), order_prefix(&b)) {
                // A prefix order never contradicts the key order.
                prop_assert!(pa.cmp(&pb) == a.cmp(&b) || pa == pb);
            } else {
                prop_assert!(a.namespace.contains('\0') || b.namespace.contains('\0'));
            }
        }
    }
}
