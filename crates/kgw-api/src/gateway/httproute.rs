//! `HTTPRoute` (`gateway.networking.k8s.io/v1`, also served as `v1beta1` with the same schema).
//!
//! Standard-channel fields plus the experimental-channel additions (`retry`,
//! `sessionPersistence`, the `ExternalAuth` filter, `useDefaultGateways`), so manifests written
//! for either channel load; validation decides what a given channel accepts.

use serde::{Deserialize, Serialize};

use super::common::{
    BackendObjectReference, Duration, Hostname, HttpHeaderFilter, HttpHeaderMatch,
    LocalObjectReference, ParentReference, PreciseHostname, RouteStatus, StringMatchType,
    default_backend_ref,
};
use crate::defaults::{ApplyDefaults, default_to};
use crate::meta::ObjectMeta;
use crate::resource::impl_resource;

/// An HTTPRoute: how HTTP requests arriving at its parents are matched, filtered and forwarded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct HttpRoute {
    /// `gateway.networking.k8s.io/v1` or `gateway.networking.k8s.io/v1beta1`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// `HTTPRoute`.
    pub kind: String,
    /// Object metadata.
    pub metadata: ObjectMeta,
    /// Desired state.
    pub spec: HttpRouteSpec,
    /// Status written by controllers (or predicted by kgw).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<RouteStatus>,
}

impl_resource!(
    HttpRoute,
    group = "gateway.networking.k8s.io",
    kind = "HTTPRoute",
    versions = ["v1", "v1beta1"],
    namespaced = true
);

impl ApplyDefaults for HttpRoute {
    fn apply_defaults(&mut self, _namespace: &str) {
        let namespace = self.metadata.namespace();
        self.spec.apply_defaults(namespace);
        self.status.apply_defaults(namespace);
    }
}

str_enum! {
    /// Whether a route attaches to the Gateways marked as defaults (experimental
    /// `useDefaultGateways`).
    pub enum GatewayDefaultScope {
        /// Attach to every default Gateway.
        All = "All",
        /// Attach to no default Gateway.
        None = "None",
    }
}

/// Desired state of an [`HttpRoute`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteSpec {
    /// Parents (Gateways, usually) the route wants to attach to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_refs: Option<Vec<ParentReference>>,
    /// Hostnames matched against the request's Host header; unset matches every hostname the
    /// listener accepts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostnames: Option<Vec<Hostname>>,
    /// Routing rules; the CRD defaults an absent list to one rule matching `PathPrefix /`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<HttpRouteRule>>,
    /// Attachment to default Gateways (experimental channel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_default_gateways: Option<GatewayDefaultScope>,
}

impl ApplyDefaults for HttpRouteSpec {
    fn apply_defaults(&mut self, namespace: &str) {
        self.parent_refs.apply_defaults(namespace);
        default_to(&mut self.rules, || vec![HttpRouteRule::default()]);
        self.rules.apply_defaults(namespace);
    }
}

/// One routing rule: matches, filters and backends (`HTTPRouteRule`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteRule {
    /// Optional rule name, usable as a policy `sectionName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Conditions, any of which selects this rule; absent means one `PathPrefix /` match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matches: Option<Vec<HttpRouteMatch>>,
    /// Filters applied to every request the rule matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Vec<HttpRouteFilter>>,
    /// Weighted backends; absent or empty means the gateway answers (500, or the filter's
    /// response such as a redirect).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend_refs: Option<Vec<HttpBackendRef>>,
    /// Request and backend-request timeouts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<HttpRouteTimeouts>,
    /// Retry policy (experimental channel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<HttpRouteRetry>,
    /// Session persistence (experimental channel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_persistence: Option<SessionPersistence>,
}

impl ApplyDefaults for HttpRouteRule {
    fn apply_defaults(&mut self, namespace: &str) {
        default_to(&mut self.matches, || vec![HttpRouteMatch::default()]);
        self.matches.apply_defaults(namespace);
        self.filters.apply_defaults(namespace);
        self.backend_refs.apply_defaults(namespace);
        self.session_persistence.apply_defaults(namespace);
    }
}

/// Conditions on a request, all of which must hold (`HTTPRouteMatch`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteMatch {
    /// Path condition; absent means `PathPrefix /`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<HttpPathMatch>,
    /// Header conditions, all of which must hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<Vec<HttpHeaderMatch>>,
    /// Query parameter conditions, all of which must hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_params: Option<Vec<HttpQueryParamMatch>>,
    /// Request method; absent matches every method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<HttpMethod>,
}

