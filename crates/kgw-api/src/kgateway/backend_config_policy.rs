//! kgateway `BackendConfigPolicy` (`gateway.kgateway.dev/v1alpha1`): upstream connection
//! settings (TLS and SNI, timeouts, HTTP protocol options, load balancing, health checks,
//! circuit breakers, outlier detection, DNS, PROXY protocol) for Services and Backends.
//!
//! Every field of the CRD is typed. Durations stay strings as written (pattern
//! `^([0-9]{1,5}(h|m|s|ms)){1,4}$`, checked by validation); HTTP/2 window sizes are
//! [`IntOrString`] quantities.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::defaults::{ApplyDefaults, default_to};
use crate::gateway::common::PolicyStatus;
use crate::k8s::{IntOrString, LocalObjectReference};
use crate::meta::ObjectMeta;
use crate::resource::impl_resource;

/// A duration string such as `5s` or `1h30m` (pattern `^([0-9]{1,5}(h|m|s|ms)){1,4}$`).
pub type Duration = String;

/// A kgateway `BackendConfigPolicy`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct BackendConfigPolicy {
    /// `gateway.kgateway.dev/v1alpha1`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// `BackendConfigPolicy`.
    pub kind: String,
    /// Object metadata.
    pub metadata: ObjectMeta,
    /// Desired state.
    pub spec: BackendConfigPolicySpec,
    /// Observed state: one entry per ancestor (Gateway) the policy affects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<PolicyStatus>,
}

impl_resource!(
    BackendConfigPolicy,
    group = "gateway.kgateway.dev",
    kind = "BackendConfigPolicy",
    versions = ["v1alpha1"],
    namespaced = true
);

impl ApplyDefaults for BackendConfigPolicy {
    fn apply_defaults(&mut self, namespace: &str) {
        self.spec.apply_defaults(namespace);
        self.status.apply_defaults(namespace);
    }
}

// === spec ===

/// `spec` of a [`BackendConfigPolicy`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct BackendConfigPolicySpec {
    /// Targets in the policy's namespace (1..16): Services, Backends or Istio Hostnames.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_refs: Option<Vec<LocalPolicyTargetReference>>,
    /// Targets selected by labels in the policy's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_selectors: Option<Vec<LocalPolicyTargetSelector>>,
    /// Upstream connect timeout (Envoy's default 5s as set by kgateway when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_timeout: Option<Duration>,
    /// Soft limit on each connection's read and write buffers, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_connection_buffer_limit_bytes: Option<i32>,
    /// TCP keepalive of upstream connections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp_keepalive: Option<TcpKeepalive>,
    /// Options common to HTTP/1 and HTTP/2 upstream connections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_http_protocol_options: Option<CommonHttpProtocolOptions>,
    /// HTTP/1 options (at most one of `http1ProtocolOptions`, `http2ProtocolOptions`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http1_protocol_options: Option<Http1ProtocolOptions>,
    /// HTTP/2 options (at most one of `http1ProtocolOptions`, `http2ProtocolOptions`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http2_protocol_options: Option<Http2ProtocolOptions>,
    /// Upstream TLS (and SNI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<BackendTls>,
    /// Load balancing policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer: Option<LoadBalancer>,
    /// Active health checking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
    /// Circuit breaker thresholds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circuit_breakers: Option<CircuitBreakers>,
    /// Passive health checking (outlier ejection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outlier_detection: Option<OutlierDetection>,
    /// DNS refresh settings for DNS-resolved clusters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<DnsSettings>,
    /// PROXY protocol header on upstream connections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_proxy_protocol: Option<UpstreamProxyProtocol>,
}

impl BackendConfigPolicySpec {
    /// Whether a `targetRefs` entry names `group`/`kind`/`name` (selectors are not considered).
    pub fn targets(&self, group: &str, kind: &str, name: &str) -> bool {
        self.target_refs
            .iter()
            .flatten()
            .any(|r| r.group == group && r.kind == kind && r.name == name)
    }
}

