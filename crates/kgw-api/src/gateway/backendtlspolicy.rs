//! `BackendTLSPolicy` (`gateway.networking.k8s.io/v1`): how the gateway connects to a backend
//! over TLS.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::common::{LocalObjectReference, PolicyStatus, PreciseHostname, SectionName};
use crate::defaults::ApplyDefaults;
use crate::meta::ObjectMeta;
use crate::resource::impl_resource;

/// TLS settings for connections from the gateway to the targeted backends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct BackendTlsPolicy {
    /// `gateway.networking.k8s.io/v1`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// `BackendTLSPolicy`.
    pub kind: String,
    /// Object metadata.
    pub metadata: ObjectMeta,
    /// Desired state.
    pub spec: BackendTlsPolicySpec,
    /// Status written by controllers, one entry per ancestor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<PolicyStatus>,
}

impl_resource!(
    BackendTlsPolicy,
    group = "gateway.networking.k8s.io",
    kind = "BackendTLSPolicy",
    versions = ["v1"],
    namespaced = true
);

impl ApplyDefaults for BackendTlsPolicy {
    fn apply_defaults(&mut self, _namespace: &str) {
        let namespace = self.metadata.namespace();
        self.status.apply_defaults(namespace);
    }
}

/// Desired state of a [`BackendTlsPolicy`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct BackendTlsPolicySpec {
    /// Backends (Services, usually, optionally one port by name) the policy applies to.
    pub target_refs: Vec<LocalPolicyTargetReferenceWithSectionName>,
    /// How the backend's certificate is validated.
    pub validation: BackendTlsPolicyValidation,
    /// Implementation-specific TLS options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<BTreeMap<String, String>>,
}

/// A policy target in the policy's namespace, optionally one section of it
/// (`LocalPolicyTargetReferenceWithSectionName`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct LocalPolicyTargetReferenceWithSectionName {
    /// API group of the target (`""` for core).
    pub group: String,
    /// Kind of the target, such as `Service`.
    pub kind: String,
    /// Name of the target.
    pub name: String,
    /// Section of the target, such as a Service port name; unset means the whole target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section_name: Option<SectionName>,
}

/// Certificate validation of a [`BackendTlsPolicy`] (`BackendTLSPolicyValidation`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct BackendTlsPolicyValidation {
    /// CA certificates (ConfigMaps, usually) in the policy's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_certificate_refs: Option<Vec<LocalObjectReference>>,
    /// A well-known CA set (`System`); exclusive with `caCertificateRefs`. A string because the
    /// CRD declares no enum.
    #[serde(
        rename = "wellKnownCACertificates",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub well_known_ca_certificates: Option<String>,
    /// SNI sent to the backend, and the name its certificate must match unless
    /// `subjectAltNames` is set.
    pub hostname: PreciseHostname,
    /// Names the backend certificate must carry, replacing the `hostname` check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_alt_names: Option<Vec<SubjectAltName>>,
}

str_enum! {
    /// Kind of a subject alternative name (`SubjectAltNameType`).
    pub enum SubjectAltNameType {
        /// A DNS name.
        Hostname = "Hostname",
        /// A URI, such as a SPIFFE id.
        Uri = "URI",
    }
}

/// A subject alternative name the backend certificate must carry (`SubjectAltName`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct SubjectAltName {
    /// Which of the other fields is set.
    #[serde(rename = "type")]
    pub type_: SubjectAltNameType,
    /// The DNS name, for `Hostname`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// The URI, for `URI`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::Resource;

    const MANIFEST: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata:
  name: tls
  namespace: shop
spec:
  targetRefs:
  - group: ""
    kind: Service
    name: api
    sectionName: https
  validation:
    caCertificateRefs:
    - {group: "", kind: ConfigMap, name: ca}
    hostname: api.internal
    subjectAltNames:
    - {type: URI, uri: "spiffe://cluster.local/ns/shop/sa/api"}
  options:
    example.com/cipher: strong
status:
  ancestors:
  - ancestorRef: {name: gw}
    controllerName: kgateway.dev/kgateway
    conditions:
    - {type: Accepted, status: "True", reason: Accepted, message: ok, lastTransitionTime: "2024-01-01T00:00:00Z"}
"#;

    #[test]
    fn deserializes_round_trips_and_defaults() {
        let p: BackendTlsPolicy = serde_saphyr::from_str(MANIFEST).unwrap();
        assert_eq!(BackendTlsPolicy::KIND, "BackendTLSPolicy");
        assert_eq!(BackendTlsPolicy::VERSIONS, ["v1"]);
        assert_eq!(p.spec.target_refs[0].section_name.as_deref(), Some("https"));
        let v = &p.spec.validation;
        assert_eq!(v.hostname, "api.internal");
        assert_eq!(v.well_known_ca_certificates, None);
        assert_eq!(
            v.subject_alt_names.as_ref().unwrap()[0].type_,
            SubjectAltNameType::Uri
        );

        let json = serde_json::to_value(&p).unwrap();
        assert!(
            json["spec"]["validation"]
                .get("caCertificateRefs")
                .is_some()
        );
        assert_eq!(serde_json::from_value::<BackendTlsPolicy>(json).unwrap(), p);

        let with_system: BackendTlsPolicyValidation =
            serde_json::from_str(r#"{"hostname":"h","wellKnownCACertificates":"System"}"#).unwrap();
        assert_eq!(
            with_system.well_known_ca_certificates.as_deref(),
            Some("System")
        );

        let mut d = p.clone();
        d.apply_defaults("");
        let ancestor = &d.status.as_ref().unwrap().ancestors[0].ancestor_ref;
        assert_eq!(ancestor.kind.as_deref(), Some("Gateway"));
        assert_eq!(ancestor.namespace.as_deref(), Some("shop"));
        assert_eq!(d.spec, p.spec);
        let once = d.clone();
        d.apply_defaults("");
        assert_eq!(d, once);
    }
}
