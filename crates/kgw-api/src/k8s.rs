//! Core Kubernetes kinds (`v1`): `Service`, `Namespace` and `Secret`, plus the small shared
//! core types (`IntOrString`, `LocalObjectReference`) that kgateway's CRDs reuse.
//!
//! Every field a `kubectl get -o yaml` export carries is accepted so that cluster exports load;
//! routing reads only a few of them. A [`Secret`] never keeps its values: only the key names
//! of `data` and `stringData` survive deserialization.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::defaults::ApplyDefaults;
use crate::meta::ObjectMeta;
use crate::resource::impl_resource;

// === IntOrString ===

/// A value that is either an integer or a string (`intstr.IntOrString`), such as a Service
/// port's `targetPort` (a number or a named container port).
///
/// Deserializes from a YAML/JSON integer or string; a string that looks like a number stays a
/// string, as in Kubernetes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum IntOrString {
    /// An integer (`int32`).
    Int(i32),
    /// A string.
    String(String),
}

impl IntOrString {
    /// The integer, when this is one.
    pub fn as_int(&self) -> Option<i32> {
        match self {
            Self::Int(i) => Some(*i),
            Self::String(_) => None,
        }
    }

    /// The string, when this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Int(_) => None,
            Self::String(s) => Some(s),
        }
    }
}

impl Default for IntOrString {
    fn default() -> Self {
        Self::Int(0)
    }
}

impl From<i32> for IntOrString {
    fn from(value: i32) -> Self {
        Self::Int(value)
    }
}

impl From<&str> for IntOrString {
    fn from(value: &str) -> Self {
        Self::String(value.to_owned())
    }
}

impl From<String> for IntOrString {
    fn from(value: String) -> Self {
        Self::String(value)
    }
}

impl fmt::Display for IntOrString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Int(i) => write!(f, "{i}"),
            Self::String(s) => f.write_str(s),
        }
    }
}

impl Serialize for IntOrString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Int(i) => serializer.serialize_i32(*i),
            Self::String(s) => serializer.serialize_str(s),
        }
    }
}

impl<'de> Deserialize<'de> for IntOrString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IntOrStringVisitor;

        impl Visitor<'_> for IntOrStringVisitor {
            type Value = IntOrString;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a 32-bit integer or a string")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                i32::try_from(v)
                    .map(IntOrString::Int)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                i32::try_from(v)
                    .map(IntOrString::Int)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(IntOrString::String(v.to_owned()))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(IntOrString::String(v))
            }
        }

        deserializer.deserialize_any(IntOrStringVisitor)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for IntOrString {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "IntOrString".into()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        "kgw_api::k8s::IntOrString".into()
    }

    fn json_schema(_generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "An integer or a string.",
            "x-kubernetes-int-or-string": true,
            "anyOf": [{"type": "integer"}, {"type": "string"}]
        })
    }
}

// === LocalObjectReference ===

/// A reference to an object in the same namespace by name only (`core/v1
/// LocalObjectReference`), as used by kgateway for Secrets and priority-group Backends.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct LocalObjectReference {
    /// Name of the referent; the CRDs default it to `""` (effectively required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl LocalObjectReference {
    /// A reference to `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
        }
    }

    /// The referent's name, `""` when unset.
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or_default()
    }
}

impl ApplyDefaults for LocalObjectReference {
    fn apply_defaults(&mut self, _namespace: &str) {
        crate::defaults::default_to(&mut self.name, String::new);
    }
}

// === Service ===

/// A core `v1 Service`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Service {
    /// `v1`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// `Service`.
    pub kind: String,
    /// Object metadata.
    pub metadata: ObjectMeta,
    /// Desired state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<ServiceSpec>,
    /// Observed state (load balancer ingress, conditions), kept verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<serde_json::Value>,
}

impl_resource!(
    Service,
    group = "",
    kind = "Service",
    versions = ["v1"],
    namespaced = true
);

impl ApplyDefaults for Service {
    /// Service defaults are the API server's business; nothing is filled in.
    fn apply_defaults(&mut self, _namespace: &str) {}
}

impl Service {
    /// The spec's ports (empty when there is no spec).
    pub fn ports(&self) -> &[ServicePort] {
        self.spec
            .as_ref()
            .and_then(|s| s.ports.as_deref())
            .unwrap_or_default()
    }