impl HttpRouteMatch {
    /// The path condition's type and value, with the CRD defaults applied.
    pub fn path_or_default(&self) -> (PathMatchType, &str) {
        self.path
            .as_ref()
            .map_or((PathMatchType::PathPrefix, "/"), |p| {
                (p.type_or_default(), p.value_or_default())
            })
    }
}

impl ApplyDefaults for HttpRouteMatch {
    fn apply_defaults(&mut self, namespace: &str) {
        default_to(&mut self.path, HttpPathMatch::default);
        self.path.apply_defaults(namespace);
        self.headers.apply_defaults(namespace);
        self.query_params.apply_defaults(namespace);
    }
}

str_enum! {
    /// How a request path is compared (`PathMatchType`).
    pub enum PathMatchType {
        /// Exact, case-sensitive equality.
        Exact = "Exact",
        /// Prefix on whole `/`-separated segments.
        PathPrefix = "PathPrefix",
        /// A regular expression in the implementation's dialect.
        RegularExpression = "RegularExpression",
    }
}

/// A path condition (`HTTPPathMatch`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct HttpPathMatch {
    /// How `value` is compared; defaults to `PathPrefix`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<PathMatchType>,
    /// The path (or pattern); defaults to `/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl HttpPathMatch {
    /// The match type, with the CRD default applied.
    pub fn type_or_default(&self) -> PathMatchType {
        self.type_.unwrap_or(PathMatchType::PathPrefix)
    }

    /// The value, with the CRD default applied.
    pub fn value_or_default(&self) -> &str {
        self.value.as_deref().unwrap_or("/")
    }
}

impl ApplyDefaults for HttpPathMatch {
    fn apply_defaults(&mut self, _namespace: &str) {
        default_to(&mut self.type_, || PathMatchType::PathPrefix);
        default_to(&mut self.value, || "/".to_owned());
    }
}

/// A query parameter condition (`HTTPQueryParamMatch`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct HttpQueryParamMatch {
    /// How `value` is compared; defaults to `Exact`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<StringMatchType>,
    /// Parameter name, compared case-sensitively.
    pub name: String,
    /// Value to compare with.
    pub value: String,
}

impl HttpQueryParamMatch {
    /// The match type, with the CRD default applied.
    pub fn type_or_default(&self) -> StringMatchType {
        self.type_.unwrap_or(StringMatchType::Exact)
    }
}

impl ApplyDefaults for HttpQueryParamMatch {
    fn apply_defaults(&mut self, _namespace: &str) {
        default_to(&mut self.type_, || StringMatchType::Exact);
    }
}

str_enum! {
    /// An HTTP method a route can match (`HTTPMethod`).
    pub enum HttpMethod {
        /// `GET`.
        Get = "GET",
        /// `HEAD`.
        Head = "HEAD",
        /// `POST`.
        Post = "POST",
        /// `PUT`.
        Put = "PUT",
        /// `DELETE`.
        Delete = "DELETE",
        /// `CONNECT`.
        Connect = "CONNECT",
        /// `OPTIONS`.
        Options = "OPTIONS",
        /// `TRACE`.
        Trace = "TRACE",
        /// `PATCH`.
        Patch = "PATCH",
    }
}

str_enum! {
    /// A method in a CORS `allowMethods` list: an [`HttpMethod`] or the wildcard `*`.
    pub enum HttpCorsMethod {
        /// `GET`.
        Get = "GET",
        /// `HEAD`.
        Head = "HEAD",
        /// `POST`.
        Post = "POST",
        /// `PUT`.
        Put = "PUT",
        /// `DELETE`.
        Delete = "DELETE",
        /// `CONNECT`.
        Connect = "CONNECT",
        /// `OPTIONS`.
        Options = "OPTIONS",
        /// `TRACE`.
        Trace = "TRACE",
        /// `PATCH`.
        Patch = "PATCH",
        /// Every method (`*`).
        Any = "*",
    }
}

