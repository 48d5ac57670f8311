//! # kgw-cli
//!
//! The `kgw` command line.
//!
//! This crate will own (see the project issue "The kgw command line"): the `kgw` binary with its
//! `check`, `resolve`, `serve` and `crds` commands, following the JSON contract in the design
//! document. It is not implemented yet.
