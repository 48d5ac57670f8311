//! `GatewayClass` (`gateway.networking.k8s.io/v1`, also served as `v1beta1`; cluster-scoped).

use serde::{Deserialize, Serialize};

use super::common::ObjectReference;
use crate::defaults::ApplyDefaults;
use crate::meta::{Condition, ObjectMeta};
use crate::resource::impl_resource;

/// A class of Gateways handled by one controller.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct GatewayClass {
    /// `gateway.networking.k8s.io/v1` or `gateway.networking.k8s.io/v1beta1`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// `GatewayClass`.
    pub kind: String,
    /// Object metadata.
    pub metadata: ObjectMeta,
    /// Desired state.
    pub spec: GatewayClassSpec,
    /// Status written by the controller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<GatewayClassStatus>,
}

impl_resource!(
    GatewayClass,
    group = "gateway.networking.k8s.io",
    kind = "GatewayClass",
    versions = ["v1", "v1beta1"],
    namespaced = false
);

impl ApplyDefaults for GatewayClass {
    /// Nothing to fill in: the spec has no defaults, and the CRD's default status (`Accepted`
    /// `Unknown`, reason `Pending`) is left to whoever computes status.
    fn apply_defaults(&mut self, _namespace: &str) {}
}

/// Parameters of a GatewayClass (`ParametersReference`): same shape as [`ObjectReference`];
/// a namespace is needed for namespaced kinds because the class is cluster-scoped.
pub type ParametersReference = ObjectReference;

/// Desired state of a [`GatewayClass`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct GatewayClassSpec {
    /// Controller that manages Gateways of this class (`example.net/gateway-controller`).
    pub controller_name: String,
    /// Implementation-specific parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters_ref: Option<ParametersReference>,
    /// Free-form description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Observed state of a [`GatewayClass`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct GatewayClassStatus {
    /// `Accepted`, `SupportedVersion` (see
    /// [`crate::gateway::conditions::GatewayClassConditionType`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<Condition>>,
    /// Features the controller supports for this class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supported_features: Option<Vec<SupportedFeature>>,
}

/// A feature a controller supports (`SupportedFeature`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct SupportedFeature {
    /// Feature name, such as `HTTPRouteQueryParamMatching`.
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ConditionStatus;
    use crate::resource::Resource;

    const MANIFEST: &str = r#"
apiVersion: gateway.networking.k8s.io/v1beta1
kind: GatewayClass
metadata:
  name: kgateway
spec:
  controllerName: kgateway.dev/kgateway
  description: Envoy-based gateways
  parametersRef:
    group: gateway.kgateway.dev
    kind: GatewayParameters
    name: defaults
    namespace: kgateway-system
status:
  conditions:
  - type: Accepted
    status: "True"
    reason: Accepted
    message: ""
    lastTransitionTime: "2024-01-01T00:00:00Z"
    observedGeneration: 1
  supportedFeatures:
  - name: HTTPRouteQueryParamMatching
"#;

    #[test]
    fn deserializes_round_trips_and_defaults() {
        let c: GatewayClass = serde_saphyr::from_str(MANIFEST).unwrap();
        const { assert!(!GatewayClass::NAMESPACED) };
        assert_eq!(c.spec.controller_name, "kgateway.dev/kgateway");
        let p = c.spec.parameters_ref.as_ref().unwrap();
        assert_eq!(p.namespace.as_deref(), Some("kgateway-system"));
        let status = c.status.as_ref().unwrap();
        let cond = &status.conditions.as_ref().unwrap()[0];
        assert_eq!(cond.status, ConditionStatus::True);
        assert_eq!(
            status.supported_features.as_ref().unwrap()[0].name,
            "HTTPRouteQueryParamMatching"
        );

        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<GatewayClass>(&json).unwrap(), c);

        let mut d = c.clone();
        d.apply_defaults("");
        assert_eq!(d, c);
    }
}
