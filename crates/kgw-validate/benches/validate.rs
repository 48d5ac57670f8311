//! Validation speed on generated sets of routes with Services, Backends and ReferenceGrants.

mod common;

use common::generate;
use kgw_validate::{Options, validate};

// Counts allocations per validation in the bench output: they dominate its profile.
#[global_allocator]
static ALLOC: divan::AllocProfiler = divan::AllocProfiler::system();

fn main() {
    divan::main();
}

/// Every route has its own regex: the worst case for the per-run regex verdict cache.
#[divan::bench(args = [1_000, 10_000], sample_count = 10)]
fn validate_routes(bencher: divan::Bencher, routes: usize) {
    let resources = generate(routes, routes);
    let options = Options::default();
    bencher.bench(|| validate(divan::black_box(&resources), &options));
}

/// The same routes with 50 distinct regexes between them, as real configurations repeat patterns.
#[divan::bench(args = [1_000, 10_000], sample_count = 10)]
fn validate_routes_repeated_patterns(bencher: divan::Bencher, routes: usize) {
    let resources = generate(routes, 50);
    let options = Options::default();
    bencher.bench(|| validate(divan::black_box(&resources), &options));
}
