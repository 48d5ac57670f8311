//! # kgw-proxy
//!
//! A thin adapter that routes real HTTP traffic with kgw-resolve and kgw-rewrite: a
//! [`Gateway`] holding a hot-swappable [`Snapshot`] (behind `arc-swap`), a hyper server runner
//! ([`Gateway::bind`], [`Gateway::serve`], optionally on worker threads with one runtime each:
//! [`ServerOptions::worker_threads`]), a tower [`GatewayService`] and [`GatewayLayer`], pooled
//! upstream connections (HTTP/1.1 ones driven on the request's own task, hyper-util clients for
//! HTTP/2 and upgrades) to static Backend hosts, Services (through an
//! [`endpoints::EndpointResolver`]) and AWS Lambda (SigV4-signed, [`aws`]), upstream TLS from
//! BackendConfigPolicy ([`tls`]), file-watching reload ([`reload`]) and [`metrics::Counters`].
//! All routing and filter semantics live in the core crates. See `docs/embedding.md`.

pub mod aws;
pub mod body;
pub mod connector;
pub mod endpoints;
pub mod fault;
mod filters;
mod gateway;
mod head_timeout;
mod lambda;
pub mod metrics;
mod pool;
pub mod reload;
pub mod secrets;
pub mod server;
mod service;
pub mod table;
pub mod tls;
pub mod upstream;

pub use gateway::{ConnectionInfo, Gateway, GatewayOptions};
pub use server::{BoundServer, ListenerSpec, ServerOptions};
pub use service::{GatewayLayer, GatewayOr, GatewayService};
pub use table::{Snapshot, SnapshotError};
