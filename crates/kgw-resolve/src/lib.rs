//! # kgw-resolve
//!
//! Route resolution for the Kubernetes Gateway API: [`RouteTable::build`] compiles resources
//! and a validation report into a routing table per Gateway; [`GatewayTable::resolve`] answers
//! where a request goes.
//!
//! - Listener selection by port, then the single most specific listener hostname (by TLS
//!   server name first for HTTPS, with 421 for a Host owned by another listener); no fallback
//!   to a broader listener.
//! - Route hostnames with `*.` wildcards (one or more labels); the request host is normalised
//!   once (ASCII lowercase, port and trailing dot removed).
//! - The full precedence order ([`rank::Precedence`]): hostname specificity, Exact path,
//!   RegularExpression (longer pattern first), longest PathPrefix (segment-wise), method,
//!   header count, query count, oldest `creationTimestamp`, `namespace/name`, rule order,
//!   match order. Regexes are full matches.
//! - Weighted backendRefs with a pluggable [`RandomSource`]; invalid references keep their
//!   weight and answer 500; 404 when nothing matches.
//! - Request paths are normalised first ([`path::normalize_path`]).
//!
//! The fast table is an index (hash buckets by hostname and path, presorted candidate lists)
//! and does not allocate per request; [`reference`](mod@reference) is a plain linear matcher that follows the
//! specification text and is the fast table's test oracle; [`GatewayTable::explain`] says why
//! each candidate won or lost. `docs/resolution.md` has the full semantics.
//!
//! ```
//! use kgw_resolve::{Outcome, RequestHead, RouteTable, SplitMix64};
//! use kgw_api::load::{load_str, LoadOptions};
//! use kgw_api::ObjectKey;
//! use kgw_validate::report::*;
//!
//! let resources = load_str("m.yaml", r#"
//! apiVersion: gateway.networking.k8s.io/v1
//! kind: Gateway
//! metadata: {name: gw, namespace: infra}
//! spec:
//!   gatewayClassName: kgw
//!   listeners: [{name: http, port: 80, protocol: HTTP}]
//! ---
//! apiVersion: gateway.networking.k8s.io/v1
//! kind: HTTPRoute
//! metadata: {name: shop, namespace: infra}
//! spec:
//!   parentRefs: [{name: gw}]
//!   hostnames: ["shop.example.com"]
//!   rules:
//!   - matches: [{path: {type: PathPrefix, value: /api}}]
//!     backendRefs: [{name: api, port: 8080}]
//! "#, &LoadOptions::default()).unwrap();
//!
//! // Normally `kgw_validate::validate(&resources, &options)`; written out here.
//! let gateway = ObjectKey::new("infra", "gw");
//! let mut report = Report::default();
//! report.gateways.insert(gateway.clone(), GatewayReport {
//!     listeners: vec![ListenerReport {
//!         name: "http".into(),
//!         conditions: vec![kgw_api::Condition {
//!             type_: "Accepted".into(), status: kgw_api::ConditionStatus::True,
//!             observed_generation: None, last_transition_time: None,
//!             reason: "Accepted".into(), message: "".into(),
//!         }],
//!         ..Default::default()
//!     }],
//!     ..Default::default()
//! });
//! let parent_ref = resources.http_routes.get("infra", "shop").unwrap().object.spec.parent_refs.as_ref().unwrap()[0].clone();
//! report.routes.insert(ObjectKey::new("infra", "shop"), RouteReport {
//!     parents: vec![ParentReport { parent_ref, gateway: gateway.clone(), listeners: vec!["http".into()], conditions: vec![] }],
//!     rules: vec![RuleReport {
//!         backend_refs: vec![BackendRefReport::Resolved(ResolvedBackend::Service {
//!             key: ObjectKey::new("infra", "api"), port: 8080,
//!         })],
//!         ..Default::default()
//!     }],
//! });
//!
//! let table = RouteTable::build(&resources, &report);
//! let gw = table.gateway("infra", "gw").unwrap();
//! let mut random = SplitMix64::new(0);
//! let outcome = gw.resolve(&RequestHead::new("GET", "Shop.Example.com:80", "/api/items"), &mut random);
//! let Outcome::Matched(resolution) = outcome else { panic!("{outcome:?}") };
//! assert_eq!(resolution.route_key.name, "shop");
//! assert_eq!(resolution.matched_prefix(), Some("/api"));
//! assert_eq!(outcome.status(), None);
//! assert_eq!(gw.resolve(&RequestHead::new("GET", "shop.example.com", "/apix"), &mut random).status(), Some(404));
//! ```

pub mod backend;
mod explain;
mod host;
pub mod matcher;
pub mod outcome;
pub mod path;
pub mod rank;
pub mod reference;
pub mod request;
mod table;

pub use backend::{RandomSource, SplitMix64};
pub use explain::{CandidateVerdict, Explanation, ListenerChoice, ListenerVerdict, Verdict};
pub use host::normalize_host;
pub use outcome::{
    BackendChoice, BackendSummary, ListenerInfo, MatchedPath, Outcome, Resolution, Summary, Target,
};
pub use path::{PathError, PathOptions};
pub use request::{Headers, RequestHead};
pub use table::{BuildOptions, GatewayTable, RouteTable};
