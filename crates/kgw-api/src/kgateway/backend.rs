//! kgateway `Backend` (`gateway.kgateway.dev/v1alpha1`): a routable destination that is not a
//! Kubernetes Service — static hosts, AWS Lambda or EC2, GCP, a dynamic forward proxy, or
//! priority groups of static Backends.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::defaults::{ApplyDefaults, default_to};
use crate::k8s::LocalObjectReference;
use crate::meta::{Condition, ConditionStatus, ObjectMeta};
use crate::resource::impl_resource;

/// Default of `spec.aws.region`.
pub const DEFAULT_AWS_REGION: &str = "us-east-1";
/// Default of `spec.aws.lambda.qualifier`.
pub const DEFAULT_LAMBDA_QUALIFIER: &str = "$LATEST";
/// Default of `spec.aws.ec2.port`.
pub const DEFAULT_EC2_PORT: i32 = 80;

/// A kgateway `Backend`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Backend {
    /// `gateway.kgateway.dev/v1alpha1`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// `Backend`.
    pub kind: String,
    /// Object metadata.
    pub metadata: ObjectMeta,
    /// Desired state.
    pub spec: BackendSpec,
    /// Observed state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<BackendStatus>,
}

impl_resource!(
    Backend,
    group = "gateway.kgateway.dev",
    kind = "Backend",
    versions = ["v1alpha1"],
    namespaced = true
);

impl ApplyDefaults for Backend {
    fn apply_defaults(&mut self, namespace: &str) {
        self.spec.apply_defaults(namespace);
    }
}

// === BackendSpec ===

/// `spec` of a [`Backend`]: exactly one member (`aws`, `static`, `dynamicForwardProxy`, `gcp`,
/// `priorityGroups`) must be set; the deprecated `type`, when present, must name it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct BackendSpec {
    /// Deprecated backend type; the type is inferred from the member that is set.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<BackendType>,
    /// AWS backend (Lambda or EC2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws: Option<AwsBackend>,
    /// Static hosts.
    #[serde(rename = "static", default, skip_serializing_if = "Option::is_none")]
    pub static_: Option<StaticBackend>,
    /// Dynamic forward proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic_forward_proxy: Option<DynamicForwardProxyBackend>,
    /// GCP backend (Cloud Run and friends).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gcp: Option<GcpBackend>,
    /// Ordered failover groups of static Backends (experimental; 1..16 groups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_groups: Option<Vec<PriorityGroup>>,
}

impl BackendSpec {
    /// The members that are set, in CRD order (`aws`, `static`, `dynamicForwardProxy`, `gcp`,
    /// `priorityGroups`). A valid spec yields exactly one.
    pub fn members(&self) -> impl Iterator<Item = BackendType> {
        [
            (self.aws.is_some(), BackendType::Aws),
            (self.static_.is_some(), BackendType::Static),
            (
                self.dynamic_forward_proxy.is_some(),
                BackendType::DynamicForwardProxy,
            ),
            (self.gcp.is_some(), BackendType::Gcp),
            (self.priority_groups.is_some(), BackendType::PriorityGroups),
        ]
        .into_iter()
        .filter_map(|(set, ty)| set.then_some(ty))
    }

    /// The member that is set, when exactly one is.
    pub fn member(&self) -> Option<BackendType> {
        let mut members = self.members();
        match (members.next(), members.next()) {
            (Some(only), None) => Some(only),
            _ => None,
        }
    }

    /// Whether the deprecated `type` (if present) names a member that is set, which is what the
    /// CRD's `type`-consistency rules require.
    pub fn type_is_consistent(&self) -> bool {
        self.type_.is_none_or(|t| self.members().any(|m| m == t))
    }
}

impl ApplyDefaults for BackendSpec {
    fn apply_defaults(&mut self, namespace: &str) {
        self.aws.apply_defaults(namespace);
        self.priority_groups.apply_defaults(namespace);
    }
}

