//! # kgw
//!
//! The routing semantics of the Kubernetes Gateway API (HTTPRoute, ReferenceGrant) and of
//! kgateway's `Backend` resource, as ordinary Rust crates. This facade re-exports the suite so
//! that one dependency brings all of it; each part also stands alone as its own crate:
//!
//! | module | crate | owns |
//! |---|---|---|
//! | [`api`] | `kgw-api` | typed resources, defaulting, manifest loading with source locations |
//! | [`validate`] | `kgw-validate` | field rules, references, ReferenceGrant, Gateway API status |
//! | [`resolve`] | `kgw-resolve` | routing table and request resolution |
//! | [`rewrite`] | `kgw-rewrite` | filter semantics on `http` types, Lambda payload transforms |
//!
//! ```
//! let resources = kgw::api::load::load_str(
//!     "inline.yaml",
//!     "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n",
//!     &kgw::api::load::LoadOptions::default(),
//! )
//! .unwrap();
//! assert_eq!(resources.namespaces.len(), 1);
//! ```

pub use kgw_api as api;
pub use kgw_resolve as resolve;
pub use kgw_rewrite as rewrite;
pub use kgw_validate as validate;
