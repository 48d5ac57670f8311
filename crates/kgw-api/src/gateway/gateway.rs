//! `Gateway` (`gateway.networking.k8s.io/v1`, also served as `v1beta1` with the same schema).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::common::{
    Hostname, LocalObjectReference, ObjectReference, SecretObjectReference, SectionName,
};
use crate::defaults::{ApplyDefaults, default_to};
use crate::meta::{Condition, LabelSelector, ObjectMeta};
use crate::resource::impl_resource;

/// A Gateway: listeners (port, protocol, hostname, TLS) that routes attach to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Gateway {
    /// `gateway.networking.k8s.io/v1` or `gateway.networking.k8s.io/v1beta1`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// `Gateway`.
    pub kind: String,
    /// Object metadata.
    pub metadata: ObjectMeta,
    /// Desired state.
    pub spec: GatewaySpec,
    /// Status written by the controller (or predicted by kgw).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<GatewayStatus>,
}

impl_resource!(
    Gateway,
    group = "gateway.networking.k8s.io",
    kind = "Gateway",
    versions = ["v1", "v1beta1"],
    namespaced = true
);

impl ApplyDefaults for Gateway {
    /// Fills in spec defaults and the defaults of fields inside an existing status. The CRD's
    /// default *status* (`Accepted`/`Programmed` `Unknown`, reason `Pending`) is not created:
    /// status is what a controller, or kgw-validate, computes.
    fn apply_defaults(&mut self, _namespace: &str) {
        let namespace = self.metadata.namespace();
        self.spec.apply_defaults(namespace);
        self.status.apply_defaults(namespace);
    }
}

/// Desired state of a [`Gateway`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct GatewaySpec {
    /// Name of the GatewayClass this Gateway belongs to.
    pub gateway_class_name: String,
    /// Listeners, distinct by name and by (port, protocol, hostname).
    pub listeners: Vec<Listener>,
    /// Requested addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addresses: Option<Vec<GatewaySpecAddress>>,
    /// Labels, annotations and parameters for the infrastructure the controller creates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub infrastructure: Option<GatewayInfrastructure>,
    /// Which namespaces may attach ListenerSets to this Gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_listeners: Option<AllowedListeners>,
    /// Gateway-wide TLS settings (client certificate to backends, frontend validation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<GatewayTls>,
}

impl ApplyDefaults for GatewaySpec {
    fn apply_defaults(&mut self, namespace: &str) {
        self.listeners.apply_defaults(namespace);
        self.addresses.apply_defaults(namespace);
        self.allowed_listeners.apply_defaults(namespace);
        self.tls.apply_defaults(namespace);
    }
}

/// A listener: one port, protocol and optional hostname (`Listener`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Listener {
    /// Name, unique within the Gateway; routes select it with `sectionName`.
    pub name: SectionName,
    /// Hostname (possibly `*.` wildcard) requests must match; unset matches all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<Hostname>,
    /// Network port.
    pub port: i32,
    /// `HTTP`, `HTTPS`, `TLS`, `TCP`, `UDP` or a domain-prefixed implementation protocol; a
    /// string because the API allows the latter.
    pub protocol: String,
    /// TLS settings, for `HTTPS` and `TLS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<GatewayTlsConfig>,
    /// Which routes may attach; defaults to routes from the Gateway's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_routes: Option<AllowedRoutes>,
}

impl ApplyDefaults for Listener {
    fn apply_defaults(&mut self, namespace: &str) {
        self.tls.apply_defaults(namespace);
        default_to(&mut self.allowed_routes, AllowedRoutes::default);
        self.allowed_routes.apply_defaults(namespace);
    }
}

/// Which routes may attach to a listener (`AllowedRoutes`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct AllowedRoutes {
    /// Namespaces routes may come from; defaults to `from: Same`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<RouteNamespaces>,
    /// Route kinds allowed; unset means the kinds that fit the listener protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kinds: Option<Vec<RouteGroupKind>>,
}

impl ApplyDefaults for AllowedRoutes {
    fn apply_defaults(&mut self, namespace: &str) {
        default_to(&mut self.namespaces, RouteNamespaces::default);
        self.namespaces.apply_defaults(namespace);
        self.kinds.apply_defaults(namespace);
    }
}

str_enum! {
    /// Namespaces routes may attach from (`FromNamespaces`).
    pub enum FromNamespaces {
        /// Every namespace.
        All = "All",
        /// Namespaces whose labels match `selector`.
        Selector = "Selector",
        /// The Gateway's namespace.
        Same = "Same",
    }
}

/// Namespaces routes may attach from (`RouteNamespaces`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RouteNamespaces {
    /// Which namespaces; defaults to `Same`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<FromNamespaces>,
    /// Namespace label selector, used with `from: Selector`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
}