    /// The port entry whose `port` equals `port`.
    pub fn port(&self, port: i32) -> Option<&ServicePort> {
        self.ports().iter().find(|p| p.port == port)
    }
}

/// `spec` of a [`Service`] (`core/v1 ServiceSpec`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ServiceSpec {
    /// Ports the Service exposes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<ServicePort>>,
    /// Label selector of the backing Pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<BTreeMap<String, String>>,
    /// Service type; the API server defaults it to `ClusterIP`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<ServiceType>,
    /// Primary cluster IP; `None` (the string) for a headless Service.
    #[serde(rename = "clusterIP", default, skip_serializing_if = "Option::is_none")]
    pub cluster_ip: Option<String>,
    /// All cluster IPs (dual stack).
    #[serde(
        rename = "clusterIPs",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub cluster_ips: Option<Vec<String>>,
    /// External DNS name of an `ExternalName` Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_name: Option<String>,
    /// Extra IPs on which nodes accept traffic for this Service.
    #[serde(
        rename = "externalIPs",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub external_ips: Option<Vec<String>>,
    /// `Cluster` or `Local`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_traffic_policy: Option<String>,
    /// `Cluster` or `Local`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_traffic_policy: Option<String>,
    /// Health-check node port for `externalTrafficPolicy: Local` load balancers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_node_port: Option<i32>,
    /// IP families (`IPv4`, `IPv6`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_families: Option<Vec<String>>,
    /// `SingleStack`, `PreferDualStack` or `RequireDualStack`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_family_policy: Option<String>,
    /// Whether node ports are allocated for a `LoadBalancer` Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocate_load_balancer_node_ports: Option<bool>,
    /// Load balancer implementation class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_class: Option<String>,
    /// Requested load balancer IP (deprecated upstream).
    #[serde(
        rename = "loadBalancerIP",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub load_balancer_ip: Option<String>,
    /// Client CIDRs allowed through the load balancer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_source_ranges: Option<Vec<String>>,
    /// Whether not-ready endpoints are published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish_not_ready_addresses: Option<bool>,
    /// `ClientIP` or `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_affinity: Option<String>,
    /// Session affinity options, kept verbatim (routing does not read them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_affinity_config: Option<serde_json::Value>,
    /// Traffic distribution preference (`PreferClose`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic_distribution: Option<String>,
}

impl ServiceSpec {
    /// The Service type, `ClusterIP` when unset.
    pub fn effective_type(&self) -> ServiceType {
        self.type_.unwrap_or_default()
    }

    /// Whether the Service is headless (`clusterIP: None`).
    pub fn is_headless(&self) -> bool {
        self.cluster_ip.as_deref() == Some("None")
    }
}

/// `spec.type` of a [`Service`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum ServiceType {
    /// A virtual IP inside the cluster (the default).
    #[default]
    ClusterIP,
    /// A cluster IP plus a port on every node.
    NodePort,
    /// A node port plus an external load balancer.
    LoadBalancer,
    /// A DNS CNAME to `externalName`; no proxying.
    ExternalName,
}

/// One port of a [`ServiceSpec`] (`core/v1 ServicePort`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ServicePort {
    /// Port name; required when a Service has several ports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `TCP` (default), `UDP` or `SCTP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<ServiceProtocol>,
    /// The Service port number.
    pub port: i32,
    /// Pod port number or named container port; defaults to `port`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_port: Option<IntOrString>,
    /// Node port for `NodePort` and `LoadBalancer` Services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_port: Option<i32>,
    /// Application protocol (`http`, `kubernetes.io/h2c`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<String>,
}

impl ServicePort {
    /// `protocol`, `TCP` when unset.
    pub fn effective_protocol(&self) -> ServiceProtocol {
        self.protocol.unwrap_or_default()
    }

    /// `targetPort`, or `port` when unset.
    pub fn effective_target_port(&self) -> IntOrString {
        self.target_port
            .clone()
            .unwrap_or(IntOrString::Int(self.port))
    }
}

/// Transport protocol of a [`ServicePort`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum ServiceProtocol {
    /// TCP (the default).
    #[default]
    TCP,
    /// UDP.
    UDP,
    /// SCTP.
    SCTP,
}

