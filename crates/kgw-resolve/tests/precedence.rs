//! Table tests: one per precedence step and per known pitfall, each checked on the fast table,
//! the reference matcher and `explain`.

mod common;

use std::fmt::Write as _;

use kgw_api::ObjectKey;
use kgw_resolve::rank::Step;
use kgw_resolve::reference::Reference;
use kgw_resolve::{BackendSummary, Outcome, RequestHead, RouteTable, SplitMix64, Summary, Verdict};

const GATEWAY: &str = "
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns}
spec:
  gatewayClassName: kgw
  listeners:
  - {name: http, port: 80, protocol: HTTP}
";

/// A route named `name` with one rule per `(match yaml, backend)`; backends are Services that
/// exist, so a request's winner shows as `name/rule`.
fn route(name: &str, extra_meta: &str, hostnames: &str, rules: &[&str]) -> String {
    let mut out = format!(
        "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: {name}, namespace: ns{extra_meta}}}\nspec:\n  parentRefs: [{{name: gw}}]\n  hostnames: [{hostnames}]\n  rules:\n"
    );
    let mut services = String::new();
    for (i, matches) in rules.iter().enumerate() {
        writeln!(
            out,
            "  - matches: {matches}\n    backendRefs: [{{name: {name}-{i}, port: 80}}]"
        )
        .unwrap();
        writeln!(
            services,
            "---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}-{i}, namespace: ns}}\nspec: {{ports: [{{port: 80}}]}}"
        )
        .unwrap();
    }
    out + &services
}

struct Case {
    table: RouteTable,
    resources: kgw_api::Resources,
    report: kgw_validate::report::Report,
}

impl Case {
    fn new(routes: &[String]) -> Self {
        let yaml = format!("{GATEWAY}{}", routes.concat());
        let resources = common::load(&yaml);
        let report = common::report_for(&resources);
        Self {
            table: RouteTable::build(&resources, &report),
            resources,
            report,
        }
    }

    /// `route/rule/match` of the winner, or the status; checked against the reference.
    fn winner(&self, req: &RequestHead<'_>) -> String {
        let gw = self.table.gateway("ns", "gw").unwrap();
        let fast = gw.resolve(req, &mut SplitMix64::new(0));
        let reference = Reference::new(&self.resources, &self.report).resolve(
            &ObjectKey::new("ns", "gw"),
            req,
            &mut SplitMix64::new(0),
        );
        assert_eq!(
            fast.summary(),
            reference,
            "fast and reference differ for {req:?}"
        );
        match fast {
            Outcome::Matched(r) => {
                format!("{}/{}/{}", r.route_key.name, r.rule_index, r.match_index)
            }
            other => format!("{}", other.status().unwrap_or(0)),
        }
    }

    fn get(&self, host: &str, path: &str) -> String {
        self.winner(&RequestHead::new("GET", host, path))
    }

    /// The step at which `loser` (route/rule/match) lost, from `explain`.
    fn lost_at(&self, req: &RequestHead<'_>, loser: &str) -> Step {
        let gw = self.table.gateway("ns", "gw").unwrap();
        let (_, explanation) = gw.explain(req, &mut SplitMix64::new(0));
        let verdict = explanation
            .candidates
            .iter()
            .find(|c| {
                format!(
                    "{}/{}/{}",
                    c.route.name,
                    c.rule.unwrap_or(99),
                    c.match_index.unwrap_or(99)
                ) == loser
            })
            .unwrap_or_else(|| panic!("{loser} not among {:?}", explanation.lines()));
        match verdict.verdict {
            Verdict::Outranked { step, .. } => step,
            ref v => panic!("{loser}: {v:?}"),
        }
    }
}

#[test]
fn hostname_specificity_beats_path_length() {
    let case = Case::new(&[
        route("any", "", "", &["[{path: {value: /very/long/path}}]"]),
        route("wild", "", "'*.example.com'", &["[{path: {value: /very}}]"]),
        route("wild2", "", "'*.a.example.com'", &["[{path: {value: /}}]"]),
        route(
            "exact",
            "",
            "x.a.example.com",
            &["[{path: {value: /nope}}]", "[{path: {value: /}}]"],
        ),
    ]);
    assert_eq!(case.get("x.a.example.com", "/very/long/path"), "exact/1/0");
    assert_eq!(case.get("y.a.example.com", "/very/long/path"), "wild2/0/0");
    assert_eq!(case.get("b.example.com", "/very/long/path"), "wild/0/0");
    assert_eq!(case.get("other.net", "/very/long/path"), "any/0/0");
    assert_eq!(case.get("other.net", "/very"), "404");
    let req = RequestHead::new("GET", "x.a.example.com", "/very/long/path");
    assert_eq!(case.lost_at(&req, "wild2/0/0"), Step::Hostname);
    assert_eq!(case.lost_at(&req, "any/0/0"), Step::Hostname);
}

