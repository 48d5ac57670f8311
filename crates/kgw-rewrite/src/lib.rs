//! # kgw-rewrite
//!
//! Pure filter semantics over `http` types.
//!
//! This crate will own (see the project issue "Rewrite semantics"): RequestHeaderModifier,
//! ResponseHeaderModifier, URLRewrite, RequestRedirect, RequestMirror descriptors and CORS, and
//! the AWS Lambda request and response payload transforms of kgateway Backends. It is not
//! implemented yet.
