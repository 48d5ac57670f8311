//! Kubernetes identity for kgw-api kinds: [`KubeKind`] (plural, request version, scope) and the
//! [`Kube`] wrapper that implements [`kube::Resource`], so `Api<Kube<HttpRoute>>` works.
//!
//! Why a wrapper: `kube::Resource` and the kgw-api types are both foreign to this crate, so the
//! orphan rule forbids implementing one for the other here, and kgw-api must stay kube-free.
//! `kube::Resource::meta` must also hand out a `&k8s_openapi::…::ObjectMeta`, which kgw-api's own
//! `ObjectMeta` is not; the wrapper keeps that Kubernetes copy next to the object.

use std::fmt;
use std::ops::Deref;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta as KubeObjectMeta;
use k8s_openapi::{ClusterResourceScope, NamespaceResourceScope};
use kgw_api::gateway::{
    BackendTlsPolicy, Gateway, GatewayClass, GrpcRoute, HttpRoute, ReferenceGrant,
};
use kgw_api::k8s::{Namespace, Secret, Service};
use kgw_api::kgateway::{Backend, BackendConfigPolicy};
use serde::de::Error as _;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A kgw-api kind with what the Kubernetes API needs beyond [`kgw_api::Resource`]: its plural
/// (the URL segment), the version requests use, and its scope as a type.
pub trait KubeKind: kgw_api::Resource {
    /// Lower-case plural used in URLs (`httproutes`).
    const PLURAL: &'static str;
    /// The version requests are made with: the newest served one (`VERSIONS[0]`).
    const VERSION: &'static str;
    /// [`NamespaceResourceScope`] or [`ClusterResourceScope`].
    type Scope: k8s_openapi::ResourceScope;

    /// `group/version`, or just `version` for the core group.
    fn api_version() -> String {
        if Self::GROUP.is_empty() {
            Self::VERSION.to_owned()
        } else {
            format!("{}/{}", Self::GROUP, Self::VERSION)
        }
    }
}

macro_rules! kube_kind {
    ($($ty:ty => $plural:literal, $scope:ty;)+) => {
        $(impl KubeKind for $ty {
            const PLURAL: &'static str = $plural;
            const VERSION: &'static str = <$ty as kgw_api::Resource>::VERSIONS[0];
            type Scope = $scope;
        })+
    };
}

kube_kind! {
    GatewayClass => "gatewayclasses", ClusterResourceScope;
    Gateway => "gateways", NamespaceResourceScope;
    HttpRoute => "httproutes", NamespaceResourceScope;
    GrpcRoute => "grpcroutes", NamespaceResourceScope;
    ReferenceGrant => "referencegrants", NamespaceResourceScope;
    BackendTlsPolicy => "backendtlspolicies", NamespaceResourceScope;
    Backend => "backends", NamespaceResourceScope;
    BackendConfigPolicy => "backendconfigpolicies", NamespaceResourceScope;
    Service => "services", NamespaceResourceScope;
    Namespace => "namespaces", ClusterResourceScope;
    Secret => "secrets", NamespaceResourceScope;
}

/// Why an object could not be given Kubernetes metadata.
#[derive(Debug, thiserror::Error)]
#[error("metadata does not convert between kgw-api and Kubernetes: {0}")]
pub struct MetaError(#[source] serde_json::Error);

/// Converts kgw-api metadata to the Kubernetes type; both follow `meta/v1 ObjectMeta` field for
/// field, so only malformed `ownerReferences`/`managedFields` entries fail.
pub fn to_kube_meta(meta: &kgw_api::ObjectMeta) -> Result<KubeObjectMeta, MetaError> {
    serde_json::to_value(meta)
        .and_then(serde_json::from_value)
        .map_err(MetaError)
}

/// Converts Kubernetes metadata to the kgw-api type.
pub fn from_kube_meta(meta: &KubeObjectMeta) -> Result<kgw_api::ObjectMeta, MetaError> {
    serde_json::to_value(meta)
        .and_then(serde_json::from_value)
        .map_err(MetaError)
}

/// A kgw-api object as a [`kube::Resource`]: `Api::<Kube<HttpRoute>>::namespaced(client, "ns")`.
///
/// It derefs to the object. The Kubernetes metadata ([`kube::Resource::meta`]) is authoritative:
/// edits through `meta_mut` show in serialization and in [`Kube::into_object`], while the
/// deref'd object keeps the metadata it was built with.
#[derive(Clone, PartialEq)]
pub struct Kube<T> {
    object: T,
    meta: KubeObjectMeta,
}

impl<T: KubeKind> Kube<T> {
    /// Wraps an object, converting its metadata.
    pub fn new(object: T) -> Result<Self, MetaError> {
        let meta = to_kube_meta(object.metadata())?;
        Ok(Self { object, meta })
    }

    /// The object, with the Kubernetes metadata written back into it.
    pub fn into_object(self) -> Result<T, MetaError> {
        let mut object = self.object;
        *object.metadata_mut() = from_kube_meta(&self.meta)?;
        Ok(object)
    }

    /// A copy of the object with the Kubernetes metadata written back into it.
    pub fn to_object(&self) -> Result<T, MetaError> {
        self.clone().into_object()
    }
}

impl<T> Deref for Kube<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.object
    }
}

impl<T: fmt::Debug> fmt::Debug for Kube<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The object already carries the metadata; printing both would only add noise.
        fmt::Debug::fmt(&self.object, f)
    }
}

impl<T: KubeKind> kube::Resource for Kube<T> {
    type DynamicType = ();
    type Scope = T::Scope;

