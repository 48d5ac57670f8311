//! From a validation [`Report`] and the statuses objects carry now, the status patches to send:
//! pure functions, no I/O (the writer in [`crate::writer`] sends them).
//!
//! The contract, as in linkerd's policy controller plus what it lacks:
//! - route `status.parents[]` is an atomic list: entries whose `controllerName` is not ours are
//!   sent back untouched, ours are recomputed;
//! - a condition keeps its `lastTransitionTime` while its `status` does not change
//!   (apimachinery's `SetStatusCondition` rule);
//! - every condition carries the object's `metadata.generation` as `observedGeneration`;
//! - no patch when our part of the status would not change;
//! - the core group is written `""`, never `core`.

use kgw_api::gateway::{
    Gateway, GatewayStatus, HttpRoute, ListenerStatus, ParentReference, RouteParentStatus,
    RouteStatus,
};
use kgw_api::kgateway::{Backend, BackendStatus};
use kgw_api::{Condition, ObjectRef, Resources, SmolStr};
use kgw_validate::report::{BackendReport, GatewayReport, Report, RouteReport};
use serde::Serialize;
use serde_json::{Value, json};

use crate::object::KubeKind;

/// One server-side-apply patch of a `status` subresource.
#[derive(Clone, Debug, PartialEq)]
pub struct StatusPatch {
    /// The object to patch.
    pub object: ObjectRef,
    /// The apply body: `apiVersion`, `kind`, `metadata.name`/`namespace` and `status`.
    pub body: Value,
}

/// Who writes and when.
#[derive(Clone, Copy, Debug)]
pub struct Writer<'a> {
    /// Our `controllerName` (`example.net/gateway-controller`): the route parent entries we own.
    pub controller_name: &'a str,
    /// The RFC 3339 time written as `lastTransitionTime` of conditions that change.
    pub now: &'a str,
}

/// The current time as Kubernetes writes it (`metav1.Time`: UTC, whole seconds).
pub fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// The patches that bring every object the report covers to its computed status, skipping
/// objects whose status would not change. Routes the report does not mention lose our entries.
pub fn plan(resources: &Resources, report: &Report, writer: Writer<'_>) -> Vec<StatusPatch> {
    let mut patches = Vec::new();
    for (key, gateway_report) in &report.gateways {
        let Some(stored) = resources.gateways.get(&key.namespace, &key.name) else {
            continue;
        };
        let gateway = &stored.object;
        let desired = gateway_status(gateway, gateway_report, writer);
        if gateway_changed(gateway.status.as_ref(), &desired) {
            patches.push(patch(gateway, &desired));
        }
    }
    for stored in resources.http_routes.iter() {
        let route = &stored.object;
        let route_report = report.routes.get(&kgw_api::ObjectKey::new(
            route.metadata.namespace(),
            route.metadata.name(),
        ));
        if let Some(desired) = route_status(route, route_report, writer) {
            patches.push(patch(route, &desired));
        }
    }
    for (key, backend_report) in &report.backends {
        let Some(stored) = resources.backends.get(&key.namespace, &key.name) else {
            continue;
        };
        let backend = &stored.object;
        let desired = backend_status(backend, backend_report, writer);
        let old = backend
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_deref());
        if !same_conditions(
            old.unwrap_or_default(),
            desired.conditions.as_deref().unwrap_or_default(),
        ) {
            patches.push(patch(backend, &desired));
        }
    }
    patches
}

fn patch<T: KubeKind, S: Serialize>(object: &T, status: &S) -> StatusPatch {
    let meta = object.metadata();
    let mut metadata = json!({"name": meta.name()});
    if T::NAMESPACED {
        metadata["namespace"] = meta.namespace().into();
    }
    StatusPatch {
        object: object.object_ref(),
        body: json!({
            "apiVersion": T::api_version(),
            "kind": T::KIND,
            "metadata": metadata,
            "status": status,
        }),
    }
}