str_enum! {
    /// Kind of an HTTPRoute filter (`HTTPRouteFilterType`).
    pub enum HttpRouteFilterType {
        /// Modify request headers.
        RequestHeaderModifier = "RequestHeaderModifier",
        /// Modify response headers.
        ResponseHeaderModifier = "ResponseHeaderModifier",
        /// Send a copy of the request to another backend.
        RequestMirror = "RequestMirror",
        /// Answer with a redirect.
        RequestRedirect = "RequestRedirect",
        /// Rewrite hostname and path before forwarding.
        UrlRewrite = "URLRewrite",
        /// An implementation-specific filter.
        ExtensionRef = "ExtensionRef",
        /// Answer CORS preflights and add CORS response headers.
        Cors = "CORS",
        /// Ask an external service whether to allow the request (experimental channel).
        ExternalAuth = "ExternalAuth",
    }
}

/// A filter: `type` names which one of the other fields is set (`HTTPRouteFilter`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteFilter {
    /// Which filter this is.
    #[serde(rename = "type")]
    pub type_: HttpRouteFilterType,
    /// Configuration of `RequestHeaderModifier`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_header_modifier: Option<HttpHeaderFilter>,
    /// Configuration of `ResponseHeaderModifier`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_header_modifier: Option<HttpHeaderFilter>,
    /// Configuration of `RequestMirror`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_mirror: Option<HttpRequestMirrorFilter>,
    /// Configuration of `RequestRedirect`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_redirect: Option<HttpRequestRedirectFilter>,
    /// Configuration of `URLRewrite`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_rewrite: Option<HttpUrlRewriteFilter>,
    /// Configuration of `CORS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cors: Option<HttpCorsFilter>,
    /// Configuration of `ExternalAuth` (experimental channel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_auth: Option<HttpExternalAuthFilter>,
    /// The object configuring an `ExtensionRef` filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension_ref: Option<LocalObjectReference>,
}

impl HttpRouteFilter {
    /// A filter of the given type with no configuration set.
    pub fn new(type_: HttpRouteFilterType) -> Self {
        Self {
            type_,
            request_header_modifier: None,
            response_header_modifier: None,
            request_mirror: None,
            request_redirect: None,
            url_rewrite: None,
            cors: None,
            external_auth: None,
            extension_ref: None,
        }
    }
}

impl ApplyDefaults for HttpRouteFilter {
    fn apply_defaults(&mut self, namespace: &str) {
        self.request_mirror.apply_defaults(namespace);
        self.request_redirect.apply_defaults(namespace);
        self.cors.apply_defaults(namespace);
        self.external_auth.apply_defaults(namespace);
    }
}

/// Mirror configuration (`HTTPRequestMirrorFilter`, also used by GRPCRoute).
///
/// At most one of `percent` and `fraction` is set; neither means every request is mirrored.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct HttpRequestMirrorFilter {
    /// Where copies are sent.
    pub backend_ref: BackendObjectReference,
    /// Share of requests mirrored, 0–100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<i32>,
    /// Share of requests mirrored, as a fraction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fraction: Option<Fraction>,
}

impl ApplyDefaults for HttpRequestMirrorFilter {
    fn apply_defaults(&mut self, namespace: &str) {
        self.backend_ref.apply_defaults(namespace);
        self.fraction.apply_defaults(namespace);
    }
}

/// A fraction `numerator / denominator` (`Fraction`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Fraction {
    /// Numerator.
    pub numerator: i32,
    /// Denominator; defaults to 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denominator: Option<i32>,
}

impl ApplyDefaults for Fraction {
    fn apply_defaults(&mut self, _namespace: &str) {
        default_to(&mut self.denominator, || 100);
    }
}

str_enum! {
    /// Scheme of a redirect `Location`.
    pub enum HttpRedirectScheme {
        /// `http`.
        Http = "http",
        /// `https`.
        Https = "https",
    }
}

/// Redirect configuration (`HTTPRequestRedirectFilter`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct HttpRequestRedirectFilter {
    /// Scheme of the `Location`; unset keeps the request's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<HttpRedirectScheme>,
    /// Hostname of the `Location`; unset keeps the request's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<PreciseHostname>,
    /// Path rewrite of the `Location`; unset keeps the request's path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<HttpPathModifier>,
    /// Port of the `Location`; unset derives it from the scheme or the listener.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    /// Status code (the CRD allows 301, 302, 303, 307, 308); defaults to 302. Kept as an integer
    /// so an unsupported code loads and validation reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<i64>,
}

impl ApplyDefaults for HttpRequestRedirectFilter {
    fn apply_defaults(&mut self, _namespace: &str) {
        default_to(&mut self.status_code, || 302);
    }
}