    fn kind((): &()) -> std::borrow::Cow<'_, str> {
        T::KIND.into()
    }

    fn group((): &()) -> std::borrow::Cow<'_, str> {
        T::GROUP.into()
    }

    fn version((): &()) -> std::borrow::Cow<'_, str> {
        T::VERSION.into()
    }

    fn plural((): &()) -> std::borrow::Cow<'_, str> {
        T::PLURAL.into()
    }

    fn meta(&self) -> &KubeObjectMeta {
        &self.meta
    }

    fn meta_mut(&mut self) -> &mut KubeObjectMeta {
        &mut self.meta
    }
}

impl<T: KubeKind> Serialize for Kube<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut value = serde_json::to_value(&self.object).map_err(S::Error::custom)?;
        let meta = serde_json::to_value(&self.meta).map_err(S::Error::custom)?;
        if let Some(map) = value.as_object_mut() {
            map.insert("metadata".to_owned(), meta);
        }
        value.serialize(serializer)
    }
}

impl<'de, T: KubeKind> Deserialize<'de> for Kube<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut value = serde_json::Value::deserialize(deserializer)?;
        // List items of built-in kinds come without apiVersion and kind; kgw-api requires both.
        if let Some(map) = value.as_object_mut() {
            map.entry("apiVersion")
                .or_insert_with(|| T::api_version().into());
            map.entry("kind").or_insert_with(|| T::KIND.into());
        }
        let object: T = serde_json::from_value(value).map_err(D::Error::custom)?;
        Self::new(object).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use kube::Resource as _;
    use serde_json::json;

    use super::*;

    fn url<K: kube::Resource<DynamicType = ()>>(namespace: Option<&str>) -> String {
        K::url_path(&(), namespace)
    }

    #[test]
    fn urls_follow_upstream_group_version_plural() {
        assert_eq!(
            url::<Kube<HttpRoute>>(Some("ns")),
            "/apis/gateway.networking.k8s.io/v1/namespaces/ns/httproutes"
        );
        assert_eq!(
            url::<Kube<GatewayClass>>(None),
            "/apis/gateway.networking.k8s.io/v1/gatewayclasses"
        );
        assert_eq!(
            url::<Kube<Backend>>(Some("a")),
            "/apis/gateway.kgateway.dev/v1alpha1/namespaces/a/backends"
        );
        assert_eq!(
            url::<Kube<BackendConfigPolicy>>(Some("a")),
            "/apis/gateway.kgateway.dev/v1alpha1/namespaces/a/backendconfigpolicies"
        );
        assert_eq!(
            url::<Kube<BackendTlsPolicy>>(Some("a")),
            "/apis/gateway.networking.k8s.io/v1/namespaces/a/backendtlspolicies"
        );
        assert_eq!(
            url::<Kube<ReferenceGrant>>(Some("a")),
            "/apis/gateway.networking.k8s.io/v1/namespaces/a/referencegrants"
        );
        assert_eq!(
            url::<Kube<GrpcRoute>>(Some("a")),
            "/apis/gateway.networking.k8s.io/v1/namespaces/a/grpcroutes"
        );
        assert_eq!(
            url::<Kube<Service>>(Some("a")),
            "/api/v1/namespaces/a/services"
        );
        assert_eq!(
            url::<Kube<Secret>>(Some("a")),
            "/api/v1/namespaces/a/secrets"
        );
        assert_eq!(url::<Kube<Namespace>>(None), "/api/v1/namespaces");
        assert_eq!(
            Kube::<Gateway>::api_version(&()),
            "gateway.networking.k8s.io/v1"
        );
        assert_eq!(Kube::<Service>::api_version(&()), "v1");
    }

    #[test]
    fn list_items_without_type_fields_deserialize() {
        let item = json!({"metadata": {"name": "web", "namespace": "a", "generation": 3,
                                       "creationTimestamp": "2026-01-02T03:04:05Z"},
                          "spec": {"ports": [{"port": 80}]}});
        let service: Kube<Service> = serde_json::from_value(item).unwrap();
        assert_eq!(service.api_version, "v1");
        assert_eq!(service.kind, "Service");
        assert_eq!(service.meta().name.as_deref(), Some("web"));
        assert_eq!(service.meta().generation, Some(3));
        assert_eq!(service.ports()[0].port, 80);
    }

    #[test]
    fn metadata_edits_reach_serialization_and_the_object() {
        let route = json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                           "metadata": {"name": "r", "namespace": "a",
                                        "managedFields": [{"manager": "kubectl"}]},
                           "spec": {}});
        let mut wrapped: Kube<HttpRoute> = serde_json::from_value(route.clone()).unwrap();
        assert_eq!(serde_json::to_value(&wrapped).unwrap(), route);
        wrapped.meta_mut().managed_fields = None;
        let out = serde_json::to_value(&wrapped).unwrap();
        assert_eq!(out["metadata"], json!({"name": "r", "namespace": "a"}));
        let object = wrapped.into_object().unwrap();
        assert_eq!(object.metadata.managed_fields, None);
        assert_eq!(object.metadata.name(), "r");
    }

    #[test]
    fn secret_values_never_enter_the_wrapper() {
        let secret = json!({"metadata": {"name": "s", "namespace": "a"},
                            "data": {"tls.crt": "c2VjcmV0"}});
        let wrapped: Kube<Secret> = serde_json::from_value(secret).unwrap();
        let out = serde_json::to_string(&wrapped).unwrap();
        assert!(!out.contains("c2VjcmV0"), "{out}");
    }

    #[test]
    fn malformed_owner_references_are_an_error_not_a_panic() {
        let route = json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                           "metadata": {"name": "r", "ownerReferences": [{"name": 3}]},
                           "spec": {}});
        let err = serde_json::from_value::<Kube<HttpRoute>>(route).unwrap_err();
        assert!(
            err.to_string().contains("metadata does not convert"),
            "{err}"
        );
    }
}