#[test]
fn exact_beats_prefix_even_listed_first() {
    let case = Case::new(&[route(
        "r",
        "",
        "",
        &[
            "[{path: {type: PathPrefix, value: /foo}}]",
            "[{path: {type: Exact, value: /foo}}]",
        ],
    )]);
    assert_eq!(case.get("h", "/foo"), "r/1/0");
    assert_eq!(case.get("h", "/foo/"), "r/0/0");
    assert_eq!(
        case.lost_at(&RequestHead::new("GET", "h", "/foo"), "r/0/0"),
        Step::PathKind
    );
}

#[test]
fn longest_prefix_segment_wise_and_trailing_slash() {
    let case = Case::new(&[route(
        "r",
        "",
        "",
        &[
            "[{path: {value: /}}]",
            "[{path: {value: /abc}}]",
            "[{path: {value: /abcd/}}]",
        ],
    )]);
    assert_eq!(case.get("h", "/abc"), "r/1/0");
    assert_eq!(case.get("h", "/abc/"), "r/1/0");
    assert_eq!(case.get("h", "/abc/x"), "r/1/0");
    assert_eq!(
        case.get("h", "/abcd"),
        "r/2/0",
        "prefix /abcd/ matches /abcd"
    );
    assert_eq!(case.get("h", "/abcd/e"), "r/2/0");
    assert_eq!(case.get("h", "/abc-def"), "r/0/0");
    assert_eq!(case.get("h", "/abcde"), "r/0/0");
    assert_eq!(
        case.lost_at(&RequestHead::new("GET", "h", "/abc/x"), "r/0/0"),
        Step::PathLength
    );
}

#[test]
fn regex_ranks_between_exact_and_prefix_and_is_a_full_match() {
    let case = Case::new(&[route(
        "r",
        "",
        "",
        &[
            "[{path: {value: /a/b/c/d}}]",
            "[{path: {type: RegularExpression, value: '/a|/ab'}}]",
            "[{path: {type: Exact, value: /ab}}]",
            "[{path: {type: RegularExpression, value: '/a/.*'}}]",
        ],
    )]);
    assert_eq!(case.get("h", "/a"), "r/1/0");
    assert_eq!(case.get("h", "/ab"), "r/2/0", "exact beats the regex");
    assert_eq!(
        case.get("h", "/a/b/c/d/e"),
        "r/3/0",
        "a regex beats any prefix"
    );
    assert_eq!(
        case.get("h", "/abc"),
        "404",
        "regex is anchored at both ends"
    );
    let only_regex = Case::new(&[route(
        "r",
        "",
        "",
        &["[{path: {type: RegularExpression, value: '/a|/ab'}}]"],
    )]);
    assert_eq!(
        only_regex.get("h", "/ab"),
        "r/0/0",
        "alternation is a full match, not leftmost-first"
    );
}

#[test]
fn method_then_headers_then_query() {
    let case = Case::new(&[route(
        "r",
        "",
        "",
        &[
            "[{path: {value: /}}]",
            "[{queryParams: [{name: q, value: '1'}]}]",
            "[{headers: [{name: x-a, value: '1'}]}]",
            "[{headers: [{name: x-a, value: '1'}, {name: x-b, value: '1'}]}]",
            "[{method: POST}]",
            "[{path: {value: /p}}]",
        ],
    )]);
    let h1: &[(&str, &str)] = &[("X-A", "1")];
    let h2: &[(&str, &str)] = &[("x-a", "1"), ("x-b", "1")];
    let get = |method: &str, path: &str, headers: &[(&str, &str)]| {
        case.winner(&RequestHead::new(method, "h", path).with_header_pairs(headers))
    };
    assert_eq!(get("GET", "/x?q=1", &[]), "r/1/0");
    assert_eq!(get("GET", "/x?q=1", h1), "r/2/0");
    assert_eq!(get("GET", "/x?q=1", h2), "r/3/0");
    assert_eq!(get("POST", "/x?q=1", h2), "r/4/0");
    assert_eq!(
        get("POST", "/p", h2),
        "r/5/0",
        "a longer prefix beats method and headers"
    );
    assert_eq!(get("GET", "/x?q=2", &[]), "r/0/0");
    let req = RequestHead::new("POST", "h", "/x?q=1").with_header_pairs(h2);
    assert_eq!(case.lost_at(&req, "r/3/0"), Step::Method);
    let req = RequestHead::new("GET", "h", "/x?q=1").with_header_pairs(h2);
    assert_eq!(case.lost_at(&req, "r/2/0"), Step::Headers);
    let req = RequestHead::new("GET", "h", "/x?q=1");
    assert_eq!(case.lost_at(&req, "r/0/0"), Step::Query);
}

