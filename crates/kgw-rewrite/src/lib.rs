//! # kgw-rewrite
//!
//! Pure filter semantics over `http` types, no I/O: what a Gateway API `HTTPRoute` rule does to
//! a request once it matched — `RequestHeaderModifier`, `ResponseHeaderModifier`, `URLRewrite`,
//! `RequestRedirect`, `RequestMirror` descriptors, `CORS`, `ExtensionRef` — and kgateway
//! `Backend` data-plane semantics: static host round-robin, `appProtocol` mapping, AWS Lambda
//! invocation and Envoy's Lambda payload transforms.
//!
//! [`apply()`] runs a rule's filters (rule-level, then the chosen backendRef's) and answers with
//! an [`Action`]; every filter is also usable alone ([`headers::apply`],
//! [`url_rewrite::rewrite_path`], [`redirect::location`], [`cors::preflight`], …). Whatever a
//! filter writes is validated ([`validate_output`]): a CR/LF in a value or a bad authority is a
//! [`RewriteError`], never a panic and never a smuggled header.
//!
//! The crate depends on `kgw-api` and `http` only (no resolver): the caller builds a
//! [`RouteContext`] from whatever matched the request.
//!
//! ```
//! use kgw_api::gateway::HttpRoute;
//! use kgw_rewrite::{Action, ListenerInfo, RouteContext, Scheme, apply};
//!
//! let route: HttpRoute = serde_json::from_value(serde_json::json!({
//!     "apiVersion": "gateway.networking.k8s.io/v1",
//!     "kind": "HTTPRoute",
//!     "metadata": {"name": "static-backend"},
//!     "spec": {"rules": [{
//!         "matches": [{"path": {"type": "PathPrefix", "value": "/api"}}],
//!         "filters": [{
//!             "type": "URLRewrite",
//!             "urlRewrite": {
//!                 "hostname": "jsonplaceholder.typicode.com",
//!                 "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}
//!             }
//!         }],
//!         "backendRefs": [{"group": "gateway.kgateway.dev", "kind": "Backend", "name": "json"}]
//!     }]}
//! }))?;
//! let rule = &route.spec.rules.as_ref().unwrap()[0];
//! let ctx = RouteContext {
//!     rule_filters: rule.filters.as_deref().unwrap_or_default(),
//!     matched_prefix: Some("/api"),
//!     listener: ListenerInfo { scheme: Scheme::Http, port: 8080 },
//!     ..RouteContext::default()
//! };
//!
//! let (mut parts, ()) = http::Request::get("/api/posts/1?full=1")
//!     .header("host", "static.example")
//!     .body(())?
//!     .into_parts();
//! let action = apply(&ctx, &mut parts)?;
//! assert!(matches!(action, Action::Forward(_)));
//! assert_eq!(parts.headers["host"], "jsonplaceholder.typicode.com");
//! assert_eq!(parts.uri, "/posts/1?full=1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod action;
pub mod apply;
pub mod backend;
pub mod cors;
mod error;
pub mod headers;
pub mod mirror;
pub mod redirect;
pub mod request;
pub mod url_rewrite;
pub mod validate_output;

pub use action::{Action, ExtensionFilter, Forward, Respond};
pub use apply::{ExtensionHandling, RouteContext, apply};
pub use error::RewriteError;
pub use headers::HeaderOps;
pub use mirror::MirrorTarget;
pub use redirect::Redirect;
pub use request::{ListenerInfo, RequestSummary, Scheme};
