//! `resolve` allocates nothing on the hit and miss paths: counted with an instrumented global
//! allocator, in a test binary of its own so no other test allocates meanwhile.

#[path = "common/synthetic.rs"]
mod synthetic;

use std::alloc::System;

use http::HeaderMap;
use kgw_resolve::{RequestHead, RouteTable, SplitMix64};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn resolve_does_not_allocate() {
    let synthetic = synthetic::Synthetic::new(100, 10);
    let before = Region::new(GLOBAL);
    let table = RouteTable::build(&synthetic.resources, &synthetic.report);
    let built = before.change();
    let routes = table.gateways()[0].route_count();
    println!(
        "table of {routes} routes retains {} bytes ({} per route)",
        built.bytes_allocated - built.bytes_deallocated,
        (built.bytes_allocated - built.bytes_deallocated) / routes
    );
    let gw = table.gateway("infra", "gw").unwrap();
    let mut map = HeaderMap::new();
    map.insert("x-user", "1".parse().unwrap());
    let pairs = [("X-User", "1")];
    let requests = [
        ("hit", RequestHead::new("GET", "h50.example.com", "/p9/x")),
        (
            "hit, host with case and port",
            RequestHead::new("GET", "H50.Example.com:80", "/p3"),
        ),
        (
            "miss, unknown host",
            RequestHead::new("GET", "nowhere.example.org", "/p1"),
        ),
        (
            "miss, unknown path",
            RequestHead::new("GET", "h1.example.com", "/nope/x"),
        ),
        (
            "wildcard",
            RequestHead::new("GET", "a.w5.example.com", "/p3/y"),
        ),
        (
            "headers and query (map)",
            RequestHead::new("GET", "h0.example.com", "/hq?v=2").with_headers(&map),
        ),
        (
            "headers and query (pairs)",
            RequestHead::new("GET", "h0.example.com", "/hq?a=1&v=2").with_header_pairs(&pairs),
        ),
        (
            "regex",
            RequestHead::new("GET", "h0.example.com", "/re/123"),
        ),
        (
            "no listener",
            RequestHead::new("GET", "h1.example.com", "/p1").with_port(81),
        ),
    ];
    let mut random = SplitMix64::new(1);
    // Warm up: the regex engine fills its per-thread cache on first use.
    for (_, req) in &requests {
        std::hint::black_box(gw.resolve(req, &mut random));
    }
    for (name, req) in &requests {
        let region = Region::new(GLOBAL);
        for _ in 0..100 {
            std::hint::black_box(gw.resolve(req, &mut random).status());
        }
        let change = region.change();
        assert_eq!(change.allocations, 0, "{name}: {change:?}");
        assert_eq!(change.reallocations, 0, "{name}: {change:?}");
    }
    assert_eq!(gw.resolve(&requests[0].1, &mut random).status(), None);
    assert_eq!(gw.resolve(&requests[2].1, &mut random).status(), Some(404));

    // The counter does see allocations: a path that must be normalised is copied.
    let region = Region::new(GLOBAL);
    std::hint::black_box(gw.resolve(
        &RequestHead::new("GET", "h1.example.com", "/a/../p1"),
        &mut random,
    ));
    assert!(region.change().allocations > 0);
}