impl ApplyDefaults for BackendConfigPolicySpec {
    fn apply_defaults(&mut self, namespace: &str) {
        self.tls.apply_defaults(namespace);
        self.load_balancer.apply_defaults(namespace);
        self.outlier_detection.apply_defaults(namespace);
        self.upstream_proxy_protocol.apply_defaults(namespace);
    }
}

/// A policy target in the policy's namespace (kgateway's `LocalPolicyTargetReference`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct LocalPolicyTargetReference {
    /// Group of the target (`""`, `gateway.kgateway.dev` or `networking.istio.io`).
    pub group: String,
    /// Kind of the target (`Service`, `Backend` or `Hostname`).
    pub kind: String,
    /// Name of the target.
    pub name: String,
}

/// Policy targets selected by labels (kgateway's `LocalPolicyTargetSelector`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct LocalPolicyTargetSelector {
    /// Group of the targets.
    pub group: String,
    /// Kind of the targets.
    pub kind: String,
    /// Labels the targets must carry.
    pub match_labels: BTreeMap<String, String>,
}

/// `spec.tcpKeepalive`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct TcpKeepalive {
    /// Unanswered probes before the connection is dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_alive_probes: Option<i32>,
    /// Idle time before the first probe (at least 1s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_alive_time: Option<Duration>,
    /// Time between probes (at least 1s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_alive_interval: Option<Duration>,
}

/// `spec.commonHttpProtocolOptions`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct CommonHttpProtocolOptions {
    /// Idle timeout of upstream connections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_timeout: Option<Duration>,
    /// Maximum number of response headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_headers_count: Option<i32>,
    /// Maximum stream duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_stream_duration: Option<Duration>,
    /// Maximum requests per upstream connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_requests_per_connection: Option<i32>,
}

/// `spec.http1ProtocolOptions`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Http1ProtocolOptions {
    /// Whether HTTP/1 trailers are processed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_trailers: Option<bool>,
    /// Whether header case is preserved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preserve_http1_header_case: Option<bool>,
    /// Whether an invalid HTTP message resets only the stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_stream_error_on_invalid_http_message: Option<bool>,
}

/// `spec.http2ProtocolOptions`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Http2ProtocolOptions {
    /// Initial stream window size (quantity, 65535..2147483647).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_stream_window_size: Option<IntOrString>,
    /// Initial connection window size (quantity, 65535..2147483647).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_connection_window_size: Option<IntOrString>,
    /// Maximum concurrent streams per connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent_streams: Option<i32>,
    /// Whether an invalid HTTP message resets only the stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_stream_error_on_invalid_http_message: Option<bool>,
    /// HTTP/2 PING keepalive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_keepalive: Option<Http2ConnectionKeepalive>,
}

/// `spec.http2ProtocolOptions.connectionKeepalive`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Http2ConnectionKeepalive {
    /// Interval between PINGs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<Duration>,
    /// Time to wait for a PING response before closing the connection.
    pub timeout: Duration,
    /// Idle time after which a PING is sent before a new stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_idle_interval: Option<Duration>,
}

// === tls ===

/// `spec.tls`: upstream TLS. Exactly one of `secretRef`, `files`, `insecureSkipVerify`,
/// `wellKnownCACertificates` must be set. SNI is exactly `sni` (never derived from the host).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct BackendTls {
    /// Secret in the policy's namespace with `tls.crt`, `tls.key` and/or `ca.crt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<LocalObjectReference>,
    /// Certificate files on the proxy's filesystem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<TlsFiles>,
    /// Well-known CA bundle: `System`, or a vendor-prefixed name.
    #[serde(
        rename = "wellKnownCACertificates",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub well_known_ca_certificates: Option<String>,
    /// Skip verification of the upstream certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure_skip_verify: Option<bool>,
    /// Server name sent as SNI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sni: Option<String>,
    /// Subject alternative names the upstream certificate must carry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_subject_alt_names: Option<Vec<String>>,
    /// TLS versions, cipher suites, curves and signature algorithms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<TlsParameters>,
    /// ALPN protocols offered upstream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpn_protocols: Option<Vec<String>>,
    /// Whether server-initiated renegotiation is allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_renegotiation: Option<bool>,
    /// Whether only the server is verified (no client certificate is presented) even when the
    /// secret has a certificate and key.
    #[serde(rename = "simpleTLS", default, skip_serializing_if = "Option::is_none")]
    pub simple_tls: Option<bool>,
}