// === Namespace ===

/// A core `v1 Namespace`; only its metadata (labels) matters for routing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Namespace {
    /// `v1`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// `Namespace`.
    pub kind: String,
    /// Object metadata; its labels drive listener `allowedRoutes` selectors.
    pub metadata: ObjectMeta,
    /// Spec (finalizers), kept verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<serde_json::Value>,
    /// Status (phase, conditions), kept verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<serde_json::Value>,
}

impl_resource!(
    Namespace,
    group = "",
    kind = "Namespace",
    versions = ["v1"],
    namespaced = false
);

impl ApplyDefaults for Namespace {
    /// Nothing to default.
    fn apply_defaults(&mut self, _namespace: &str) {}
}

// === Secret ===

/// Annotation in which `kubectl apply` stores the whole applied object, Secret values included.
pub const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// A core `v1 Secret`, reduced to its key names.
///
/// Secret values are never kept: deserialization drops every value of `data` and `stringData`
/// (keeping only the keys) and blanks the [`LAST_APPLIED_ANNOTATION`], which would otherwise
/// carry the values. Serialization writes each key with an empty value, and `Debug` has no value
/// to show.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Secret {
    /// `v1`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// `Secret`.
    pub kind: String,
    /// Object metadata (the last-applied annotation is blanked).
    #[serde(deserialize_with = "secret_metadata")]
    pub metadata: ObjectMeta,
    /// Secret type (`Opaque`, `kubernetes.io/tls`, …); the API server defaults it to `Opaque`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Key names of `data` (values dropped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<SecretKeys>,
    /// Key names of `stringData` (values dropped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_data: Option<SecretKeys>,
    /// Whether the Secret is immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub immutable: Option<bool>,
}

impl_resource!(
    Secret,
    group = "",
    kind = "Secret",
    versions = ["v1"],
    namespaced = true
);

impl ApplyDefaults for Secret {
    /// Nothing is filled in; see [`Secret::secret_type`] for the effective type.
    fn apply_defaults(&mut self, _namespace: &str) {}
}

impl Secret {
    /// The Secret type, `Opaque` when unset.
    pub fn secret_type(&self) -> &str {
        self.type_.as_deref().unwrap_or("Opaque")
    }

    /// Every key of `data` and `stringData`, sorted, without duplicates.
    pub fn keys(&self) -> BTreeSet<&str> {
        self.data
            .iter()
            .chain(&self.string_data)
            .flat_map(|k| k.0.iter().map(String::as_str))
            .collect()
    }

    /// Whether `data` or `stringData` has `key`.
    pub fn has_key(&self, key: &str) -> bool {
        self.data
            .iter()
            .chain(&self.string_data)
            .any(|k| k.contains(key))
    }
}

fn secret_metadata<'de, D: Deserializer<'de>>(deserializer: D) -> Result<ObjectMeta, D::Error> {
    let mut meta = ObjectMeta::deserialize(deserializer)?;
    if let Some(value) = meta
        .annotations
        .as_mut()
        .and_then(|a| a.get_mut(LAST_APPLIED_ANNOTATION))
    {
        value.clear();
    }
    Ok(meta)
}

/// The key names of a Secret's `data` or `stringData`; the values are dropped while
/// deserializing and written back as empty strings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SecretKeys(pub BTreeSet<String>);

impl SecretKeys {
    /// Whether `key` is present.
    pub fn contains(&self, key: &str) -> bool {
        self.0.contains(key)
    }

    /// The keys, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<S: Into<String>> FromIterator<S> for SecretKeys {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        Self(iter.into_iter().map(Into::into).collect())
    }
}

impl Serialize for SecretKeys {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for key in &self.0 {
            map.serialize_entry(key, "")?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for SecretKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeysVisitor;

        impl<'de> Visitor<'de> for KeysVisitor {
            type Value = SecretKeys;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of secret keys to values")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut keys = BTreeSet::new();
                while let Some(key) = map.next_key::<String>()? {
                    map.next_value::<DroppedValue>()?;
                    keys.insert(key);
                }
                Ok(SecretKeys(keys))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(SecretKeys::default())
            }

