//! HTTPRoute status: field rules decide which rules survive, backendRefs and mirrors are
//! resolved, and every parentRef is attached (or not) with the spec's reasons.

use std::borrow::Cow;
use std::collections::BTreeSet;

use indexmap::IndexMap;
use kgw_api::defaults::ApplyDefaults;
use kgw_api::gateway::{
    Gateway, HttpRoute, HttpRouteFilter, HttpRouteRule, RouteConditionReason as Reason,
};
use kgw_api::{ConditionStatus, ObjectKey, SmolStr, Stored};

use crate::attach::{Attachment, NamespaceLabels, attach};
use crate::backend_refs::{Referrer, resolve};
use crate::diag::{Path, Sink};
use crate::gateway::condition;
use crate::regex_match::RegexChecks;
use crate::report::{
    BackendRefReport, Diagnostic, GatewayReport, ParentReport, RouteReport, RuleReport,
};

/// What route validation reads about the Gateways.
pub(crate) struct Parents<'a> {
    /// Gateways this controller handles, with their status so far.
    pub handled: IndexMap<ObjectKey, (Gateway, GatewayReport)>,
    /// Every Gateway key in the input, handled or not.
    pub all: BTreeSet<ObjectKey>,
    /// Namespace labels for `Selector` listeners.
    pub labels: NamespaceLabels<'a>,
    /// Reused by every route for its attachments, so that counting them allocates nothing.
    pub attached_scratch: Vec<(usize, usize)>,
}

