//! # kgw-proxy
//!
//! A thin adapter that routes real HTTP traffic.
//!
//! This crate will own (see the project issue "Embedded gateway"): a tower `Service` and a hyper
//! server that route requests with kgw-resolve and kgw-rewrite to static hosts, Services and AWS
//! Lambda, behind a hot-swappable routing table. It is not implemented yet.