            // A scalar where the map belongs may itself be a secret: reject it without quoting.
            fn visit_str<E: de::Error>(self, _v: &str) -> Result<Self::Value, E> {
                Err(E::custom(NOT_A_MAP))
            }

            fn visit_bytes<E: de::Error>(self, _v: &[u8]) -> Result<Self::Value, E> {
                Err(E::custom(NOT_A_MAP))
            }

            fn visit_i64<E: de::Error>(self, _v: i64) -> Result<Self::Value, E> {
                Err(E::custom(NOT_A_MAP))
            }

            fn visit_u64<E: de::Error>(self, _v: u64) -> Result<Self::Value, E> {
                Err(E::custom(NOT_A_MAP))
            }

            fn visit_f64<E: de::Error>(self, _v: f64) -> Result<Self::Value, E> {
                Err(E::custom(NOT_A_MAP))
            }

            fn visit_bool<E: de::Error>(self, _v: bool) -> Result<Self::Value, E> {
                Err(E::custom(NOT_A_MAP))
            }
        }

        const NOT_A_MAP: &str = "expected a map of secret keys to values (value not shown)";
        deserializer.deserialize_any(KeysVisitor)
    }
}

/// A scalar Secret value that is read and immediately dropped.
///
/// It does not use `deserialize_ignored_any`, so the loader's unknown-field detection does not
/// mistake the values for unknown fields, and its errors never quote the value.
struct DroppedValue;