impl RouteNamespaces {
    /// `from`, with the CRD default applied.
    pub fn from_or_default(&self) -> FromNamespaces {
        self.from.unwrap_or(FromNamespaces::Same)
    }
}

impl ApplyDefaults for RouteNamespaces {
    fn apply_defaults(&mut self, _namespace: &str) {
        default_to(&mut self.from, || FromNamespaces::Same);
    }
}

/// A route group and kind (`RouteGroupKind`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RouteGroupKind {
    /// API group; defaults to `gateway.networking.k8s.io`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Route kind, such as `HTTPRoute`.
    pub kind: String,
}

impl RouteGroupKind {
    /// The group, with the CRD default applied.
    pub fn group(&self) -> &str {
        self.group.as_deref().unwrap_or(super::GROUP)
    }
}

impl ApplyDefaults for RouteGroupKind {
    fn apply_defaults(&mut self, _namespace: &str) {
        default_to(&mut self.group, || super::GROUP.to_owned());
    }
}

str_enum! {
    /// What a listener does with TLS (`TLSModeType`).
    pub enum TlsModeType {
        /// Terminate TLS at the gateway.
        Terminate = "Terminate",
        /// Pass the TLS stream through to the backend (TLSRoute).
        Passthrough = "Passthrough",
    }
}

/// TLS settings of a listener (`ListenerTLSConfig`, formerly `GatewayTLSConfig`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct GatewayTlsConfig {
    /// Terminate or pass through; defaults to `Terminate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<TlsModeType>,
    /// Certificates (Secrets by default) served for `Terminate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_refs: Option<Vec<SecretObjectReference>>,
    /// Implementation-specific TLS options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<BTreeMap<String, String>>,
}

impl ApplyDefaults for GatewayTlsConfig {
    fn apply_defaults(&mut self, namespace: &str) {
        default_to(&mut self.mode, || TlsModeType::Terminate);
        self.certificate_refs.apply_defaults(namespace);
    }
}

/// A requested address (`GatewaySpecAddress`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct GatewaySpecAddress {
    /// `IPAddress`, `Hostname`, `NamedAddress` or domain-prefixed; defaults to `IPAddress`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// The address; unset lets the controller choose one of the type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl ApplyDefaults for GatewaySpecAddress {
    fn apply_defaults(&mut self, _namespace: &str) {
        default_to(&mut self.type_, || "IPAddress".to_owned());
    }
}

/// Infrastructure settings (`GatewayInfrastructure`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct GatewayInfrastructure {
    /// Labels for created resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// Annotations for created resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    /// Implementation-specific parameters in the Gateway's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters_ref: Option<LocalObjectReference>,
}

/// Which namespaces may attach ListenerSets (`AllowedListeners`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct AllowedListeners {
    /// Namespaces; defaults to `from: None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<ListenerNamespaces>,
}

impl ApplyDefaults for AllowedListeners {
    fn apply_defaults(&mut self, namespace: &str) {
        default_to(&mut self.namespaces, ListenerNamespaces::default);
        self.namespaces.apply_defaults(namespace);
    }
}

str_enum! {
    /// Namespaces ListenerSets may attach from; [`FromNamespaces`] plus `None`.
    pub enum ListenerNamespacesFrom {
        /// Every namespace.
        All = "All",
        /// Namespaces whose labels match `selector`.
        Selector = "Selector",
        /// The Gateway's namespace.
        Same = "Same",
        /// No ListenerSet may attach.
        None = "None",
    }
}

/// Namespaces ListenerSets may attach from (`ListenerNamespaces`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ListenerNamespaces {
    /// Which namespaces; defaults to `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<ListenerNamespacesFrom>,
    /// Namespace label selector, used with `from: Selector`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
}

impl ApplyDefaults for ListenerNamespaces {
    fn apply_defaults(&mut self, _namespace: &str) {
        default_to(&mut self.from, || ListenerNamespacesFrom::None);
    }
}

/// Gateway-wide TLS settings (`GatewayTLSConfig` of `spec.tls`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct GatewayTls {
    /// TLS towards backends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<GatewayBackendTls>,
    /// Client certificate validation on the frontend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frontend: Option<FrontendTlsConfig>,
}

impl ApplyDefaults for GatewayTls {
    fn apply_defaults(&mut self, namespace: &str) {
        self.backend.apply_defaults(namespace);
        self.frontend.apply_defaults(namespace);
    }
}

/// TLS towards backends (`GatewayBackendTLS`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct GatewayBackendTls {
    /// Client certificate the gateway presents to backends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_certificate_ref: Option<SecretObjectReference>,
}

impl ApplyDefaults for GatewayBackendTls {
    fn apply_defaults(&mut self, namespace: &str) {
        self.client_certificate_ref.apply_defaults(namespace);
    }
}

