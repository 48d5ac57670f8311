//! `ReferenceGrant` (`gateway.networking.k8s.io`, served as `v1` and `v1beta1`, stored as
//! `v1beta1`; same schema).

use serde::{Deserialize, Serialize};

use crate::defaults::ApplyDefaults;
use crate::meta::ObjectMeta;
use crate::resource::impl_resource;

/// Allows objects in other namespaces to reference objects in this one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReferenceGrant {
    /// `gateway.networking.k8s.io/v1` or `gateway.networking.k8s.io/v1beta1`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// `ReferenceGrant`.
    pub kind: String,
    /// Object metadata; its namespace is the namespace that grants access.
    pub metadata: ObjectMeta,
    /// Desired state.
    pub spec: ReferenceGrantSpec,
}

impl_resource!(
    ReferenceGrant,
    group = "gateway.networking.k8s.io",
    kind = "ReferenceGrant",
    versions = ["v1", "v1beta1"],
    namespaced = true
);

impl ApplyDefaults for ReferenceGrant {
    /// Nothing to fill in: every field is required or has no default.
    fn apply_defaults(&mut self, _namespace: &str) {}
}

/// Who may reference what (`ReferenceGrantSpec`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReferenceGrantSpec {
    /// Referencing objects that are trusted.
    pub from: Vec<ReferenceGrantFrom>,
    /// Referenced objects (in the grant's namespace) that may be referenced.
    pub to: Vec<ReferenceGrantTo>,
}

/// A trusted kind of referencing object in a namespace (`ReferenceGrantFrom`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReferenceGrantFrom {
    /// API group of the referencing kind (`""` for core).
    pub group: String,
    /// Referencing kind, such as `HTTPRoute`.
    pub kind: String,
    /// Namespace of the referencing objects.
    pub namespace: String,
}

/// A kind (and optionally a name) that may be referenced (`ReferenceGrantTo`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReferenceGrantTo {
    /// API group of the referent (`""` for core).
    pub group: String,
    /// Referent kind, such as `Service`.
    pub kind: String,
    /// Referent name; unset allows every object of the kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::Resource;

    const MANIFEST: &str = r#"
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata:
  name: allow-routes
  namespace: backends
spec:
  from:
  - group: gateway.networking.k8s.io
    kind: HTTPRoute
    namespace: shop
  to:
  - group: ""
    kind: Service
  - group: gateway.kgateway.dev
    kind: Backend
    name: lambda
"#;

    #[test]
    fn deserializes_round_trips_and_defaults() {
        let g: ReferenceGrant = serde_saphyr::from_str(MANIFEST).unwrap();
        assert_eq!(ReferenceGrant::VERSIONS, ["v1", "v1beta1"]);
        assert_eq!(g.spec.from[0].namespace, "shop");
        assert_eq!(g.spec.to[0].group, "");
        assert_eq!(g.spec.to[0].name, None);
        assert_eq!(g.spec.to[1].name.as_deref(), Some("lambda"));

        let json = serde_json::to_string(&g).unwrap();
        assert_eq!(serde_json::from_str::<ReferenceGrant>(&json).unwrap(), g);

        let mut d = g.clone();
        d.apply_defaults("backends");
        assert_eq!(d, g);
    }
}