/// The deprecated `spec.type` of a [`Backend`], also used to name the member that is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum BackendType {
    /// `aws`.
    #[serde(rename = "AWS")]
    Aws,
    /// `static`.
    Static,
    /// `dynamicForwardProxy`.
    DynamicForwardProxy,
    /// `gcp`.
    #[serde(rename = "GCP")]
    Gcp,
    /// `priorityGroups`.
    PriorityGroups,
}

impl BackendType {
    /// The value as written in `spec.type` (`AWS`, `Static`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aws => "AWS",
            Self::Static => "Static",
            Self::DynamicForwardProxy => "DynamicForwardProxy",
            Self::Gcp => "GCP",
            Self::PriorityGroups => "PriorityGroups",
        }
    }

    /// The name of the `spec` field holding this member (`aws`, `static`, …).
    pub fn field_name(self) -> &'static str {
        match self {
            Self::Aws => "aws",
            Self::Static => "static",
            Self::DynamicForwardProxy => "dynamicForwardProxy",
            Self::Gcp => "gcp",
            Self::PriorityGroups => "priorityGroups",
        }
    }
}

impl fmt::Display for BackendType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// === static ===

/// `spec.static`: a fixed list of hosts, all endpoints of one cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct StaticBackend {
    /// Hosts (at least one).
    pub hosts: Vec<StaticHost>,
    /// Application protocol spoken to the hosts; HTTP/1.1 when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<StaticAppProtocol>,
}

/// One host of a [`StaticBackend`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct StaticHost {
    /// IP literal or DNS name.
    pub host: String,
    /// Port; the CRD sets no range, kgateway rejects `0` at translation.
    pub port: i32,
}

/// `spec.static.appProtocol`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum StaticAppProtocol {
    /// HTTP/2.
    #[serde(rename = "http2")]
    Http2,
    /// gRPC (HTTP/2).
    #[serde(rename = "grpc")]
    Grpc,
    /// gRPC-Web (HTTP/2 upstream).
    #[serde(rename = "grpc-web")]
    GrpcWeb,
    /// Cleartext HTTP/2.
    #[serde(rename = "kubernetes.io/h2c")]
    KubernetesH2c,
    /// WebSocket: the route allows `websocket` upgrades.
    #[serde(rename = "kubernetes.io/ws")]
    KubernetesWs,
}

impl StaticAppProtocol {
    /// The value as written in the CRD.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http2 => "http2",
            Self::Grpc => "grpc",
            Self::GrpcWeb => "grpc-web",
            Self::KubernetesH2c => "kubernetes.io/h2c",
            Self::KubernetesWs => "kubernetes.io/ws",
        }
    }

    /// Whether kgateway speaks HTTP/2 upstream for this protocol (all but `kubernetes.io/ws`).
    pub fn is_http2(self) -> bool {
        !matches!(self, Self::KubernetesWs)
    }
}

// === aws ===

/// `spec.aws`: an AWS Lambda function or EC2 instances (exactly one of `lambda`, `ec2`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct AwsBackend {
    /// Lambda function.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda: Option<AwsLambda>,
    /// EC2 instance discovery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ec2: Option<AwsEc2>,
    /// Deprecated account id; `lambda.accountId` wins when both are set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Explicit credentials; the Envoy default credential chain when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<AwsAuth>,
    /// AWS region; defaults to `us-east-1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

impl AwsBackend {
    /// The account id used for Lambda ARNs: `lambda.accountId`, else the deprecated
    /// `aws.accountId`.
    pub fn effective_account_id(&self) -> Option<&str> {
        self.lambda
            .as_ref()
            .and_then(|l| l.account_id.as_deref())
            .or(self.account_id.as_deref())
    }

    /// `region`, or `us-east-1` when unset.
    pub fn effective_region(&self) -> &str {
        self.region.as_deref().unwrap_or(DEFAULT_AWS_REGION)
    }

    /// The Lambda function ARN kgateway builds:
    /// `arn:aws:lambda:<region>:<accountId>:function:<functionName>:<qualifier>`.
    /// `None` when this is not a Lambda backend or no account id is set.
    pub fn lambda_arn(&self) -> Option<String> {
        let lambda = self.lambda.as_ref()?;
        let account = self.effective_account_id()?;
        Some(format!(
            "arn:aws:lambda:{}:{}:function:{}:{}",
            self.effective_region(),
            account,
            lambda.function_name,
            lambda.effective_qualifier()
        ))
    }
}

