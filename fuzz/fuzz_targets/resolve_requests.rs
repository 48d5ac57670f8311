//! Route table build and resolution on arbitrary tables and requests: never panics, and the
//! fast table, its `explain` and the reference matcher agree on every request.
#![no_main]

use arbitrary::Arbitrary;
use kgw_fuzz::load_scenario;
use kgw_fuzz::scenario::{
    REQUEST_HEADER_NAME, REQUEST_HEADER_VALUE, REQUEST_HOST, REQUEST_METHOD, REQUEST_PATH,
    REQUEST_QUERY, Scenario, Text,
};
use kgw_resolve::reference::Reference;
use kgw_resolve::{RequestHead, RouteTable, SplitMix64};
use kgw_validate::{Options, validate};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Request {
    method: Text<REQUEST_METHOD>,
    host: Text<REQUEST_HOST>,
    path: Text<REQUEST_PATH>,
    query: Option<Text<REQUEST_QUERY>>,
    headers: Vec<(Text<REQUEST_HEADER_NAME>, Text<REQUEST_HEADER_VALUE>)>,
    port: Port,
    https: bool,
    sni: Option<Text<REQUEST_HOST>>,
    seed: u64,
}

#[derive(Arbitrary, Debug)]
enum Port {
    Http,
    Https,
    Alt,
    Any(u16),
}

fuzz_target!(|input: (Scenario, Vec<Request>)| {
    let (scenario, requests) = input;
    let resources = load_scenario(&scenario);
    let report = validate(&resources, &Options::default());
    let table = RouteTable::build(&resources, &report);
    let reference = Reference::new(&resources, &report);
    for gateway in table.gateways() {
        for r in requests.iter().take(8) {
            let path_and_query = match &r.query {
                Some(q) => format!("{}?{}", r.path.get(), q.get()),
                None => r.path.get().to_owned(),
            };
            let pairs: Vec<(&str, &str)> = r
                .headers
                .iter()
                .take(4)
                .map(|(n, v)| (n.get(), v.get()))
                .collect();
            let port = match r.port {
                Port::Http => 80,
                Port::Https => 443,
                Port::Alt => 8080,
                Port::Any(p) => p,
            };
            let mut head = RequestHead::new(r.method.get(), r.host.get(), &path_and_query)
                .with_port(port)
                .with_scheme(if r.https { "https" } else { "http" })
                .with_header_pairs(&pairs);
            if let Some(sni) = &r.sni {
                head = head.with_sni(sni.get());
            }
            let fast = gateway
                .resolve(&head, &mut SplitMix64::new(r.seed))
                .summary();
            let want = reference.resolve(gateway.key(), &head, &mut SplitMix64::new(r.seed));
            assert_eq!(fast, want, "fast table and reference disagree on {head:?}");
            let (explained, _) = gateway.explain(&head, &mut SplitMix64::new(r.seed));
            assert_eq!(explained.summary(), want, "explain disagrees on {head:?}");
        }
    }
});
