//! Our types against the upstream CRDs: every property path of a CRD's `openAPIV3Schema` must
//! exist in the JSON Schema schemars generates for the matching type, with a compatible type,
//! the same enum values and the same required-ness; and every property we add must exist in
//! the CRD. Deliberate differences are listed per CRD with a reason, and an exception that no
//! longer matches anything fails the test so the lists stay honest.
#![cfg(feature = "schema")]

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

macro_rules! crd_path {
    ($rel:literal) => {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/crds/", $rel)
    };
}

/// What a difference is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Issue {
    /// A CRD property we do not have.
    Missing,
    /// A property we have that the CRD does not.
    Extra,
    /// Incompatible JSON types.
    Type,
    /// Different enum values.
    Enum,
    /// Required in one schema, optional in the other.
    Required,
}

/// A deliberate difference: `issue` at `path` or anywhere below it.
struct Exception {
    issue: Issue,
    path: String,
    /// Why the difference is deliberate; shown when the exception goes stale.
    reason: &'static str,
}

fn ex(issue: Issue, path: impl Into<String>, reason: &'static str) -> Exception {
    Exception {
        issue,
        path: path.into(),
        reason,
    }
}

/// A schema node with `$ref`, `anyOf`/`oneOf`/`allOf` and `null` folded away.
#[derive(Default, Debug)]
struct Node {
    any: bool,
    types: BTreeSet<String>,
    properties: BTreeMap<String, Value>,
    required: BTreeSet<String>,
    items: Option<Value>,
    additional: Option<Value>,
    enums: BTreeSet<String>,
}

fn enum_key(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn fold(schema: &Value, defs: &serde_json::Map<String, Value>, out: &mut Node) {
    let obj = match schema {
        Value::Bool(true) => {
            out.any = true;
            return;
        }
        Value::Object(o) => o,
        _ => return,
    };
    if obj.is_empty() {
        out.any = true;
        return;
    }
    if let Some(Value::String(r)) = obj.get("$ref") {
        let name = r.strip_prefix("#/$defs/").expect("local $ref");
        fold(&defs[name], defs, out);
    }
    match obj.get("type") {
        Some(Value::String(t)) if t != "null" => {
            out.types.insert(t.clone());
        }
        Some(Value::Array(ts)) => {
            for t in ts.iter().filter_map(Value::as_str).filter(|t| *t != "null") {
                out.types.insert(t.to_owned());
            }
        }
        _ => {}
    }
    if let Some(Value::Object(props)) = obj.get("properties") {
        for (k, v) in props {
            out.properties.insert(k.clone(), v.clone());
        }
    }
    if let Some(Value::Array(req)) = obj.get("required") {
        out.required
            .extend(req.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    if let Some(items) = obj.get("items") {
        out.items = Some(items.clone());
    }
    if let Some(add) = obj.get("additionalProperties")
        && add != &Value::Bool(false)
    {
        out.additional = Some(add.clone());
    }
    if let Some(Value::Array(values)) = obj.get("enum") {
        out.enums.extend(values.iter().filter_map(enum_key));
    }
    if let Some(c) = obj.get("const") {
        out.enums.extend(enum_key(c));
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(subs)) = obj.get(key) {
            for s in subs {
                fold(s, defs, out);
            }
        }
    }
}

/// A CRD node's enum values: its own `enum`, narrowed by any `allOf` members' (controller-gen
/// writes a field's and its type's enum markers as `allOf`).
fn crd_enum(crd: &Value) -> BTreeSet<String> {
    let own = crd.get("enum").into_iter();
    let all_of = crd
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("enum"));
    own.chain(all_of)
        .filter_map(Value::as_array)
        .map(|v| v.iter().filter_map(enum_key).collect::<BTreeSet<_>>())
        .reduce(|a, b| a.intersection(&b).cloned().collect())
        .unwrap_or_default()
}

struct Walk<'a> {
    defs: &'a serde_json::Map<String, Value>,
    issues: Vec<(Issue, String, String)>,
}