impl BackendTls {
    /// Whether the system CA bundle verifies the upstream (`wellKnownCACertificates: System`).
    pub fn uses_system_ca(&self) -> bool {
        self.well_known_ca_certificates.as_deref() == Some("System")
    }

    /// The trust sources that are set, by CRD field name; the CRD requires exactly one.
    pub fn trust_sources(&self) -> impl Iterator<Item = &'static str> {
        [
            (self.secret_ref.is_some(), "secretRef"),
            (self.files.is_some(), "files"),
            (self.insecure_skip_verify.is_some(), "insecureSkipVerify"),
            (
                self.well_known_ca_certificates.is_some(),
                "wellKnownCACertificates",
            ),
        ]
        .into_iter()
        .filter_map(|(set, name)| set.then_some(name))
    }
}

impl ApplyDefaults for BackendTls {
    fn apply_defaults(&mut self, namespace: &str) {
        self.secret_ref.apply_defaults(namespace);
    }
}

/// `spec.tls.files`: PEM files on the proxy's filesystem (at least one set).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct TlsFiles {
    /// Client certificate chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_certificate: Option<String>,
    /// Client private key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<String>,
    /// CA bundle that verifies the upstream.
    #[serde(rename = "rootCA", default, skip_serializing_if = "Option::is_none")]
    pub root_ca: Option<String>,
}

/// `spec.tls.parameters`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct TlsParameters {
    /// Minimum TLS version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_version: Option<TlsVersion>,
    /// Maximum TLS version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_version: Option<TlsVersion>,
    /// Cipher suites (TLS 1.2 and below).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cipher_suites: Option<Vec<String>>,
    /// ECDH curves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecdh_curves: Option<Vec<String>>,
    /// Signature algorithms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_algorithms: Option<Vec<String>>,
}

/// A TLS protocol version of [`TlsParameters`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum TlsVersion {
    /// Envoy's choice.
    #[serde(rename = "AUTO")]
    Auto,
    /// TLS 1.0.
    #[serde(rename = "1.0")]
    Tls1_0,
    /// TLS 1.1.
    #[serde(rename = "1.1")]
    Tls1_1,
    /// TLS 1.2.
    #[serde(rename = "1.2")]
    Tls1_2,
    /// TLS 1.3.
    #[serde(rename = "1.3")]
    Tls1_3,
}

impl TlsVersion {
    /// The value as written in the CRD.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "AUTO",
            Self::Tls1_0 => "1.0",
            Self::Tls1_1 => "1.1",
            Self::Tls1_2 => "1.2",
            Self::Tls1_3 => "1.3",
        }
    }
}

impl fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// === loadBalancer ===

/// `spec.loadBalancer`: exactly one of `leastRequest`, `roundRobin`, `ringHash`, `maglev`,
/// `random`, plus common options.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancer {
    /// Percentage of healthy hosts below which panic mode starts (0..100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthy_panic_threshold: Option<i32>,
    /// Delay batching host set updates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_merge_window: Option<Duration>,
    /// Least-request balancing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub least_request: Option<LeastRequestLoadBalancer>,
    /// Round-robin balancing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round_robin: Option<RoundRobinLoadBalancer>,
    /// Ring-hash (consistent hashing) balancing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ring_hash: Option<RingHashLoadBalancer>,
    /// Maglev (consistent hashing) balancing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maglev: Option<MaglevLoadBalancer>,
    /// Random balancing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub random: Option<RandomLoadBalancer>,
    /// Locality-weighted balancing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locality_type: Option<LocalityType>,
    /// Zone-aware routing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_aware: Option<ZoneAware>,
    /// Whether connections are closed when the host set changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_connections_on_host_set_change: Option<bool>,
}

impl ApplyDefaults for LoadBalancer {
    fn apply_defaults(&mut self, namespace: &str) {
        self.least_request.apply_defaults(namespace);
        self.zone_aware.apply_defaults(namespace);
    }
}