#[test]
fn oldest_route_then_name_then_rule_order() {
    let case = Case::new(&[
        route(
            "a-new",
            ", creationTimestamp: '2024-01-02T00:00:00Z'",
            "",
            &["[{path: {value: /x}}]"],
        ),
        route(
            "z-old",
            ", creationTimestamp: '2024-01-01T00:00:00Z'",
            "",
            &["[{path: {value: /x}}]"],
        ),
        route(
            "b",
            "",
            "",
            &["[{path: {value: /y}}]", "[{path: {value: /y}}]"],
        ),
        route("c", "", "", &["[{path: {value: /y}}]"]),
    ]);
    assert_eq!(case.get("h", "/x"), "z-old/0/0");
    assert_eq!(
        case.lost_at(&RequestHead::new("GET", "h", "/x"), "a-new/0/0"),
        Step::CreationTimestamp
    );
    assert_eq!(case.get("h", "/y"), "b/0/0");
    assert_eq!(
        case.lost_at(&RequestHead::new("GET", "h", "/y"), "c/0/0"),
        Step::Name
    );
    assert_eq!(
        case.lost_at(&RequestHead::new("GET", "h", "/y"), "b/1/0"),
        Step::RuleOrder
    );
}

#[test]
fn host_case_trailing_dot_and_port() {
    let case = Case::new(&[route(
        "r",
        "",
        "h1.example.com",
        &["[{path: {value: /p1}}]"],
    )]);
    assert_eq!(case.get("H1.EXAMPLE.com", "/p1"), "r/0/0");
    assert_eq!(case.get("h1.example.com.", "/p1"), "r/0/0");
    assert_eq!(case.get("h1.example.com:80", "/p1"), "r/0/0");
    assert_eq!(case.get("h2.example.com", "/p1"), "404");
}

#[test]
fn path_normalisation_before_matching() {
    let case = Case::new(&[route(
        "r",
        "",
        "",
        &[
            "[{path: {type: Exact, value: /public}}]",
            "[{path: {value: /admin}}]",
        ],
    )]);
    assert_eq!(case.get("h", "/admin/../public"), "r/0/0");
    assert_eq!(case.get("h", "/%61dmin/x"), "r/1/0");
    assert_eq!(case.get("h", "/admin%2Fx"), "404", "%2F is not a separator");
    assert_eq!(case.get("h", "/x/%2e%2e/admin"), "r/1/0");
    assert_eq!(case.get("h", "/bad%zz"), "400");
}

#[test]
fn weights_unresolved_and_empty_rules() {
    let yaml = format!(
        "{GATEWAY}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: r, namespace: ns}}
spec:
  parentRefs: [{{name: gw}}]
  rules:
  - matches: [{{path: {{value: /split}}}}]
    backendRefs: [{{name: s1, port: 80, weight: 1}}, {{name: missing, port: 80, weight: 1}}, {{name: s1, port: 80, weight: 0}}]
  - matches: [{{path: {{value: /zero}}}}]
    backendRefs: [{{name: s1, port: 80, weight: 0}}]
  - matches: [{{path: {{value: /none}}}}]
---
apiVersion: v1
kind: Service
metadata: {{name: s1, namespace: ns}}
spec: {{ports: [{{port: 80}}]}}
"
    );
    let resources = common::load(&yaml);
    let report = common::report_for(&resources);
    let table = RouteTable::build(&resources, &report);
    let gw = table.gateway("ns", "gw").unwrap();
    let mut random = SplitMix64::new(42);
    let (mut ok, mut err) = (0, 0);
    for _ in 0..2000 {
        let outcome = gw.resolve(&RequestHead::new("GET", "h", "/split"), &mut random);
        match outcome.summary() {
            Summary::Matched {
                backend: BackendSummary::Service { index: 0, .. },
                ..
            } => ok += 1,
            Summary::Matched {
                backend: BackendSummary::Unresolved { index: 1 },
                ..
            } => {
                assert_eq!(outcome.status(), Some(500));
                err += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert!((800..1200).contains(&ok) && ok + err == 2000, "{ok} {err}");
    let mut status = |path| {
        gw.resolve(&RequestHead::new("GET", "h", path), &mut random)
            .status()
    };
    assert_eq!(status("/zero"), Some(500));
    assert_eq!(status("/none"), Some(500));
    assert_eq!(status("/other"), Some(404));
}

#[test]
fn explain_reports_mismatches() {
    let case = Case::new(&[
        route("r", "", "only.example.com", &["[{path: {value: /}}]"]),
        route(
            "s",
            "",
            "",
            &[
                "[{path: {value: /a}, method: POST, headers: [{name: x, value: '1'}]}]",
                "[{path: {type: Exact, value: /b}}]",
            ],
        ),
    ]);
    let gw = case.table.gateway("ns", "gw").unwrap();
    let (outcome, explanation) =
        gw.explain(&RequestHead::new("GET", "h", "/a"), &mut SplitMix64::new(0));
    assert_eq!(outcome.status(), Some(404));
    let lines = explanation.lines();
    assert!(
        lines.contains(&"listener http: selected".to_owned()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"route ns/r: no hostname matches".to_owned()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"route ns/s rule 0 match 0: method does not match".to_owned()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"route ns/s rule 1 match 0: path does not match".to_owned()),
        "{lines:?}"
    );
}