/// Frontend client-certificate validation (`FrontendTLSConfig`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct FrontendTlsConfig {
    /// Settings for every HTTPS listener without a `perPort` entry.
    pub default: TlsConfig,
    /// Settings per listener port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_port: Option<Vec<TlsPortConfig>>,
}

impl ApplyDefaults for FrontendTlsConfig {
    fn apply_defaults(&mut self, namespace: &str) {
        self.default.apply_defaults(namespace);
        self.per_port.apply_defaults(namespace);
    }
}

/// Frontend TLS settings of one port (`TLSPortConfig`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct TlsPortConfig {
    /// Listener port.
    pub port: i32,
    /// Settings for that port.
    pub tls: TlsConfig,
}

impl ApplyDefaults for TlsPortConfig {
    fn apply_defaults(&mut self, namespace: &str) {
        self.tls.apply_defaults(namespace);
    }
}

/// Frontend TLS settings (`TLSConfig`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct TlsConfig {
    /// Client certificate validation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<FrontendTlsValidation>,
}

impl ApplyDefaults for TlsConfig {
    fn apply_defaults(&mut self, namespace: &str) {
        self.validation.apply_defaults(namespace);
    }
}

str_enum! {
    /// What happens to clients without a valid certificate (`FrontendValidationModeType`).
    pub enum FrontendValidationModeType {
        /// Reject them.
        AllowValidOnly = "AllowValidOnly",
        /// Accept them; the backend sees the validation result.
        AllowInsecureFallback = "AllowInsecureFallback",
    }
}

/// Client certificate validation (`FrontendTLSValidation`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct FrontendTlsValidation {
    /// CA certificates (ConfigMaps, usually) client certificates are checked against.
    pub ca_certificate_refs: Vec<ObjectReference>,
    /// Behaviour for invalid client certificates; defaults to `AllowValidOnly`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<FrontendValidationModeType>,
}

impl ApplyDefaults for FrontendTlsValidation {
    fn apply_defaults(&mut self, namespace: &str) {
        self.ca_certificate_refs.apply_defaults(namespace);
        default_to(&mut self.mode, || {
            FrontendValidationModeType::AllowValidOnly
        });
    }
}

/// Observed state of a [`Gateway`] (`GatewayStatus`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct GatewayStatus {
    /// Addresses the Gateway is reachable at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addresses: Option<Vec<GatewayStatusAddress>>,
    /// `Accepted`, `Programmed`, … (see [`crate::gateway::conditions::GatewayConditionType`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<Condition>>,
    /// Status of each listener.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listeners: Option<Vec<ListenerStatus>>,
    /// Number of ListenerSets attached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attached_listener_sets: Option<i32>,
}

impl ApplyDefaults for GatewayStatus {
    fn apply_defaults(&mut self, namespace: &str) {
        self.addresses.apply_defaults(namespace);
        self.listeners.apply_defaults(namespace);
    }
}

/// An address the Gateway is reachable at (`GatewayStatusAddress`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct GatewayStatusAddress {
    /// `IPAddress`, `Hostname`, `NamedAddress` or domain-prefixed; defaults to `IPAddress`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// The address.
    pub value: String,
}

impl ApplyDefaults for GatewayStatusAddress {
    fn apply_defaults(&mut self, _namespace: &str) {
        default_to(&mut self.type_, || "IPAddress".to_owned());
    }
}

/// Observed state of one listener (`ListenerStatus`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ListenerStatus {
    /// Listener name.
    pub name: SectionName,
    /// Route kinds the listener supports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supported_kinds: Option<Vec<RouteGroupKind>>,
    /// Number of routes accepted on this listener.
    pub attached_routes: i32,
    /// `Accepted`, `Programmed`, `ResolvedRefs`, `Conflicted`, … (see
    /// [`crate::gateway::conditions::ListenerConditionType`]).
    pub conditions: Vec<Condition>,
}

