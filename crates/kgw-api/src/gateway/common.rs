//! Types shared by several Gateway API kinds: object references, header matches and modifiers,
//! and route and policy status.

use serde::{Deserialize, Serialize};
use smol_str::SmolStr;

use crate::defaults::{ApplyDefaults, default_to};
use crate::meta::Condition;

/// A DNS hostname, possibly with a leading `*.` wildcard label (`Hostname` in the API).
pub type Hostname = String;

/// A fully qualified DNS hostname without wildcard (`PreciseHostname` in the API).
pub type PreciseHostname = String;

/// A Gateway API duration such as `10s` or `1h30m` (pattern `^([0-9]{1,5}(h|m|s|ms)){1,4}$`);
/// kept as written so validation can report malformed values.
pub type Duration = String;

/// The name of a section of an object, such as a listener name (`SectionName` in the API).
pub type SectionName = String;

/// Group of the core Kubernetes API, the default group of backend and certificate references.
pub const CORE_GROUP: &str = "";

/// The default kind of a backend reference (`BackendObjectReference.kind`).
pub const DEFAULT_BACKEND_KIND: &str = "Service";

/// Sets an unset reference namespace to the enclosing object's namespace.
///
/// Cluster-scoped objects pass `""`; their references have no local namespace to inherit.
pub(crate) fn inherit_namespace<S: for<'a> From<&'a str>>(field: &mut Option<S>, namespace: &str) {
    if !namespace.is_empty() {
        default_to(field, || namespace.into());
    }
}

str_enum! {
    /// How a string value is compared: header, query parameter and gRPC method matches.
    pub enum StringMatchType {
        /// Exact, case-sensitive string equality.
        Exact = "Exact",
        /// A regular expression in the implementation's dialect.
        RegularExpression = "RegularExpression",
    }
}

/// A reference from a route (or policy status) to its parent, usually a Gateway
/// (`ParentReference`).
///
/// The strings are [`SmolStr`]s: validation copies every route's parentRef, defaults applied,
/// into its report, and names of up to 23 bytes are stored inline while the defaulted group and
/// kind are static, so those copies do not allocate.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ParentReference {
    /// API group of the parent; defaults to `gateway.networking.k8s.io`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    pub group: Option<SmolStr>,
    /// Kind of the parent; defaults to `Gateway`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    pub kind: Option<SmolStr>,
    /// Namespace of the parent; unset means the route's own namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    pub namespace: Option<SmolStr>,
    /// Name of the parent.
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub name: SmolStr,
    /// Listener name (for a Gateway) the route attaches to; unset means every listener.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section_name: Option<SectionName>,
    /// Listener port the route attaches to; unset means every port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
}

impl ParentReference {
    /// The parent's group, with the CRD default applied.
    pub fn group(&self) -> &str {
        self.group.as_deref().unwrap_or(super::GROUP)
    }

    /// The parent's kind, with the CRD default applied.
    pub fn kind(&self) -> &str {
        self.kind.as_deref().unwrap_or("Gateway")
    }

    /// The parent's namespace, `local` when unset.
    pub fn namespace_or<'a>(&'a self, local: &'a str) -> &'a str {
        self.namespace.as_deref().unwrap_or(local)
    }
}

impl ApplyDefaults for ParentReference {
    fn apply_defaults(&mut self, namespace: &str) {
        default_to(&mut self.group, || SmolStr::new_static(super::GROUP));
        default_to(&mut self.kind, || SmolStr::new_static("Gateway"));
        inherit_namespace(&mut self.namespace, namespace);
    }
}

/// A reference to a backend, by default a Service (`BackendObjectReference`).
///
/// Route backend references ([`crate::gateway::HttpBackendRef`],
/// [`crate::gateway::GrpcBackendRef`]) repeat these fields because the CRDs inline them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct BackendObjectReference {
    /// API group of the backend; defaults to `""` (core).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Kind of the backend; defaults to `Service`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Name of the backend.
    pub name: String,
    /// Namespace of the backend; unset means the route's namespace. Another namespace needs a
    /// ReferenceGrant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Destination port; required when the backend is a Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
}

impl BackendObjectReference {
    /// The backend's group, with the CRD default applied.
    pub fn group(&self) -> &str {
        self.group.as_deref().unwrap_or(CORE_GROUP)
    }

    /// The backend's kind, with the CRD default applied.
    pub fn kind(&self) -> &str {
        self.kind.as_deref().unwrap_or(DEFAULT_BACKEND_KIND)
    }

    /// The backend's namespace, `local` when unset.
    pub fn namespace_or<'a>(&'a self, local: &'a str) -> &'a str {
        self.namespace.as_deref().unwrap_or(local)
    }
}

/// Applies the `BackendObjectReference` defaults to the fields of any backend reference.
pub(crate) fn default_backend_ref(
    group: &mut Option<String>,
    kind: &mut Option<String>,
    ns: &mut Option<String>,
    namespace: &str,
) {
    default_to(group, || CORE_GROUP.to_owned());
    default_to(kind, || DEFAULT_BACKEND_KIND.to_owned());
    inherit_namespace(ns, namespace);
}

