//! # kgw-kube
//!
//! A thin adapter over kube-rs (kube 5, k8s-openapi 0.29): it gives the kube-free kgw-api types
//! a Kubernetes identity and drives kgw from a cluster.
//!
//! - [`object`]: [`Kube<T>`](object::Kube) implements [`kube::Resource`] for every kgw-api kind,
//!   so `Api::<Kube<HttpRoute>>::namespaced(client, "ns")` works;
//! - [`crd`]: the kgateway `Backend` CRD generated from the types' schemas;
//! - [`snapshot`]: reflectors for the kinds routing reads, rebuilt into
//!   [`kgw_api::Resources`] with debouncing;
//! - [`status`] (pure) and [`writer`] (I/O): the status a report computes, written with
//!   server-side apply;
//! - [`controller`]: the loop tying them together.
//!
//! The library enables no k8s-openapi version feature; the binary that links it picks one
//! (`k8s-openapi = { version = "0.29", features = ["latest"] }`), see `docs/kube.md`.
//!
//! ```
//! use kgw_api::gateway::HttpRoute;
//! use kgw_kube::Kube;
//! use kube::Resource;
//!
//! assert_eq!(
//!     Kube::<HttpRoute>::url_path(&(), Some("apps")),
//!     "/apis/gateway.networking.k8s.io/v1/namespaces/apps/httproutes"
//! );
//! ```

pub mod controller;
pub mod crd;
pub mod object;
pub mod snapshot;
pub mod status;
pub mod writer;

pub use controller::{ControllerConfig, run};
pub use object::{Kube, KubeKind};
pub use snapshot::{Snapshot, SnapshotConfig};
pub use writer::{StatusWriter, WriteSummary};