/// `conditions` as they should be written: `observedGeneration` set, `lastTransitionTime` kept
/// from the old condition of the same type when its status is unchanged, else `now`.
pub fn merge_conditions(
    old: &[Condition],
    new: &[Condition],
    generation: Option<i64>,
    now: &str,
) -> Vec<Condition> {
    new.iter()
        .map(|condition| {
            let since = old
                .iter()
                .find(|o| o.type_ == condition.type_ && o.status == condition.status)
                .and_then(|o| o.last_transition_time.clone());
            Condition {
                observed_generation: generation,
                last_transition_time: Some(since.unwrap_or_else(|| now.to_owned())),
                ..condition.clone()
            }
        })
        .collect()
}

/// Whether two condition lists say the same, whatever their order (a list-map keyed by type).
pub fn same_conditions(a: &[Condition], b: &[Condition]) -> bool {
    let sorted = |list: &[Condition]| {
        let mut list = list.to_vec();
        list.sort_by(|x, y| x.type_.cmp(&y.type_));
        list
    };
    sorted(a) == sorted(b)
}

/// The parentRef as we write it: the core group as `""`.
pub fn normalize_core_group(mut parent_ref: ParentReference) -> ParentReference {
    if parent_ref.group.as_deref() == Some("core") {
        parent_ref.group = Some(SmolStr::default());
    }
    parent_ref
}

/// Two parentRefs name the same parent once defaults apply (`group`, `kind`, the route's
/// namespace) and `core` is read as `""`.
pub fn same_parent(a: &ParentReference, b: &ParentReference, route_namespace: &str) -> bool {
    let group = |p: &ParentReference| {
        match p.group() {
            "core" => "",
            g => g,
        }
        .to_owned()
    };
    group(a) == group(b)
        && a.kind() == b.kind()
        && a.namespace_or(route_namespace) == b.namespace_or(route_namespace)
        && a.name == b.name
        && a.section_name == b.section_name
        && a.port == b.port
}

/// The route's new status, or `None` when our entries would not change. Other controllers'
/// entries are kept in place and order; ours follow, in the report's order.
pub fn route_status(
    route: &HttpRoute,
    report: Option<&RouteReport>,
    writer: Writer<'_>,
) -> Option<RouteStatus> {
    let namespace = route.metadata.namespace();
    let generation = route.metadata.generation;
    let old = route
        .status
        .as_ref()
        .map(|s| s.parents.as_slice())
        .unwrap_or_default();
    let (old_ours, others): (Vec<&RouteParentStatus>, Vec<&RouteParentStatus>) = old
        .iter()
        .partition(|p| p.controller_name == writer.controller_name);
    let ours: Vec<RouteParentStatus> = report
        .map(|r| r.parents.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|parent| {
            let previous = old_ours
                .iter()
                .find(|o| same_parent(&o.parent_ref, &parent.parent_ref, namespace))
                .map(|o| o.conditions.as_slice())
                .unwrap_or_default();
            RouteParentStatus {
                parent_ref: normalize_core_group(parent.parent_ref.clone()),
                controller_name: writer.controller_name.to_owned(),
                conditions: merge_conditions(previous, &parent.conditions, generation, writer.now),
            }
        })
        .collect();
    if old_ours.len() == ours.len() && old_ours.iter().zip(&ours).all(|(o, n)| *o == n) {
        return None;
    }
    let parents = others.into_iter().cloned().chain(ours).collect();
    Some(RouteStatus { parents })
}

/// The Gateway's new conditions and listeners (addresses are left to whoever owns them).
pub fn gateway_status(
    gateway: &Gateway,
    report: &GatewayReport,
    writer: Writer<'_>,
) -> GatewayStatus {
    let generation = gateway.metadata.generation;
    let old = gateway.status.as_ref();
    let old_conditions = old
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or_default();
    let old_listeners = old.and_then(|s| s.listeners.as_deref()).unwrap_or_default();
    let listeners = report
        .listeners
        .iter()
        .map(|listener| {
            let previous = old_listeners
                .iter()
                .find(|o| o.name == listener.name)
                .map(|o| o.conditions.as_slice())
                .unwrap_or_default();
            ListenerStatus {
                name: listener.name.clone(),
                supported_kinds: Some(listener.supported_kinds.clone()),
                attached_routes: listener.attached_routes,
                conditions: merge_conditions(
                    previous,
                    &listener.conditions,
                    generation,
                    writer.now,
                ),
            }
        })
        .collect();
    GatewayStatus {
        addresses: None,
        conditions: Some(merge_conditions(
            old_conditions,
            &report.conditions,
            generation,
            writer.now,
        )),
        listeners: Some(listeners),
        attached_listener_sets: None,
    }
}

