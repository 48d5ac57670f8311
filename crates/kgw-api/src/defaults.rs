//! Defaulting as an explicit step.
//!
//! Loading keeps exactly what a manifest says, so validation can tell "unset" from "set to the
//! default". [`ApplyDefaults`] then fills in what the API server would: the defaults written in
//! the CRDs (path match `PathPrefix /`, backend weight 1, kind `Service`, group `""`, …) and the
//! namespaces that references inherit from their object.

/// Fills in the defaults the API server (or the specification, for inherited namespaces) would.
///
/// Applying defaults twice is the same as applying them once.
pub trait ApplyDefaults {
    /// Fills unset fields with their defaults. `namespace` is the namespace of the enclosing
    /// object, inherited by references that leave theirs unset.
    fn apply_defaults(&mut self, namespace: &str);
}

impl<T: ApplyDefaults> ApplyDefaults for Option<T> {
    fn apply_defaults(&mut self, namespace: &str) {
        if let Some(v) = self {
            v.apply_defaults(namespace);
        }
    }
}

impl<T: ApplyDefaults> ApplyDefaults for Vec<T> {
    fn apply_defaults(&mut self, namespace: &str) {
        for v in self {
            v.apply_defaults(namespace);
        }
    }
}

/// Sets `field` to `value()` when it is unset.
pub fn default_to<T>(field: &mut Option<T>, value: impl FnOnce() -> T) {
    if field.is_none() {
        *field = Some(value());
    }
}
