//! Runs a route's filters on a request: the entry point adapters and the CLI call.
//!
//! Filters run in list order, **rule-level first, then the chosen backendRef's** (the API leaves
//! the order between the two lists open; this one lets a backendRef refine what the rule set,
//! e.g. a backend-level `set` wins over a rule-level one). A redirect or a direct answer stops
//! the run; later filters are not applied.

use http::request::Parts;
use kgw_api::gateway::{HttpRouteFilter, HttpRouteFilterType};

use crate::action::{Action, ExtensionFilter, Forward, Respond};
use crate::headers::{self, HeaderOps};
use crate::mirror::MirrorTarget;
use crate::request::ListenerInfo;
use crate::{RewriteError, cors, redirect, url_rewrite};

/// What to do with `ExtensionRef` (and experimental `ExternalAuth`) filters, whose semantics
/// live outside this crate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ExtensionHandling {
    /// Answer 500: the API forbids skipping a filter that cannot be honoured.
    #[default]
    Unsupported,
    /// Hand them to the caller in [`Forward::extensions`].
    Carry,
}

/// Everything the filters need to know about the route that matched.
#[derive(Clone, Copy, Debug, Default)]
pub struct RouteContext<'a> {
    /// Filters of the matched rule.
    pub rule_filters: &'a [HttpRouteFilter],
    /// Filters of the backendRef the request goes to (empty for a rule without backends).
    pub backend_filters: &'a [HttpRouteFilter],
    /// The `PathPrefix` value that matched, needed by `ReplacePrefixMatch`.
    pub matched_prefix: Option<&'a str>,
    /// The listener the request arrived on (redirect defaults).
    pub listener: ListenerInfo,
    /// What to do with extension filters.
    pub extensions: ExtensionHandling,
}

fn config<T>(value: Option<&T>, filter: HttpRouteFilterType) -> Result<&T, RewriteError> {
    value.ok_or(RewriteError::MissingConfig { filter })
}

