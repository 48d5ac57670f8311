//! Validation on arbitrary resource sets: never panics; every diagnostic is located, coded and
//! sorted; the report does not depend on the order the objects were given in.
#![no_main]

use kgw_fuzz::scenario::Scenario;
use kgw_fuzz::{load_scenario, reversed};
use kgw_validate::{Options, ReferenceGrantMode, validate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (Scenario, u8)| {
    let (scenario, mode) = input;
    let resources = load_scenario(&scenario);
    let options = Options {
        reference_grant_mode: match mode % 3 {
            0 => ReferenceGrantMode::Strict,
            1 => ReferenceGrantMode::Permissive,
            _ => ReferenceGrantMode::Off,
        },
        ..Options::default()
    };
    let report = validate(&resources, &options);
    for d in &report.diagnostics {
        assert!(
            !d.code.is_empty() && d.code.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
            "code {:?}",
            d.code
        );
        assert!(
            d.file.is_some() && d.line.is_some(),
            "unlocated diagnostic {d:?}"
        );
        assert!(!d.message.is_empty(), "{d:?}");
    }
    let key = |d: &kgw_validate::Diagnostic| (d.file.clone(), d.line, d.column, d.code);
    assert!(
        report.diagnostics.is_sorted_by_key(key),
        "diagnostics not sorted: {:?}",
        report.diagnostics
    );
    let again = validate(&reversed(&resources), &options);
    assert_eq!(again, report, "the report depends on input order");
});
