//! kgateway kinds (`gateway.kgateway.dev`): [`Backend`] and [`BackendConfigPolicy`], both
//! `v1alpha1`, typed field for field after the kgateway 2.5-line CRDs.
//!
//! References by name only (`aws.auth.secretRef`, `priorityGroups[].backendRefs[]`,
//! `tls.secretRef`) use the core [`LocalObjectReference`](crate::k8s::LocalObjectReference).

pub mod backend;
pub mod backend_config_policy;
#[cfg(test)]
pub(crate) mod examples;

/// API group of the kgateway kinds.
pub const GROUP: &str = "gateway.kgateway.dev";

pub use backend::{
    AwsAssumeRole, AwsAuth, AwsAuthType, AwsBackend, AwsEc2, AwsLambda, AwsTagFilter,
    AwsTagKeyValue, Backend, BackendAcceptedReason, BackendConditionType, BackendSpec,
    BackendStatus, BackendType, DynamicForwardProxyBackend, Ec2AddressType,
    EndpointsDiscoveredReason, GcpBackend, LambdaInvocationMode, LambdaPayloadTransformMode,
    PriorityGroup, StaticAppProtocol, StaticBackend, StaticHost,
};
pub use backend_config_policy::{
    BackendConfigPolicy, BackendConfigPolicySpec, BackendTls, LocalPolicyTargetReference,
    LocalPolicyTargetSelector,
};
