//! kgateway `Backend` data-plane semantics: static host lists with round-robin picking, the
//! upstream protocol of an `appProtocol`, and AWS Lambda invocation with Envoy's payload
//! transforms.

pub mod lambda;
pub mod lambda_payload;
pub mod protocol;
pub mod static_hosts;

pub use lambda::{LambdaConfigError, LambdaEndpoint, LambdaTarget};
pub use lambda_payload::{LambdaReplyError, LambdaResponse};
pub use protocol::UpstreamProtocol;
pub use static_hosts::{
    Discovery, RoundRobin, StaticBackendError, StaticEndpoint, StaticEndpoints,
};
