//! End-to-end scenarios on the repository's example manifests (`docs/examples/`: the kgateway
//! static-backend seed, the Lambda Backend) and on the Gateway API conformance route
//! `httproute-rewrite-path.yaml` (inlined, with the expectations of its upstream test).

use http::request::Parts;
use kgw_api::gateway::{HttpRoute, PathMatchType};
use kgw_api::load::{LoadOptions, load_str};
use kgw_rewrite::backend::{
    Discovery, LambdaTarget, RoundRobin, StaticEndpoints, UpstreamProtocol,
};
use kgw_rewrite::{Action, ListenerInfo, RequestSummary, RouteContext, Scheme, apply};

const STATIC_BACKEND: &str = concat!(
    include_str!("../../../docs/examples/static-backend/backend.yaml"),
    "\n---\n",
    include_str!("../../../docs/examples/static-backend/route.yaml"),
);

const LAMBDA: &str = include_str!("../../../docs/examples/lambda/resources.yaml");

/// The rules of the conformance manifest `tests/httproute-rewrite-path.yaml` that these cases
/// exercise.
const REWRITE_PATH: &str = r"
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: rewrite-path, namespace: gateway-conformance-infra}
spec:
  parentRefs: [{name: same-namespace}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /prefix/one}}]
    filters:
    - type: URLRewrite
      urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /one}}
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /strip-prefix}}]
    filters:
    - type: URLRewrite
      urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /full/one}}]
    filters:
    - type: URLRewrite
      urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /one}}
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /full/rewrite-path-and-modify-headers}}]
    filters:
    - type: URLRewrite
      urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /test}}
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set: [{name: X-Header-Set, value: set-overwrites-values}]
        add:
        - {name: X-Header-Add, value: header-val-1}
        - {name: X-Header-Add-Append, value: header-val-2}
        remove: [X-Header-Remove]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /prefix/rewrite-path-and-modify-headers}}]
    filters:
    - type: URLRewrite
      urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /prefix}}
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set: [{name: X-Header-Set, value: set-overwrites-values}]
        add:
        - {name: X-Header-Add, value: header-val-1}
        - {name: X-Header-Add-Append, value: header-val-2}
        remove: [X-Header-Remove]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
";

/// Request headers of a scenario.
type Headers<'a> = &'a [(&'a str, &'a str)];

fn parts(uri: &str, headers: &[(&str, &str)]) -> Parts {
    let mut b = http::Request::get(uri);
    for (n, v) in headers {
        b = b.header(*n, *v);
    }
    b.body(()).unwrap().into_parts().0
}

/// The first rule whose (single) PathPrefix match covers `path`, and that prefix: a test-sized
/// stand-in for the resolver.
fn matching_rule<'r>(
    route: &'r HttpRoute,
    path: &str,
) -> (&'r kgw_api::gateway::HttpRouteRule, &'r str) {
    route
        .spec
        .rules
        .iter()
        .flatten()
        .find_map(|rule| {
            let m = rule.matches.as_ref()?.first()?;
            let (kind, prefix) = m.path_or_default();
            let trimmed = prefix.trim_end_matches('/');
            let hit = kind == PathMatchType::PathPrefix
                && path
                    .strip_prefix(trimmed)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
            hit.then_some((rule, prefix))
        })
        .unwrap()
}

#[test]
fn static_backend_seed_rewrites_the_host_and_picks_the_public_endpoint() {
    let resources = load_str("static-backend", STATIC_BACKEND, &LoadOptions::default()).unwrap();
    let route = &resources
        .http_routes
        .get("default", "static-backend")
        .unwrap()
        .object;
    let backend = &resources
        .backends
        .get("default", "json-backend")
        .unwrap()
        .object;

    let rule = &route.spec.rules.as_ref().unwrap()[0];
    let ctx = RouteContext {
        rule_filters: rule.filters.as_deref().unwrap_or_default(),
        backend_filters: rule.backend_refs.as_ref().unwrap()[0]
            .filters
            .as_deref()
            .unwrap_or_default(),
        matched_prefix: Some("/"),
        listener: ListenerInfo {
            scheme: Scheme::Http,
            port: 8080,
        },
        ..RouteContext::default()
    };
    let mut request = parts("/posts", &[("host", "static.example:8080")]);
    let Action::Forward(forward) = apply(&ctx, &mut request).unwrap() else {
        panic!("the seed route forwards");
    };
    assert!(forward.response_headers.is_empty() && forward.mirrors.is_empty());
    let summary = RequestSummary::of(&request, ctx.listener);
    assert_eq!(
        (
            summary.scheme.as_str(),
            summary.authority.as_str(),
            summary.path.as_str()
        ),
        ("http", "jsonplaceholder.typicode.com", "/posts")
    );

    let endpoints = StaticEndpoints::from_backend(backend.spec.static_.as_ref().unwrap()).unwrap();
    assert_eq!(endpoints.discovery(), Discovery::Dns);
    assert_eq!(endpoints.protocol(), UpstreamProtocol::Http1);
    assert_eq!(
        endpoints.pick(&RoundRobin::new()).authority(),
        "jsonplaceholder.typicode.com:80"
    );
}

