//! Gateway API kinds (`gateway.networking.k8s.io`, v1.6.1).
//!
//! The types mirror the upstream CRDs field for field: the standard channel for every kind, plus
//! the fields the experimental HTTPRoute CRD adds (retry, session persistence, ExternalAuth,
//! `useDefaultGateways`) so that experimental manifests load. Loading keeps what a manifest says;
//! [`crate::defaults::ApplyDefaults`] fills in the CRD defaults.

/// Defines a string enum whose serde names are exactly the API strings, with `as_str()`,
/// `Display` and `ALL`, so each enum states its strings once.
macro_rules! str_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $s:tt, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $s)] $variant, )+
        }

        impl $name {
            /// Every value, in the order the API lists them.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The exact string the API uses for this value.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $s,)+
                }
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod backendtlspolicy;
pub mod common;
pub mod conditions;
// The brief names the file after the kind, like its siblings.
#[allow(clippy::module_inception)]
pub mod gateway;
pub mod gatewayclass;
pub mod grpcroute;
pub mod httproute;
pub mod referencegrant;

pub use backendtlspolicy::{BackendTlsPolicy, BackendTlsPolicySpec};
pub use common::{
    BackendObjectReference, Hostname, HttpHeader, HttpHeaderFilter, HttpHeaderMatch,
    LocalObjectReference, ObjectReference, ParentReference, PolicyAncestorStatus, PreciseHostname,
    RouteParentStatus, RouteStatus, SecretObjectReference, StringMatchType,
};
pub use conditions::{
    GatewayClassConditionReason, GatewayClassConditionType, GatewayConditionReason,
    GatewayConditionType, ListenerConditionReason, ListenerConditionType, PolicyConditionReason,
    PolicyConditionType, RouteConditionReason, RouteConditionType,
};
pub use gateway::{
    AllowedRoutes, FromNamespaces, Gateway, GatewaySpec, GatewayStatus, GatewayTlsConfig, Listener,
    ListenerStatus, RouteGroupKind, RouteNamespaces, TlsModeType,
};
pub use gatewayclass::{GatewayClass, GatewayClassSpec, GatewayClassStatus};
pub use grpcroute::{GrpcBackendRef, GrpcRoute, GrpcRouteFilter, GrpcRouteRule, GrpcRouteSpec};
pub use httproute::{
    HttpBackendRef, HttpCorsFilter, HttpMethod, HttpPathMatch, HttpPathModifier,
    HttpQueryParamMatch, HttpRequestMirrorFilter, HttpRequestRedirectFilter, HttpRoute,
    HttpRouteFilter, HttpRouteFilterType, HttpRouteMatch, HttpRouteRule, HttpRouteSpec,
    HttpUrlRewriteFilter, PathMatchType,
};
pub use referencegrant::{
    ReferenceGrant, ReferenceGrantFrom, ReferenceGrantSpec, ReferenceGrantTo,
};

/// The API group of every kind in this module.
pub const GROUP: &str = "gateway.networking.k8s.io";
