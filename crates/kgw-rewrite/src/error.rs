//! The error every rewrite step returns: an invalid result or a configuration the request cannot
//! be served with. The gateway answers such requests with 500 ([`RewriteError::status`]).

use http::StatusCode;
use kgw_api::gateway::HttpRouteFilterType;
use kgw_api::gateway::httproute::HttpPathModifierType;

/// Why a filter could not produce a valid request, redirect or response.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RewriteError {
    /// A header name that is not an HTTP token.
    #[error("invalid header name {name:?}")]
    InvalidHeaderName {
        /// The name as configured.
        name: String,
    },
    /// A header value with a control character (CR, LF, NUL, …).
    #[error(
        "invalid value for header {name:?}: control characters such as CR or LF are not allowed"
    )]
    InvalidHeaderValue {
        /// The header the value was meant for.
        name: String,
    },
    /// A hostname or authority that is not a valid URI authority (or carries user info).
    #[error("invalid authority {authority:?}")]
    InvalidAuthority {
        /// The authority as built.
        authority: String,
    },
    /// A path (with query) that is not a valid request target.
    #[error("invalid path {path:?}")]
    InvalidPath {
        /// The path as built.
        path: String,
    },
    /// A redirect keeps the request's host, and the request has none.
    #[error("the request has no host to redirect to")]
    MissingHost,
    /// A filter whose `type` names a configuration field that is not set.
    #[error("{filter} filter has no configuration")]
    MissingConfig {
        /// The filter type.
        filter: HttpRouteFilterType,
    },
    /// A path modifier without the value its type needs.
    #[error("path modifier {kind} has no value")]
    MissingPathValue {
        /// The modifier type.
        kind: HttpPathModifierType,
    },
    /// `ReplacePrefixMatch` on a request that was not matched by a `PathPrefix`.
    #[error("ReplacePrefixMatch needs the rule's PathPrefix match, and the request matched none")]
    NoPrefixMatch,
    /// The request path does not start with the matched prefix (element-wise).
    #[error("request path {path:?} does not start with the matched prefix {prefix:?}")]
    PrefixMismatch {
        /// The request path.
        path: String,
        /// The matched prefix.
        prefix: String,
    },
    /// A redirect status code other than 301, 302, 303, 307, 308.
    #[error("redirect status code {0} is not one of 301, 302, 303, 307, 308")]
    InvalidRedirectStatus(i64),
    /// A redirect port outside 1–65535.
    #[error("redirect port {0} is outside 1-65535")]
    InvalidRedirectPort(i32),
    /// A redirect `Location` that does not parse as an absolute URL.
    #[error("invalid redirect location {location:?}: {reason}")]
    InvalidLocation {
        /// The location as built.
        location: String,
        /// What the URL parser said.
        reason: String,
    },
}

impl RewriteError {
    /// The status the gateway answers with: always 500, the configuration (or the result it
    /// produced) is at fault, not the client.
    pub fn status(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }
}
