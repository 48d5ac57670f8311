//! Resolution speed on synthetic tables: `HOSTSxPATHS` routes (`h{i}.example.com`,
//! `PathPrefix /p{j}`) plus 100 wildcard routes and one header/query/regex route.
//! Two distributions at 1k, 10k and 100k routes: many paths per host (`…x100`) and many hosts
//! (`…x10`). Run with `CARGO_TARGET_DIR=… cargo bench -p kgw-resolve`.

#[path = "../tests/common/synthetic.rs"]
mod synthetic;

use std::sync::OnceLock;

use divan::{Bencher, black_box};
use http::HeaderMap;
use kgw_resolve::{GatewayTable, RequestHead, RouteTable, SplitMix64};
use synthetic::Synthetic;

#[global_allocator]
static ALLOC: divan::AllocProfiler = divan::AllocProfiler::system();

fn main() {
    divan::main();
}

/// `HOSTSxPATHS`: 1k, 10k and 100k routes, many paths per host, then many hosts.
const SHAPES: &[&str] = &[
    "10x100", "100x100", "1000x100", "100x10", "1000x10", "10000x10",
];

fn parse(shape: &str) -> (usize, usize) {
    let (h, p) = shape.split_once('x').unwrap();
    (h.parse().unwrap(), p.parse().unwrap())
}

struct Fixture {
    table: RouteTable,
    hosts: usize,
    paths: usize,
}

impl Fixture {
    fn gateway(&self) -> &GatewayTable {
        self.table.gateway("infra", "gw").unwrap()
    }
}

fn fixture(shape: &str) -> &'static Fixture {
    static FIXTURES: [OnceLock<Fixture>; 6] = [const { OnceLock::new() }; 6];
    let at = SHAPES.iter().position(|s| *s == shape).unwrap();
    FIXTURES[at].get_or_init(|| {
        let (hosts, paths) = parse(shape);
        let synthetic = Synthetic::new(hosts, paths);
        Fixture {
            table: RouteTable::build(&synthetic.resources, &synthetic.report),
            hosts,
            paths,
        }
    })
}

fn bench_request(
    bencher: Bencher,
    shape: &str,
    host: &str,
    path: &str,
    headers: Option<&HeaderMap>,
    want: Option<u16>,
) {
    let gw = fixture(shape).gateway();
    let mut req = RequestHead::new("GET", host, path);
    if let Some(headers) = headers {
        req = req.with_headers(headers);
    }
    let mut random = SplitMix64::new(0);
    assert_eq!(
        gw.resolve(&req, &mut random).status(),
        want,
        "{shape} {host}{path}"
    );
    bencher.bench_local(|| gw.resolve(black_box(&req), &mut random).status());
}

/// A known host, the last of its paths, one segment below the prefix.
#[divan::bench(args = SHAPES)]
fn hit(bencher: Bencher, shape: &str) {
    let f = fixture(shape);
    let host = format!("h{}.example.com", f.hosts / 2);
    let path = format!("/p{}/item", f.paths - 1);
    bench_request(bencher, shape, &host, &path, None, None);
}

/// An unknown host: 404.
#[divan::bench(args = SHAPES)]
fn miss_host(bencher: Bencher, shape: &str) {
    bench_request(
        bencher,
        shape,
        "nowhere.example.org",
        "/p1/item",
        None,
        Some(404),
    );
}

/// A known host, a path none of its routes has: 404.
#[divan::bench(args = SHAPES)]
fn miss_path(bencher: Bencher, shape: &str) {
    let host = format!("h{}.example.com", fixture(shape).hosts / 2);
    bench_request(bencher, shape, &host, "/nope/item", None, Some(404));
}

/// A host matched by a `*.w5.example.com` route.
#[divan::bench(args = SHAPES)]
fn wildcard(bencher: Bencher, shape: &str) {
    bench_request(bencher, shape, "a.b.w5.example.com", "/p3/item", None, None);
}

/// A match on a header and a query parameter.
#[divan::bench(args = SHAPES)]
fn header_query(bencher: Bencher, shape: &str) {
    let mut headers = HeaderMap::new();
    headers.insert("x-user", "1".parse().unwrap());
    headers.insert("accept", "*/*".parse().unwrap());
    bench_request(
        bencher,
        shape,
        "h0.example.com",
        "/hq/x?a=1&v=2",
        Some(&headers),
        None,
    );
}

/// A path regex (`/re/[0-9]+`).
#[divan::bench(args = SHAPES)]
fn regex(bencher: Bencher, shape: &str) {
    bench_request(bencher, shape, "h0.example.com", "/re/12345", None, None);
}

/// Compiling the table (the resources and report are prepared outside the timing).
#[divan::bench(args = SHAPES, sample_count = 5, sample_size = 1)]
fn build(bencher: Bencher, shape: &str) {
    let (hosts, paths) = parse(shape);
    let synthetic = Synthetic::new(hosts, paths);
    bencher.bench_local(|| RouteTable::build(&synthetic.resources, &synthetic.report));
}