#[test]
fn conformance_rewrite_path_expectations() {
    let route: HttpRoute = serde_saphyr::from_str(REWRITE_PATH).unwrap();
    // (request path, request headers, expected path, expected headers); `x-header-remove` is
    // always gone.
    let modify_in: &[(&str, &str)] = &[
        ("x-header-remove", "remove-val"),
        ("x-header-add-append", "append-val-1"),
    ];
    let modify_out: &[(&str, &str)] = &[
        ("x-header-set", "set-overwrites-values"),
        ("x-header-add", "header-val-1"),
        ("x-header-add-append", "append-val-1,header-val-2"),
    ];
    let cases: [(&str, Headers, &str, Headers); 7] = [
        ("/prefix/one/two", &[], "/one/two", &[]),
        ("/strip-prefix/three", &[], "/three", &[]),
        ("/strip-prefix", &[], "/", &[]),
        ("/full/one/two", &[], "/one", &[]),
        (
            "/full/rewrite-path-and-modify-headers/test",
            modify_in,
            "/test",
            modify_out,
        ),
        (
            "/prefix/rewrite-path-and-modify-headers/one",
            modify_in,
            "/prefix/one",
            modify_out,
        ),
        ("/prefix/one/two?q=1&r=%20", &[], "/one/two?q=1&r=%20", &[]),
    ];
    for (path, headers, want_path, want_headers) in cases {
        let (rule, prefix) = matching_rule(&route, path.split('?').next().unwrap());
        let ctx = RouteContext {
            rule_filters: rule.filters.as_deref().unwrap_or_default(),
            matched_prefix: Some(prefix),
            ..RouteContext::default()
        };
        let mut request = parts(path, headers);
        assert!(
            matches!(apply(&ctx, &mut request).unwrap(), Action::Forward(_)),
            "{path}"
        );
        assert_eq!(request.uri.to_string(), want_path, "{path}");
        for (name, value) in want_headers {
            assert_eq!(request.headers[*name], *value, "{path} {name}");
        }
        assert!(!request.headers.contains_key("x-header-remove"), "{path}");
    }
}

#[test]
fn lambda_example_invokes_the_echo_function() {
    let resources = load_str("lambda", LAMBDA, &LoadOptions::default()).unwrap();
    let backend = &resources
        .backends
        .get("kgateway-system", "lambda")
        .unwrap()
        .object;
    let target = LambdaTarget::from_backend(backend.spec.aws.as_ref().unwrap()).unwrap();
    assert_eq!(
        target.endpoint.authority(),
        "lambda.us-east-1.amazonaws.com:443"
    );

    let mut request = parts(
        "/echo?name=kgw",
        &[
            ("host", "www.example.com"),
            ("content-type", "application/json"),
        ],
    );
    let body = target
        .prepare_request(&mut request, br#"{"hello":"lambda"}"#)
        .unwrap()
        .unwrap();
    assert_eq!(
        request.uri.to_string(),
        "https://lambda.us-east-1.amazonaws.com:443/2015-03-31/functions/arn:aws:lambda:us-east-1:111122223333:function:echo:$LATEST/invocations"
    );
    assert_eq!(request.headers["x-amz-invocation-type"], "RequestResponse");
    let payload: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(payload["query_string_parameters"]["name"], "kgw");
    assert_eq!(payload["body"], r#"{"hello":"lambda"}"#);

    // The function answers with the body it received.
    let reply = serde_json::json!({"statusCode": 200, "headers": {"content-type": "application/json"}, "body": payload["body"]});
    let response = target.transform_response(
        http::StatusCode::OK,
        &http::HeaderMap::new(),
        reply.to_string().as_bytes(),
    );
    assert_eq!(response.body, br#"{"hello":"lambda"}"#);
    assert_eq!(response.headers["content-type"], "application/json");
}
