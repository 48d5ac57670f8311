//! Gateway and listener status (spec digest §5.2, §5.3): Accepted, Programmed, ResolvedRefs
//! (certificate references and their grants, route kinds), Conflicted, supportedKinds.

use std::borrow::Cow;
use std::collections::BTreeMap;

use kgw_api::gateway::{
    Gateway, GatewayConditionReason as GwReason, Listener, ListenerConditionReason as LReason,
    RouteGroupKind, TlsModeType,
};
use kgw_api::{Condition, ConditionStatus, Resources, Stored};

use crate::diag::Sink;
use crate::grants::{GrantIndex, RefEnd};
use crate::report::{Diagnostic, GatewayReport, ListenerReport};

/// Builds a condition.
pub(crate) fn condition(
    type_: &'static str,
    status: ConditionStatus,
    reason: &'static str,
    message: impl Into<Cow<'static, str>>,
    generation: Option<i64>,
) -> Condition {
    Condition {
        type_: type_.into(),
        status,
        observed_generation: generation,
        last_transition_time: None,
        reason: reason.into(),
        message: message.into(),
    }
}

/// Route kinds a listener protocol can carry.
fn protocol_kinds(protocol: &str) -> &'static [&'static str] {
    match protocol {
        "HTTP" | "HTTPS" => &["HTTPRoute", "GRPCRoute"],
        "TLS" => &["TLSRoute"],
        "TCP" => &["TCPRoute"],
        "UDP" => &["UDPRoute"],
        _ => &[],
    }
}

/// Listeners on one port conflict when their protocols cannot share it.
fn protocol_class(protocol: &str) -> &str {
    match protocol {
        "HTTPS" | "TLS" => "TLS",
        other => other,
    }
}

