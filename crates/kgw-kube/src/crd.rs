//! CustomResourceDefinitions for the kinds kgw owns (kgateway `Backend`), generated from the
//! kgw-api types' schemars schemas.
//!
//! The types give the property tree (names, types, enums, required lists, descriptions from the
//! doc comments). What Rust types cannot say — the CRD's CEL rules, length and pattern limits,
//! defaults and list/map merge types — is added from [`backend_rules`], transcribed from
//! kgateway's CRD, so that the output is apply-ready and equal in structure to upstream.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kgw_api::Resource as _;
use kgw_api::kgateway::{Backend, BackendSpec, BackendStatus};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::object::KubeKind;

/// Why a CRD could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum CrdError {
    /// The YAML serializer refused the value.
    #[error("cannot render YAML: {0}")]
    Yaml(String),
}

/// The `backends.gateway.kgateway.dev` CRD, generated from [`Backend`].
///
/// ```
/// let crd = kgw_kube::crd::backend_crd();
/// assert_eq!(crd.metadata.name.as_deref(), Some("backends.gateway.kgateway.dev"));
/// assert_eq!(crd.spec.versions[0].name, "v1alpha1");
/// ```
pub fn backend_crd() -> CustomResourceDefinition {
    let value = backend_crd_value();
    // `backend_crd_value` builds every field of the k8s-openapi type from fixed types and
    // literals; the `backend_crd_deserializes` test proves the conversion, so it cannot fail at
    // run time.
    serde_json::from_value(value).expect("the generated Backend CRD matches the k8s-openapi type")
}

/// The Backend CRD as plain JSON (what [`backend_crd`] deserializes).
pub fn backend_crd_value() -> Value {
    let mut schema = json!({
        "type": "object",
        "description": "Backend is a kgateway backend: static hosts, AWS, GCP, a dynamic forward proxy or priority groups.",
        "required": ["spec"],
        "properties": {
            "apiVersion": {
                "type": "string",
                "description": "APIVersion defines the versioned schema of this representation of an object.",
            },
            "kind": {
                "type": "string",
                "description": "Kind is a string value representing the REST resource this object represents.",
            },
            "metadata": {"type": "object"},
            "spec": structural_schema::<BackendSpec>(),
            "status": structural_schema::<BackendStatus>(),
        },
    });
    apply_rules(&mut schema, &backend_rules());
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": format!("{}.{}", Backend::PLURAL, Backend::GROUP),
            "labels": {"app": "kgateway", "app.kubernetes.io/name": "kgateway"},
        },
        "spec": {
            "group": Backend::GROUP,
            "names": {
                "categories": ["kgateway"],
                "kind": Backend::KIND,
                "listKind": format!("{}List", Backend::KIND),
                "plural": Backend::PLURAL,
                "singular": Backend::KIND.to_ascii_lowercase(),
            },
            "scope": if Backend::NAMESPACED { "Namespaced" } else { "Cluster" },
            "versions": [{
                "name": Backend::VERSION,
                "served": true,
                "storage": true,
                "subresources": {"status": {}},
                "additionalPrinterColumns": [
                    {"description": "Which backend type?", "jsonPath": ".spec.type",
                     "name": "Type", "type": "string"},
                    {"description": "Backend configuration acceptance status",
                     "jsonPath": ".status.conditions[?(@.type=='Accepted')].status",
                     "name": "Accepted", "type": "string"},
                    {"description": "The age of the backend.",
                     "jsonPath": ".metadata.creationTimestamp", "name": "Age", "type": "date"},
                ],
                "schema": {"openAPIV3Schema": schema},
            }],
        },
    })
}

/// Renders any serializable value (a CRD) as a YAML document, as `kgw crds` prints it.
pub fn to_yaml<T: Serialize>(value: &T) -> Result<String, CrdError> {
    serde_saphyr::to_string(value).map_err(|e| CrdError::Yaml(e.to_string()))
}