/// Rewrite configuration (`HTTPURLRewriteFilter`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct HttpUrlRewriteFilter {
    /// Replacement Host header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<PreciseHostname>,
    /// Path rewrite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<HttpPathModifier>,
}

str_enum! {
    /// Kind of path rewrite (`HTTPPathModifierType`).
    pub enum HttpPathModifierType {
        /// Replace the whole path with `replaceFullPath`.
        ReplaceFullPath = "ReplaceFullPath",
        /// Replace the matched `PathPrefix` with `replacePrefixMatch`.
        ReplacePrefixMatch = "ReplacePrefixMatch",
    }
}

/// A path rewrite used by redirects and rewrites (`HTTPPathModifier`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct HttpPathModifier {
    /// Which of the other fields applies.
    #[serde(rename = "type")]
    pub type_: HttpPathModifierType,
    /// New path, for `ReplaceFullPath`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replace_full_path: Option<String>,
    /// Replacement of the matched prefix, for `ReplacePrefixMatch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replace_prefix_match: Option<String>,
}

/// CORS configuration (`HTTPCORSFilter`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct HttpCorsFilter {
    /// Allowed origins: `*`, or `scheme://host[:port]` with an optional leading `*` host label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_origins: Option<Vec<String>>,
    /// Whether `Access-Control-Allow-Credentials: true` is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_credentials: Option<bool>,
    /// Allowed methods, or `*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_methods: Option<Vec<HttpCorsMethod>>,
    /// Allowed request headers, or `*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_headers: Option<Vec<String>>,
    /// Response headers exposed to the page, or `*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expose_headers: Option<Vec<String>>,
    /// Seconds a preflight answer may be cached; defaults to 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<i32>,
}

impl ApplyDefaults for HttpCorsFilter {
    fn apply_defaults(&mut self, _namespace: &str) {
        default_to(&mut self.max_age, || 5);
    }
}

str_enum! {
    /// Protocol spoken to an external authorization service.
    pub enum HttpRouteExternalAuthProtocol {
        /// Envoy `ext_authz` over HTTP.
        Http = "HTTP",
        /// Envoy `ext_authz` over gRPC.
        Grpc = "GRPC",
    }
}

/// External authorization configuration (`HTTPExternalAuthFilter`, experimental channel).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct HttpExternalAuthFilter {
    /// Protocol of the authorization service.
    pub protocol: HttpRouteExternalAuthProtocol,
    /// The authorization service.
    pub backend_ref: BackendObjectReference,
    /// Settings for `GRPC`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grpc: Option<GrpcAuthConfig>,
    /// Settings for `HTTP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpAuthConfig>,
    /// Whether and how much of the request body is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward_body: Option<ForwardBodyConfig>,
}

impl ApplyDefaults for HttpExternalAuthFilter {
    fn apply_defaults(&mut self, namespace: &str) {
        self.backend_ref.apply_defaults(namespace);
    }
}

/// gRPC settings of an external authorization filter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct GrpcAuthConfig {
    /// Request headers sent to the authorization service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_headers: Option<Vec<String>>,
}

/// HTTP settings of an external authorization filter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct HttpAuthConfig {
    /// Path prefix of authorization requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Request headers sent to the authorization service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_headers: Option<Vec<String>>,
    /// Authorization response headers copied to the forwarded request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_response_headers: Option<Vec<String>>,
}

/// Body forwarding of an external authorization filter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ForwardBodyConfig {
    /// Largest body, in bytes, that is buffered and sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_size: Option<i64>,
}

/// A weighted backend of a rule (`HTTPBackendRef`): the [`BackendObjectReference`] fields,
/// repeated because the CRD inlines them, plus `weight` and `filters`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct HttpBackendRef {
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
    pub filters: Option<Vec<HttpRouteFilter>>,
}

impl HttpBackendRef {
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

impl ApplyDefaults for HttpBackendRef {
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

/// Timeouts of a rule (`HTTPRouteTimeouts`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteTimeouts {
    /// Time from the request's arrival to the end of the response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Duration>,
    /// Time for one request to a backend, including retries' single attempts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend_request: Option<Duration>,
}

/// Retry policy of a rule (`HTTPRouteRetry`, experimental channel).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteRetry {
    /// Response codes (400–599) that trigger a retry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codes: Option<Vec<i64>>,
    /// Largest number of retries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<i64>,
    /// Minimum wait between retries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff: Option<Duration>,
}

