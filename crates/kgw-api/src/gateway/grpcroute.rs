//! `GRPCRoute` (`gateway.networking.k8s.io/v1`): routing of gRPC requests by service, method
//! and headers. Shares parents, header matches, header modifiers, mirrors and status with
//! HTTPRoute.

use serde::{Deserialize, Serialize};

use super::common::{
    BackendObjectReference, Hostname, HttpHeaderFilter, HttpHeaderMatch, LocalObjectReference,
    ParentReference, RouteStatus, StringMatchType, default_backend_ref,
};
use super::httproute::HttpRequestMirrorFilter;
use crate::defaults::{ApplyDefaults, default_to};
use crate::meta::ObjectMeta;
use crate::resource::impl_resource;

/// A GRPCRoute: how gRPC requests arriving at its parents are matched and forwarded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct GrpcRoute {
    /// `gateway.networking.k8s.io/v1`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// `GRPCRoute`.
    pub kind: String,
    /// Object metadata.
    pub metadata: ObjectMeta,
    /// Desired state.
    pub spec: GrpcRouteSpec,
    /// Status written by controllers (or predicted by kgw).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<RouteStatus>,
}

impl_resource!(
    GrpcRoute,
    group = "gateway.networking.k8s.io",
    kind = "GRPCRoute",
    versions = ["v1"],
    namespaced = true
);

impl ApplyDefaults for GrpcRoute {
    fn apply_defaults(&mut self, _namespace: &str) {
        let namespace = self.metadata.namespace();
        self.spec.apply_defaults(namespace);
        self.status.apply_defaults(namespace);
    }
}

/// Desired state of a [`GrpcRoute`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct GrpcRouteSpec {
    /// Parents (Gateways, usually) the route wants to attach to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_refs: Option<Vec<ParentReference>>,
    /// Hostnames matched against the request's authority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostnames: Option<Vec<Hostname>>,
    /// Routing rules. Unlike HTTPRoute, the CRD gives no default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<GrpcRouteRule>>,
}

impl ApplyDefaults for GrpcRouteSpec {
    fn apply_defaults(&mut self, namespace: &str) {
        self.parent_refs.apply_defaults(namespace);
        self.rules.apply_defaults(namespace);
    }
}

/// One routing rule (`GRPCRouteRule`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct GrpcRouteRule {
    /// Optional rule name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Conditions, any of which selects this rule; absent matches every request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matches: Option<Vec<GrpcRouteMatch>>,
    /// Filters applied to every request the rule matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Vec<GrpcRouteFilter>>,
    /// Weighted backends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend_refs: Option<Vec<GrpcBackendRef>>,
}

impl ApplyDefaults for GrpcRouteRule {
    fn apply_defaults(&mut self, namespace: &str) {
        self.matches.apply_defaults(namespace);
        self.filters.apply_defaults(namespace);
        self.backend_refs.apply_defaults(namespace);
    }
}

/// Conditions on a gRPC request, all of which must hold (`GRPCRouteMatch`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct GrpcRouteMatch {
    /// Service and method condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<GrpcMethodMatch>,
    /// Header conditions (`GRPCHeaderMatch`, same shape as HTTP's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<Vec<HttpHeaderMatch>>,
}

impl ApplyDefaults for GrpcRouteMatch {
    fn apply_defaults(&mut self, namespace: &str) {
        self.method.apply_defaults(namespace);
        self.headers.apply_defaults(namespace);
    }
}

/// A gRPC service and method condition (`GRPCMethodMatch`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct GrpcMethodMatch {
    /// How service and method are compared; defaults to `Exact`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<StringMatchType>,
    /// Fully qualified service name (`package.Service`); unset matches every service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Method name; unset matches every method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
}

impl ApplyDefaults for GrpcMethodMatch {
    fn apply_defaults(&mut self, _namespace: &str) {
        default_to(&mut self.type_, || StringMatchType::Exact);
    }
}

str_enum! {
    /// Kind of a GRPCRoute filter (`GRPCRouteFilterType`).
    pub enum GrpcRouteFilterType {
        /// Modify response headers.
        ResponseHeaderModifier = "ResponseHeaderModifier",
        /// Modify request headers.
        RequestHeaderModifier = "RequestHeaderModifier",
        /// Send a copy of the request to another backend.
        RequestMirror = "RequestMirror",
        /// An implementation-specific filter.
        ExtensionRef = "ExtensionRef",
    }
}

/// A filter: `type` names which one of the other fields is set (`GRPCRouteFilter`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct GrpcRouteFilter {
    /// Which filter this is.
    #[serde(rename = "type")]
    pub type_: GrpcRouteFilterType,
    /// Configuration of `RequestHeaderModifier`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_header_modifier: Option<HttpHeaderFilter>,
    /// Configuration of `ResponseHeaderModifier`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_header_modifier: Option<HttpHeaderFilter>,
    /// Configuration of `RequestMirror`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_mirror: Option<HttpRequestMirrorFilter>,
    /// The object configuring an `ExtensionRef` filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension_ref: Option<LocalObjectReference>,
}

