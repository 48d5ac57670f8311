//! Route → Gateway attachment through one parentRef (spec digest §1.1–1.3): sectionName and port
//! select listeners, `allowedRoutes` filters them by namespace and kind, hostnames must intersect.

use std::collections::BTreeMap;

use foldhash::HashMap;
use kgw_api::Resources;
use kgw_api::gateway::{
    FromNamespaces, Gateway, Listener, ParentReference, RouteConditionReason as Reason,
};

use crate::hostname::route_intersects_listener;
use crate::report::ListenerReport;

/// Namespace labels, with the `kubernetes.io/metadata.name` label the API server adds to every
/// namespace (also for namespaces absent from the input).
pub(crate) struct NamespaceLabels<'a> {
    labels: HashMap<&'a str, &'a BTreeMap<String, String>>,
}

const NAME_LABEL: &str = "kubernetes.io/metadata.name";

impl<'a> NamespaceLabels<'a> {
    pub(crate) fn new(resources: &'a Resources) -> Self {
        let labels = resources
            .namespaces
            .iter()
            .filter_map(|s| Some((s.object.metadata.name(), s.object.metadata.labels.as_ref()?)))
            .collect();
        Self { labels }
    }

    fn label(&self, namespace: &'a str, key: &str) -> Option<&'a str> {
        if key == NAME_LABEL {
            return Some(namespace);
        }
        self.labels
            .get(namespace)
            .and_then(|l| l.get(key))
            .map(String::as_str)
    }
}

/// How one parentRef attaches.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Attachment {
    /// Accepted on these listeners (by index).
    Accepted(Vec<usize>),
    /// Not accepted.
    Rejected(Reason, String),
}

fn namespace_allowed(
    l: &Listener,
    gateway_ns: &str,
    route_ns: &str,
    labels: &NamespaceLabels<'_>,
) -> bool {
    let namespaces = l
        .allowed_routes
        .as_ref()
        .and_then(|a| a.namespaces.as_ref());
    match namespaces.map_or(
        FromNamespaces::Same,
        kgw_api::gateway::RouteNamespaces::from_or_default,
    ) {
        FromNamespaces::All => true,
        FromNamespaces::Same => route_ns == gateway_ns,
        FromNamespaces::Selector => namespaces
            .and_then(|n| n.selector.as_ref())
            .is_some_and(|s| s.matches(|k| labels.label(route_ns, k))),
    }
}

/// Attaches a route (namespace, hostnames) to a Gateway through a defaulted parentRef.
pub(crate) fn attach(
    route_ns: &str,
    hostnames: &[String],
    parent: &ParentReference,
    gateway: &Gateway,
    listeners: &[ListenerReport],
    labels: &NamespaceLabels<'_>,
) -> Attachment {
    let gateway_ns = gateway.metadata.namespace();
    let selected: Vec<usize> = gateway
        .spec
        .listeners
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            parent
                .section_name
                .as_deref()
                .is_none_or(|s| s.is_empty() || s == l.name)
                && parent.port.is_none_or(|p| p == l.port)
        })
        .map(|(i, _)| i)
        .collect();
    if selected.is_empty() {
        let what = match (&parent.section_name, parent.port) {
            (Some(s), Some(p)) => format!("no listener named {s:?} on port {p}"),
            (Some(s), None) => format!("no listener named {s:?}"),
            (None, Some(p)) => format!("no listener on port {p}"),
            (None, None) => "no listeners".to_owned(),
        };
        return Attachment::Rejected(
            Reason::NoMatchingParent,
            format!(
                "Gateway {gateway_ns}/{} has {what}",
                gateway.metadata.name()
            ),
        );
    }
    let allowed: Vec<usize> = selected
        .into_iter()
        .filter(|&i| {
            let kind_ok = listeners.get(i).is_some_and(|r| {
                r.supported_kinds
                    .iter()
                    .any(|k| k.group() == kgw_api::gateway::GROUP && k.kind == "HTTPRoute")
            });
            kind_ok && namespace_allowed(&gateway.spec.listeners[i], gateway_ns, route_ns, labels)
        })
        .collect();
    if allowed.is_empty() {
        return Attachment::Rejected(
            Reason::NotAllowedByListeners,
            format!(
                "no selected listener of Gateway {gateway_ns}/{} allows HTTPRoutes from namespace {route_ns}",
                gateway.metadata.name()
            ),
        );
    }
    let accepted: Vec<usize> = allowed
        .into_iter()
        .filter(|&i| {
            route_intersects_listener(gateway.spec.listeners[i].hostname.as_deref(), hostnames)
        })
        .collect();
    if accepted.is_empty() {
        return Attachment::Rejected(
            Reason::NoMatchingListenerHostname,
            format!(
                "no route hostname intersects the hostnames of the selected listeners of Gateway {gateway_ns}/{}",
                gateway.metadata.name()
            ),
        );
    }
    Attachment::Accepted(accepted)
}