impl<'de> Deserialize<'de> for DroppedValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DropVisitor;

        impl Visitor<'_> for DropVisitor {
            type Value = DroppedValue;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a secret value (a string)")
            }

            fn visit_str<E: de::Error>(self, _v: &str) -> Result<Self::Value, E> {
                Ok(DroppedValue)
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                drop(v);
                Ok(DroppedValue)
            }

            fn visit_bytes<E: de::Error>(self, _v: &[u8]) -> Result<Self::Value, E> {
                Ok(DroppedValue)
            }

            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Self::Value, E> {
                drop(v);
                Ok(DroppedValue)
            }

            fn visit_bool<E: de::Error>(self, _v: bool) -> Result<Self::Value, E> {
                Ok(DroppedValue)
            }

            fn visit_i64<E: de::Error>(self, _v: i64) -> Result<Self::Value, E> {
                Ok(DroppedValue)
            }

            fn visit_u64<E: de::Error>(self, _v: u64) -> Result<Self::Value, E> {
                Ok(DroppedValue)
            }

            fn visit_f64<E: de::Error>(self, _v: f64) -> Result<Self::Value, E> {
                Ok(DroppedValue)
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(DroppedValue)
            }

            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(DroppedValue)
            }
        }

        deserializer.deserialize_any(DropVisitor)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for SecretKeys {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SecretKeys".into()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        "kgw_api::k8s::SecretKeys".into()
    }

    fn json_schema(_generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Secret keys; values are accepted but never kept.",
            "type": "object",
            "additionalProperties": {"type": "string"}
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::kgateway::examples::LAMBDA_CREDS_SECRET as SECRET_FILE;

    fn docs_of_kind<T: serde::de::DeserializeOwned>(yaml: &str, kind: &str) -> Vec<T> {
        serde_saphyr::from_multiple::<serde_json::Value>(yaml)
            .unwrap()
            .into_iter()
            .filter(|d| d["kind"] == kind)
            .map(|d| serde_json::from_value(d).unwrap())
            .collect()
    }

    #[test]
    fn int_or_string_accepts_both_forms() {
        let v: Vec<IntOrString> = serde_saphyr::from_str("[8080, http, \"9090\", 0]").unwrap();
        assert_eq!(
            v,
            vec![
                IntOrString::Int(8080),
                IntOrString::String("http".into()),
                IntOrString::String("9090".into()),
                IntOrString::Int(0),
            ]
        );
        let v: Vec<IntOrString> = serde_json::from_str(r#"[-1, "x"]"#).unwrap();
        assert_eq!(v, vec![IntOrString::Int(-1), "x".into()]);
        assert_eq!(serde_json::to_string(&v).unwrap(), r#"[-1,"x"]"#);
        assert!(serde_json::from_str::<IntOrString>("4294967296").is_err());
        assert!(serde_json::from_str::<IntOrString>("true").is_err());
        assert!(serde_json::from_str::<IntOrString>("1.5").is_err());
        assert_eq!(IntOrString::Int(3).to_string(), "3");
        assert_eq!(IntOrString::from("p").as_str(), Some("p"));
    }

    #[test]
    fn service_from_kubectl_export() {
        let yaml = r#"
apiVersion: v1
kind: Service
metadata:
  name: httpbin
  namespace: httpbin
  creationTimestamp: "2025-01-01T00:00:00Z"
  resourceVersion: "1234"
  uid: 0b4c3c1e-0000-0000-0000-000000000000
spec:
  clusterIP: 10.96.12.3
  clusterIPs: [10.96.12.3]
  internalTrafficPolicy: Cluster
  ipFamilies: [IPv4]
  ipFamilyPolicy: SingleStack
  ports:
  - name: http
    port: 8000
    protocol: TCP
    targetPort: 8080
    appProtocol: kubernetes.io/h2c
  - name: grpc
    port: 9000
    targetPort: grpc
  selector:
    app: httpbin
  sessionAffinity: None
  sessionAffinityConfig:
    clientIP:
      timeoutSeconds: 10800
  type: ClusterIP
status:
  loadBalancer: {}
"#;
        let svc: Service = serde_saphyr::from_str(yaml).unwrap();
        let spec = svc.spec.as_ref().unwrap();
        assert_eq!(spec.effective_type(), ServiceType::ClusterIP);
        assert_eq!(
            spec.cluster_ips.as_deref(),
            Some(&["10.96.12.3".to_owned()][..])
        );
        assert!(!spec.is_headless());
        let http = svc.port(8000).unwrap();
        assert_eq!(http.effective_target_port(), IntOrString::Int(8080));
        assert_eq!(http.app_protocol.as_deref(), Some("kubernetes.io/h2c"));
        let grpc = svc.port(9000).unwrap();
        assert_eq!(grpc.protocol, None);
        assert_eq!(grpc.effective_protocol(), ServiceProtocol::TCP);
        assert_eq!(
            grpc.effective_target_port(),
            IntOrString::String("grpc".into())
        );
        let json = serde_json::to_value(&svc).unwrap();
        assert_eq!(json["spec"]["clusterIP"], "10.96.12.3");
        assert_eq!(json["spec"]["ports"][1]["targetPort"], "grpc");
        assert_eq!(serde_json::from_value::<Service>(json).unwrap(), svc);
    }

    #[test]
    fn external_name_service_and_port_zero_load() {
        let svc: Service = serde_json::from_str(
            r#"{"apiVersion":"v1","kind":"Service","metadata":{"name":"ext"},
                "spec":{"type":"ExternalName","externalName":"example.com",
                        "ports":[{"port":0}]}}"#,
        )
        .unwrap();
        let spec = svc.spec.as_ref().unwrap();
        assert_eq!(spec.type_, Some(ServiceType::ExternalName));
        assert_eq!(spec.external_name.as_deref(), Some("example.com"));
        assert_eq!(svc.ports()[0].port, 0);
    }

    #[test]
    fn namespace_loads_and_is_cluster_scoped() {
        use crate::resource::Resource;
        let ns: Namespace = serde_saphyr::from_str(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n  labels: {team: a}\n\
             spec:\n  finalizers: [kubernetes]\nstatus:\n  phase: Active\n",
        )
        .unwrap();
        assert_eq!(
            ns.metadata.labels().collect::<Vec<_>>(),
            vec![("team", "a")]
        );
        const { assert!(!Namespace::NAMESPACED) };
        assert_eq!(ns.object_ref().to_string(), "Namespace apps");
    }

    #[test]
    fn docs_secret_keeps_only_key_names() {
        let secrets: Vec<Secret> = docs_of_kind(SECRET_FILE, "Secret");
        assert_eq!(secrets.len(), 1);
        let s = &secrets[0];
        assert_eq!(s.metadata.name(), "aws-creds");
        assert_eq!(s.secret_type(), "Opaque");
        assert_eq!(
            s.keys().into_iter().collect::<Vec<_>>(),
            vec!["accessKey", "secretKey", "sessionToken"]
        );
        assert!(s.has_key("accessKey"));
        assert!(!s.has_key("token"));
        assert_eq!(s.data, None);
        let debug = format!("{s:?} {s:#?}");
        let json = serde_json::to_string(s).unwrap();
        for value in ["AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI", "EXAMPLEKEY"] {
            assert!(!debug.contains(value), "{debug}");
            assert!(!json.contains(value), "{json}");
        }
        let out = serde_json::to_value(s).unwrap();
        assert_eq!(out["stringData"]["accessKey"], "");
        assert_eq!(serde_json::from_value::<Secret>(out).unwrap(), *s);
    }

    #[test]
    fn secret_values_never_survive_any_path() {
        let yaml = r#"
apiVersion: v1
kind: Secret
metadata:
  name: tls
  namespace: default
  annotations:
    note: keep-me
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"v1","data":{"tls.key":"c3VwZXJzZWNyZXRrZXk="},"kind":"Secret"}
type: kubernetes.io/tls
immutable: true
data:
  tls.crt: Y2VydGlmaWNhdGU=
  tls.key: c3VwZXJzZWNyZXRrZXk=
  weird: 12345678
  empty:
"#;
        let s: Secret = serde_saphyr::from_str(yaml).unwrap();
        assert_eq!(s.secret_type(), "kubernetes.io/tls");
        assert_eq!(s.immutable, Some(true));
        assert_eq!(s.data.as_ref().unwrap().len(), 4);
        assert!(s.has_key("tls.key"));
        let annotations = s.metadata.annotations.as_ref().unwrap();
        assert_eq!(annotations["note"], "keep-me");
        assert_eq!(annotations[LAST_APPLIED_ANNOTATION], "");
        let debug = format!("{s:?}");
        let json = serde_json::to_string(&s).unwrap();
        let yaml_out = serde_saphyr::to_string(&s).unwrap();
        for value in ["c3VwZXJzZWNyZXRrZXk", "Y2VydGlmaWNhdGU", "12345678"] {
            assert!(!debug.contains(value));
            assert!(!json.contains(value));
            assert!(!yaml_out.contains(value));
        }
        // A value of the wrong shape is an error that does not quote anything.
        let err = serde_json::from_str::<Secret>(
            r#"{"apiVersion":"v1","kind":"Secret","metadata":{},"data":{"k":["hidden-value"]}}"#,
        )
        .unwrap_err();
        assert!(!err.to_string().contains("hidden-value"));
        for body in [r#""hidden-value""#, "123456789", "true"] {
            let json = format!(
                r#"{{"apiVersion":"v1","kind":"Secret","metadata":{{}},"stringData":{body}}}"#
            );
            let err = serde_json::from_str::<Secret>(&json)
                .unwrap_err()
                .to_string();
            assert!(err.contains("value not shown"), "{err}");
            assert!(
                !err.contains("hidden-value") && !err.contains("123456789"),
                "{err}"
            );
            let value: serde_json::Value = serde_json::from_str(&json).unwrap();
            let err = serde_json::from_value::<Secret>(value)
                .unwrap_err()
                .to_string();
            assert!(
                !err.contains("hidden-value") && !err.contains("123456789"),
                "{err}"
            );
        }
        // (serde-saphyr's own error display quotes the source line, so the loader decodes
        // through `serde_json::Value` and must not print source snippets of Secrets.)
    }

    #[test]
    fn secret_values_are_not_reported_as_unknown_fields() {
        let json = r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},
                       "stringData":{"a":"1"},"data":{"b":"Mg=="},"extra":1}"#;
        let mut ignored = Vec::new();
        let de = &mut serde_json::Deserializer::from_str(json);
        let s: Secret = serde_ignored::deserialize(de, |p| ignored.push(p.to_string())).unwrap();
        assert_eq!(ignored, vec!["extra".to_owned()]);
        assert_eq!(s.keys().len(), 2);
    }

    #[test]
    fn local_object_reference_defaults_name() {
        let mut r: LocalObjectReference = serde_json::from_str("{}").unwrap();
        assert_eq!(r.name, None);
        r.apply_defaults("ns");
        assert_eq!(r.name.as_deref(), Some(""));
        assert_eq!(LocalObjectReference::new("a").name(), "a");
    }
}