str_enum! {
    /// How a session is identified (`SessionPersistenceType`).
    pub enum SessionPersistenceType {
        /// By a cookie.
        Cookie = "Cookie",
        /// By a header.
        Header = "Header",
    }
}

str_enum! {
    /// Lifetime of a session cookie (`CookieLifetimeType`).
    pub enum CookieLifetimeType {
        /// A session cookie, dropped when the browser closes.
        Session = "Session",
        /// A cookie with an expiry.
        Permanent = "Permanent",
    }
}

/// Session persistence of a rule (`SessionPersistence`, experimental channel).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct SessionPersistence {
    /// Name of the cookie or header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_name: Option<String>,
    /// Longest life of a session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absolute_timeout: Option<Duration>,
    /// Cookie or header; defaults to `Cookie`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<SessionPersistenceType>,
    /// Cookie settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookie_config: Option<CookieConfig>,
}

impl ApplyDefaults for SessionPersistence {
    fn apply_defaults(&mut self, namespace: &str) {
        default_to(&mut self.type_, || SessionPersistenceType::Cookie);
        self.cookie_config.apply_defaults(namespace);
    }
}

/// Cookie settings of session persistence (`CookieConfig`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct CookieConfig {
    /// Session or permanent cookie; defaults to `Session`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime_type: Option<CookieLifetimeType>,
}

impl ApplyDefaults for CookieConfig {
    fn apply_defaults(&mut self, _namespace: &str) {
        default_to(&mut self.lifetime_type, || CookieLifetimeType::Session);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::Resource;

    const MANIFEST: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: store
  namespace: shop
spec:
  parentRefs:
  - name: gw
    namespace: infra
    sectionName: https
  hostnames: ["shop.example.com", "*.shop.example.com"]
  rules:
  - name: api
    matches:
    - path:
        type: PathPrefix
        value: /api
      headers:
      - name: x-version
        value: "2"
      - name: x-env
        type: RegularExpression
        value: "prod|stage"
      queryParams:
      - name: debug
        value: "1"
      method: GET
    - path:
        type: Exact
        value: /login
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set: [{name: x-a, value: "1"}]
        add: [{name: x-b, value: "2"}]
        remove: [x-c]
    - type: URLRewrite
      urlRewrite:
        hostname: internal.example.com
        path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}
    - type: RequestMirror
      requestMirror:
        backendRef: {name: shadow, port: 8080}
        fraction: {numerator: 5}
    - type: CORS
      cors:
        allowOrigins: ["https://*.example.com"]
        allowMethods: [GET, "*"]
        allowCredentials: true
    - type: ExtensionRef
      extensionRef: {group: gateway.kgateway.dev, kind: TrafficPolicy, name: tp}
    backendRefs:
    - name: api-v1
      port: 80
      weight: 90
    - name: api-v2
      namespace: other
      port: 0
      filters:
      - type: ResponseHeaderModifier
        responseHeaderModifier: {remove: [server]}
    - group: gateway.kgateway.dev
      kind: Backend
      name: lambda
    timeouts: {request: 10s, backendRequest: 2s}
  - filters:
    - type: RequestRedirect
      requestRedirect: {scheme: https, port: 443}
"#;

    fn route() -> HttpRoute {
        serde_saphyr::from_str(MANIFEST).unwrap()
    }

