//! # kgw-validate
//!
//! Validation of loaded resources, computing what a conformant controller would write.
//!
//! This crate will own (see the project issue "Validation"): the OpenAPI limits and CEL rules of the
//! upstream CRDs as Rust checks, reference checks (ReferenceGrant, kinds, existence, the
//! port-on-Backend warning), and the Gateway API status of every object: conditions with the
//! reasons the specification prescribes, per parentRef and per listener. Its output is a `Report`
//! of diagnostics and statuses. It is not implemented yet.