/// `spec.loadBalancer.leastRequest`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct LeastRequestLoadBalancer {
    /// Hosts sampled per pick; defaults to 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice_count: Option<i32>,
    /// Slow start of new hosts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slow_start: Option<SlowStart>,
}

impl ApplyDefaults for LeastRequestLoadBalancer {
    fn apply_defaults(&mut self, _namespace: &str) {
        default_to(&mut self.choice_count, || 2);
    }
}

/// `spec.loadBalancer.roundRobin`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RoundRobinLoadBalancer {
    /// Slow start of new hosts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slow_start: Option<SlowStart>,
}

/// Slow start of new hosts (least-request and round-robin).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct SlowStart {
    /// Duration of the slow-start window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Duration>,
    /// Traffic ramp aggression, a positive decimal number as a string (`"1.0"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggression: Option<String>,
    /// Minimum weight percentage during slow start (0..100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_weight_percent: Option<i32>,
}

/// `spec.loadBalancer.ringHash`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RingHashLoadBalancer {
    /// Minimum ring size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_ring_size: Option<i64>,
    /// Maximum ring size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_ring_size: Option<i64>,
    /// Whether host names, not addresses, are hashed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_hostname_for_hashing: Option<bool>,
    /// Hash policies (1..16).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash_policies: Option<Vec<HashPolicy>>,
}

/// `spec.loadBalancer.maglev`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct MaglevLoadBalancer {
    /// Whether host names, not addresses, are hashed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_hostname_for_hashing: Option<bool>,
    /// Hash policies (1..16).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash_policies: Option<Vec<HashPolicy>>,
}

/// `spec.loadBalancer.random` (no options).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RandomLoadBalancer {}

/// One hash policy of a consistent-hashing balancer: exactly one of `header`, `cookie`,
/// `sourceIP`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct HashPolicy {
    /// Hash a request header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<HeaderHashPolicy>,
    /// Hash a cookie (generated when missing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookie: Option<CookieHashPolicy>,
    /// Hash the source IP.
    #[serde(rename = "sourceIP", default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<SourceIpHashPolicy>,
    /// Skip later policies when this one yields a hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal: Option<bool>,
}

/// `hashPolicies[].header`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct HeaderHashPolicy {
    /// Header name.
    pub name: String,
}

/// `hashPolicies[].cookie`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct CookieHashPolicy {
    /// Cookie name.
    pub name: String,
    /// Cookie path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Lifetime of a generated cookie.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<Duration>,
    /// `Secure` attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secure: Option<bool>,
    /// `HttpOnly` attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_only: Option<bool>,
    /// `SameSite` attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub same_site: Option<SameSite>,
}

/// `SameSite` attribute of a generated hash cookie.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum SameSite {
    /// `SameSite=Strict`.
    Strict,
    /// `SameSite=Lax`.
    Lax,
    /// `SameSite=None`.
    None,
}

/// `hashPolicies[].sourceIP` (no options).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct SourceIpHashPolicy {}

/// `spec.loadBalancer.localityType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum LocalityType {
    /// Locality-weighted load balancing.
    WeightedLb,
}

/// `spec.loadBalancer.zoneAware`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ZoneAware {
    /// Prefer endpoints in the proxy's zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefer_local: Option<PreferLocal>,
}

impl ApplyDefaults for ZoneAware {
    fn apply_defaults(&mut self, namespace: &str) {
        self.prefer_local.apply_defaults(namespace);
    }
}

/// `spec.loadBalancer.zoneAware.preferLocal`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct PreferLocal {
    /// Minimum endpoints for zone-aware routing; defaults to 6.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_endpoints_threshold: Option<i64>,
    /// Percentage of requests routed zone-aware (0..100); defaults to 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing_enabled: Option<i32>,
    /// Force local-zone routing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force: Option<ForceLocalZone>,
}

impl ApplyDefaults for PreferLocal {
    fn apply_defaults(&mut self, namespace: &str) {
        default_to(&mut self.min_endpoints_threshold, || 6);
        default_to(&mut self.routing_enabled, || 100);
        self.force.apply_defaults(namespace);
    }
}