impl ApplyDefaults for ListenerStatus {
    fn apply_defaults(&mut self, namespace: &str) {
        self.supported_kinds.apply_defaults(namespace);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::Resource;

    const MANIFEST: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gw
  namespace: infra
spec:
  gatewayClassName: kgateway
  addresses:
  - value: 10.0.0.1
  infrastructure:
    labels: {team: edge}
    parametersRef: {group: gateway.kgateway.dev, kind: GatewayParameters, name: p}
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    allowedRoutes:
      namespaces:
        from: Selector
        selector:
          matchLabels: {shared-gateway: "true"}
      kinds:
      - kind: HTTPRoute
  - name: https
    hostname: "*.example.com"
    port: 443
    protocol: HTTPS
    tls:
      certificateRefs:
      - name: wildcard
      - name: other
        namespace: certs
      options:
        example.com/min-version: "1.2"
  - name: zero
    port: 0
    protocol: example.com/custom
  tls:
    frontend:
      default:
        validation:
          caCertificateRefs:
          - {group: "", kind: ConfigMap, name: ca}
      perPort:
      - port: 443
        tls: {}
status:
  addresses:
  - value: 10.0.0.1
  listeners:
  - name: http
    attachedRoutes: 2
    supportedKinds: [{kind: HTTPRoute}]
    conditions:
    - {type: Accepted, status: "True", reason: Accepted, message: "", lastTransitionTime: "2024-01-01T00:00:00Z"}
"#;

    fn gateway() -> Gateway {
        serde_saphyr::from_str(MANIFEST).unwrap()
    }

    #[test]
    fn deserializes() {
        let g = gateway();
        assert_eq!(Gateway::KIND, "Gateway");
        assert_eq!(g.spec.gateway_class_name, "kgateway");
        let l = &g.spec.listeners;
        assert_eq!(l.len(), 3);
        let ar = l[0].allowed_routes.as_ref().unwrap();
        let ns = ar.namespaces.as_ref().unwrap();
        assert_eq!(ns.from, Some(FromNamespaces::Selector));
        assert!(ns.selector.is_some());
        assert_eq!(
            ar.kinds.as_ref().unwrap()[0].group(),
            "gateway.networking.k8s.io"
        );
        let tls = l[1].tls.as_ref().unwrap();
        assert_eq!(tls.mode, None);
        assert_eq!(tls.certificate_refs.as_ref().unwrap()[0].kind(), "Secret");
        assert_eq!(l[1].hostname.as_deref(), Some("*.example.com"));
        assert_eq!(l[2].port, 0);
        assert_eq!(l[2].protocol, "example.com/custom");
        let infra = g.spec.infrastructure.as_ref().unwrap();
        assert_eq!(
            infra.parameters_ref.as_ref().unwrap().kind,
            "GatewayParameters"
        );
        let status = g.status.as_ref().unwrap();
        assert_eq!(status.listeners.as_ref().unwrap()[0].attached_routes, 2);
    }

    #[test]
    fn round_trips() {
        let g = gateway();
        let json = serde_json::to_string(&g).unwrap();
        assert_eq!(serde_json::from_str::<Gateway>(&json).unwrap(), g);
    }

    #[test]
    fn defaults() {
        let mut g = gateway();
        g.apply_defaults("ignored");
        let spec = &g.spec;
        assert_eq!(
            spec.addresses.as_ref().unwrap()[0].type_.as_deref(),
            Some("IPAddress")
        );
        let http = &spec.listeners[0];
        let ar = http.allowed_routes.as_ref().unwrap();
        assert_eq!(
            ar.namespaces.as_ref().unwrap().from,
            Some(FromNamespaces::Selector)
        );
        assert_eq!(
            ar.kinds.as_ref().unwrap()[0].group.as_deref(),
            Some("gateway.networking.k8s.io")
        );
        let https = &spec.listeners[1];
        let tls = https.tls.as_ref().unwrap();
        assert_eq!(tls.mode, Some(TlsModeType::Terminate));
        let refs = tls.certificate_refs.as_ref().unwrap();
        assert_eq!(refs[0].namespace.as_deref(), Some("infra"));
        assert_eq!(refs[0].group.as_deref(), Some(""));
        assert_eq!(refs[0].kind.as_deref(), Some("Secret"));
        assert_eq!(refs[1].namespace.as_deref(), Some("certs"));
        // A listener without allowedRoutes accepts routes from its own namespace.
        assert_eq!(
            spec.listeners[2].allowed_routes,
            Some(AllowedRoutes {
                namespaces: Some(RouteNamespaces {
                    from: Some(FromNamespaces::Same),
                    selector: None
                }),
                kinds: None
            })
        );
        let frontend = spec.tls.as_ref().unwrap().frontend.as_ref().unwrap();
        let v = frontend.default.validation.as_ref().unwrap();
        assert_eq!(v.mode, Some(FrontendValidationModeType::AllowValidOnly));
        assert_eq!(v.ca_certificate_refs[0].namespace.as_deref(), Some("infra"));
        assert_eq!(frontend.per_port.as_ref().unwrap()[0].tls.validation, None);
        let status = g.status.as_ref().unwrap();
        assert_eq!(
            status.addresses.as_ref().unwrap()[0].type_.as_deref(),
            Some("IPAddress")
        );
        assert_eq!(status.conditions, None);

        let once = g.clone();
        g.apply_defaults("ignored");
        assert_eq!(g, once);
    }

    #[test]
    fn allowed_listeners_default_to_none() {
        let mut a: AllowedListeners = serde_json::from_str("{}").unwrap();
        a.apply_defaults("ns");
        assert_eq!(
            a.namespaces.unwrap().from,
            Some(ListenerNamespacesFrom::None)
        );
    }
}
