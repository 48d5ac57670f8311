//! Gateway field rules: listener limits and the listener CEL rules (spec digest §1.4).

use kgw_api::gateway::{Gateway, TlsModeType};

use super::{
    group, kind, length, max_items, min_items, namespace, object_name, port, section_name,
};
use crate::diag::Sink;
use crate::hostname::hostname_error;

/// Checks one Gateway as loaded; returns the first error, which makes the Gateway invalid.
pub(crate) fn check(gateway: &Gateway, sink: &mut Sink<'_>) -> Option<String> {
    let mark = sink.mark();
    let spec = &gateway.spec;
    length(
        sink,
        "spec.gatewayClassName",
        &spec.gateway_class_name,
        1,
        253,
    );
    if let Some(addresses) = &spec.addresses {
        max_items(sink, "spec.addresses", addresses.len(), 16);
    }
    let listeners = &spec.listeners;
    min_items(sink, "spec.listeners", listeners.len(), 1);
    max_items(sink, "spec.listeners", listeners.len(), 64);
    for (i, l) in listeners.iter().enumerate() {
        let f = format!("spec.listeners[{i}]");
        section_name(sink, &format!("{f}.name"), &l.name);
        port(sink, &format!("{f}.port"), l.port);
        length(sink, &format!("{f}.protocol"), &l.protocol, 1, 255);
        if let Some(h) = &l.hostname
            && let Some(msg) = hostname_error(h, true)
        {
            sink.error("invalid-hostname", format!("{f}.hostname"), msg);
        }
        let protocol = l.protocol.as_str();
        if let Some(tls) = &l.tls {
            if matches!(protocol, "HTTP" | "TCP" | "UDP") {
                sink.error(
                    "listener-tls-not-allowed",
                    format!("{f}.tls"),
                    format!("tls must not be specified for protocols ['HTTP', 'TCP', 'UDP'] (listener {} is {protocol})", l.name),
                );
            }
            if protocol == "HTTPS" && tls.mode == Some(TlsModeType::Passthrough) {
                sink.error(
                    "listener-tls-mode",
                    format!("{f}.tls.mode"),
                    "tls mode must be Terminate for protocol HTTPS",
                );
            }
            let refs = tls.certificate_refs.as_deref().unwrap_or_default();
            max_items(sink, &format!("{f}.tls.certificateRefs"), refs.len(), 64);
            for (j, r) in refs.iter().enumerate() {
                let rf = format!("{f}.tls.certificateRefs[{j}]");
                if let Some(g) = &r.group {
                    group(sink, &format!("{rf}.group"), g);
                }
                if let Some(k) = &r.kind {
                    kind(sink, &format!("{rf}.kind"), k);
                }
                if let Some(n) = &r.namespace {
                    namespace(sink, &format!("{rf}.namespace"), n);
                }
                object_name(sink, &format!("{rf}.name"), &r.name);
            }
            let mode = tls.mode.unwrap_or(TlsModeType::Terminate);
            if mode == TlsModeType::Terminate
                && refs.is_empty()
                && tls
                    .options
                    .as_ref()
                    .is_none_or(std::collections::BTreeMap::is_empty)
            {
                sink.error(
                    "listener-tls-certificates-required",
                    format!("{f}.tls"),
                    "certificateRefs or options must be specified when mode is Terminate",
                );
            }
        } else if protocol == "TLS" {
            sink.error(
                "listener-tls-mode",
                format!("{f}.tls"),
                "tls mode must be set for protocol TLS",
            );
        }
        if matches!(protocol, "TCP" | "UDP") && l.hostname.as_deref().is_some_and(|h| !h.is_empty())
        {
            sink.error(
                "listener-hostname-not-allowed",
                format!("{f}.hostname"),
                "hostname must not be specified for protocols ['TCP', 'UDP']",
            );
        }
        if let Some(ar) = &l.allowed_routes
            && let Some(kinds) = &ar.kinds
        {
            max_items(sink, &format!("{f}.allowedRoutes.kinds"), kinds.len(), 8);
            for (j, k) in kinds.iter().enumerate() {
                if let Some(g) = &k.group {
                    group(sink, &format!("{f}.allowedRoutes.kinds[{j}].group"), g);
                }
                kind(sink, &format!("{f}.allowedRoutes.kinds[{j}].kind"), &k.kind);
            }
        }
        // CEL: names unique; (port, protocol, hostname) unique.
        for (j, other) in listeners.iter().enumerate().take(i) {
            if other.name == l.name {
                sink.error(
                    "duplicate-listener-name",
                    format!("{f}.name"),
                    format!("Listener name must be unique within the Gateway: {:?} is also listeners[{j}]", l.name),
                );
            }
            if other.port == l.port && other.protocol == l.protocol && other.hostname == l.hostname
            {
                sink.error(
                    "duplicate-listener",
                    f.clone(),
                    format!(
                        "Combination of port, protocol and hostname must be unique for each listener: \
                         listeners[{j}] has the same {} {} {}",
                        l.protocol,
                        l.port,
                        l.hostname.as_deref().unwrap_or("(any hostname)")
                    ),
                );
            }
        }
    }
    sink.first_error_between(mark, sink.mark())
        .map(str::to_owned)
}
