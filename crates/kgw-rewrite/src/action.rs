//! What the gateway does with a request once its filters ran.

use http::{HeaderMap, StatusCode};
use kgw_api::gateway::LocalObjectReference;
use kgw_api::gateway::httproute::HttpExternalAuthFilter;

use crate::headers::HeaderOps;
use crate::mirror::MirrorTarget;
use crate::redirect::Redirect;

/// The outcome of [`crate::apply()`].
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Send the (rewritten) request to the chosen backend.
    Forward(Forward),
    /// Answer with a redirect.
    Redirect(Redirect),
    /// Answer directly (a CORS preflight, an unsupported extension filter).
    Respond(Respond),
}

/// What goes with a forwarded request.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Forward {
    /// Operations on the backend's response, to apply in order (rule-level filters first).
    pub response_headers: Vec<HeaderOps>,
    /// Backends that get a copy of the forwarded request.
    pub mirrors: Vec<MirrorTarget>,
    /// Implementation-specific filters, carried for the caller when
    /// [`crate::ExtensionHandling::Carry`] is chosen.
    pub extensions: Vec<ExtensionFilter>,
}

/// A direct answer from the gateway.
#[derive(Clone, Debug, PartialEq)]
pub struct Respond {
    /// Status code.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// Why the gateway answers itself (for logs and `kgw resolve --explain`).
    pub reason: String,
}

impl Respond {
    /// A 500 answer for a request the configuration cannot serve.
    pub fn error(reason: impl Into<String>) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            headers: HeaderMap::new(),
            reason: reason.into(),
        }
    }
}

/// A filter whose behaviour lives outside this crate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExtensionFilter {
    /// `ExtensionRef`: an implementation-specific filter object in the route's namespace.
    ExtensionRef(LocalObjectReference),
    /// `ExternalAuth` (experimental channel): ask an authorization service first.
    ExternalAuth(HttpExternalAuthFilter),
}

impl ExtensionFilter {
    /// A short description: `ExtensionRef group/Kind name` or `ExternalAuth`.
    pub fn describe(&self) -> String {
        match self {
            Self::ExtensionRef(r) => format!("ExtensionRef {}/{} {}", r.group, r.kind, r.name),
            Self::ExternalAuth(a) => format!("ExternalAuth {}", a.backend_ref.name),
        }
    }
}