/// Computes the status of one Gateway (`raw` as loaded, `gateway` defaulted).
pub(crate) fn gateway_report(
    raw: &Stored<Gateway>,
    gateway: &Gateway,
    resources: &Resources,
    grants: &GrantIndex<'_>,
    out: &mut Vec<Diagnostic>,
) -> GatewayReport {
    let mut sink = Sink::new(raw, out);
    let invalid = crate::fields::gateway::check(&raw.object, &mut sink);
    let generation = gateway.metadata.generation;
    let cond = |t: &'static str, s, r: &'static str, m: String| condition(t, s, r, m, generation);
    let listeners = &gateway.spec.listeners;
    let conflicts = conflicts(listeners);
    let mut reports = Vec::with_capacity(listeners.len());
    let mut valid_listeners = 0;
    for (i, l) in listeners.iter().enumerate() {
        let f = format!("spec.listeners[{i}]");
        let mut resolved: Result<(), (LReason, String)> = Ok(());
        let kinds = &protocol_kinds(&l.protocol);
        let requested = l
            .allowed_routes
            .as_ref()
            .and_then(|a| a.kinds.as_deref())
            .unwrap_or_default();
        let supported_kinds: Vec<RouteGroupKind> = if requested.is_empty() {
            kinds
                .iter()
                .map(|k| RouteGroupKind {
                    group: Some(kgw_api::gateway::GROUP.to_owned()),
                    kind: (*k).to_owned(),
                })
                .collect()
        } else {
            let mut ok = Vec::new();
            for (j, k) in requested.iter().enumerate() {
                if k.group() == kgw_api::gateway::GROUP && kinds.contains(&k.kind.as_str()) {
                    ok.push(RouteGroupKind {
                        group: Some(k.group().to_owned()),
                        kind: k.kind.clone(),
                    });
                } else {
                    let msg = format!(
                        "route kind {}/{} is not supported on a {} listener",
                        k.group(),
                        k.kind,
                        l.protocol
                    );
                    sink.error(
                        "invalid-route-kind",
                        format!("{f}.allowedRoutes.kinds[{j}]"),
                        msg.clone(),
                    );
                    resolved = resolved.and(Err((LReason::InvalidRouteKinds, msg)));
                }
            }
            ok
        };
        if let Some(ns) = l
            .allowed_routes
            .as_ref()
            .and_then(|a| a.namespaces.as_ref())
            && ns.from_or_default() == kgw_api::gateway::FromNamespaces::Selector
            && ns.selector.is_none()
        {
            sink.error(
                    "listener-selector-required",
                    format!("{f}.allowedRoutes.namespaces"),
                    "allowedRoutes.namespaces.from is Selector but no selector is given; no namespace is allowed",
                );
        }
        if let Err(e) = certificates(l, gateway, resources, grants, &f, &mut sink) {
            resolved = resolved.and(Err(e));
        }
        let accepted = if invalid.is_some() {
            Err((
                LReason::UnsupportedValue,
                format!(
                    "the Gateway is invalid: {}",
                    invalid.as_deref().unwrap_or_default()
                ),
            ))
        } else if kinds.is_empty() {
            let msg = format!(
                "protocol {:?} is not supported; use HTTP, HTTPS, TLS, TCP or UDP",
                l.protocol
            );
            sink.error("unsupported-protocol", format!("{f}.protocol"), msg.clone());
            Err((LReason::UnsupportedProtocol, msg))
        } else {
            Ok(())
        };
        let mut conditions = Vec::with_capacity(4);
        match &accepted {
            Ok(()) => conditions.push(cond(
                "Accepted",
                ConditionStatus::True,
                "Accepted",
                "Listener accepted".into(),
            )),
            Err((r, m)) => conditions.push(cond(
                "Accepted",
                ConditionStatus::False,
                r.as_str(),
                m.clone(),
            )),
        }
        match &conflicts[i] {
            None => conditions.push(cond(
                "Conflicted",
                ConditionStatus::False,
                "NoConflicts",
                "No conflicts".into(),
            )),
            Some((r, m)) => {
                sink.error("listener-conflict", f.clone(), m.clone());
                conditions.push(cond(
                    "Conflicted",
                    ConditionStatus::True,
                    r.as_str(),
                    m.clone(),
                ));
            }
        }
        match &resolved {
            Ok(()) => conditions.push(cond(
                "ResolvedRefs",
                ConditionStatus::True,
                "ResolvedRefs",
                "All references resolved".into(),
            )),
            Err((r, m)) => conditions.push(cond(
                "ResolvedRefs",
                ConditionStatus::False,
                r.as_str(),
                m.clone(),
            )),
        }
        let programmed = accepted.is_ok() && conflicts[i].is_none() && resolved.is_ok();
        if programmed {
            valid_listeners += 1;
            conditions.push(cond(
                "Programmed",
                ConditionStatus::True,
                "Programmed",
                "Listener programmed".into(),
            ));
        } else {
            conditions.push(cond(
                "Programmed",
                ConditionStatus::False,
                "Invalid",
                "Listener is invalid; see its other conditions".into(),
            ));
        }
        reports.push(ListenerReport {
            name: l.name.clone(),
            attached_routes: 0,
            supported_kinds,
            conditions,
        });
    }
    let mut conditions = Vec::with_capacity(2);
    let accepted = if let Some(msg) = &invalid {
        conditions.push(cond(
            "Accepted",
            ConditionStatus::False,
            GwReason::Invalid.as_str(),
            format!("Gateway is invalid: {msg}"),
        ));
        false
    } else if valid_listeners == listeners.len() {
        conditions.push(cond(
            "Accepted",
            ConditionStatus::True,
            GwReason::Accepted.as_str(),
            "Gateway accepted".into(),
        ));
        true
    } else {
        let status = if valid_listeners == 0 {
            ConditionStatus::False
        } else {
            ConditionStatus::True
        };
        conditions.push(cond(
            "Accepted",
            status,
            GwReason::ListenersNotValid.as_str(),
            format!(
                "{} of {} listeners are invalid",
                listeners.len() - valid_listeners,
                listeners.len()
            ),
        ));
        status == ConditionStatus::True
    };
    if accepted {
        conditions.push(cond(
            "Programmed",
            ConditionStatus::True,
            GwReason::Programmed.as_str(),
            "Gateway programmed".into(),
        ));
    } else {
        conditions.push(cond(
            "Programmed",
            ConditionStatus::False,
            GwReason::Invalid.as_str(),
            "Gateway is not accepted".into(),
        ));
    }
    GatewayReport {
        conditions,
        listeners: reports,
    }
}