/// Computes the status of one route (as loaded; defaults are read through accessors), counting its
/// attachments on the Gateways' listeners.
pub(crate) fn route_report<'a>(
    raw: &'a Stored<HttpRoute>,
    referrer: &Referrer<'_>,
    parents: &mut Parents<'_>,
    regexes: &mut RegexChecks<'a>,
    out: &mut Vec<Diagnostic>,
) -> RouteReport {
    let mut sink = Sink::new(raw, out);
    let mut fields = crate::fields::httproute::check(&raw.object, &mut sink, regexes);
    let route = &raw.object;
    let generation = route.metadata.generation;
    let cond = |t: &'static str, s, r: &'static str, m: Cow<'static, str>| {
        condition(t, s, r, m, generation)
    };
    // An absent rule list is one default rule (`PathPrefix /`, no backends).
    let default_rules = [HttpRouteRule::default()];
    let rules = route.spec.rules.as_deref().unwrap_or(&default_rules);
    let mut rule_reports = Vec::with_capacity(rules.len());
    let rules_path = Path::Root("spec.rules");
    for (i, rule) in rules.iter().enumerate() {
        let f = rules_path.index(i);
        let refs_path = f.field("backendRefs");
        let backend_refs = rule
            .backend_refs
            .iter()
            .flatten()
            .enumerate()
            .map(|(b, r)| resolve(referrer, r.into(), refs_path.index(b), &mut sink))
            .collect();
        let mirrors = mirrors_of(
            rule.filters.as_deref(),
            f.field("filters"),
            referrer,
            &mut sink,
        );
        let backend_mirrors = rule
            .backend_refs
            .iter()
            .flatten()
            .enumerate()
            .flat_map(|(b, r)| {
                let backend_path = refs_path.index(b);
                mirrors_of(
                    r.filters.as_deref(),
                    backend_path.field("filters"),
                    referrer,
                    &mut sink,
                )
                .into_iter()
                .map(move |(x, report)| (b, x, report))
                .collect::<Vec<_>>()
            })
            .collect();
        let field_rule = fields
            .rules
            .get_mut(i)
            .map(std::mem::take)
            .unwrap_or_default();
        rule_reports.push(RuleReport {
            dropped: field_rule.dropped,
            invalid_matches: field_rule.invalid_matches,
            backend_refs,
            mirrors,
            backend_mirrors,
        });
    }
    let kept = rule_reports.iter().filter(|r| r.dropped.is_none()).count();
    let invalid = fields.route_error.take().or_else(|| {
        (kept == 0).then(|| {
            rule_reports
                .iter()
                .find_map(|r| r.dropped.clone())
                .unwrap_or_else(|| "the route has no rules".to_owned())
        })
    });
    let mut unresolved = rule_reports
        .iter()
        .filter(|r| r.dropped.is_none())
        .flat_map(|r| {
            r.backend_refs
                .iter()
                .chain(r.mirrors.iter().map(|(_, m)| m))
                .chain(r.backend_mirrors.iter().map(|(_, _, m)| m))
        })
        .filter_map(|r| match r {
            BackendRefReport::Unresolved { reason, message } => Some((*reason, message.as_str())),
            BackendRefReport::Resolved(_) => None,
        });
    let resolved_refs = match unresolved.next() {
        None => cond(
            "ResolvedRefs",
            ConditionStatus::True,
            "ResolvedRefs",
            "All references resolved".into(),
        ),
        Some((reason, first)) => {
            // The messages joined with "; ", a run of equal ones said once.
            let mut message = first.to_owned();
            let mut last = first;
            for (_, next) in unresolved {
                if next != last {
                    message.push_str("; ");
                    message.push_str(next);
                    last = next;
                }
            }
            cond(
                "ResolvedRefs",
                ConditionStatus::False,
                reason.as_str(),
                message.into(),
            )
        }
    };
    let dropped: Vec<String> = rule_reports
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.dropped.as_ref().map(|m| format!("rule {i}: {m}")))
        .collect();

    let route_ns = route.metadata.namespace();
    let hostnames = route.spec.hostnames.as_deref().unwrap_or_default();
    // (Gateway index, listener index) pairs this route attaches to; a route counts once per
    // listener however many of its parentRefs lead there.
    parents.attached_scratch.clear();
    let mut attachments = Vec::new();
    let parents_path = Path::Root("spec.parentRefs");
    for (p, parent) in route.spec.parent_refs.iter().flatten().enumerate() {
        let f = parents_path.index(p);
        if parent.group() != kgw_api::gateway::GROUP || parent.kind() != "Gateway" {
            sink.warning(
                "unsupported-parent-kind",
                f,
                format!(
                    "parentRef kind {}/{} is not a Gateway; kgw only attaches routes to Gateways",
                    parent.group(),
                    parent.kind()
                ),
            );
            continue;
        }
        let key = ObjectKey::new(parent.namespace_or(route_ns), parent.name.clone());
        let Some((gateway_index, _, (gateway, gateway_report))) = parents.handled.get_full(&key)
        else {
            if !parents.all.contains(&key) {
                sink.warning(
                    "parent-not-found",
                    format!("{f}.name"),
                    format!("Gateway {key} not found; the route is not attached to it"),
                );
            }
            continue;
        };
        let attachment = attach(
            route_ns,
            hostnames,
            parent,
            gateway,
            &gateway_report.listeners,
            &parents.labels,
        );
        let (accepted, listeners) = match (attachment, &invalid) {
            (Attachment::Rejected(reason, message), _) => {
                let code = match reason {
                    Reason::NoMatchingParent => "no-matching-parent",
                    Reason::NotAllowedByListeners => "not-allowed-by-listeners",
                    _ => "no-matching-listener-hostname",
                };
                sink.error(code, f, message.clone());
                (
                    cond(
                        "Accepted",
                        ConditionStatus::False,
                        reason.as_str(),
                        message.into(),
                    ),
                    Vec::new(),
                )
            }
            (Attachment::Accepted(_), Some(why)) => (
                cond(
                    "Accepted",
                    ConditionStatus::False,
                    Reason::UnsupportedValue.as_str(),
                    format!("the route is invalid: {why}").into(),
                ),
                Vec::new(),
            ),
            (Attachment::Accepted(listeners), None) => {
                parents
                    .attached_scratch
                    .extend(listeners.iter().map(|&l| (gateway_index, l)));
                (
                    cond(
                        "Accepted",
                        ConditionStatus::True,
                        Reason::Accepted.as_str(),
                        "Route accepted".into(),
                    ),
                    listeners,
                )
            }
        };
        let is_accepted = accepted.status == ConditionStatus::True;
        let mut conditions = vec![accepted, resolved_refs.clone()];
        if is_accepted && !dropped.is_empty() {
            conditions.push(cond(
                "PartiallyInvalid",
                ConditionStatus::True,
                Reason::UnsupportedValue.as_str(),
                format!("Dropped Rule(s): {}", dropped.join("; ")).into(),
            ));
        }
        let names = listeners
            .iter()
            .map(|&i| SmolStr::from(&gateway.spec.listeners[i].name))
            .collect();
        let mut parent_ref = parent.clone();
        parent_ref.apply_defaults(route_ns);
        attachments.push(ParentReport {
            parent_ref,
            gateway: key,
            listeners: names,
            conditions,
        });
    }
    parents.attached_scratch.sort_unstable();
    parents.attached_scratch.dedup();
    for &(gateway, listener) in &parents.attached_scratch {
        if let Some((_, (_, report))) = parents.handled.get_index_mut(gateway)
            && let Some(l) = report.listeners.get_mut(listener)
        {
            l.attached_routes += 1;
        }
    }
    RouteReport {
        parents: attachments,
        rules: rule_reports,
    }
}