    #[test]
    fn deserializes_a_standard_manifest() {
        let r = route();
        assert_eq!(r.metadata.name(), "store");
        assert_eq!(HttpRoute::KIND, "HTTPRoute");
        assert_eq!(HttpRoute::VERSIONS, ["v1", "v1beta1"]);
        let parent = &r.spec.parent_refs.as_ref().unwrap()[0];
        assert_eq!(parent.section_name.as_deref(), Some("https"));
        assert_eq!(parent.group, None);
        let rules = r.spec.rules.as_ref().unwrap();
        assert_eq!(rules.len(), 2);
        let rule = &rules[0];
        assert_eq!(rule.name.as_deref(), Some("api"));
        let m = &rule.matches.as_ref().unwrap()[0];
        assert_eq!(m.path_or_default(), (PathMatchType::PathPrefix, "/api"));
        assert_eq!(m.method, Some(HttpMethod::Get));
        let headers = m.headers.as_ref().unwrap();
        assert_eq!(headers[0].type_, None);
        assert_eq!(headers[1].type_, Some(StringMatchType::RegularExpression));
        assert_eq!(m.query_params.as_ref().unwrap()[0].name, "debug");
        let filters = rule.filters.as_ref().unwrap();
        let types: Vec<_> = filters.iter().map(|f| f.type_).collect();
        assert_eq!(
            types,
            [
                HttpRouteFilterType::RequestHeaderModifier,
                HttpRouteFilterType::UrlRewrite,
                HttpRouteFilterType::RequestMirror,
                HttpRouteFilterType::Cors,
                HttpRouteFilterType::ExtensionRef,
            ]
        );
        let rw = filters[1].url_rewrite.as_ref().unwrap();
        let path = rw.path.as_ref().unwrap();
        assert_eq!(path.type_, HttpPathModifierType::ReplacePrefixMatch);
        assert_eq!(path.replace_prefix_match.as_deref(), Some("/v2"));
        let mirror = filters[2].request_mirror.as_ref().unwrap();
        assert_eq!(
            mirror.fraction,
            Some(Fraction {
                numerator: 5,
                denominator: None
            })
        );
        let cors = filters[3].cors.as_ref().unwrap();
        assert_eq!(
            cors.allow_methods.as_deref(),
            Some(&[HttpCorsMethod::Get, HttpCorsMethod::Any][..])
        );
        let backends = rule.backend_refs.as_ref().unwrap();
        assert_eq!(backends[1].port, Some(0));
        assert_eq!(backends[2].object_ref().kind(), "Backend");
        assert_eq!(backends[2].weight_or_default(), 1);
        let timeouts = rule.timeouts.as_ref().unwrap();
        assert_eq!(timeouts.backend_request.as_deref(), Some("2s"));
        let redirect = rules[1].filters.as_ref().unwrap()[0]
            .request_redirect
            .as_ref()
            .unwrap();
        assert_eq!(redirect.scheme, Some(HttpRedirectScheme::Https));
        assert_eq!(redirect.status_code, None);
    }

    #[test]
    fn deserializes_experimental_fields() {
        let r: HttpRoute = serde_json::from_value(serde_json::json!({
            "apiVersion": "gateway.networking.k8s.io/v1beta1",
            "kind": "HTTPRoute",
            "metadata": {"name": "x"},
            "spec": {
                "useDefaultGateways": "All",
                "rules": [{
                    "retry": {"codes": [500, 503], "attempts": 2, "backoff": "100ms"},
                    "sessionPersistence": {"sessionName": "s", "cookieConfig": {}},
                    "filters": [{
                        "type": "ExternalAuth",
                        "externalAuth": {
                            "protocol": "HTTP",
                            "backendRef": {"name": "auth", "port": 9000},
                            "http": {"path": "/check", "allowedHeaders": ["authorization"]},
                            "forwardBody": {"maxSize": 1024}
                        }
                    }]
                }]
            }
        }))
        .unwrap();
        assert_eq!(r.spec.use_default_gateways, Some(GatewayDefaultScope::All));
        let mut rule = r.spec.rules.unwrap().remove(0);
        assert_eq!(
            rule.retry.as_ref().unwrap().codes.as_deref(),
            Some(&[500, 503][..])
        );
        let auth = rule.filters.as_ref().unwrap()[0]
            .external_auth
            .clone()
            .unwrap();
        assert_eq!(auth.protocol, HttpRouteExternalAuthProtocol::Http);
        assert_eq!(auth.forward_body.unwrap().max_size, Some(1024));
        rule.apply_defaults("ns");
        let sp = rule.session_persistence.unwrap();
        assert_eq!(sp.type_, Some(SessionPersistenceType::Cookie));
        assert_eq!(
            sp.cookie_config.unwrap().lifetime_type,
            Some(CookieLifetimeType::Session)
        );
        let auth = rule.filters.unwrap()[0].external_auth.clone().unwrap();
        assert_eq!(auth.backend_ref.namespace.as_deref(), Some("ns"));
    }