/// For each listener, the conflict it has with others on its port, if any.
fn conflicts(listeners: &[Listener]) -> Vec<Option<(LReason, String)>> {
    let mut by_port: BTreeMap<i32, Vec<usize>> = BTreeMap::new();
    for (i, l) in listeners.iter().enumerate() {
        by_port.entry(l.port).or_default().push(i);
    }
    let mut out = vec![None; listeners.len()];
    for (port, members) in by_port {
        let first = protocol_class(&listeners[members[0]].protocol);
        if members
            .iter()
            .any(|&i| protocol_class(&listeners[i].protocol) != first)
        {
            for &i in &members {
                out[i] = Some((
                    LReason::ProtocolConflict,
                    format!(
                        "listeners with incompatible protocols share port {port}; give each protocol its own port"
                    ),
                ));
            }
            continue;
        }
        for &i in &members {
            let same_host = members
                .iter()
                .filter(|&&j| listeners[j].hostname == listeners[i].hostname)
                .count();
            if same_host > 1 {
                out[i] = Some((
                    LReason::HostnameConflict,
                    format!(
                        "several listeners on port {port} serve hostname {}; give each a distinct hostname",
                        listeners[i].hostname.as_deref().unwrap_or("(any)")
                    ),
                ));
            }
        }
    }
    out
}