/// `spec.loadBalancer.zoneAware.preferLocal.force`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ForceLocalZone {
    /// Minimum endpoints in the local zone; defaults to 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_endpoints_in_zone_threshold: Option<i32>,
}

impl ApplyDefaults for ForceLocalZone {
    fn apply_defaults(&mut self, _namespace: &str) {
        default_to(&mut self.min_endpoints_in_zone_threshold, || 1);
    }
}

// === healthCheck, circuitBreakers, outlierDetection, dns, upstreamProxyProtocol ===

/// `spec.healthCheck`: active health checks, exactly one of `http`, `grpc`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct HealthCheck {
    /// Time to wait for a health check response.
    pub timeout: Duration,
    /// Interval between health checks.
    pub interval: Duration,
    /// Failures before a host is unhealthy.
    pub unhealthy_threshold: i32,
    /// Successes before a host is healthy again.
    pub healthy_threshold: i32,
    /// HTTP health check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpHealthCheck>,
    /// gRPC health check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grpc: Option<GrpcHealthCheck>,
}

/// `spec.healthCheck.http`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct HttpHealthCheck {
    /// Host header of the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Request path.
    pub path: String,
    /// Request method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<HealthCheckMethod>,
}

/// HTTP method of an [`HttpHealthCheck`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[allow(clippy::upper_case_acronyms)]
pub enum HealthCheckMethod {
    /// `GET`.
    GET,
    /// `HEAD`.
    HEAD,
    /// `POST`.
    POST,
    /// `PUT`.
    PUT,
    /// `DELETE`.
    DELETE,
    /// `OPTIONS`.
    OPTIONS,
    /// `TRACE`.
    TRACE,
    /// `PATCH`.
    PATCH,
}

/// `spec.healthCheck.grpc`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct GrpcHealthCheck {
    /// Service name sent in the health check request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    /// Authority header; the cluster name when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
}

/// `spec.circuitBreakers` (at least one threshold set).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct CircuitBreakers {
    /// Maximum connections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<i32>,
    /// Maximum pending requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pending_requests: Option<i32>,
    /// Maximum parallel requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_requests: Option<i32>,
    /// Maximum parallel retries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<i32>,
    /// Whether remaining-capacity gauges are published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track_remaining: Option<bool>,
}

/// `spec.outlierDetection`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct OutlierDetection {
    /// Consecutive 5xx before ejection; defaults to 5.
    #[serde(
        rename = "consecutive5xx",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub consecutive_5xx: Option<i32>,
    /// Ejection sweep interval; defaults to `10s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<Duration>,
    /// Base ejection time; defaults to `30s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_ejection_time: Option<Duration>,
    /// Maximum percentage of ejected hosts (0..100); defaults to 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ejection_percent: Option<i32>,
    /// Percentage chance of ejecting on consecutive 5xx (0..100).
    #[serde(
        rename = "enforcingConsecutive5xx",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub enforcing_consecutive_5xx: Option<i32>,
    /// Whether local-origin errors are counted separately.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split_external_local_origin_errors: Option<bool>,
    /// Consecutive local-origin failures before ejection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consecutive_local_origin_failure: Option<i32>,
    /// Percentage chance of ejecting on local-origin failures (0..100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforcing_consecutive_local_origin_failure: Option<i32>,
}

impl ApplyDefaults for OutlierDetection {
    fn apply_defaults(&mut self, _namespace: &str) {
        default_to(&mut self.consecutive_5xx, || 5);
        default_to(&mut self.interval, || "10s".to_owned());
        default_to(&mut self.base_ejection_time, || "30s".to_owned());
        default_to(&mut self.max_ejection_percent, || 10);
    }
}

/// `spec.dns`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct DnsSettings {
    /// DNS refresh rate (at least 1ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_rate: Option<Duration>,
    /// Whether record TTLs drive refreshes.
    #[serde(
        rename = "respectTTL",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub respect_ttl: Option<bool>,
    /// Random jitter added to refreshes (at most `refreshRate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter: Option<Duration>,
}

/// `spec.upstreamProxyProtocol`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct UpstreamProxyProtocol {
    /// PROXY protocol version; defaults to `V1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<ProxyProtocolVersion>,
}