    #[test]
    fn round_trips() {
        let r = route();
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<HttpRoute>(&json).unwrap(), r);
        let mut d = r.clone();
        d.apply_defaults("");
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(serde_json::from_value::<HttpRoute>(json).unwrap(), d);
    }

    #[test]
    fn unknown_enum_values_do_not_load() {
        let bad = MANIFEST.replace("type: Exact", "type: Prefix");
        assert!(serde_saphyr::from_str::<HttpRoute>(&bad).is_err());
    }

    #[test]
    fn defaults() {
        let mut r = route();
        r.apply_defaults("ignored");
        let parent = &r.spec.parent_refs.as_ref().unwrap()[0];
        assert_eq!(parent.group.as_deref(), Some("gateway.networking.k8s.io"));
        assert_eq!(parent.kind.as_deref(), Some("Gateway"));
        assert_eq!(parent.namespace.as_deref(), Some("infra"));
        let rules = r.spec.rules.as_ref().unwrap();
        let rule = &rules[0];
        let m = &rule.matches.as_ref().unwrap()[0];
        assert_eq!(
            m.headers.as_ref().unwrap()[0].type_,
            Some(StringMatchType::Exact)
        );
        assert_eq!(
            m.query_params.as_ref().unwrap()[0].type_,
            Some(StringMatchType::Exact)
        );
        let filters = rule.filters.as_ref().unwrap();
        let mirror = filters[2].request_mirror.as_ref().unwrap();
        assert_eq!(mirror.backend_ref.group.as_deref(), Some(""));
        assert_eq!(mirror.backend_ref.kind.as_deref(), Some("Service"));
        assert_eq!(mirror.backend_ref.namespace.as_deref(), Some("shop"));
        assert_eq!(mirror.fraction.unwrap().denominator, Some(100));
        assert_eq!(filters[3].cors.as_ref().unwrap().max_age, Some(5));
        let backends = rule.backend_refs.as_ref().unwrap();
        assert_eq!(backends[0].weight, Some(90));
        assert_eq!(backends[0].namespace.as_deref(), Some("shop"));
        assert_eq!(backends[0].kind.as_deref(), Some("Service"));
        assert_eq!(backends[1].namespace.as_deref(), Some("other"));
        assert_eq!(backends[1].weight, Some(1));
        assert_eq!(backends[2].kind.as_deref(), Some("Backend"));
        assert_eq!(backends[2].group.as_deref(), Some("gateway.kgateway.dev"));
        // A rule without matches gets one `PathPrefix /` match.
        let default_match = &rules[1].matches.as_ref().unwrap()[..];
        assert_eq!(
            default_match,
            [HttpRouteMatch {
                path: Some(HttpPathMatch {
                    type_: Some(PathMatchType::PathPrefix),
                    value: Some("/".into())
                }),
                ..Default::default()
            }]
        );
        let redirect = rules[1].filters.as_ref().unwrap()[0]
            .request_redirect
            .as_ref()
            .unwrap();
        assert_eq!(redirect.status_code, Some(302));

        let once = r.clone();
        r.apply_defaults("ignored");
        assert_eq!(r, once);
    }

    #[test]
    fn absent_rules_default_to_one_catch_all_rule() {
        let mut r: HttpRoute = serde_json::from_str(
            r#"{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute",
                "metadata":{"name":"r","namespace":"n"},"spec":{}}"#,
        )
        .unwrap();
        assert_eq!(r.spec.rules, None);
        r.apply_defaults("n");
        let rules = r.spec.rules.as_ref().unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].backend_refs, None);
        assert_eq!(
            rules[0].matches.as_ref().unwrap()[0].path_or_default(),
            (PathMatchType::PathPrefix, "/")
        );
        // A path with only a value keeps it and gains the type.
        let mut m: HttpRouteMatch = serde_json::from_str(r#"{"path":{"value":"/x"}}"#).unwrap();
        m.apply_defaults("n");
        assert_eq!(m.path_or_default(), (PathMatchType::PathPrefix, "/x"));
        assert_eq!(m.path.unwrap().type_, Some(PathMatchType::PathPrefix));
    }

    #[test]
    fn enum_strings() {
        assert_eq!(HttpRouteFilterType::UrlRewrite.as_str(), "URLRewrite");
        assert_eq!(HttpRouteFilterType::Cors.to_string(), "CORS");
        assert_eq!(
            serde_json::to_string(&HttpCorsMethod::Any).unwrap(),
            "\"*\""
        );
        assert_eq!(
            serde_json::from_str::<HttpMethod>("\"PATCH\"").unwrap(),
            HttpMethod::Patch
        );
        assert_eq!(HttpMethod::ALL.len(), 9);
    }
}
