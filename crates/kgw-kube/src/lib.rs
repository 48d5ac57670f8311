//! # kgw-kube
//!
//! A thin adapter over kube-rs.
//!
//! This crate will own (see the project issue "Kubernetes adapter"): `kube::Resource` for every
//! kgw-api kind, CRD generation for kgw-owned kinds, watchers that keep a resource snapshot, and a
//! status writer using server-side apply. It is not implemented yet.
