//! # kgw-resolve
//!
//! Route resolution: compiles resources and a validation report into a routing table per
//! Gateway listener and answers where a request goes.
//!
//! This crate will own (see the project issue "Route resolution engine"): listener selection,
//! hostname intersection, the full match precedence, weighted backend choice and the 404/500
//! rules, an indexed fast matcher and a plain reference matcher it is tested against. It is not
//! implemented yet.