impl Walk<'_> {
    fn issue(&mut self, issue: Issue, path: &str, detail: String) {
        self.issues.push((issue, path.to_owned(), detail));
    }

    fn walk(&mut self, crd: &Value, ours: &Value, path: &str) {
        let mut node = Node::default();
        fold(ours, self.defs, &mut node);
        if node.any {
            return;
        }
        let crd_type = crd.get("type").and_then(Value::as_str);
        if let Some(t) = crd_type {
            let ok = node.types.contains(t) || (t == "number" && node.types.contains("integer"));
            if !ok {
                self.issue(Issue::Type, path, format!("CRD {t}, ours {:?}", node.types));
                return;
            }
        }
        let crd_enum = crd_enum(crd);
        if crd_enum != node.enums {
            self.issue(
                Issue::Enum,
                path,
                format!("CRD {crd_enum:?}, ours {:?}", node.enums),
            );
        }

        if let Some(Value::Object(props)) = crd.get("properties") {
            let crd_required: BTreeSet<String> = crd
                .get("required")
                .and_then(Value::as_array)
                .map(|v| {
                    v.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            for (k, sub) in props {
                let sub_path = format!("{path}.{k}");
                let Some(ours_sub) = node.properties.get(k) else {
                    self.issue(Issue::Missing, &sub_path, String::new());
                    continue;
                };
                if crd_required.contains(k) != node.required.contains(k) {
                    self.issue(
                        Issue::Required,
                        &sub_path,
                        format!(
                            "CRD required: {}, ours required: {}",
                            crd_required.contains(k),
                            node.required.contains(k)
                        ),
                    );
                }
                self.walk(sub, ours_sub, &sub_path);
            }
            for k in node.properties.keys().filter(|k| !props.contains_key(*k)) {
                self.issue(Issue::Extra, &format!("{path}.{k}"), String::new());
            }
        }
        // A CRD object without properties (such as `metadata`) is free-form: any typing of
        // ours is compatible.

        if let Some(items) = crd.get("items") {
            match &node.items {
                Some(ours_items) => self.walk(items, ours_items, &format!("{path}[]")),
                None => self.issue(Issue::Type, path, "CRD has items, ours none".into()),
            }
        }
        if let Some(add) = crd.get("additionalProperties") {
            match &node.additional {
                Some(ours_add) => {
                    if add.is_object() {
                        self.walk(add, ours_add, &format!("{path}{{}}"));
                    }
                }
                None => self.issue(Issue::Type, path, "CRD is a map, ours is not".into()),
            }
        }
    }
}

fn matches(e: &Exception, issue: Issue, path: &str) -> bool {
    e.issue == issue
        && (path == e.path
            || path
                .strip_prefix(e.path.as_str())
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with("[]")))
}

/// Compares every served version of the CRD at `crd_file` with `ours`.
fn check(crd_file: &str, ours: &schemars::Schema, exceptions: &[Exception]) {
    let text =
        std::fs::read_to_string(crd_file).unwrap_or_else(|e| panic!("reading {crd_file}: {e}"));
    let crd: Value = serde_saphyr::from_str(&text).expect("CRD parses");
    let ours = ours.as_value();
    let defs = ours
        .get("$defs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut walk = Walk {
        defs: &defs,
        issues: Vec::new(),
    };
    let versions = crd["spec"]["versions"].as_array().expect("versions");
    let mut checked = 0;
    for v in versions.iter().filter(|v| v["served"] == Value::Bool(true)) {
        walk.walk(&v["schema"]["openAPIV3Schema"], ours, "");
        checked += 1;
    }
    assert!(checked > 0, "{crd_file}: no served version");

    let mut used = vec![false; exceptions.len()];
    let mut unexpected = BTreeSet::new();
    for (issue, path, detail) in &walk.issues {
        match exceptions.iter().position(|e| matches(e, *issue, path)) {
            Some(i) => used[i] = true,
            None => {
                unexpected.insert(format!("{issue:?} at {path} {detail}"));
            }
        }
    }
    let stale: Vec<_> = exceptions
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(e, _)| format!("{:?} at {} ({})", e.issue, e.path, e.reason))
        .collect();
    assert!(
        unexpected.is_empty() && stale.is_empty(),
        "{crd_file}:\nunexpected differences:\n  {}\nexceptions that matched nothing:\n  {}",
        unexpected.into_iter().collect::<Vec<_>>().join("\n  "),
        stale.join("\n  ")
    );
}

/// Differences every kind shares, plus `extra`.
fn with(extra: impl IntoIterator<Item = Exception>) -> Vec<Exception> {
    let mut all = vec![
        ex(
            Issue::Required,
            ".apiVersion",
            "the loader needs apiVersion and kind to pick the type",
        ),
        ex(
            Issue::Required,
            ".kind",
            "the loader needs apiVersion and kind to pick the type",
        ),
        ex(
            Issue::Required,
            ".metadata",
            "every object needs a name; the loader reports a missing metadata itself",
        ),
    ];
    all.extend(extra);
    all
}

/// `meta/v1 Condition` as `crate::meta::Condition` types it: lenient on what controllers
/// must write, so statuses exported from clusters and kgw's own predictions both load.
fn condition_exceptions(prefix: &str) -> [Exception; 2] {
    [
        ex(
            Issue::Required,
            format!("{prefix}.lastTransitionTime"),
            "kgw writes conditions without a transition time",
        ),
        ex(
            Issue::Required,
            format!("{prefix}.message"),
            "an absent message reads as empty",
        ),
    ]
}

/// `LabelSelectorRequirement.operator` is a string in the CRDs and an enum in `meta.rs`.
const SELECTOR_OPERATOR: &str =
    "typed as an enum of the four Kubernetes operators; the CRDs leave it a free string";

