//! The Gateway API conformance manifests, validated by kgw-validate and resolved. The Go
//! suite's request → backend expectations are not in the repository; these follow the spec
//! and the manifests' stated intent (their comments and names).

use kgw_api::load::{LoadOptions, load_str};
use kgw_resolve::reference::Reference;
use kgw_resolve::{Outcome, RequestHead, RouteTable, SplitMix64, Target};
use kgw_validate::{Options, validate};

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/conformance/manifests"
);

struct Conformance {
    resources: kgw_api::Resources,
    report: kgw_validate::Report,
    table: RouteTable,
    gateway: &'static str,
}

fn load(test: &str, gateway: &'static str) -> Option<Conformance> {
    let read =
        |p: String| std::fs::read_to_string(p).map(|s| s.replace("{GATEWAY_CLASS_NAME}", "kgw"));
    let (Ok(base), Ok(file)) = (
        read(format!("{DIR}/base/manifests.yaml")),
        read(format!("{DIR}/tests/{test}.yaml")),
    ) else {
        // The shared manifests live beside the repository, not in it.
        eprintln!("skipping {test}: conformance manifests not found under {DIR}");
        return None;
    };
    let resources = load_str(
        &format!("{test}.yaml"),
        &format!("{base}\n---\n{file}"),
        &LoadOptions::default(),
    )
    .unwrap();
    let report = validate(&resources, &Options::default());
    let table = RouteTable::build(&resources, &report);
    Some(Conformance {
        resources,
        report,
        table,
        gateway,
    })
}

impl Conformance {
    /// `backend-service` of the winner, or the status code.
    fn send(&self, method: &str, host: &str, path: &str, headers: &[(&str, &str)]) -> String {
        let key = kgw_api::ObjectKey::new("gateway-conformance-infra", self.gateway);
        let gw = self
            .table
            .gateway(&key.namespace, &key.name)
            .unwrap_or_else(|| panic!("no table for {key}"));
        let req = RequestHead::new(method, host, path).with_header_pairs(headers);
        let outcome = gw.resolve(&req, &mut SplitMix64::new(0));
        let reference = Reference::new(&self.resources, &self.report).resolve(
            &key,
            &req,
            &mut SplitMix64::new(0),
        );
        assert_eq!(outcome.summary(), reference, "{method} {host}{path}");
        match outcome {
            Outcome::Matched(r) => match r.backend {
                kgw_resolve::BackendChoice::Forward {
                    target: Target::Service { name, .. },
                    ..
                } => name.to_owned(),
                other => format!("{:?}", other.error_status()),
            },
            other => other.status().unwrap_or(0).to_string(),
        }
    }

    fn get(&self, host: &str, path: &str) -> String {
        self.send("GET", host, path, &[])
    }
}

const V1: &str = "infra-backend-v1";
const V2: &str = "infra-backend-v2";
const V3: &str = "infra-backend-v3";

#[test]
fn httproute_matching() {
    let Some(c) = load("httproute-matching", "same-namespace") else {
        return;
    };
    assert_eq!(c.get("h", "/"), V1);
    assert_eq!(c.get("h", "/example"), V1);
    assert_eq!(c.get("h", "/v2"), V2);
    assert_eq!(c.get("h", "/v2/example"), V2);
    assert_eq!(c.send("GET", "h", "/", &[("version", "one")]), V1);
    assert_eq!(c.send("GET", "h", "/", &[("version", "two")]), V2);
}

#[test]
fn httproute_matching_across_routes() {
    let Some(c) = load("httproute-matching-across-routes", "same-namespace") else {
        return;
    };
    assert_eq!(c.get("example.com", "/"), V1);
    assert_eq!(c.get("example.net", "/example"), V1);
    assert_eq!(c.get("example.com", "/v2"), V2);
    assert_eq!(c.get("example.com", "/v2/example"), V2);
    assert_eq!(
        c.get("example.net", "/v2"),
        V1,
        "part2 does not serve example.net"
    );
    assert_eq!(c.send("GET", "example.com", "/", &[("version", "two")]), V2);
    assert_eq!(c.send("GET", "example.net", "/", &[("version", "two")]), V1);
    assert_eq!(c.get("example.org", "/"), "404");
}