impl ApplyDefaults for AwsBackend {
    fn apply_defaults(&mut self, namespace: &str) {
        default_to(&mut self.region, || DEFAULT_AWS_REGION.to_owned());
        self.lambda.apply_defaults(namespace);
        self.ec2.apply_defaults(namespace);
        self.auth.apply_defaults(namespace);
    }
}

/// `spec.aws.auth`: how requests (Lambda) or discovery calls (EC2) are signed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct AwsAuth {
    /// Authentication method.
    #[serde(rename = "type")]
    pub type_: AwsAuthType,
    /// Secret in the Backend's namespace with keys `accessKey`, `secretKey` and optionally
    /// `sessionToken`; set iff `type` is `Secret`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<LocalObjectReference>,
    /// Role to assume from the ambient identity; set iff `type` is `AssumeRole`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assume_role: Option<AwsAssumeRole>,
}

impl ApplyDefaults for AwsAuth {
    fn apply_defaults(&mut self, namespace: &str) {
        self.secret_ref.apply_defaults(namespace);
    }
}

/// `spec.aws.auth.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum AwsAuthType {
    /// Static credentials from a Secret.
    Secret,
    /// STS role chaining from the ambient identity.
    AssumeRole,
}

/// `spec.aws.auth.assumeRole`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct AwsAssumeRole {
    /// ARN of the IAM role to assume (`arn:aws:iam::<account>:role/<name>`).
    pub role_arn: String,
}

/// `spec.aws.lambda`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct AwsLambda {
    /// Function name.
    pub function_name: String,
    /// Account id (preferred over the deprecated `aws.accountId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Lambda endpoint URL (`http(s)://host:port`); the regional endpoint when unset.
    #[serde(
        rename = "endpointURL",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub endpoint_url: Option<String>,
    /// `Sync` (default) or `Async`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_mode: Option<LambdaInvocationMode>,
    /// Version, alias or `$LATEST` (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<String>,
    /// `Envoy` (default: wrap the HTTP request as JSON) or `None` (pass the body through).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_transform_mode: Option<LambdaPayloadTransformMode>,
}

impl AwsLambda {
    /// `qualifier`, or `$LATEST` when unset.
    pub fn effective_qualifier(&self) -> &str {
        self.qualifier
            .as_deref()
            .unwrap_or(DEFAULT_LAMBDA_QUALIFIER)
    }

    /// `invocationMode`, or `Sync` when unset.
    pub fn effective_invocation_mode(&self) -> LambdaInvocationMode {
        self.invocation_mode.unwrap_or_default()
    }

    /// `payloadTransformMode`, or `Envoy` when unset.
    pub fn effective_payload_transform_mode(&self) -> LambdaPayloadTransformMode {
        self.payload_transform_mode.unwrap_or_default()
    }
}

impl ApplyDefaults for AwsLambda {
    fn apply_defaults(&mut self, _namespace: &str) {
        default_to(&mut self.invocation_mode, LambdaInvocationMode::default);
        default_to(&mut self.qualifier, || DEFAULT_LAMBDA_QUALIFIER.to_owned());
        default_to(
            &mut self.payload_transform_mode,
            LambdaPayloadTransformMode::default,
        );
    }
}

/// `spec.aws.lambda.invocationMode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum LambdaInvocationMode {
    /// `RequestResponse` invocation (the default).
    #[default]
    Sync,
    /// `Event` invocation; Lambda answers 202 with an empty body.
    Async,
}

/// `spec.aws.lambda.payloadTransformMode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum LambdaPayloadTransformMode {
    /// Body passed through untouched, Lambda output returned raw.
    None,
    /// Envoy's JSON request wrapper and response unwrapping (the default).
    #[default]
    Envoy,
}

/// `spec.aws.ec2`: endpoints discovered from running EC2 instances.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct AwsEc2 {
    /// Port of the discovered instances; defaults to 80.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    /// `PrivateIP` (default) or `PublicIP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_type: Option<Ec2AddressType>,
    /// Tag filters, ANDed; empty or unset selects every running instance in the region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Vec<AwsTagFilter>>,
}