impl ApplyDefaults for BackendObjectReference {
    fn apply_defaults(&mut self, namespace: &str) {
        default_backend_ref(
            &mut self.group,
            &mut self.kind,
            &mut self.namespace,
            namespace,
        );
    }
}

/// A reference to an object in the same namespace (`LocalObjectReference`): filter
/// `extensionRef`, BackendTLSPolicy CA certificates, parameters of a Gateway's infrastructure.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct LocalObjectReference {
    /// API group of the referent (`""` for core).
    pub group: String,
    /// Kind of the referent.
    pub kind: String,
    /// Name of the referent.
    pub name: String,
}

/// A reference to an object, possibly in another namespace (`ObjectReference`): Gateway
/// frontend CA certificates.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ObjectReference {
    /// API group of the referent (`""` for core).
    pub group: String,
    /// Kind of the referent.
    pub kind: String,
    /// Name of the referent.
    pub name: String,
    /// Namespace of the referent; unset means the local namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl ApplyDefaults for ObjectReference {
    fn apply_defaults(&mut self, namespace: &str) {
        inherit_namespace(&mut self.namespace, namespace);
    }
}

/// A reference to a Secret (by default) holding certificates (`SecretObjectReference`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct SecretObjectReference {
    /// API group of the referent; defaults to `""` (core).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Kind of the referent; defaults to `Secret`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Name of the referent.
    pub name: String,
    /// Namespace of the referent; unset means the local namespace. Another namespace needs a
    /// ReferenceGrant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl SecretObjectReference {
    /// The referent's group, with the CRD default applied.
    pub fn group(&self) -> &str {
        self.group.as_deref().unwrap_or(CORE_GROUP)
    }

    /// The referent's kind, with the CRD default applied.
    pub fn kind(&self) -> &str {
        self.kind.as_deref().unwrap_or("Secret")
    }
}

impl ApplyDefaults for SecretObjectReference {
    fn apply_defaults(&mut self, namespace: &str) {
        default_to(&mut self.group, || CORE_GROUP.to_owned());
        default_to(&mut self.kind, || "Secret".to_owned());
        inherit_namespace(&mut self.namespace, namespace);
    }
}

/// A header match (`HTTPHeaderMatch`; `GRPCHeaderMatch` has the same shape).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct HttpHeaderMatch {
    /// How `value` is compared; defaults to `Exact`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<StringMatchType>,
    /// Header name, compared case-insensitively.
    pub name: String,
    /// Value to compare with.
    pub value: String,
}

impl HttpHeaderMatch {
    /// The match type, with the CRD default applied.
    pub fn type_or_default(&self) -> StringMatchType {
        self.type_.unwrap_or(StringMatchType::Exact)
    }
}

impl ApplyDefaults for HttpHeaderMatch {
    fn apply_defaults(&mut self, _namespace: &str) {
        default_to(&mut self.type_, || StringMatchType::Exact);
    }
}

/// A header name and value (`HTTPHeader`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct HttpHeader {
    /// Header name, compared case-insensitively.
    pub name: String,
    /// Header value.
    pub value: String,
}

/// The header modifier of `RequestHeaderModifier` and `ResponseHeaderModifier`
/// (`HTTPHeaderFilter`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct HttpHeaderFilter {
    /// Headers to overwrite (or add when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<Vec<HttpHeader>>,
    /// Headers to append to any existing values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add: Option<Vec<HttpHeader>>,
    /// Header names to remove.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove: Option<Vec<String>>,
}

/// Status of a route (`RouteStatus`), shared by HTTPRoute and GRPCRoute.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RouteStatus {
    /// One entry per parent a controller handles.
    pub parents: Vec<RouteParentStatus>,
}

impl ApplyDefaults for RouteStatus {
    fn apply_defaults(&mut self, namespace: &str) {
        self.parents.apply_defaults(namespace);
    }
}

/// Status of a route with respect to one parent (`RouteParentStatus`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RouteParentStatus {
    /// The parent reference this entry describes, as written in the route.
    pub parent_ref: ParentReference,
    /// Controller that wrote this entry (`example.net/gateway-controller`).
    pub controller_name: String,
    /// `Accepted`, `ResolvedRefs`, `PartiallyInvalid`, … (see
    /// [`crate::gateway::conditions`]).
    pub conditions: Vec<Condition>,
}

impl ApplyDefaults for RouteParentStatus {
    fn apply_defaults(&mut self, namespace: &str) {
        self.parent_ref.apply_defaults(namespace);
    }
}

/// Status of a policy (`PolicyStatus`): one entry per ancestor the policy affects.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct PolicyStatus {
    /// One entry per ancestor (usually a Gateway) a controller handles.
    pub ancestors: Vec<PolicyAncestorStatus>,
}