/// The schema of `T` as a Kubernetes structural schema: every subschema inlined, `Option`
/// markers (`nullable`, `null` branches) removed, documented enums flattened to `enum` lists.
pub fn structural_schema<T: JsonSchema>() -> Value {
    let mut settings = schemars::generate::SchemaSettings::openapi3();
    settings.inline_subschemas = true;
    settings.meta_schema = None;
    let mut value = settings
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value();
    make_structural(&mut value);
    value
}

/// Rewrites a schemars schema in place into the structural form the API server accepts.
fn make_structural(node: &mut Value) {
    let Some(map) = node.as_object_mut() else {
        return;
    };
    for key in ["properties"] {
        if let Some(Value::Object(props)) = map.get_mut(key) {
            props.values_mut().for_each(make_structural);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child) = map.get_mut(key) {
            make_structural(child);
        }
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(branches)) = map.get_mut(key) {
            branches.iter_mut().for_each(make_structural);
        }
    }
    // Defaults come from `#[serde(default)]`, which says what an absent field deserializes to,
    // not what the API server should store; CRD defaults are taken from the rule table only.
    for key in ["nullable", "title", "$schema", "uniqueItems", "default"] {
        map.remove(key);
    }
    if let Some(constant) = map.remove("const") {
        map.insert("enum".to_owned(), Value::Array(vec![constant]));
    }
    if let Some(Value::Array(types)) = map.get("type") {
        let non_null: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        if let [only] = non_null.as_slice() {
            map.insert("type".to_owned(), only.clone());
        }
    }
    for key in ["anyOf", "oneOf"] {
        let Some(Value::Array(branches)) = map.remove(key) else {
            continue;
        };
        let branches: Vec<Value> = branches
            .into_iter()
            .filter(|b| !is_null_schema(b))
            .collect();
        if let Some(values) = enum_values(&branches) {
            map.insert("type".to_owned(), Value::from("string"));
            map.insert("enum".to_owned(), Value::Array(values));
        } else if let [Value::Object(only)] = branches.as_slice() {
            for (k, v) in only {
                map.entry(k.clone()).or_insert_with(|| v.clone());
            }
        } else if !branches.is_empty() {
            map.insert(key.to_owned(), Value::Array(branches));
        }
    }
}

/// Whether a branch only admits `null` (the `None` of an `Option`).
fn is_null_schema(schema: &Value) -> bool {
    schema.get("type").is_some_and(|t| t == "null")
        || schema
            .get("enum")
            .and_then(Value::as_array)
            .is_some_and(|values| values.iter().all(Value::is_null))
}

/// The string values of branches that are each a string enum (a documented Rust enum).
fn enum_values(branches: &[Value]) -> Option<Vec<Value>> {
    let mut values = Vec::new();
    for branch in branches {
        let listed = branch.get("enum")?.as_array()?;
        if !listed.iter().all(Value::is_string) {
            return None;
        }
        values.extend(listed.iter().cloned());
    }
    (!values.is_empty()).then_some(values)
}

/// A path into a schema: property names separated by `.`, `[]` for the items of an array
/// (`spec.priorityGroups[].backendRefs`).
fn schema_at<'a>(root: &'a mut Value, path: &str) -> Option<&'a mut Map<String, Value>> {
    let mut node = root;
    for segment in path.split('.').filter(|s| !s.is_empty()) {
        let (name, items) = match segment.strip_suffix("[]") {
            Some(name) => (name, true),
            None => (segment, false),
        };
        if !name.is_empty() {
            node = node.get_mut("properties")?.get_mut(name)?;
        }
        if items {
            node = node.get_mut("items")?;
        }
    }
    node.as_object_mut()
}

/// Merges each rule's keywords into the node at its path. A path that names no node is a bug in
/// the rule table, which the CRD tests catch by comparing with upstream.
fn apply_rules(schema: &mut Value, rules: &[(&str, Value)]) {
    for (path, keywords) in rules {
        if let (Some(node), Some(keywords)) = (schema_at(schema, path), keywords.as_object()) {
            for (k, v) in keywords {
                node.insert(k.clone(), v.clone());
            }
        }
    }
}