fn httproute_common() -> Vec<Exception> {
    let mut v = vec![
        ex(
            Issue::Enum,
            ".spec.rules[].filters[].requestRedirect.statusCode",
            "kept as an integer so an unsupported code loads and validation reports it",
        ),
        ex(
            Issue::Enum,
            ".spec.rules[].backendRefs[].filters[].requestRedirect.statusCode",
            "kept as an integer so an unsupported code loads and validation reports it",
        ),
    ];
    v.extend(condition_exceptions(".status.parents[].conditions[]"));
    v
}

#[test]
fn httproute_standard() {
    use kgw_api::gateway::HttpRoute;
    let experimental_only = "experimental-channel field, typed so experimental manifests load";
    let extra = {
        let mut v = httproute_common();
        v.extend([
            ex(Issue::Extra, ".spec.useDefaultGateways", experimental_only),
            ex(Issue::Extra, ".spec.rules[].retry", experimental_only),
            ex(
                Issue::Extra,
                ".spec.rules[].sessionPersistence",
                experimental_only,
            ),
            ex(
                Issue::Extra,
                ".spec.rules[].filters[].externalAuth",
                experimental_only,
            ),
            ex(
                Issue::Extra,
                ".spec.rules[].backendRefs[].filters[].externalAuth",
                experimental_only,
            ),
            ex(
                Issue::Enum,
                ".spec.rules[].filters[].type",
                "includes the experimental ExternalAuth",
            ),
            ex(
                Issue::Enum,
                ".spec.rules[].backendRefs[].filters[].type",
                "includes the experimental ExternalAuth",
            ),
        ]);
        v
    };
    check(
        crd_path!("gateway-api/standard/gateway.networking.k8s.io_httproutes.yaml"),
        &schemars::schema_for!(HttpRoute),
        &with(extra),
    );
}

#[test]
fn httproute_experimental() {
    use kgw_api::gateway::HttpRoute;
    check(
        crd_path!("gateway-api/experimental/gateway.networking.k8s.io_httproutes.yaml"),
        &schemars::schema_for!(HttpRoute),
        &with(httproute_common()),
    );
}

#[test]
fn grpcroute() {
    use kgw_api::gateway::GrpcRoute;
    check(
        crd_path!("gateway-api/standard/gateway.networking.k8s.io_grpcroutes.yaml"),
        &schemars::schema_for!(GrpcRoute),
        &with(condition_exceptions(".status.parents[].conditions[]")),
    );
}

#[test]
fn gateway() {
    use kgw_api::gateway::Gateway;
    let mut extra = vec![
        ex(
            Issue::Enum,
            ".spec.listeners[].allowedRoutes.namespaces.selector.matchExpressions[].operator",
            SELECTOR_OPERATOR,
        ),
        ex(
            Issue::Enum,
            ".spec.allowedListeners.namespaces.selector.matchExpressions[].operator",
            SELECTOR_OPERATOR,
        ),
    ];
    extra.extend(condition_exceptions(".status.conditions[]"));
    extra.extend(condition_exceptions(".status.listeners[].conditions[]"));
    check(
        crd_path!("gateway-api/standard/gateway.networking.k8s.io_gateways.yaml"),
        &schemars::schema_for!(Gateway),
        &with(extra),
    );
}

#[test]
fn gatewayclass() {
    use kgw_api::gateway::GatewayClass;
    check(
        crd_path!("gateway-api/standard/gateway.networking.k8s.io_gatewayclasses.yaml"),
        &schemars::schema_for!(GatewayClass),
        &with(condition_exceptions(".status.conditions[]")),
    );
}

#[test]
fn referencegrant() {
    use kgw_api::gateway::ReferenceGrant;
    check(
        crd_path!("gateway-api/standard/gateway.networking.k8s.io_referencegrants.yaml"),
        &schemars::schema_for!(ReferenceGrant),
        &with([]),
    );
}

#[test]
fn backendtlspolicy() {
    use kgw_api::gateway::BackendTlsPolicy;
    check(
        crd_path!("gateway-api/standard/gateway.networking.k8s.io_backendtlspolicies.yaml"),
        &schemars::schema_for!(BackendTlsPolicy),
        &with(condition_exceptions(".status.ancestors[].conditions[]")),
    );
}

#[test]
fn kgateway_backend() {
    use kgw_api::kgateway::Backend;
    check(
        crd_path!("kgateway/gateway.kgateway.dev_backends.yaml"),
        &schemars::schema_for!(Backend),
        &with(condition_exceptions(".status.conditions[]")),
    );
}

#[test]
fn kgateway_backend_config_policy() {
    use kgw_api::kgateway::BackendConfigPolicy;
    check(
        crd_path!("kgateway/gateway.kgateway.dev_backendconfigpolicies.yaml"),
        &schemars::schema_for!(BackendConfigPolicy),
        &with(condition_exceptions(".status.ancestors[].conditions[]")),
    );
}