impl AwsEc2 {
    /// `port`, or 80 when unset.
    pub fn effective_port(&self) -> i32 {
        self.port.unwrap_or(DEFAULT_EC2_PORT)
    }

    /// `addressType`, or `PrivateIP` when unset.
    pub fn effective_address_type(&self) -> Ec2AddressType {
        self.address_type.unwrap_or_default()
    }
}

impl ApplyDefaults for AwsEc2 {
    fn apply_defaults(&mut self, _namespace: &str) {
        default_to(&mut self.port, || DEFAULT_EC2_PORT);
        default_to(&mut self.address_type, Ec2AddressType::default);
    }
}

/// `spec.aws.ec2.addressType`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Ec2AddressType {
    /// The instance's private IP (the default).
    #[default]
    PrivateIP,
    /// The instance's public IP.
    PublicIP,
}

/// One EC2 tag filter: exactly one of `key`, `keyValue`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct AwsTagFilter {
    /// Instances carrying this tag key, whatever its value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Instances carrying this tag key with this value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_value: Option<AwsTagKeyValue>,
}

/// A tag key/value pair of an [`AwsTagFilter`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct AwsTagKeyValue {
    /// Tag key.
    pub key: String,
    /// Tag value.
    pub value: String,
}

// === dynamicForwardProxy, gcp, priorityGroups ===

/// `spec.dynamicForwardProxy`: the upstream is taken from the request's host.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct DynamicForwardProxyBackend {
    /// Upstream TLS with the system CA bundle (SNI and SAN check from the hostname).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_tls: Option<bool>,
}

/// `spec.gcp`: a GCP service reached over TLS with a GCP identity token.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct GcpBackend {
    /// Target host, also used as SNI.
    pub host: String,
    /// Token audience; `https://{host}` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
}

impl GcpBackend {
    /// `audience`, or `https://{host}` when unset.
    pub fn effective_audience(&self) -> String {
        self.audience
            .clone()
            .unwrap_or_else(|| format!("https://{}", self.host))
    }
}

/// One failover level of `spec.priorityGroups` (experimental).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct PriorityGroup {
    /// Static Backends in the same namespace (1..16, unique names).
    pub backend_refs: Vec<LocalObjectReference>,
}

impl ApplyDefaults for PriorityGroup {
    fn apply_defaults(&mut self, namespace: &str) {
        self.backend_refs.apply_defaults(namespace);
    }
}

// === status ===

/// `status` of a [`Backend`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct BackendStatus {
    /// Conditions (`Accepted`, `EndpointsDiscovered`), at most 8, unique by type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<Condition>>,
}

impl BackendStatus {
    /// The condition of type `ty`, if present.
    pub fn condition(&self, ty: BackendConditionType) -> Option<&Condition> {
        self.conditions
            .iter()
            .flatten()
            .find(|c| c.type_ == ty.as_str())
    }
}

/// Condition types a [`Backend`]'s status carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum BackendConditionType {
    /// Whether the Backend translated without error.
    Accepted,
    /// Whether runtime discovery (EC2) found endpoints.
    EndpointsDiscovered,
}

impl BackendConditionType {
    /// The condition type string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "Accepted",
            Self::EndpointsDiscovered => "EndpointsDiscovered",
        }
    }
}