impl ApplyDefaults for UpstreamProxyProtocol {
    fn apply_defaults(&mut self, _namespace: &str) {
        default_to(&mut self.version, || ProxyProtocolVersion::V1);
    }
}

/// PROXY protocol version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum ProxyProtocolVersion {
    /// Text header.
    V1,
    /// Binary header.
    V2,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::Resource;

    use crate::kgateway::examples::STATIC_HTTPS_BACKENDCONFIGPOLICY as EXAMPLE;

    fn load(value: serde_json::Value) -> BackendConfigPolicy {
        let mut unknown = Vec::new();
        let p: BackendConfigPolicy =
            serde_ignored::deserialize(value, |path| unknown.push(path.to_string())).unwrap();
        assert!(unknown.is_empty(), "unknown fields {unknown:?}");
        p
    }

    fn roundtrip(p: &BackendConfigPolicy) {
        let json = serde_json::to_value(p).unwrap();
        assert_eq!(
            &serde_json::from_value::<BackendConfigPolicy>(json).unwrap(),
            p
        );
        let yaml = serde_saphyr::to_string(p).unwrap();
        assert_eq!(
            &serde_saphyr::from_str::<BackendConfigPolicy>(&yaml).unwrap(),
            p
        );
    }

    fn defaulted(p: &BackendConfigPolicy) -> BackendConfigPolicy {
        let mut once = p.clone();
        once.apply_defaults("ns");
        let mut twice = once.clone();
        twice.apply_defaults("ns");
        assert_eq!(once, twice, "defaults are idempotent");
        once
    }

    #[test]
    fn docs_example_loads() {
        let docs: Vec<BackendConfigPolicy> =
            serde_saphyr::from_multiple::<serde_json::Value>(EXAMPLE)
                .unwrap()
                .into_iter()
                .filter(|d| d["kind"] == "BackendConfigPolicy")
                .map(load)
                .collect();
        let [p] = <[BackendConfigPolicy; 1]>::try_from(docs).unwrap();
        assert_eq!(p.metadata.name(), "static-tls-policy");
        assert_eq!(
            p.object_ref().to_string(),
            "BackendConfigPolicy.gateway.kgateway.dev static-tls-policy"
        );
        assert!(
            p.spec
                .targets("gateway.kgateway.dev", "Backend", "json-backend")
        );
        assert!(!p.spec.targets("", "Service", "json-backend"));
        let tls = p.spec.tls.as_ref().unwrap();
        assert_eq!(tls.sni.as_deref(), Some("jsonplaceholder.typicode.com"));
        assert!(tls.uses_system_ca());
        assert_eq!(
            tls.trust_sources().collect::<Vec<_>>(),
            vec!["wellKnownCACertificates"]
        );
        assert_eq!(defaulted(&p), p, "nothing to default");
        roundtrip(&p);
    }

    /// Every field of the CRD, with the exact CRD spellings.
    const FULL: &str = r#"