/// Checks the certificate references of a TLS-terminating listener: grant first, then kind,
/// then existence and content.
fn certificates(
    l: &Listener,
    gateway: &Gateway,
    resources: &Resources,
    grants: &GrantIndex<'_>,
    f: &str,
    sink: &mut Sink<'_>,
) -> Result<(), (LReason, String)> {
    let terminates = match l.protocol.as_str() {
        "HTTPS" => true,
        "TLS" => l
            .tls
            .as_ref()
            .is_some_and(|t| t.mode.unwrap_or(TlsModeType::Terminate) == TlsModeType::Terminate),
        _ => false,
    };
    if !terminates {
        return Ok(());
    }
    let refs = l
        .tls
        .as_ref()
        .and_then(|t| t.certificate_refs.as_deref())
        .unwrap_or_default();
    if refs.is_empty() {
        let msg = format!(
            "listener {} terminates TLS but has no tls.certificateRefs",
            l.name
        );
        sink.error("certificate-ref-missing", format!("{f}.tls"), msg.clone());
        return Err((LReason::InvalidCertificateRef, msg));
    }
    let gw_ns = gateway.metadata.namespace();
    let mut result = Ok(());
    for (j, r) in refs.iter().enumerate() {
        let rf = format!("{f}.tls.certificateRefs[{j}]");
        let namespace = r.namespace.as_deref().unwrap_or(gw_ns);
        let from = RefEnd {
            group: kgw_api::gateway::GROUP,
            kind: "Gateway",
            namespace: gw_ns,
            name: "",
        };
        let to = RefEnd {
            group: r.group(),
            kind: r.kind(),
            namespace,
            name: &r.name,
        };
        let problem = if !grants.allows(from, to) {
            let msg = format!(
                "certificateRef to {} {namespace}/{} is not permitted: no ReferenceGrant in namespace {namespace} \
                 allows references from Gateways in namespace {gw_ns}",
                r.kind(),
                r.name
            );
            sink.error("ref-not-permitted", format!("{rf}.namespace"), msg.clone());
            Some((LReason::RefNotPermitted, msg))
        } else if !r.group().is_empty() || r.kind() != "Secret" {
            let msg = format!(
                "certificateRef kind {}/{} is not supported; reference a core Secret",
                r.group(),
                r.kind()
            );
            sink.error("invalid-certificate-ref", format!("{rf}.kind"), msg.clone());
            Some((LReason::InvalidCertificateRef, msg))
        } else {
            match resources.secrets.get(namespace, &r.name) {
                None => {
                    let msg = format!("Secret {namespace}/{} not found", r.name);
                    sink.warning(
                        "certificate-ref-not-found",
                        format!("{rf}.name"),
                        msg.clone(),
                    );
                    Some((LReason::InvalidCertificateRef, msg))
                }
                Some(s) if !(s.object.has_key("tls.crt") && s.object.has_key("tls.key")) => {
                    let msg = format!("Secret {namespace}/{} has no tls.crt and tls.key", r.name);
                    sink.error("invalid-certificate-ref", format!("{rf}.name"), msg.clone());
                    Some((LReason::InvalidCertificateRef, msg))
                }
                Some(_) => None,
            }
        };
        if let (Some(p), Ok(())) = (problem, &result) {
            result = Err(p);
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use crate::testing::{check, docs, with_code};

    fn gateway(listeners: &str) -> String {
        format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: gw, namespace: infra}}\nspec:\n  gatewayClassName: kgw\n  listeners:\n{listeners}"
        )
    }

    fn listener_conditions(r: &crate::Report, i: usize) -> Vec<(String, String)> {
        let gw = r.gateways.values().next().unwrap();
        gw.listeners[i]
            .conditions
            .iter()
            .map(|c| (c.type_.to_string(), format!("{:?}/{}", c.status, c.reason)))
            .collect()
    }

    fn has(conds: &[(String, String)], t: &str, v: &str) -> bool {
        conds.iter().any(|(a, b)| a == t && b == v)
    }

    const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata: {name: cert, namespace: certs}\ntype: kubernetes.io/tls\ndata: {tls.crt: YQ==, tls.key: YQ==}\n";
    const GRANT: &str = "apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata: {name: g, namespace: certs}\nspec:\n  from: [{group: gateway.networking.k8s.io, kind: Gateway, namespace: infra}]\n  to: [{group: '', kind: Secret}]\n";

    #[test]
    fn valid_gateway_is_accepted_and_programmed() {
        let r = check(&gateway(
            "  - {name: http, port: 80, protocol: HTTP}\n  - {name: other, port: 8080, protocol: HTTP}",
        ));
        let gw = r.gateways.values().next().unwrap();
        assert_eq!(gw.conditions[0].reason, "Accepted");
        assert_eq!(gw.conditions[1].reason, "Programmed");
        let c = listener_conditions(&r, 0);
        for (t, v) in [
            ("Accepted", "True/Accepted"),
            ("Conflicted", "False/NoConflicts"),
            ("ResolvedRefs", "True/ResolvedRefs"),
            ("Programmed", "True/Programmed"),
        ] {
            assert!(has(&c, t, v), "{t} {v} {c:?}");
        }
        let kinds: Vec<&str> = gw.listeners[0]
            .supported_kinds
            .iter()
            .map(|k| k.kind.as_str())
            .collect();
        assert_eq!(kinds, ["HTTPRoute", "GRPCRoute"]);
        assert!(gw.listeners[0].is_usable());
    }

    #[test]
    fn certificate_refs_need_grants_and_secrets() {
        let https = "  - name: https\n    port: 443\n    protocol: HTTPS\n    tls: {certificateRefs: [{name: cert, namespace: certs}]}";
        let r = check(&docs(&[&gateway(https), SECRET]));
        assert!(has(
            &listener_conditions(&r, 0),
            "ResolvedRefs",
            "False/RefNotPermitted"
        ));
        assert!(has(
            &listener_conditions(&r, 0),
            "Programmed",
            "False/Invalid"
        ));
        assert_eq!(
            r.gateways.values().next().unwrap().conditions[0].reason,
            "ListenersNotValid"
        );
        let r = check(&docs(&[&gateway(https), SECRET, GRANT]));
        assert!(
            has(
                &listener_conditions(&r, 0),
                "ResolvedRefs",
                "True/ResolvedRefs"
            ),
            "{:?}",
            r.diagnostics
        );
        let r = check(&docs(&[&gateway(https), GRANT]));
        assert!(has(
            &listener_conditions(&r, 0),
            "ResolvedRefs",
            "False/InvalidCertificateRef"
        ));
        // Same namespace, so no grant is involved and the kind is what is wrong.
        let wrong_kind = https.replace(
            "{name: cert, namespace: certs}",
            "{kind: ConfigMap, name: cert}",
        );
        let r = check(&docs(&[&gateway(&wrong_kind), SECRET, GRANT]));
        assert!(has(
            &listener_conditions(&r, 0),
            "ResolvedRefs",
            "False/InvalidCertificateRef"
        ));
        assert_eq!(with_code(&r, "invalid-certificate-ref").len(), 1);
    }

    #[test]
    fn conflicts() {
        let r = check(&gateway(
            "  - {name: a, port: 80, protocol: HTTP}\n  - {name: b, port: 80, protocol: HTTPS, tls: {certificateRefs: [{name: c}]}}",
        ));
        assert!(has(
            &listener_conditions(&r, 0),
            "Conflicted",
            "True/ProtocolConflict"
        ));
        assert!(has(
            &listener_conditions(&r, 1),
            "Conflicted",
            "True/ProtocolConflict"
        ));
        let r = check(&gateway(
            "  - {name: a, port: 443, protocol: HTTPS, hostname: a.com, tls: {certificateRefs: [{name: c}]}}\n  - {name: b, port: 443, protocol: TLS, hostname: a.com, tls: {mode: Passthrough}}",
        ));
        assert!(has(
            &listener_conditions(&r, 0),
            "Conflicted",
            "True/HostnameConflict"
        ));
        let r = check(&gateway(
            "  - {name: a, port: 80, protocol: HTTP, hostname: a.com}\n  - {name: b, port: 80, protocol: HTTP}",
        ));
        assert!(has(
            &listener_conditions(&r, 0),
            "Conflicted",
            "False/NoConflicts"
        ));
    }

    #[test]
    fn route_kinds_and_protocols() {
        let r = check(&gateway(
            "  - {name: a, port: 80, protocol: HTTP, allowedRoutes: {kinds: [{kind: TCPRoute}, {kind: HTTPRoute}]}}",
        ));
        assert!(has(
            &listener_conditions(&r, 0),
            "ResolvedRefs",
            "False/InvalidRouteKinds"
        ));
        let gw = r.gateways.values().next().unwrap();
        assert_eq!(gw.listeners[0].supported_kinds.len(), 1);
        let r = check(&gateway(
            "  - {name: a, port: 80, protocol: example.com/udp-ish}",
        ));
        assert!(has(
            &listener_conditions(&r, 0),
            "Accepted",
            "False/UnsupportedProtocol"
        ));
        assert_eq!(
            r.gateways.values().next().unwrap().conditions[0].status,
            kgw_api::ConditionStatus::False
        );
    }

    #[test]
    fn listener_cel_rules_make_the_gateway_invalid() {
        for (listeners, code) in [
            (
                "  - {name: a, port: 80, protocol: HTTP}\n  - {name: a, port: 81, protocol: HTTP}",
                "duplicate-listener-name",
            ),
            (
                "  - {name: a, port: 80, protocol: HTTP}\n  - {name: b, port: 80, protocol: HTTP}",
                "duplicate-listener",
            ),
            (
                "  - {name: a, port: 80, protocol: HTTP, tls: {certificateRefs: [{name: c}]}}",
                "listener-tls-not-allowed",
            ),
            (
                "  - {name: a, port: 443, protocol: HTTPS, tls: {mode: Passthrough, certificateRefs: [{name: c}]}}",
                "listener-tls-mode",
            ),
            (
                "  - {name: a, port: 443, protocol: TLS}",
                "listener-tls-mode",
            ),
            (
                "  - {name: a, port: 443, protocol: HTTPS, tls: {mode: Terminate}}",
                "listener-tls-certificates-required",
            ),
            (
                "  - {name: a, port: 9, protocol: TCP, hostname: a.com}",
                "listener-hostname-not-allowed",
            ),
            ("  - {name: a, port: 0, protocol: HTTP}", "value-range"),
            ("  - {name: A_B, port: 80, protocol: HTTP}", "invalid-value"),
            (
                "  - {name: a, port: 80, protocol: HTTP, hostname: 'A.com'}",
                "invalid-hostname",
            ),
        ] {
            let r = check(&gateway(listeners));
            assert!(
                !with_code(&r, code).is_empty(),
                "{code}: {:#?}",
                r.diagnostics
            );
            let gw = r.gateways.values().next().unwrap();
            assert_eq!(gw.conditions[0].reason, "Invalid", "{code}");
            assert!(!gw.listeners[0].is_usable(), "{code}");
        }
    }
}