impl ApplyDefaults for GrpcRouteFilter {
    fn apply_defaults(&mut self, namespace: &str) {
        self.request_mirror.apply_defaults(namespace);
    }
}

/// A weighted backend of a rule (`GRPCBackendRef`): the [`BackendObjectReference`] fields,
/// repeated because the CRD inlines them, plus `weight` and `filters`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct GrpcBackendRef {
    /// API group of the backend; defaults to `""` (core).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Kind of the backend; defaults to `Service`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Name of the backend.
    pub name: String,
    /// Namespace of the backend; unset means the route's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Destination port; required when the backend is a Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    /// Relative share of traffic; defaults to 1, 0 sends none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i32>,
    /// Filters applied only to requests sent to this backend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Vec<GrpcRouteFilter>>,
}

impl GrpcBackendRef {
    /// The reference fields alone.
    pub fn object_ref(&self) -> BackendObjectReference {
        BackendObjectReference {
            group: self.group.clone(),
            kind: self.kind.clone(),
            name: self.name.clone(),
            namespace: self.namespace.clone(),
            port: self.port,
        }
    }

    /// The weight, with the CRD default applied.
    pub fn weight_or_default(&self) -> i32 {
        self.weight.unwrap_or(1)
    }
}

impl ApplyDefaults for GrpcBackendRef {
    fn apply_defaults(&mut self, namespace: &str) {
        default_backend_ref(
            &mut self.group,
            &mut self.kind,
            &mut self.namespace,
            namespace,
        );
        default_to(&mut self.weight, || 1);
        self.filters.apply_defaults(namespace);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::Resource;

    const MANIFEST: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata:
  name: echo
  namespace: rpc
spec:
  parentRefs: [{name: gw, sectionName: grpc}]
  hostnames: [grpc.example.com]
  rules:
  - matches:
    - method: {service: echo.Echo, method: Say}
      headers: [{name: x-tenant, value: a}]
    - method: {type: RegularExpression, service: "echo\\..*"}
    filters:
    - type: RequestMirror
      requestMirror: {backendRef: {name: shadow, port: 9000}, percent: 10}
    backendRefs:
    - name: echo
      port: 9000
      filters:
      - type: ResponseHeaderModifier
        responseHeaderModifier: {add: [{name: x-served-by, value: echo}]}
"#;

    #[test]
    fn deserializes_round_trips_and_defaults() {
        let route: GrpcRoute = serde_saphyr::from_str(MANIFEST).unwrap();
        assert_eq!(GrpcRoute::KIND, "GRPCRoute");
        let rule = &route.spec.rules.as_ref().unwrap()[0];
        let matches = &rule.matches.as_ref().unwrap()[..];
        assert_eq!(
            matches[0].method.as_ref().unwrap().service.as_deref(),
            Some("echo.Echo")
        );
        assert_eq!(
            matches[1].method.as_ref().unwrap().type_,
            Some(StringMatchType::RegularExpression)
        );
        let filter = &rule.filters.as_ref().unwrap()[0];
        assert_eq!(filter.type_, GrpcRouteFilterType::RequestMirror);
        assert_eq!(filter.request_mirror.as_ref().unwrap().percent, Some(10));

        let json = serde_json::to_string(&route).unwrap();
        assert_eq!(serde_json::from_str::<GrpcRoute>(&json).unwrap(), route);

        let mut defaulted = route.clone();
        defaulted.apply_defaults("");
        let rule = &defaulted.spec.rules.as_ref().unwrap()[0];
        let matches = &rule.matches.as_ref().unwrap()[0];
        assert_eq!(
            matches.method.as_ref().unwrap().type_,
            Some(StringMatchType::Exact)
        );
        assert_eq!(
            matches.headers.as_ref().unwrap()[0].type_,
            Some(StringMatchType::Exact)
        );
        let backend = &rule.backend_refs.as_ref().unwrap()[0];
        assert_eq!(backend.weight, Some(1));
        assert_eq!(backend.namespace.as_deref(), Some("rpc"));
        assert_eq!(backend.object_ref().kind(), "Service");
        let mirror = rule.filters.as_ref().unwrap()[0]
            .request_mirror
            .as_ref()
            .unwrap();
        assert_eq!(mirror.backend_ref.namespace.as_deref(), Some("rpc"));
        let parent = &defaulted.spec.parent_refs.as_ref().unwrap()[0];
        assert_eq!(parent.namespace.as_deref(), Some("rpc"));
        let once = defaulted.clone();
        defaulted.apply_defaults("");
        assert_eq!(defaulted, once);

        // No default rule or match for gRPC.
        let mut empty = GrpcRouteSpec::default();
        empty.apply_defaults("rpc");
        assert_eq!(empty.rules, None);
    }
}