apiVersion: gateway.kgateway.dev/v1alpha1
kind: BackendConfigPolicy
metadata: {name: full, namespace: ns}
spec:
  targetRefs:
  - {group: "", kind: Service, name: httpbin}
  targetSelectors:
  - group: gateway.kgateway.dev
    kind: Backend
    matchLabels: {app: x}
  connectTimeout: 5s
  perConnectionBufferLimitBytes: 1024
  tcpKeepalive: {keepAliveProbes: 3, keepAliveTime: 30s, keepAliveInterval: 5s}
  commonHttpProtocolOptions:
    idleTimeout: 1h
    maxHeadersCount: 100
    maxStreamDuration: 10s
    maxRequestsPerConnection: 0
  http2ProtocolOptions:
    initialStreamWindowSize: 64Ki
    initialConnectionWindowSize: 65535
    maxConcurrentStreams: 100
    overrideStreamErrorOnInvalidHttpMessage: true
    connectionKeepalive: {interval: 10s, timeout: 5s, connectionIdleInterval: 1m}
  tls:
    secretRef: {name: client-cert}
    files: {tlsCertificate: /c.pem, tlsKey: /k.pem, rootCA: /ca.pem}
    insecureSkipVerify: false
    wellKnownCACertificates: System
    sni: backend.example.com
    verifySubjectAltNames: [backend.example.com]
    parameters:
      minVersion: "1.2"
      maxVersion: AUTO
      cipherSuites: [ECDHE-RSA-AES128-GCM-SHA256]
      ecdhCurves: [X25519]
      signatureAlgorithms: [rsa_pss_rsae_sha256]
    alpnProtocols: [h2, http/1.1]
    allowRenegotiation: true
    simpleTLS: true
  loadBalancer:
    healthyPanicThreshold: 50
    updateMergeWindow: 1s
    leastRequest:
      slowStart: {window: 10s, aggression: "1.5", minWeightPercent: 10}
    roundRobin: {slowStart: {window: 1s}}
    ringHash:
      minimumRingSize: 1024
      maximumRingSize: 8388608
      useHostnameForHashing: true
      hashPolicies:
      - header: {name: x-user}
        terminal: true
      - cookie: {name: c, path: /, ttl: 1h, secure: true, httpOnly: true, sameSite: Lax}
      - sourceIP: {}
    maglev:
      useHostnameForHashing: false
      hashPolicies: [{sourceIP: {}}]
    random: {}
    localityType: WeightedLb
    zoneAware:
      preferLocal:
        force: {}
    closeConnectionsOnHostSetChange: true
  healthCheck:
    timeout: 1s
    interval: 5s
    unhealthyThreshold: 2
    healthyThreshold: 1
    http: {host: h, path: /healthz, method: HEAD}
    grpc: {serviceName: svc, authority: a}
  circuitBreakers:
    maxConnections: 1
    maxPendingRequests: 2
    maxRequests: 3
    maxRetries: 0
    trackRemaining: true
  outlierDetection:
    enforcingConsecutive5xx: 100
    splitExternalLocalOriginErrors: true
    consecutiveLocalOriginFailure: 5
    enforcingConsecutiveLocalOriginFailure: 100
  dns: {refreshRate: 5s, respectTTL: true, jitter: 1s}
  upstreamProxyProtocol: {}
status:
  ancestors:
  - ancestorRef: {name: http, namespace: kgateway-system}
    controllerName: kgateway.dev/kgateway
    conditions:
    - type: Accepted
      status: "True"
      reason: Valid
      message: Policy accepted
      lastTransitionTime: "2025-01-01T00:00:00Z"
