//! # kgw-api
//!
//! Typed resources of the Kubernetes Gateway API (v1.6.1: GatewayClass, Gateway, HTTPRoute,
//! ReferenceGrant, BackendTLSPolicy; GRPCRoute documents are recognised) and of kgateway
//! (`Backend`, `BackendConfigPolicy`), plus the core `Service`, `Namespace` and `Secret` fields
//! that routing reads.
//!
//! Types follow the upstream CRDs field for field: exact camelCase names, optional fields as
//! `Option`, enums as Rust enums. Loading keeps what a manifest says; [`defaults::ApplyDefaults`]
//! is the explicit step that fills in the CRD defaults.
//!
//! ```
//! use kgw_api::gateway::HttpRoute;
//! use kgw_api::load::{load_str, LoadOptions};
//!
//! let manifest = "\
//! apiVersion: gateway.networking.k8s.io/v1
//! kind: HTTPRoute
//! metadata:
//!   name: static-backend
//! spec:
//!   parentRefs:
//!   - name: http
//!     namespace: kgateway-system
//!   rules:
//!   - backendRefs:
//!     - name: json-backend
//!       kind: Backend
//!       group: gateway.kgateway.dev
//! ";
//! let resources = load_str("route.yaml", manifest, &LoadOptions::default())?;
//! // No namespace in the manifest: it lands in `default`, as with kubectl.
//! let stored = resources.http_routes.get("default", "static-backend").unwrap();
//! let kind_at = stored.source.as_ref().unwrap().field("spec.rules[0].backendRefs[0].kind");
//! assert_eq!((kind_at.line, kind_at.column), (12, 7));
//!
//! // A typo is an error that names the file, the line and the field.
//! let typo = manifest.replace("backendRefs:", "backendRef:");
//! let err = load_str("route.yaml", &typo, &LoadOptions::default()).unwrap_err();
//! assert_eq!(err.0[0].to_string(), "route.yaml:10:5: document 0: spec.rules[0].backendRef: unknown field `backendRef`");
//! # Ok::<(), kgw_api::load::LoadErrors>(())
//! ```

pub mod defaults;
pub mod gateway;
pub mod k8s;
pub mod kgateway;
pub mod load;
pub mod meta;
pub mod resource;
pub mod resources;

pub use meta::{Condition, ConditionStatus, LabelSelector, ObjectMeta};
pub use resource::{ObjectKey, ObjectRef, Resource};
pub use resources::{Resources, Source, Store, Stored};
/// The string type of [`ObjectKey`], [`ObjectRef`] and [`gateway::ParentReference`] fields
/// (crate `smol_str`).
pub use smol_str::SmolStr;