impl fmt::Display for BackendConditionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reasons of the `Accepted` condition of a [`Backend`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum BackendAcceptedReason {
    /// `True`: message `Backend accepted`.
    Accepted,
    /// `False`: the Backend has errors.
    Invalid,
}

impl BackendAcceptedReason {
    /// The reason string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "Accepted",
            Self::Invalid => "Invalid",
        }
    }

    /// The condition status this reason goes with.
    pub fn status(self) -> ConditionStatus {
        match self {
            Self::Accepted => ConditionStatus::True,
            Self::Invalid => ConditionStatus::False,
        }
    }

    /// kgateway's message for a Backend with these translation errors: `Backend accepted` for
    /// none, `Backend error: "<err>"` for one, `Backend has N errors: "<e1>" "<e2>"` for several
    /// (errors quoted with escapes, like Go's `%q`).
    pub fn message<S: AsRef<str>>(errors: &[S]) -> Cow<'static, str> {
        match errors {
            [] => Cow::Borrowed("Backend accepted"),
            [one] => format!("Backend error: {:?}", one.as_ref()).into(),
            many => {
                let quoted: Vec<String> =
                    many.iter().map(|e| format!("{:?}", e.as_ref())).collect();
                format!("Backend has {} errors: {}", many.len(), quoted.join(" ")).into()
            }
        }
    }
}

impl fmt::Display for BackendAcceptedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reasons of the `EndpointsDiscovered` condition (EC2 discovery).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum EndpointsDiscoveredReason {
    /// `True`: endpoints were found.
    Discovered,
    /// `False`: no running instance matches the filters.
    NoMatchingInstances,
    /// `False`: credentials could not be obtained.
    CredentialError,
    /// `False`: the identity may not list instances.
    AuthorizationError,
    /// `False`: discovery failed otherwise.
    DiscoveryError,
    /// `False`: the last poll failed; previous endpoints are still served.
    Degraded,
}

impl EndpointsDiscoveredReason {
    /// The reason string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Discovered => "Discovered",
            Self::NoMatchingInstances => "NoMatchingInstances",
            Self::CredentialError => "CredentialError",
            Self::AuthorizationError => "AuthorizationError",
            Self::DiscoveryError => "DiscoveryError",
            Self::Degraded => "Degraded",
        }
    }

    /// The condition status this reason goes with.
    pub fn status(self) -> ConditionStatus {
        match self {
            Self::Discovered => ConditionStatus::True,
            _ => ConditionStatus::False,
        }
    }
}