"#;

    #[test]
    fn every_crd_field_loads_and_round_trips() {
        let p = load(serde_saphyr::from_str(FULL).unwrap());
        let s = &p.spec;
        assert_eq!(
            s.target_selectors.as_ref().unwrap()[0].match_labels["app"],
            "x"
        );
        assert_eq!(s.connect_timeout.as_deref(), Some("5s"));
        let h2 = s.http2_protocol_options.as_ref().unwrap();
        assert_eq!(
            h2.initial_stream_window_size,
            Some(IntOrString::from("64Ki"))
        );
        assert_eq!(
            h2.initial_connection_window_size,
            Some(IntOrString::Int(65535))
        );
        assert_eq!(h2.connection_keepalive.as_ref().unwrap().timeout, "5s");
        let tls = s.tls.as_ref().unwrap();
        assert_eq!(
            tls.files.as_ref().unwrap().root_ca.as_deref(),
            Some("/ca.pem")
        );
        assert_eq!(tls.simple_tls, Some(true));
        assert_eq!(tls.trust_sources().count(), 4);
        let params = tls.parameters.as_ref().unwrap();
        assert_eq!(params.min_version, Some(TlsVersion::Tls1_2));
        assert_eq!(params.max_version, Some(TlsVersion::Auto));
        let lb = s.load_balancer.as_ref().unwrap();
        let policies = lb
            .ring_hash
            .as_ref()
            .unwrap()
            .hash_policies
            .as_ref()
            .unwrap();
        assert_eq!(
            policies[1].cookie.as_ref().unwrap().same_site,
            Some(SameSite::Lax)
        );
        assert_eq!(policies[2].source_ip, Some(SourceIpHashPolicy {}));
        assert_eq!(lb.random, Some(RandomLoadBalancer {}));
        assert_eq!(
            s.health_check
                .as_ref()
                .unwrap()
                .http
                .as_ref()
                .unwrap()
                .method,
            Some(HealthCheckMethod::HEAD)
        );
        assert_eq!(s.dns.as_ref().unwrap().respect_ttl, Some(true));
        let status = p.status.as_ref().unwrap();
        assert_eq!(status.ancestors[0].ancestor_ref.name, "http");
        roundtrip(&p);

        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["spec"]["tls"]["wellKnownCACertificates"], "System");
        assert_eq!(json["spec"]["tls"]["files"]["rootCA"], "/ca.pem");
        assert_eq!(json["spec"]["tls"]["parameters"]["minVersion"], "1.2");
        assert_eq!(
            json["spec"]["outlierDetection"]["enforcingConsecutive5xx"],
            100
        );
        assert_eq!(
            json["spec"]["http2ProtocolOptions"]["initialStreamWindowSize"],
            "64Ki"
        );
        assert_eq!(
            json["spec"]["loadBalancer"]["ringHash"]["hashPolicies"][2]["sourceIP"],
            serde_json::json!({})
        );
    }

    #[test]
    fn crd_defaults_are_applied_once() {
        let p = load(serde_saphyr::from_str(FULL).unwrap());
        let d = defaulted(&p);
        let s = &d.spec;
        let lb = s.load_balancer.as_ref().unwrap();
        assert_eq!(lb.least_request.as_ref().unwrap().choice_count, Some(2));
        let prefer = lb
            .zone_aware
            .as_ref()
            .unwrap()
            .prefer_local
            .as_ref()
            .unwrap();
        assert_eq!(prefer.min_endpoints_threshold, Some(6));
        assert_eq!(prefer.routing_enabled, Some(100));
        assert_eq!(
            prefer
                .force
                .as_ref()
                .unwrap()
                .min_endpoints_in_zone_threshold,
            Some(1)
        );
        let od = s.outlier_detection.as_ref().unwrap();
        assert_eq!(od.consecutive_5xx, Some(5));
        assert_eq!(od.interval.as_deref(), Some("10s"));
        assert_eq!(od.base_ejection_time.as_deref(), Some("30s"));
        assert_eq!(od.max_ejection_percent, Some(10));
        assert_eq!(
            od.enforcing_consecutive_5xx,
            Some(100),
            "explicit value kept"
        );
        assert_eq!(
            s.upstream_proxy_protocol.as_ref().unwrap().version,
            Some(ProxyProtocolVersion::V1)
        );
        let ancestor = &d.status.as_ref().unwrap().ancestors[0].ancestor_ref;
        assert_eq!(ancestor.group.as_deref(), Some("gateway.networking.k8s.io"));
        assert_eq!(ancestor.kind.as_deref(), Some("Gateway"));
        roundtrip(&d);
        // Absent sections stay absent.
        let mut empty: BackendConfigPolicySpec = serde_json::from_str("{}").unwrap();
        empty.apply_defaults("ns");
        assert_eq!(empty, BackendConfigPolicySpec::default());
    }

    #[test]
    fn tls_secret_ref_name_defaults_to_empty() {
        let mut tls: BackendTls = serde_json::from_str(r#"{"secretRef":{}}"#).unwrap();
        assert_eq!(tls.secret_ref.as_ref().unwrap().name, None);
        tls.apply_defaults("ns");
        assert_eq!(tls.secret_ref.as_ref().unwrap().name.as_deref(), Some(""));
        assert!(!tls.uses_system_ca());
    }

    #[test]
    fn tls_versions_use_crd_strings() {
        for v in [
            TlsVersion::Auto,
            TlsVersion::Tls1_0,
            TlsVersion::Tls1_1,
            TlsVersion::Tls1_2,
            TlsVersion::Tls1_3,
        ] {
            let json = serde_json::to_value(v).unwrap();
            assert_eq!(json, v.to_string());
            assert_eq!(serde_json::from_value::<TlsVersion>(json).unwrap(), v);
        }
    }
}
