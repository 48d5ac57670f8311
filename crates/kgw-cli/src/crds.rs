//! `kgw crds`: the CRDs of the kinds kgw owns, generated from their schemas.

use crate::{EXIT_FINDINGS, EXIT_OK};

/// Prints the kgateway `Backend` CRD as YAML, ready for `kubectl apply -f -`.
pub fn run() -> u8 {
    match kgw_kube::crd::to_yaml(&kgw_kube::crd::backend_crd()) {
        Ok(yaml) => {
            print!("---\n{yaml}");
            EXIT_OK
        }
        Err(e) => {
            eprintln!("error: cannot render the CRD: {e}");
            EXIT_FINDINGS
        }
    }
}