#[test]
fn httproute_path_match_order() {
    let Some(c) = load("httproute-path-match-order", "same-namespace") else {
        return;
    };
    assert_eq!(c.get("h", "/match"), V1);
    assert_eq!(c.get("h", "/match/exact"), V2);
    assert_eq!(c.get("h", "/match/exact/one"), V3);
    assert_eq!(c.get("h", "/match/exact/two"), V3);
    assert_eq!(c.get("h", "/match/"), V3);
    assert_eq!(c.get("h", "/match/prefix"), V1);
    assert_eq!(c.get("h", "/match/prefix/two"), V1);
    assert_eq!(c.get("h", "/match/prefix/one"), V2);
    assert_eq!(c.get("h", "/match/prefix/one/x"), V2);
    assert_eq!(c.get("h", "/matchx"), "404");
}

#[test]
fn httproute_exact_path_matching() {
    let Some(c) = load("httproute-exact-path-matching", "same-namespace") else {
        return;
    };
    assert_eq!(c.get("h", "/one"), V1);
    assert_eq!(c.get("h", "/two"), V2);
    for miss in ["/", "/one/example", "/two/", "/One"] {
        assert_eq!(c.get("h", miss), "404", "{miss}");
    }
}

#[test]
fn httproute_header_matching() {
    let Some(c) = load("httproute-header-matching", "same-namespace") else {
        return;
    };
    let get = |headers: &[(&str, &str)]| c.send("GET", "h", "/", headers);
    assert_eq!(get(&[("version", "one")]), V1);
    assert_eq!(
        get(&[("Version", "one")]),
        V1,
        "header names are case-insensitive"
    );
    assert_eq!(get(&[("version", "two")]), V2);
    assert_eq!(
        get(&[("version", "two"), ("color", "orange")]),
        V1,
        "more headers win"
    );
    assert_eq!(get(&[("color", "blue")]), V1);
    assert_eq!(get(&[("color", "green")]), V1);
    assert_eq!(get(&[("color", "red")]), V2);
    assert_eq!(get(&[("color", "yellow")]), V2);
    assert_eq!(
        get(&[("version", "two"), ("color", "blue")]),
        V2,
        "tie: first rule"
    );
    assert_eq!(
        get(&[("version", "One")]),
        "404",
        "values are case-sensitive"
    );
    assert_eq!(get(&[]), "404");
}

#[test]
fn httproute_query_param_matching() {
    let Some(c) = load("httproute-query-param-matching", "same-namespace") else {
        return;
    };
    assert_eq!(c.get("h", "/?animal=whale"), V1);
    assert_eq!(c.get("h", "/?animal=dolphin"), V2);
    assert_eq!(c.get("h", "/?animal=dolphin&color=blue"), V3);
    assert_eq!(c.get("h", "/?ANIMAL=Whale"), V3);
    assert_eq!(c.get("h", "/?animal=whalez"), "404");
    assert_eq!(
        c.get("h", "/?Animal=whale"),
        "404",
        "names are case-sensitive"
    );
    assert_eq!(c.get("h", "/path1?animal=whale"), V1);
    assert_eq!(
        c.send("GET", "h", "/?animal=whale", &[("version", "one")]),
        V2
    );
    assert_eq!(
        c.send("GET", "h", "/path2?animal=whale", &[("version", "two")]),
        V3
    );
    assert_eq!(c.get("h", "/path3?animal=shark"), V1);
    assert_eq!(
        c.send("GET", "h", "/path4?animal=kraken", &[("version", "three")]),
        V1
    );
    assert_eq!(
        c.get("h", "/path5?animal=hydra"),
        V1,
        "a longer prefix beats a query match"
    );
    assert_eq!(
        c.send("GET", "h", "/?animal=hydra", &[("version", "four")]),
        V3,
        "headers before query"
    );
}