fn mirrors_of(
    filters: Option<&[HttpRouteFilter]>,
    f: Path<'_>,
    referrer: &Referrer<'_>,
    sink: &mut Sink<'_>,
) -> Vec<(usize, BackendRefReport)> {
    filters
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter_map(|(i, x)| {
            let m = x.request_mirror.as_ref()?;
            let filter = f.index(i);
            let mirror = filter.field("requestMirror");
            let target = resolve(
                referrer,
                (&m.backend_ref).into(),
                mirror.field("backendRef"),
                sink,
            );
            Some((i, target))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::Options;
    use crate::grants::ReferenceGrantMode;
    use crate::report::{BackendRefReport, ResolvedBackend};
    use crate::testing::{
        GATEWAY, SERVICE, check, check_with, docs, parent_condition, route, route_key, with_code,
    };

    #[allow(clippy::unnecessary_wraps)] // compared with `parent_condition`, which is optional
    fn cond(s: &str, r: &str) -> Option<(String, String)> {
        Some((s.to_owned(), r.to_owned()))
    }

    const GRANT: &str = "
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: g, namespace: other}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: apps}]
  to: [{group: '', kind: Service, name: svc}]
";
    const OTHER_SERVICE: &str = "
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: other}
spec: {ports: [{port: 8080}]}
";

    fn refs(report: &crate::Report) -> &[BackendRefReport] {
        &report.routes[&route_key()].rules[0].backend_refs
    }

    #[test]
    fn same_namespace_service_resolves_and_attaches() {
        let r = check(&docs(&[
            GATEWAY,
            SERVICE,
            &route("  - backendRefs: [{name: svc, port: 8080}]"),
        ]));
        assert_eq!(parent_condition(&r, "Accepted"), cond("True", "Accepted"));
        assert_eq!(
            parent_condition(&r, "ResolvedRefs"),
            cond("True", "ResolvedRefs")
        );
        assert!(matches!(
            refs(&r)[0],
            BackendRefReport::Resolved(ResolvedBackend::Service { port: 8080, .. })
        ));
        assert_eq!(
            r.gateways.values().next().unwrap().listeners[0].attached_routes,
            1
        );
    }

    #[test]
    fn cross_namespace_needs_an_exact_grant() {
        let rule = "  - backendRefs: [{name: svc, namespace: other, port: 8080}]";
        let denied = check(&docs(&[GATEWAY, OTHER_SERVICE, &route(rule)]));
        assert_eq!(
            parent_condition(&denied, "ResolvedRefs"),
            cond("False", "RefNotPermitted")
        );
        assert_eq!(
            parent_condition(&denied, "Accepted"),
            cond("True", "Accepted")
        );
        let [denial] = with_code(&denied, "ref-not-permitted")[..] else {
            panic!("one ref-not-permitted finding expected");
        };
        assert_eq!(
            denial.message,
            "backendRef to Service other/svc is not permitted: no ReferenceGrant in namespace \
             other allows references from HTTPRoute in namespace apps; add a ReferenceGrant in \
             other with from {group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: \
             apps} and to {group: \"\", kind: Service}"
        );
        let allowed = check(&docs(&[GATEWAY, OTHER_SERVICE, GRANT, &route(rule)]));
        assert!(matches!(refs(&allowed)[0], BackendRefReport::Resolved(_)));
        let other_name = GRANT.replace("name: svc}", "name: nope}");
        let r = check(&docs(&[GATEWAY, OTHER_SERVICE, &other_name, &route(rule)]));
        assert_eq!(
            parent_condition(&r, "ResolvedRefs"),
            cond("False", "RefNotPermitted")
        );
        let wrong_kind = GRANT.replace("kind: HTTPRoute", "kind: Gateway");
        let r = check(&docs(&[GATEWAY, OTHER_SERVICE, &wrong_kind, &route(rule)]));
        assert_eq!(
            parent_condition(&r, "ResolvedRefs"),
            cond("False", "RefNotPermitted")
        );
        let off = Options {
            reference_grant_mode: ReferenceGrantMode::Off,
            ..Options::default()
        };
        let r = check_with(&docs(&[GATEWAY, OTHER_SERVICE, &route(rule)]), &off);
        assert!(matches!(refs(&r)[0], BackendRefReport::Resolved(_)));
        let strict = Options {
            reference_grant_mode: ReferenceGrantMode::Strict,
            ..Options::default()
        };
        let r = check_with(&docs(&[GATEWAY, OTHER_SERVICE, &route(rule)]), &strict);
        assert_eq!(
            parent_condition(&r, "ResolvedRefs"),
            cond("False", "RefNotPermitted")
        );
    }

    #[test]
    fn denied_reference_reveals_nothing_about_its_target() {
        // Unknown kind, a port on a Backend, a missing object: all RefNotPermitted first.
        for rule in [
            "  - backendRefs: [{group: example.com, kind: Thing, name: x, namespace: other}]",
            "  - backendRefs: [{group: gateway.kgateway.dev, kind: Backend, name: x, namespace: other, port: 80}]",
            "  - backendRefs: [{name: missing, namespace: other, port: 80}]",
        ] {
            let r = check(&docs(&[GATEWAY, &route(rule)]));
            assert_eq!(
                parent_condition(&r, "ResolvedRefs"),
                cond("False", "RefNotPermitted"),
                "{rule}"
            );
            assert!(with_code(&r, "backend-ref-port").is_empty());
            assert!(with_code(&r, "backend-not-found").is_empty());
        }
    }

    #[test]
    fn unknown_kind_missing_object_and_missing_port() {
        let r = check(&docs(&[
            GATEWAY,
            &route("  - backendRefs: [{group: example.com, kind: Thing, name: x}]"),
        ]));
        assert_eq!(
            parent_condition(&r, "ResolvedRefs"),
            cond("False", "InvalidKind")
        );
        let r = check(&docs(&[
            GATEWAY,
            &route("  - backendRefs: [{name: nope, port: 80}]"),
        ]));
        assert_eq!(
            parent_condition(&r, "ResolvedRefs"),
            cond("False", "BackendNotFound")
        );
        let r = check(&docs(&[
            GATEWAY,
            SERVICE,
            &route("  - backendRefs: [{name: svc, port: 9999}]"),
        ]));
        assert_eq!(
            parent_condition(&r, "ResolvedRefs"),
            cond("False", "BackendNotFound")
        );
        let r = check(&docs(&[
            GATEWAY,
            &route("  - backendRefs: [{group: gateway.kgateway.dev, kind: Backend, name: b}]"),
        ]));
        match &refs(&r)[0] {
            BackendRefReport::Unresolved { message, .. } => {
                assert_eq!(message, "Backend apps/b not found");
            }
            other @ BackendRefReport::Resolved(_) => panic!("{other:?}"),
        }
    }

    #[test]
    fn port_on_a_backend_ref_warns_and_is_backend_not_found() {
        let backend = "
apiVersion: gateway.kgateway.dev/v1alpha1
kind: Backend
metadata: {name: b, namespace: apps}
spec: {static: {hosts: [{host: example.com, port: 80}]}}
";
        let rule = "  - backendRefs:\n    - {group: gateway.kgateway.dev, kind: Backend, name: b, port: 80}\n    - {group: gateway.kgateway.dev, kind: Backend, name: b}";
        let r = check(&docs(&[GATEWAY, backend, &route(rule)]));
        let warnings = with_code(&r, "backend-ref-port");
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].severity, crate::Severity::Warning);
        assert_eq!(warnings[0].field, "spec.rules[0].backendRefs[0].port");
        assert!(warnings[0].line.is_some());
        assert_eq!(
            refs(&r)[0],
            BackendRefReport::Unresolved {
                reason: kgw_api::gateway::RouteConditionReason::BackendNotFound,
                message: "BackendRef to \"b\" includes a port. Do not specify a port when referencing a Backend resource, as it defines its own port configuration".into(),
            }
        );
        assert!(matches!(
            refs(&r)[1],
            BackendRefReport::Resolved(ResolvedBackend::Backend { .. })
        ));
        assert_eq!(
            parent_condition(&r, "ResolvedRefs"),
            cond("False", "BackendNotFound")
        );
        assert_eq!(parent_condition(&r, "Accepted"), cond("True", "Accepted"));
    }

    #[test]
    fn mirrors_are_checked_too() {
        let rule = "  - filters:\n    - {type: RequestMirror, requestMirror: {backendRef: {name: svc, namespace: other, port: 8080}}}\n    backendRefs: [{name: svc, port: 8080}]";
        let r = check(&docs(&[GATEWAY, SERVICE, OTHER_SERVICE, &route(rule)]));
        let rule0 = &r.routes[&route_key()].rules[0];
        assert!(matches!(
            rule0.mirrors[0],
            (0, BackendRefReport::Unresolved { .. })
        ));
        assert_eq!(
            parent_condition(&r, "ResolvedRefs"),
            cond("False", "RefNotPermitted")
        );
        let backend_level = "  - backendRefs:\n    - name: svc\n      port: 8080\n      filters: [{type: RequestMirror, requestMirror: {backendRef: {name: gone, port: 1}}}]";
        let r = check(&docs(&[GATEWAY, SERVICE, &route(backend_level)]));
        let rule0 = &r.routes[&route_key()].rules[0];
        assert!(matches!(
            rule0.backend_mirrors[0],
            (0, 0, BackendRefReport::Unresolved { .. })
        ));
    }

    #[test]
    fn parent_ref_reasons() {
        let with_parent = |p: &str| {
            route("  - backendRefs: [{name: svc, port: 8080}]")
                .replace("[{name: gw, namespace: infra}]", p)
        };
        let r = check(&docs(&[
            GATEWAY,
            SERVICE,
            &with_parent("[{name: gw, namespace: infra, sectionName: nope}]"),
        ]));
        assert_eq!(
            parent_condition(&r, "Accepted"),
            cond("False", "NoMatchingParent")
        );
        let r = check(&docs(&[
            GATEWAY,
            SERVICE,
            &with_parent("[{name: gw, namespace: infra, port: 81}]"),
        ]));
        assert_eq!(
            parent_condition(&r, "Accepted"),
            cond("False", "NoMatchingParent")
        );
        let r = check(&docs(&[
            GATEWAY,
            SERVICE,
            &with_parent("[{name: gw, namespace: infra, port: 80, sectionName: http}]"),
        ]));
        assert_eq!(parent_condition(&r, "Accepted"), cond("True", "Accepted"));
        let same_only = GATEWAY.replace("from: All", "from: Same");
        let r = check(&docs(&[
            &same_only,
            SERVICE,
            &with_parent("[{name: gw, namespace: infra}]"),
        ]));
        assert_eq!(
            parent_condition(&r, "Accepted"),
            cond("False", "NotAllowedByListeners")
        );
        assert_eq!(
            r.gateways.values().next().unwrap().listeners[0].attached_routes,
            0
        );
        let r = check(&docs(&[
            GATEWAY,
            SERVICE,
            &with_parent("[{name: missing, namespace: infra}]"),
        ]));
        assert!(r.routes[&route_key()].parents.is_empty());
        assert_eq!(with_code(&r, "parent-not-found").len(), 1);
    }

    #[test]
    fn selector_uses_namespace_labels() {
        let gw = GATEWAY.replace(
            "from: All",
            "from: Selector, selector: {matchLabels: {team: a}}",
        );
        let ns = |labels: &str| {
            format!(
                "apiVersion: v1\nkind: Namespace\nmetadata: {{name: apps, labels: {{{labels}}}}}\n"
            )
        };
        let rt = route("  - backendRefs: [{name: svc, port: 8080}]");
        let r = check(&docs(&[&gw, SERVICE, &ns("team: a"), &rt]));
        assert_eq!(parent_condition(&r, "Accepted"), cond("True", "Accepted"));
        let r = check(&docs(&[&gw, SERVICE, &ns("team: b"), &rt]));
        assert_eq!(
            parent_condition(&r, "Accepted"),
            cond("False", "NotAllowedByListeners")
        );
        let by_name = GATEWAY.replace(
            "from: All",
            "from: Selector, selector: {matchLabels: {kubernetes.io/metadata.name: apps}}",
        );
        let r = check(&docs(&[&by_name, SERVICE, &rt]));
        assert_eq!(parent_condition(&r, "Accepted"), cond("True", "Accepted"));
    }

    #[test]
    fn hostnames_must_intersect() {
        let gw = GATEWAY.replace(
            "protocol: HTTP,",
            "protocol: HTTP, hostname: '*.example.com',",
        );
        let rt = |h: &str| {
            route("  - backendRefs: [{name: svc, port: 8080}]")
                .replace("  rules:", &format!("  hostnames: [{h}]\n  rules:"))
        };
        let r = check(&docs(&[&gw, SERVICE, &rt("example.com")]));
        assert_eq!(
            parent_condition(&r, "Accepted"),
            cond("False", "NoMatchingListenerHostname")
        );
        let r = check(&docs(&[&gw, SERVICE, &rt("a.example.com")]));
        assert_eq!(parent_condition(&r, "Accepted"), cond("True", "Accepted"));
    }

    #[test]
    fn invalid_rule_is_dropped_with_partially_invalid() {
        let rules = "  - matches: [{path: {type: PathPrefix, value: /a}}]\n    backendRefs: [{name: svc, port: 8080}]\n  - matches: [{path: {type: Exact, value: 'no-slash'}}]\n    backendRefs: [{name: svc, port: 8080}]";
        let r = check(&docs(&[GATEWAY, SERVICE, &route(rules)]));
        assert_eq!(parent_condition(&r, "Accepted"), cond("True", "Accepted"));
        assert_eq!(
            parent_condition(&r, "PartiallyInvalid"),
            cond("True", "UnsupportedValue")
        );
        let report = &r.routes[&route_key()];
        assert!(report.rules[0].dropped.is_none());
        assert!(report.rules[1].dropped.is_some());
        let all_bad = "  - matches: [{path: {type: Exact, value: 'no-slash'}}]\n    backendRefs: [{name: svc, port: 8080}]";
        let r = check(&docs(&[GATEWAY, SERVICE, &route(all_bad)]));
        assert_eq!(
            parent_condition(&r, "Accepted"),
            cond("False", "UnsupportedValue")
        );
        assert_eq!(parent_condition(&r, "PartiallyInvalid"), None);
        assert!(r.routes[&route_key()].parents[0].listeners.is_empty());
    }

    #[test]
    fn bad_regex_is_an_invalid_match_not_a_dropped_rule() {
        // A syntax error and an unknown Unicode class, each followed by a regex that is fine:
        // the checker, shared by every route of a validation, must still judge the next one.
        for bad in ["(unclosed", "/\\p{Nope}"] {
            let rules = format!(
                "  - matches:\n    - path: {{type: RegularExpression, value: '{bad}'}}\n    - path: {{type: RegularExpression, value: '/ok/[a-z]+'}}\n    - path: {{type: PathPrefix, value: /ok}}\n    backendRefs: [{{name: svc, port: 8080}}]"
            );
            let r = check(&docs(&[GATEWAY, SERVICE, &route(&rules)]));
            let rule = &r.routes[&route_key()].rules[0];
            assert_eq!(rule.invalid_matches, [0], "{bad}");
            assert_eq!(with_code(&r, "invalid-regex").len(), 1, "{bad}");
        }
    }

    #[test]
    fn statuses_follow_the_json_contract() {
        let r = check(&docs(&[
            GATEWAY,
            SERVICE,
            &route("  - backendRefs: [{name: svc, port: 8080}]"),
        ]));
        let json = serde_json::to_value(r.statuses()).unwrap();
        let route = json
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["object"]["kind"] == "HTTPRoute")
            .unwrap();
        let parent_ref = &route["parents"][0]["parentRef"];
        assert_eq!(parent_ref["group"], "gateway.networking.k8s.io");
        assert_eq!(parent_ref["kind"], "Gateway");
        assert_eq!(parent_ref["namespace"], "infra");
        assert!(parent_ref["sectionName"].is_null() && parent_ref.get("port").is_some());
        let gateway = &json[0];
        assert_eq!(gateway["listeners"][0]["attachedRoutes"], 1);
        assert_eq!(gateway["conditions"][0]["type"], "Accepted");
        let diag = serde_json::to_value(&r.diagnostics).unwrap();
        assert!(diag.as_array().unwrap().is_empty(), "{diag}");
    }

    #[test]
    fn observed_generation_is_copied() {
        let rt = route("  - backendRefs: [{name: svc, port: 8080}]")
            .replace("namespace: apps}", "namespace: apps, generation: 7}");
        let r = check(&docs(&[GATEWAY, SERVICE, &rt]));
        let c = &r.routes[&route_key()].parents[0].conditions[0];
        assert_eq!(c.observed_generation, Some(7));
        assert_eq!(c.last_transition_time, None);
    }

    #[test]
    fn controller_name_filters_gateways() {
        let class = "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: kgw}\nspec: {controllerName: example.com/other}\n";
        let options = Options {
            controller_name: Some("kgateway.dev/kgateway".into()),
            ..Options::default()
        };
        let r = check_with(
            &docs(&[
                class,
                GATEWAY,
                SERVICE,
                &route("  - backendRefs: [{name: svc, port: 8080}]"),
            ]),
            &options,
        );
        assert!(r.gateways.is_empty());
        assert!(r.routes[&route_key()].parents.is_empty());
        assert!(with_code(&r, "parent-not-found").is_empty());
        let r = check_with(&docs(&[GATEWAY, SERVICE]), &options);
        assert_eq!(
            r.gateways.len(),
            1,
            "a Gateway whose class is absent is handled"
        );
    }
}