/// Whether the Gateway's conditions or listeners would change.
pub fn gateway_changed(old: Option<&GatewayStatus>, new: &GatewayStatus) -> bool {
    let conditions =
        |s: Option<&GatewayStatus>| s.and_then(|s| s.conditions.clone()).unwrap_or_default();
    let listeners = |s: Option<&GatewayStatus>| {
        let mut list = s.and_then(|s| s.listeners.clone()).unwrap_or_default();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        list
    };
    let (old_listeners, new_listeners) = (listeners(old), listeners(Some(new)));
    !same_conditions(&conditions(old), &conditions(Some(new)))
        || old_listeners.len() != new_listeners.len()
        || old_listeners.iter().zip(&new_listeners).any(|(o, n)| {
            o.name != n.name
                || o.attached_routes != n.attached_routes
                || o.supported_kinds.clone().unwrap_or_default()
                    != n.supported_kinds.clone().unwrap_or_default()
                || !same_conditions(&o.conditions, &n.conditions)
        })
}

/// The Backend's new conditions.
pub fn backend_status(
    backend: &Backend,
    report: &BackendReport,
    writer: Writer<'_>,
) -> BackendStatus {
    let old = backend
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or_default();
    BackendStatus {
        conditions: Some(merge_conditions(
            old,
            &report.conditions,
            backend.metadata.generation,
            writer.now,
        )),
    }
}

#[cfg(test)]
mod tests {
    use kgw_api::ConditionStatus;
    use kgw_api::gateway::RouteGroupKind;
    use kgw_validate::report::{ListenerReport, ParentReport};

    use super::*;

    const OURS: &str = "kgw.dev/controller";
    const T0: &str = "2026-01-01T00:00:00Z";
    const NOW: &str = "2026-06-01T12:00:00Z";