#[test]
fn httproute_method_matching() {
    let Some(c) = load("httproute-method-matching", "same-namespace") else {
        return;
    };
    assert_eq!(c.send("POST", "h", "/", &[]), V1);
    assert_eq!(c.send("GET", "h", "/", &[]), V2);
    assert_eq!(
        c.send("HEAD", "h", "/", &[]),
        "404",
        "HEAD does not match GET"
    );
    assert_eq!(c.send("GET", "h", "/path1", &[]), V1);
    assert_eq!(c.send("PUT", "h", "/", &[("version", "one")]), V2);
    assert_eq!(c.send("POST", "h", "/path2", &[("version", "two")]), V3);
    assert_eq!(c.send("PATCH", "h", "/path3", &[]), V1);
    assert_eq!(c.send("DELETE", "h", "/path4", &[("version", "three")]), V1);
    assert_eq!(c.send("PATCH", "h", "/path5", &[]), V1);
    assert_eq!(
        c.send("PATCH", "h", "/", &[("version", "four")]),
        V2,
        "method before headers"
    );
    assert_eq!(c.send("PUT", "h", "/", &[("version", "four")]), V3);
}

#[test]
fn httproute_hostname_intersection() {
    let Some(c) = load(
        "httproute-hostname-intersection",
        "httproute-hostname-intersection",
    ) else {
        return;
    };
    assert_eq!(c.get("very.specific.com", "/s1"), V1);
    assert_eq!(c.get("non.matching.com", "/s1"), "404");
    for host in ["foo.wildcard.io", "bar.wildcard.io", "foo.bar.wildcard.io"] {
        assert_eq!(c.get(host, "/s2"), V2, "{host}");
    }
    assert_eq!(c.get("wildcard.io", "/s2"), "404");
    assert_eq!(c.get("very.specific.com", "/s3"), V3);
    assert_eq!(c.get("foo.anotherwildcard.io", "/s4"), V1);
    assert_eq!(c.get("anotherwildcard.io", "/s4"), "404");
    assert_eq!(c.get("specific.but.wrong.com", "/s5"), "404");
    assert_eq!(c.get("foo.wildcard.io", "/s5"), "404");
    let Some(all) = load(
        "httproute-hostname-intersection",
        "httproute-hostname-intersection-all",
    ) else {
        return;
    };
    for host in ["first.com", "sub.first.com", "second.com", "sub.second.com"] {
        assert_eq!(all.get(host, "/"), V2, "{host}");
    }
    assert_eq!(all.get("third.com", "/"), "404");
}

#[test]
fn httproute_listener_hostname_matching() {
    let Some(c) = load(
        "httproute-listener-hostname-matching",
        "httproute-listener-hostname-matching",
    ) else {
        return;
    };
    assert_eq!(c.get("bar.com", "/"), V1);
    assert_eq!(c.get("foo.bar.com", "/"), V2);
    assert_eq!(c.get("baz.bar.com", "/"), V3);
    assert_eq!(c.get("boo.bar.com", "/"), V3);
    assert_eq!(c.get("multiple.prefixes.bar.com", "/"), V3);
    assert_eq!(c.get("multiple.prefixes.foo.com", "/"), V3);
    assert_eq!(c.get("foo.com", "/"), "404");
    assert_eq!(c.get("no.matching.host", "/"), "404");
}

fn isolation(test: &str, gateway: &'static str) {
    let Some(c) = load(test, gateway) else { return };
    let paths = [
        "/empty-hostname",
        "/wildcard-example-com",
        "/wildcard-foo-example-com",
        "/abc-foo-example-com",
    ];
    // Each host is served by exactly one listener, and only that listener's routes answer.
    for (host, owner) in [
        ("bar.com", 0),
        ("foo.example.com", 1),
        ("bar.foo.example.com", 2),
        ("abc.foo.example.com", 3),
    ] {
        for (i, path) in paths.iter().enumerate() {
            let want = if i == owner { V1 } else { "404" };
            assert_eq!(c.get(host, path), want, "{test}: {host}{path}");
        }
    }
}

#[test]
fn gateway_http_listener_isolation() {
    isolation("gateway-http-listener-isolation", "http-listener-isolation");
    isolation(
        "gateway-http-listener-isolation-with-hostname-intersection",
        "http-listener-isolation-with-hostname-intersection",
    );
}