impl ApplyDefaults for PolicyStatus {
    fn apply_defaults(&mut self, namespace: &str) {
        self.ancestors.apply_defaults(namespace);
    }
}

/// Status of a policy with respect to one ancestor (`PolicyAncestorStatus`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct PolicyAncestorStatus {
    /// The ancestor this entry describes.
    pub ancestor_ref: ParentReference,
    /// Controller that wrote this entry.
    pub controller_name: String,
    /// `Accepted`, `ResolvedRefs`, … (see [`crate::gateway::conditions`]).
    pub conditions: Vec<Condition>,
}

impl ApplyDefaults for PolicyAncestorStatus {
    fn apply_defaults(&mut self, namespace: &str) {
        self.ancestor_ref.apply_defaults(namespace);
    }
}

/// Parses a Gateway API duration (GEP-2257: `^([0-9]{1,5}(h|m|s|ms)){1,4}$`, such as `10s`,
/// `500ms` or `1h30m`); `None` when the text does not follow the grammar.
///
/// ```
/// use std::time::Duration;
/// use kgw_api::gateway::common::parse_duration;
///
/// assert_eq!(parse_duration("1h30m"), Some(Duration::from_mins(90)));
/// assert_eq!(parse_duration("1.5s"), None);
/// ```
pub fn parse_duration(text: &str) -> Option<std::time::Duration> {
    use std::time::Duration;
    let bytes = text.as_bytes();
    let (mut total, mut index, mut parts) = (Duration::ZERO, 0, 0);
    while index < bytes.len() {
        let start = index;
        while index < bytes.len() && bytes[index].is_ascii_digit() {
            index += 1;
        }
        let digits = &text[start..index];
        if digits.is_empty() || digits.len() > 5 {
            return None;
        }
        let value: u32 = digits.parse().ok()?;
        let rest = &text[index..];
        let (unit, len) = if rest.starts_with("ms") {
            (Duration::from_millis(1), 2)
        } else if rest.starts_with('h') {
            (Duration::from_hours(1), 1)
        } else if rest.starts_with('m') {
            (Duration::from_mins(1), 1)
        } else if rest.starts_with('s') {
            (Duration::from_secs(1), 1)
        } else {
            return None;
        };
        index += len;
        parts += 1;
        if parts > 4 {
            return None;
        }
        total += unit * value;
    }
    (parts >= 1).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_follow_gep_2257() {
        use std::time::Duration;
        assert_eq!(parse_duration("10s"), Some(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_mins(90)));
        assert_eq!(
            parse_duration("1h1m1s1ms"),
            Some(Duration::from_millis(3_661_001))
        );
        assert_eq!(parse_duration("99999h"), Some(Duration::from_hours(99_999)));
        assert_eq!(parse_duration("0s"), Some(Duration::ZERO));
        for bad in [
            "",
            "10",
            "s",
            "1.5s",
            "123456s",
            "1s1s1s1s1s",
            "10 s",
            "-1s",
            "1d",
            "1S",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn parent_ref_defaults_and_accessors() {
        let mut p: ParentReference = serde_json::from_str(r#"{"name":"gw"}"#).unwrap();
        assert_eq!(p.group(), "gateway.networking.k8s.io");
        assert_eq!(p.kind(), "Gateway");
        assert_eq!(p.namespace_or("ns"), "ns");
        p.apply_defaults("ns");
        assert_eq!(p.group.as_deref(), Some("gateway.networking.k8s.io"));
        assert_eq!(p.kind.as_deref(), Some("Gateway"));
        assert_eq!(p.namespace.as_deref(), Some("ns"));
        let once = p.clone();
        p.apply_defaults("other");
        assert_eq!(p, once);
    }

    #[test]
    fn cluster_scoped_references_inherit_no_namespace() {
        let mut r = SecretObjectReference {
            name: "cert".into(),
            ..Default::default()
        };
        r.apply_defaults("");
        assert_eq!(r.namespace, None);
        assert_eq!(r.group.as_deref(), Some(""));
        assert_eq!(r.kind.as_deref(), Some("Secret"));
    }

    #[test]
    fn backend_ref_defaults_keep_explicit_values() {
        let mut b: BackendObjectReference = serde_json::from_str(
            r#"{"group":"gateway.kgateway.dev","kind":"Backend","name":"b","namespace":"x","port":0}"#,
        )
        .unwrap();
        let before = b.clone();
        b.apply_defaults("ns");
        assert_eq!(b, before);
        assert_eq!(b.port, Some(0));
    }

    #[test]
    fn string_match_type_strings() {
        for t in StringMatchType::ALL {
            let json = serde_json::to_string(t).unwrap();
            assert_eq!(json, format!("\"{}\"", t.as_str()));
            assert_eq!(serde_json::from_str::<StringMatchType>(&json).unwrap(), *t);
        }
        assert_eq!(
            StringMatchType::RegularExpression.to_string(),
            "RegularExpression"
        );
    }
}