    fn writer() -> Writer<'static> {
        Writer {
            controller_name: OURS,
            now: NOW,
        }
    }

    fn condition(type_: &str, status: ConditionStatus, reason: &str) -> Condition {
        Condition {
            type_: type_.to_owned().into(),
            status,
            observed_generation: None,
            last_transition_time: None,
            reason: reason.to_owned().into(),
            message: "".into(),
        }
    }

    fn written(c: Condition, generation: i64, at: &str) -> Condition {
        Condition {
            observed_generation: Some(generation),
            last_transition_time: Some(at.to_owned()),
            ..c
        }
    }

    fn route(status: &serde_json::Value) -> HttpRoute {
        serde_json::from_value(json!({
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "r", "namespace": "app", "generation": 4},
            "spec": {"parentRefs": [{"name": "gw", "namespace": "infra"}]},
            "status": status,
        }))
        .unwrap()
    }

    fn parent(name: &str, group: Option<&str>) -> ParentReference {
        ParentReference {
            group: group.map(SmolStr::new),
            kind: Some("Gateway".into()),
            namespace: Some("infra".into()),
            name: name.into(),
            section_name: None,
            port: None,
        }
    }

    fn route_report(conditions: Vec<Condition>) -> RouteReport {
        RouteReport {
            parents: vec![ParentReport {
                parent_ref: parent("gw", Some("gateway.networking.k8s.io")),
                gateway: kgw_api::ObjectKey::new("infra", "gw"),
                listeners: vec!["http".into()],
                conditions,
            }],
            rules: Vec::new(),
        }
    }

    #[test]
    fn unchanged_status_keeps_its_time_and_changed_status_gets_now() {
        let old = vec![
            written(
                condition("Accepted", ConditionStatus::True, "Accepted"),
                3,
                T0,
            ),
            written(
                condition("ResolvedRefs", ConditionStatus::True, "ResolvedRefs"),
                3,
                T0,
            ),
        ];
        let new = vec![
            Condition {
                message: "still fine".into(),
                ..condition("Accepted", ConditionStatus::True, "Accepted")
            },
            condition("ResolvedRefs", ConditionStatus::False, "BackendNotFound"),
        ];
        let merged = merge_conditions(&old, &new, Some(4), NOW);
        assert_eq!(merged[0].last_transition_time.as_deref(), Some(T0));
        assert_eq!(merged[0].message, "still fine");
        assert_eq!(merged[1].last_transition_time.as_deref(), Some(NOW));
        assert!(merged.iter().all(|c| c.observed_generation == Some(4)));
    }

    #[test]
    fn other_controllers_entries_are_kept_and_ours_replaced() {
        let theirs = json!({"parentRef": {"name": "other-gw"}, "controllerName": "someone.else/c",
                            "conditions": [{"type": "Accepted", "status": "False", "reason": "NotAllowedByListeners",
                                            "message": "", "lastTransitionTime": T0}]});
        let stale = json!({"parentRef": {"name": "old-gw", "namespace": "infra"}, "controllerName": OURS,
                           "conditions": []});
        let route = route(&json!({"parents": [theirs.clone(), stale]}));
        let report = route_report(vec![condition(
            "Accepted",
            ConditionStatus::True,
            "Accepted",
        )]);
        let status = route_status(&route, Some(&report), writer()).unwrap();
        assert_eq!(status.parents.len(), 2);
        assert_eq!(serde_json::to_value(&status.parents[0]).unwrap(), theirs);
        assert_eq!(status.parents[1].controller_name, OURS);
        assert_eq!(status.parents[1].parent_ref.name, "gw");
        assert_eq!(
            status.parents[1].conditions,
            vec![written(
                condition("Accepted", ConditionStatus::True, "Accepted"),
                4,
                NOW
            )]
        );
    }

    #[test]
    fn a_route_written_from_the_same_report_needs_no_patch() {
        let report = route_report(vec![condition(
            "Accepted",
            ConditionStatus::True,
            "Accepted",
        )]);
        let first = route_status(&route(&json!(null)), Some(&report), writer()).unwrap();
        let mut written_route = route(&json!(null));
        written_route.status = Some(first);
        let later = Writer {
            now: "2027-01-01T00:00:00Z",
            ..writer()
        };
        assert_eq!(route_status(&written_route, Some(&report), later), None);
        // A new generation is a change: observedGeneration moves, the time does not.
        written_route.metadata.generation = Some(5);
        let status = route_status(&written_route, Some(&report), later).unwrap();
        assert_eq!(status.parents[0].conditions[0].observed_generation, Some(5));
        assert_eq!(
            status.parents[0].conditions[0]
                .last_transition_time
                .as_deref(),
            Some(NOW)
        );
    }

    #[test]
    fn route_without_our_entries_and_no_report_is_left_alone() {
        let theirs = json!({"parentRef": {"name": "x"}, "controllerName": "someone.else/c", "conditions": []});
        assert_eq!(
            route_status(&route(&json!({"parents": [theirs]})), None, writer()),
            None
        );
        assert_eq!(route_status(&route(&json!(null)), None, writer()), None);
    }

    #[test]
    fn our_entries_are_removed_when_the_report_drops_them() {
        let ours = json!({"parentRef": {"name": "gw", "namespace": "infra"}, "controllerName": OURS, "conditions": []});
        let status = route_status(&route(&json!({"parents": [ours]})), None, writer()).unwrap();
        assert!(status.parents.is_empty());
    }

    #[test]
    fn core_group_is_written_empty_and_matched_either_way() {
        let service_parent = |group: Option<&str>| ParentReference {
            kind: Some("Service".into()),
            ..parent("svc", group)
        };
        assert_eq!(
            normalize_core_group(service_parent(Some("core")))
                .group
                .as_deref(),
            Some("")
        );
        assert!(same_parent(
            &service_parent(Some("core")),
            &service_parent(Some("")),
            "infra"
        ));
        assert!(!same_parent(
            &service_parent(Some("")),
            &parent("svc", None),
            "infra"
        ));
        // Defaults: an unset group/kind/namespace equals the defaulted form.
        let bare = ParentReference {
            name: "gw".into(),
            ..ParentReference::default()
        };
        assert!(same_parent(
            &bare,
            &parent("gw", Some("gateway.networking.k8s.io")),
            "infra"
        ));
        assert!(!same_parent(&bare, &parent("gw", None), "app"));
    }

    #[test]
    fn gateway_listeners_and_conditions_compare_by_key_not_order() {
        let gateway: Gateway = serde_json::from_value(json!({
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": "gw", "namespace": "infra", "generation": 2},
            "spec": {"gatewayClassName": "kgw", "listeners": [
                {"name": "a", "port": 80, "protocol": "HTTP"}, {"name": "b", "port": 81, "protocol": "HTTP"}]},
        }))
        .unwrap();
        let listener = |name: &str, attached| ListenerReport {
            name: name.to_owned(),
            attached_routes: attached,
            supported_kinds: vec![RouteGroupKind {
                group: Some("gateway.networking.k8s.io".to_owned()),
                kind: "HTTPRoute".to_owned(),
            }],
            conditions: vec![condition("Accepted", ConditionStatus::True, "Accepted")],
        };
        let report = GatewayReport {
            conditions: vec![
                condition("Accepted", ConditionStatus::True, "Accepted"),
                condition("Programmed", ConditionStatus::True, "Programmed"),
            ],
            listeners: vec![listener("a", 1), listener("b", 0)],
        };
        let desired = gateway_status(&gateway, &report, writer());
        assert!(gateway_changed(None, &desired));
        let mut reordered = desired.clone();
        reordered.conditions.as_mut().unwrap().reverse();
        reordered.listeners.as_mut().unwrap().reverse();
        assert!(!gateway_changed(Some(&reordered), &desired));
        let mut written_gateway = gateway.clone();
        written_gateway.status = Some(reordered);
        let again = gateway_status(
            &written_gateway,
            &report,
            Writer {
                now: "2030-01-01T00:00:00Z",
                ..writer()
            },
        );
        assert!(!gateway_changed(written_gateway.status.as_ref(), &again));
        let more = GatewayReport {
            listeners: vec![listener("a", 2), listener("b", 0)],
            ..report
        };
        assert!(gateway_changed(
            written_gateway.status.as_ref(),
            &gateway_status(&written_gateway, &more, writer())
        ));
    }

    #[test]
    fn plan_skips_unchanged_objects_and_shapes_apply_bodies() {
        let mut resources = Resources::new();
        resources.insert(route(&json!(null)));
        let mut report = Report::default();
        report.routes.insert(
            kgw_api::ObjectKey::new("app", "r"),
            route_report(vec![condition(
                "Accepted",
                ConditionStatus::True,
                "Accepted",
            )]),
        );
        let patches = plan(&resources, &report, writer());
        assert_eq!(patches.len(), 1);
        let body = &patches[0].body;
        assert_eq!(body["apiVersion"], "gateway.networking.k8s.io/v1");
        assert_eq!(body["kind"], "HTTPRoute");
        assert_eq!(body["metadata"], json!({"name": "r", "namespace": "app"}));
        assert_eq!(body["status"]["parents"][0]["controllerName"], OURS);
        // Apply the planned status and plan again: nothing left to do.
        let mut applied = route(&json!(null));
        applied.status = Some(serde_json::from_value(body["status"].clone()).unwrap());
        resources.insert(applied);
        assert_eq!(plan(&resources, &report, writer()), Vec::new());
    }
}