impl fmt::Display for EndpointsDiscoveredReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::Resource;

    use crate::kgateway::examples::ALL as EXAMPLES;

    /// Loads every `Backend` document of an example, checking that no field is unknown.
    fn backends(file: &str) -> Vec<Backend> {
        let yaml = EXAMPLES.iter().find(|(f, _)| *f == file).unwrap().1;
        serde_saphyr::from_multiple::<serde_json::Value>(yaml)
            .unwrap()
            .into_iter()
            .filter(|d| d["kind"] == "Backend")
            .map(|d| {
                let mut unknown = Vec::new();
                let b: Backend =
                    serde_ignored::deserialize(d, |p| unknown.push(p.to_string())).unwrap();
                assert!(unknown.is_empty(), "{file}: unknown fields {unknown:?}");
                b
            })
            .collect()
    }

    fn roundtrip(b: &Backend) {
        let json = serde_json::to_value(b).unwrap();
        assert_eq!(&serde_json::from_value::<Backend>(json).unwrap(), b);
        let yaml = serde_saphyr::to_string(b).unwrap();
        assert_eq!(&serde_saphyr::from_str::<Backend>(&yaml).unwrap(), b);
    }

    fn defaulted(b: &Backend) -> Backend {
        let mut once = b.clone();
        once.apply_defaults("ns");
        let mut twice = once.clone();
        twice.apply_defaults("ns");
        assert_eq!(once, twice, "defaults are idempotent");
        once
    }

    #[test]
    fn every_example_backend_loads() {
        let mut total = 0;
        for (file, _) in EXAMPLES {
            for b in backends(file) {
                assert_eq!(b.api_version, "gateway.kgateway.dev/v1alpha1");
                assert!(b.spec.member().is_some(), "{file}");
                assert!(b.spec.type_is_consistent(), "{file}");
                roundtrip(&b);
                roundtrip(&defaulted(&b));
                total += 1;
            }
        }
        assert_eq!(total, EXAMPLES.len());
    }

    #[test]
    fn static_http_example() {
        let [b] = <[Backend; 1]>::try_from(backends("static-http.yaml")).unwrap();
        assert_eq!(b.metadata.name(), "json-backend");
        assert_eq!(b.metadata.namespace, None);
        assert_eq!(b.spec.type_, Some(BackendType::Static));
        assert_eq!(
            b.spec.members().collect::<Vec<_>>(),
            vec![BackendType::Static]
        );
        let s = b.spec.static_.as_ref().unwrap();
        assert_eq!(
            s.hosts,
            vec![StaticHost {
                host: "jsonplaceholder.typicode.com".into(),
                port: 80
            }]
        );
        assert_eq!(s.app_protocol, None);
        assert_eq!(defaulted(&b), b, "static backends have no defaults");
        assert_eq!(
            b.object_ref().to_string(),
            "Backend.gateway.kgateway.dev json-backend"
        );
        let https = &backends("static-https-backendconfigpolicy.yaml")[0];
        assert_eq!(https.spec.static_.as_ref().unwrap().hosts[0].port, 443);
        assert_eq!(backends("static-https-backendtlspolicy.yaml")[0], *https);
    }

    #[test]
    fn lambda_secret_example_and_defaults() {
        let [b] = <[Backend; 1]>::try_from(backends("lambda-creds-secret.yaml")).unwrap();
        assert_eq!(b.metadata.namespace(), "kgateway-system");
        assert_eq!(b.spec.member(), Some(BackendType::Aws));
        let aws = b.spec.aws.as_ref().unwrap();
        assert_eq!(aws.region.as_deref(), Some("us-east-1"));
        assert_eq!(aws.account_id.as_deref(), Some("111122223333"));
        assert_eq!(aws.effective_account_id(), Some("111122223333"));
        let auth = aws.auth.as_ref().unwrap();
        assert_eq!(auth.type_, AwsAuthType::Secret);
        assert_eq!(auth.secret_ref.as_ref().unwrap().name(), "aws-creds");
        assert_eq!(auth.assume_role, None);
        let lambda = aws.lambda.as_ref().unwrap();
        assert_eq!(lambda.function_name, "echo");
        assert_eq!(lambda.qualifier, None);
        assert_eq!(lambda.invocation_mode, None);
        assert_eq!(
            aws.lambda_arn().as_deref(),
            Some("arn:aws:lambda:us-east-1:111122223333:function:echo:$LATEST")
        );

        let d = defaulted(&b);
        let lambda = d.spec.aws.as_ref().unwrap().lambda.as_ref().unwrap();
        assert_eq!(lambda.qualifier.as_deref(), Some("$LATEST"));
        assert_eq!(lambda.invocation_mode, Some(LambdaInvocationMode::Sync));
        assert_eq!(
            lambda.payload_transform_mode,
            Some(LambdaPayloadTransformMode::Envoy)
        );
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["spec"]["aws"]["lambda"]["qualifier"], "$LATEST");
        assert_eq!(
            json["spec"]["aws"]["lambda"]["payloadTransformMode"],
            "Envoy"
        );
        assert_eq!(json["spec"]["type"], "AWS");
    }

    #[test]
    fn lambda_service_account_examples() {
        let [single] =
            <[Backend; 1]>::try_from(backends("lambda-service-accounts-single-role.yaml")).unwrap();
        assert_eq!(single.spec.aws.as_ref().unwrap().auth, None);
        let [chain] =
            <[Backend; 1]>::try_from(backends("lambda-service-accounts-role-chaining.yaml"))
                .unwrap();
        let auth = chain.spec.aws.as_ref().unwrap().auth.as_ref().unwrap();
        assert_eq!(auth.type_, AwsAuthType::AssumeRole);
        assert_eq!(auth.secret_ref, None);
        assert_eq!(
            auth.assume_role.as_ref().unwrap().role_arn,
            "arn:aws:iam::444455556666:role/lambda-invoke-role"
        );
    }

    fn spec(json: &str) -> BackendSpec {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn account_region_and_arn_accessors() {
        let aws: AwsBackend = serde_json::from_str(
            r#"{"accountId":"111111111111","region":"eu-west-1",
                "lambda":{"functionName":"f","accountId":"222222222222","qualifier":"7"}}"#,
        )
        .unwrap();
        assert_eq!(aws.effective_account_id(), Some("222222222222"));
        assert_eq!(aws.effective_region(), "eu-west-1");
        assert_eq!(
            aws.lambda_arn().unwrap(),
            "arn:aws:lambda:eu-west-1:222222222222:function:f:7"
        );
        let bare: AwsBackend = serde_json::from_str(r#"{"lambda":{"functionName":"f"}}"#).unwrap();
        assert_eq!(bare.effective_account_id(), None);
        assert_eq!(bare.effective_region(), "us-east-1");
        assert_eq!(bare.lambda_arn(), None);
        let ec2: AwsBackend = serde_json::from_str(r#"{"ec2":{},"accountId":"1"}"#).unwrap();
        assert_eq!(ec2.lambda_arn(), None);
        assert_eq!(ec2.effective_account_id(), Some("1"));
    }

    #[test]
    fn ec2_defaults_and_filters() {
        let mut s = spec(
            r#"{"aws":{"ec2":{"filters":[{"key":"team"},{"keyValue":{"key":"env","value":"prod"}}]},
                        "auth":{"type":"Secret","secretRef":{}}}}"#,
        );
        let ec2 = s.aws.as_ref().unwrap().ec2.as_ref().unwrap();
        assert_eq!(ec2.port, None);
        assert_eq!(ec2.effective_port(), 80);
        assert_eq!(ec2.effective_address_type(), Ec2AddressType::PrivateIP);
        assert_eq!(
            ec2.filters.as_ref().unwrap()[1]
                .key_value
                .as_ref()
                .unwrap()
                .value,
            "prod"
        );
        s.apply_defaults("ns");
        let aws = s.aws.as_ref().unwrap();
        assert_eq!(aws.region.as_deref(), Some("us-east-1"));
        assert_eq!(aws.ec2.as_ref().unwrap().port, Some(80));
        assert_eq!(
            aws.ec2.as_ref().unwrap().address_type,
            Some(Ec2AddressType::PrivateIP)
        );
        assert_eq!(
            aws.auth
                .as_ref()
                .unwrap()
                .secret_ref
                .as_ref()
                .unwrap()
                .name
                .as_deref(),
            Some("")
        );
        let once = s.clone();
        s.apply_defaults("ns");
        assert_eq!(s, once);

        let explicit =
            spec(r#"{"aws":{"region":"ap-south-1","ec2":{"port":8080,"addressType":"PublicIP"}}}"#);
        let mut d = explicit.clone();
        d.apply_defaults("ns");
        assert_eq!(
            d.aws.as_ref().unwrap().region.as_deref(),
            Some("ap-south-1")
        );
        assert_eq!(
            d.aws.as_ref().unwrap().ec2,
            explicit.aws.as_ref().unwrap().ec2
        );
    }

    #[test]
    fn members_and_type_consistency() {
        let none = spec("{}");
        assert_eq!(none.members().count(), 0);
        assert_eq!(none.member(), None);
        assert!(none.type_is_consistent());

        let two = spec(r#"{"static":{"hosts":[{"host":"a","port":1}]},"gcp":{"host":"g"}}"#);
        assert_eq!(
            two.members().collect::<Vec<_>>(),
            vec![BackendType::Static, BackendType::Gcp]
        );
        assert_eq!(two.member(), None);

        let mismatch = spec(r#"{"type":"AWS","static":{"hosts":[{"host":"a","port":1}]}}"#);
        assert_eq!(mismatch.member(), Some(BackendType::Static));
        assert!(!mismatch.type_is_consistent());

        let all = spec(
            r#"{"type":"PriorityGroups","aws":{"lambda":{"functionName":"f"}},
                "static":{"hosts":[{"host":"a","port":1}]},"dynamicForwardProxy":{},
                "gcp":{"host":"g"},"priorityGroups":[{"backendRefs":[{"name":"a"}]}]}"#,
        );
        assert_eq!(all.members().count(), 5);
        assert!(all.type_is_consistent());
        for (ty, field) in [
            (BackendType::Aws, "aws"),
            (BackendType::Static, "static"),
            (BackendType::DynamicForwardProxy, "dynamicForwardProxy"),
            (BackendType::Gcp, "gcp"),
            (BackendType::PriorityGroups, "priorityGroups"),
        ] {
            assert_eq!(ty.field_name(), field);
            assert_eq!(serde_json::to_value(ty).unwrap(), ty.as_str());
        }
    }

    #[test]
    fn port_zero_and_negative_ports_load() {
        let s = spec(r#"{"static":{"hosts":[{"host":"a","port":0},{"host":"b","port":-1}]}}"#);
        let hosts = &s.static_.as_ref().unwrap().hosts;
        assert_eq!((hosts[0].port, hosts[1].port), (0, -1));
    }

    #[test]
    fn app_protocols_use_crd_names() {
        for p in [
            StaticAppProtocol::Http2,
            StaticAppProtocol::Grpc,
            StaticAppProtocol::GrpcWeb,
            StaticAppProtocol::KubernetesH2c,
            StaticAppProtocol::KubernetesWs,
        ] {
            let json = serde_json::to_value(p).unwrap();
            assert_eq!(json, p.as_str());
            assert_eq!(
                serde_json::from_value::<StaticAppProtocol>(json).unwrap(),
                p
            );
        }
        assert!(StaticAppProtocol::KubernetesH2c.is_http2());
        assert!(!StaticAppProtocol::KubernetesWs.is_http2());
    }

    #[test]
    fn gcp_dfp_priority_groups() {
        let mut s = spec(
            r#"{"gcp":{"host":"svc.run.app"},"dynamicForwardProxy":{"enableTls":true},
                "priorityGroups":[{"backendRefs":[{"name":"a"},{}]}]}"#,
        );
        assert_eq!(
            s.gcp.as_ref().unwrap().effective_audience(),
            "https://svc.run.app"
        );
        assert_eq!(
            s.dynamic_forward_proxy.as_ref().unwrap().enable_tls,
            Some(true)
        );
        s.apply_defaults("ns");
        let refs = &s.priority_groups.as_ref().unwrap()[0].backend_refs;
        assert_eq!(refs[1].name.as_deref(), Some(""));
        assert_eq!(
            s.gcp.as_ref().unwrap().audience,
            None,
            "audience is not a CRD default"
        );
    }

    #[test]
    fn status_conditions_and_reasons() {
        let b: Backend = serde_saphyr::from_str(
            r#"
apiVersion: gateway.kgateway.dev/v1alpha1
kind: Backend
metadata: {name: b, namespace: ns}
spec:
  aws:
    ec2: {}
status:
  conditions:
  - type: Accepted
    status: "False"
    reason: Invalid
    message: 'Backend error: "Secret ns/s not found"'
    lastTransitionTime: "2025-01-01T00:00:00Z"
  - type: EndpointsDiscovered
    status: "False"
    reason: Degraded
    message: poll failed
    lastTransitionTime: "2025-01-01T00:00:00Z"
"#,
        )
        .unwrap();
        let status = b.status.as_ref().unwrap();
        let accepted = status.condition(BackendConditionType::Accepted).unwrap();
        assert_eq!(accepted.reason, BackendAcceptedReason::Invalid.as_str());
        assert_eq!(accepted.status, BackendAcceptedReason::Invalid.status());
        let discovered = status
            .condition(BackendConditionType::EndpointsDiscovered)
            .unwrap();
        assert_eq!(
            discovered.reason,
            EndpointsDiscoveredReason::Degraded.to_string()
        );
        assert_eq!(
            EndpointsDiscoveredReason::Discovered.status(),
            ConditionStatus::True
        );
        roundtrip(&b);
    }

    #[test]
    fn accepted_messages() {
        assert_eq!(
            BackendAcceptedReason::message::<&str>(&[]),
            "Backend accepted"
        );
        assert_eq!(
            BackendAcceptedReason::message(&["Secret kgateway-base/lambda-secret not found"]),
            r#"Backend error: "Secret kgateway-base/lambda-secret not found""#
        );
        assert_eq!(
            BackendAcceptedReason::message(&["a\nb", "c"]),
            r#"Backend has 2 errors: "a\nb" "c""#
        );
    }
}
