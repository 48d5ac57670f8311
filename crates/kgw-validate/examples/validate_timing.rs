//! Times `validate` on the benchmark's input and prints the fastest and the median run.
//!
//! `cargo run --release -p kgw-validate --example validate_timing -- ROUTES PATTERNS RUNS`
//! (defaults: 10000 50 15). On a shared, noisy machine the fastest of many runs, with the
//! binaries to compare alternated, resolves differences that divan's medians do not.

#[path = "../benches/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use kgw_validate::{Options, validate};

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let mut next = |name: &str, default: usize| -> Result<usize, String> {
        args.next().map_or(Ok(default), |value| {
            value
                .parse()
                .map_err(|_| format!("{name} must be a number, not {value:?}"))
        })
    };
    let routes = next("ROUTES", 10_000)?;
    let patterns = next("PATTERNS", 50)?.max(1);
    let runs = next("RUNS", 15)?.max(1);

    let resources = common::generate(routes, patterns);
    let options = Options::default();
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    // The previous report is dropped outside the timed region, as divan does.
    let mut previous = None;
    for _ in 0..runs {
        let start = Instant::now();
        let report = validate(std::hint::black_box(&resources), &options);
        times.push(start.elapsed());
        previous = Some(report);
    }
    drop(previous);
    times.sort();
    // `runs` is at least 1, so there is a first and a middle time.
    println!(
        "{routes} routes, {patterns} patterns, {runs} runs: fastest {:.2?}, median {:.2?}",
        times[0],
        times[times.len() / 2]
    );
    Ok(())
}