/// What kgateway's Backend CRD (v2.5 line) says beyond the shape of the types: CEL rules,
/// limits, defaults, merge types, and the `meta/v1 Condition` contract for `status.conditions`
/// (kgw-api's `Condition` also accepts conditions computed before a time or message is set).
pub fn backend_rules() -> Vec<(&'static str, Value)> {
    let exactly_one = |fields: &[&str]| {
        let has: Vec<String> = fields.iter().map(|f| format!("has(self.{f})")).collect();
        json!({
            "message": format!("exactly one of the fields in [{}] must be set", fields.join(" ")),
            "rule": format!("[{}].filter(x,x==true).size() == 1", has.join(",")),
        })
    };
    let type_names_member = |ty: &str, field: &str| {
        json!({
            "message": format!("{field} backend must be specified when type is '{ty}'"),
            "rule": format!("!has(self.type) || (self.type == '{ty}' ? has(self.{field}) : true)"),
        })
    };
    let auth_member = |field: &str, ty: &str| {
        [
            json!({
                "message": format!("{field} must be nil if the type is not '{ty}'"),
                "rule": format!("!(has(self.{field}) && self.type != '{ty}')"),
            }),
            json!({
                "message": format!("{field} must be specified when type is '{ty}'"),
                "rule": format!("!(!has(self.{field}) && self.type == '{ty}')"),
            }),
        ]
    };
    let account_id = json!({"maxLength": 12, "minLength": 1, "pattern": "^[0-9]{12}$"});
    let non_empty = json!({"minLength": 1});
    let [secret_nil, secret_set] = auth_member("secretRef", "Secret");
    let [role_nil, role_set] = auth_member("assumeRole", "AssumeRole");
    vec![
        (
            "spec",
            json!({"x-kubernetes-validations": [
                type_names_member("AWS", "aws"),
                type_names_member("Static", "static"),
                type_names_member("DynamicForwardProxy", "dynamicForwardProxy"),
                type_names_member("GCP", "gcp"),
                type_names_member("PriorityGroups", "priorityGroups"),
                exactly_one(&["aws", "static", "dynamicForwardProxy", "gcp", "priorityGroups"]),
            ]}),
        ),
        (
            "spec.aws",
            json!({"x-kubernetes-validations": [
                {"message": "accountId must be specified on aws or aws.lambda for lambda backends",
                 "rule": "!has(self.lambda) || has(self.accountId) || has(self.lambda.accountId)"},
                exactly_one(&["lambda", "ec2"]),
            ]}),
        ),
        ("spec.aws.accountId", account_id.clone()),
        (
            "spec.aws.auth",
            json!({"x-kubernetes-validations": [secret_nil, secret_set, role_nil, role_set]}),
        ),
        (
            "spec.aws.auth.assumeRole.roleArn",
            json!({"maxLength": 2048, "minLength": 1,
                   "pattern": "^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$"}),
        ),
        (
            "spec.aws.auth.secretRef",
            json!({"x-kubernetes-map-type": "atomic"}),
        ),
        ("spec.aws.auth.secretRef.name", json!({"default": ""})),
        ("spec.aws.ec2.addressType", json!({"default": "PrivateIP"})),
        ("spec.aws.ec2.filters", json!({"maxItems": 16})),
        (
            "spec.aws.ec2.filters[]",
            json!({"x-kubernetes-validations": [exactly_one(&["key", "keyValue"])]}),
        ),
        (
            "spec.aws.ec2.filters[].key",
            json!({"maxLength": 128, "minLength": 1}),
        ),
        (
            "spec.aws.ec2.filters[].keyValue.key",
            json!({"maxLength": 128, "minLength": 1}),
        ),
        (
            "spec.aws.ec2.filters[].keyValue.value",
            json!({"maxLength": 256, "minLength": 1}),
        ),
        ("spec.aws.ec2.port", json!({"default": 80})),
        ("spec.aws.lambda.accountId", account_id),
        (
            "spec.aws.lambda.endpointURL",
            json!({"maxLength": 2048, "pattern": "^https?://[-a-zA-Z0-9@:%.+~#?&/=]+$"}),
        ),
        (
            "spec.aws.lambda.functionName",
            json!({"pattern": "^[A-Za-z0-9-_]{1,140}$"}),
        ),
        ("spec.aws.lambda.invocationMode", json!({"default": "Sync"})),
        (
            "spec.aws.lambda.payloadTransformMode",
            json!({"default": "Envoy"}),
        ),
        (
            "spec.aws.lambda.qualifier",
            json!({"default": "$LATEST",
                   "pattern": "^(\\$LATEST|[0-9]+|[A-Za-z0-9-_]{1,128})$"}),
        ),
        (
            "spec.aws.region",
            json!({"default": "us-east-1", "maxLength": 63, "minLength": 1,
                   "pattern": "^[a-z0-9-]+$"}),
        ),
        ("spec.gcp.audience", non_empty.clone()),
        ("spec.gcp.host", non_empty.clone()),
        (
            "spec.priorityGroups",
            json!({"maxItems": 16, "minItems": 1}),
        ),
        (
            "spec.priorityGroups[].backendRefs",
            json!({"maxItems": 16, "minItems": 1,
                   "x-kubernetes-list-map-keys": ["name"], "x-kubernetes-list-type": "map",
                   "x-kubernetes-validations": [{
                       "message": "backend reference name must not be empty",
                       "rule": "self.all(r, size(r.name) > 0)"}]}),
        ),
        (
            "spec.priorityGroups[].backendRefs[]",
            json!({"x-kubernetes-map-type": "atomic"}),
        ),
        (
            "spec.priorityGroups[].backendRefs[].name",
            json!({"default": ""}),
        ),
        ("spec.static.hosts", json!({"minItems": 1})),
        ("spec.static.hosts[].host", non_empty),
        (
            "status.conditions",
            json!({"maxItems": 8, "x-kubernetes-list-map-keys": ["type"],
                   "x-kubernetes-list-type": "map"}),
        ),
        (
            "status.conditions[]",
            json!({"required": ["lastTransitionTime", "message", "reason", "status", "type"]}),
        ),
        (
            "status.conditions[].lastTransitionTime",
            json!({"format": "date-time"}),
        ),
        ("status.conditions[].message", json!({"maxLength": 32768})),
        (
            "status.conditions[].observedGeneration",
            json!({"minimum": 0}),
        ),
        (
            "status.conditions[].reason",
            json!({"maxLength": 1024, "minLength": 1,
                   "pattern": "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"}),
        ),
        (
            "status.conditions[].type",
            json!({"maxLength": 316,
                   "pattern": "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$"}),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_crd_deserializes() {
        let crd = backend_crd();
        assert_eq!(crd.spec.group, "gateway.kgateway.dev");
        assert_eq!(crd.spec.names.plural, "backends");
        assert_eq!(crd.spec.scope, "Namespaced");
        let schema = crd.spec.versions[0].schema.as_ref().unwrap();
        let root = schema.open_api_v3_schema.as_ref().unwrap();
        assert_eq!(root.required.as_deref(), Some(&["spec".to_owned()][..]));
    }

    #[test]
    fn option_enums_flatten_to_string_enums() {
        let schema = structural_schema::<kgw_api::kgateway::AwsLambda>();
        assert_eq!(
            schema["properties"]["invocationMode"],
            json!({"type": "string", "enum": ["Sync", "Async"],
                   "description": schema["properties"]["invocationMode"]["description"]})
        );
        assert!(!schema.to_string().contains("nullable"));
        assert!(!schema.to_string().contains("anyOf"));
    }

    #[test]
    fn every_rule_path_names_a_node() {
        let mut schema =
            backend_crd_value()["spec"]["versions"][0]["schema"]["openAPIV3Schema"].take();
        for (path, _) in backend_rules() {
            assert!(schema_at(&mut schema, path).is_some(), "{path}");
        }
    }

    #[test]
    fn yaml_rendering_round_trips() {
        let yaml = to_yaml(&backend_crd()).unwrap();
        assert!(
            yaml.starts_with("apiVersion: apiextensions.k8s.io/v1\n"),
            "{yaml}"
        );
        let back: Value = serde_saphyr::from_str(&yaml).unwrap();
        assert_eq!(back, serde_json::to_value(backend_crd()).unwrap());
    }
}
