//! Manifest loading from arbitrary bytes: never panics; every error is located; whatever loads
//! survives serialize → load unchanged; defaulting is total and idempotent.
#![no_main]

use kgw_fuzz::{check_load_errors, dump, fuzz_load_options, load_bytes, without_sources};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let options = fuzz_load_options();
    let (resources, errors) = load_bytes(bytes, options);
    check_load_errors(&errors);
    if resources.is_empty() {
        return;
    }
    let (again, errors) = load_bytes(dump(&resources).as_bytes(), options);
    assert!(
        errors.is_empty(),
        "a loaded object does not load again: {errors:?}"
    );
    assert_eq!(
        without_sources(&again),
        without_sources(&resources),
        "round trip changed an object"
    );
    let defaulted = resources.defaulted();
    assert_eq!(
        defaulted.defaulted(),
        defaulted,
        "defaulting is not idempotent"
    );
});