/// Applies the route's filters to `parts` and says what to do next. The request is rewritten
/// in place (headers, authority, path); response operations and mirrors come back in
/// [`Action::Forward`].
///
/// An `Err` means the configuration produced an invalid result (a CR/LF in a header value, a
/// bad authority, a prefix rewrite without a prefix match, …): answer
/// [`RewriteError::status`] (500). `parts` may then hold the changes of the filters that ran
/// before the failing one.
pub fn apply(ctx: &RouteContext<'_>, parts: &mut Parts) -> Result<Action, RewriteError> {
    let mut forward = Forward::default();
    for filter in ctx.rule_filters.iter().chain(ctx.backend_filters) {
        let ty = filter.type_;
        match ty {
            HttpRouteFilterType::RequestHeaderModifier => {
                headers::apply(
                    config(filter.request_header_modifier.as_ref(), ty)?,
                    &mut parts.headers,
                )?;
            }
            HttpRouteFilterType::ResponseHeaderModifier => {
                let ops =
                    HeaderOps::from_filter(config(filter.response_header_modifier.as_ref(), ty)?)?;
                forward.response_headers.push(ops);
            }
            HttpRouteFilterType::UrlRewrite => {
                url_rewrite::apply(
                    config(filter.url_rewrite.as_ref(), ty)?,
                    parts,
                    ctx.matched_prefix,
                )?;
            }
            HttpRouteFilterType::RequestRedirect => {
                let f = config(filter.request_redirect.as_ref(), ty)?;
                return Ok(Action::Redirect(redirect::redirect(
                    f,
                    parts,
                    ctx.listener,
                    ctx.matched_prefix,
                )?));
            }
            HttpRouteFilterType::RequestMirror => {
                let f = config(filter.request_mirror.as_ref(), ty)?;
                forward.mirrors.push(MirrorTarget::from_filter(f));
            }
            HttpRouteFilterType::Cors => {
                let f = config(filter.cors.as_ref(), ty)?;
                if cors::is_preflight(parts) {
                    return Ok(Action::Respond(cors::preflight(f, parts)?));
                }
                if let Some(ops) = cors::response_headers(f, parts)? {
                    forward.response_headers.push(ops);
                }
            }
            HttpRouteFilterType::ExtensionRef | HttpRouteFilterType::ExternalAuth => {
                let extension = if ty == HttpRouteFilterType::ExtensionRef {
                    ExtensionFilter::ExtensionRef(
                        config(filter.extension_ref.as_ref(), ty)?.clone(),
                    )
                } else {
                    ExtensionFilter::ExternalAuth(
                        config(filter.external_auth.as_ref(), ty)?.clone(),
                    )
                };
                match ctx.extensions {
                    ExtensionHandling::Unsupported => {
                        return Ok(Action::Respond(Respond::error(format!(
                            "{} is not supported",
                            extension.describe()
                        ))));
                    }
                    ExtensionHandling::Carry => forward.extensions.push(extension),
                }
            }
        }
    }
    Ok(Action::Forward(forward))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Scheme;
    use crate::request::tests::parts;
    use http::StatusCode;
    use kgw_api::gateway::HttpRoute;

    /// Loads the filters of rule `rule` and backendRef `backend` of a route manifest.
    fn route(yaml: &str) -> HttpRoute {
        serde_saphyr::from_str(yaml).unwrap()
    }

    const ROUTE: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
spec:
  rules:
  - matches: [{path: {type: PathPrefix, value: /api}}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set: [{name: X-Layer, value: rule}]
        add: [{name: X-Trace, value: rule}]
    - type: ResponseHeaderModifier
      responseHeaderModifier: {remove: [server]}
    - type: URLRewrite
      urlRewrite:
        hostname: jsonplaceholder.typicode.com
        path: {type: ReplacePrefixMatch, replacePrefixMatch: /}
    - type: RequestMirror
      requestMirror: {backendRef: {name: shadow, port: 80}, percent: 10}
    backendRefs:
    - name: v1
      port: 80
      filters:
      - type: RequestHeaderModifier
        requestHeaderModifier:
          set: [{name: X-Layer, value: backend}]
      - type: ResponseHeaderModifier
        responseHeaderModifier: {set: [{name: x-backend, value: v1}]}
  - filters:
    - type: RequestRedirect
      requestRedirect: {scheme: https, statusCode: 301}
    - type: RequestHeaderModifier
      requestHeaderModifier: {set: [{name: X-Never, value: "1"}]}
  - filters:
    - type: ExtensionRef
      extensionRef: {group: gateway.kgateway.dev, kind: TrafficPolicy, name: tp}
"#;

    fn ctx<'a>(r: &'a HttpRoute, rule: usize, prefix: Option<&'a str>) -> RouteContext<'a> {
        let rule = &r.spec.rules.as_ref().unwrap()[rule];
        RouteContext {
            rule_filters: rule.filters.as_deref().unwrap_or_default(),
            backend_filters: rule
                .backend_refs
                .as_ref()
                .and_then(|b| b[0].filters.as_deref())
                .unwrap_or_default(),
            matched_prefix: prefix,
            listener: ListenerInfo {
                scheme: Scheme::Http,
                port: 80,
            },
            extensions: ExtensionHandling::Unsupported,
        }
    }

    #[test]
    fn forward_runs_rule_then_backend_filters() {
        let r = route(ROUTE);
        let mut p = parts(
            "GET",
            "/api/posts/1?x=1",
            &[("host", "gw.example"), ("x-trace", "client")],
        );
        let Action::Forward(f) = apply(&ctx(&r, 0, Some("/api")), &mut p).unwrap() else {
            panic!("expected forward");
        };
        assert_eq!(p.uri.to_string(), "/posts/1?x=1");
        assert_eq!(p.headers["host"], "jsonplaceholder.typicode.com");
        assert_eq!(p.headers["x-layer"], "backend");
        assert_eq!(p.headers["x-trace"], "client,rule");
        assert_eq!(f.response_headers.len(), 2);
        assert_eq!(f.response_headers[0].remove[0], "server");
        assert_eq!(f.response_headers[1].set[0].0, "x-backend");
        assert_eq!(f.mirrors.len(), 1);
        assert_eq!(f.mirrors[0].backend.name, "shadow");
        assert!((f.mirrors[0].percent() - 10.0).abs() < f64::EPSILON);
    }

    #[test]
    fn redirect_stops_the_run() {
        let r = route(ROUTE);
        let mut p = parts("GET", "/a?b", &[("host", "gw.example")]);
        let Action::Redirect(red) = apply(&ctx(&r, 1, Some("/")), &mut p).unwrap() else {
            panic!("expected redirect");
        };
        assert_eq!(red.status, StatusCode::MOVED_PERMANENTLY);
        assert_eq!(red.location.as_str(), "https://gw.example/a?b");
        assert!(!p.headers.contains_key("x-never"));
    }

    #[test]
    fn extension_refs_are_unsupported_by_default_and_carried_on_request() {
        let r = route(ROUTE);
        let mut p = parts("GET", "/", &[("host", "h")]);
        let Action::Respond(resp) = apply(&ctx(&r, 2, None), &mut p).unwrap() else {
            panic!("expected respond");
        };
        assert_eq!(resp.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            resp.reason,
            "ExtensionRef gateway.kgateway.dev/TrafficPolicy tp is not supported"
        );
        let mut carrying = ctx(&r, 2, None);
        carrying.extensions = ExtensionHandling::Carry;
        let Action::Forward(forward) = apply(&carrying, &mut p).unwrap() else {
            panic!("expected forward");
        };
        assert!(
            matches!(&forward.extensions[..], [ExtensionFilter::ExtensionRef(ext)] if ext.name == "tp")
        );
    }

    #[test]
    fn cors_preflight_is_answered_and_actual_requests_get_headers() {
        let r = route(
            r#"
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
spec:
  rules:
  - filters:
    - type: CORS
      cors: {allowOrigins: ["https://app.example"], allowMethods: [GET]}
"#,
        );
        let mut p = parts(
            "OPTIONS",
            "/",
            &[
                ("origin", "https://app.example"),
                ("access-control-request-method", "GET"),
            ],
        );
        let Action::Respond(resp) = apply(&ctx(&r, 0, None), &mut p).unwrap() else {
            panic!("expected respond");
        };
        assert_eq!(resp.headers["access-control-max-age"], "5");
        let mut p = parts("GET", "/", &[("origin", "https://app.example")]);
        let Action::Forward(f) = apply(&ctx(&r, 0, None), &mut p).unwrap() else {
            panic!("expected forward");
        };
        assert_eq!(f.response_headers[0].set[0].1, "https://app.example");
    }

    #[test]
    fn invalid_configurations_are_errors() {
        let r = route(
            r#"
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
spec:
  rules:
  - filters:
    - type: URLRewrite
  - filters:
    - type: URLRewrite
      urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /x}}
  - filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {add: [{name: x, value: "a\r\nx-smuggled: 1"}]}
"#,
        );
        let mut p = parts("GET", "/", &[("host", "h")]);
        assert_eq!(
            apply(&ctx(&r, 0, None), &mut p),
            Err(RewriteError::MissingConfig {
                filter: HttpRouteFilterType::UrlRewrite
            })
        );
        assert_eq!(
            apply(&ctx(&r, 1, None), &mut p),
            Err(RewriteError::NoPrefixMatch)
        );
        assert!(matches!(
            apply(&ctx(&r, 2, None), &mut p),
            Err(RewriteError::InvalidHeaderValue { .. })
        ));
        assert!(!p.headers.contains_key("x-smuggled"));
        assert!(!p.headers.contains_key("x"));
    }
}
