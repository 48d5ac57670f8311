//! The bridge to kgw-rewrite: run a matched rule's filters on the request, and turn the
//! answer into what the gateway does next.

use http::{HeaderMap, HeaderValue, Request, Response, header};
use kgw_resolve::Resolution;
use kgw_rewrite::action::Action;
use kgw_rewrite::apply::{ExtensionHandling, RouteContext};
use kgw_rewrite::headers::HeaderOps;
use kgw_rewrite::mirror::MirrorTarget;
use kgw_rewrite::request::{ListenerInfo, Scheme};

use crate::body::{self, ProxyBody};
use crate::fault::{Fault, status_response};
use crate::gateway::UpstreamRef;

/// Header changes applied to the upstream's response, in filter order.
pub(crate) type ResponseHeaders = Vec<HeaderOps>;

/// What the filters decided.
pub(crate) enum FilterOutcome {
    /// Answer without forwarding (redirect, CORS preflight, unsupported filter).
    Respond(Response<ProxyBody>),
    /// Forward the rewritten request.
    Forward {
        /// Applied to the response.
        response_headers: ResponseHeaders,
        /// Copies to send, fire-and-forget.
        mirrors: Vec<Mirror>,
    },
}

/// Applies the rule's and the chosen backendRef's filters to `parts`.
pub(crate) fn apply(
    resolution: &Resolution<'_>,
    parts: &mut http::request::Parts,
) -> Result<FilterOutcome, Fault> {
    let context = RouteContext {
        rule_filters: resolution.rule_filters,
        backend_filters: resolution.backend_filters(),
        matched_prefix: resolution.matched_prefix(),
        listener: ListenerInfo {
            scheme: Scheme::of_listener_protocol(&resolution.listener.protocol),
            port: resolution.listener.port,
        },
        extensions: ExtensionHandling::Unsupported,
    };
    let action = match kgw_rewrite::apply::apply(&context, parts) {
        Ok(action) => action,
        Err(error) => {
            tracing::debug!(%error, "filter failed");
            return Ok(FilterOutcome::Respond(status_response(error.status())));
        }
    };
    Ok(match action {
        Action::Forward(forward) => FilterOutcome::Forward {
            response_headers: forward.response_headers,
            mirrors: forward
                .mirrors
                .into_iter()
                .map(|target| Mirror {
                    target,
                    route_namespace: resolution.route_key.namespace.clone(),
                })
                .collect(),
        },
        Action::Redirect(redirect) => {
            let location = redirect
                .location_header()
                .map_err(|e| Fault::Unresolved(format!("redirect: {e}")))?;
            let mut response = Response::new(body::empty());
            *response.status_mut() = redirect.status;
            response.headers_mut().insert(header::LOCATION, location);
            FilterOutcome::Respond(response)
        }
        Action::Respond(respond) => {
            if respond.status.is_server_error() {
                tracing::debug!(reason = %respond.reason, "filters answered an error");
            }
            let mut response = status_response(respond.status);
            if respond.status.is_success() {
                *response.body_mut() = body::empty();
                response.headers_mut().remove(header::CONTENT_TYPE);
            }
            response.headers_mut().extend(respond.headers);
            FilterOutcome::Respond(response)
        }
    })
}

/// Applies ResponseHeaderModifier (and CORS) changes to an upstream response.
pub(crate) fn apply_response_headers(ops: &ResponseHeaders, headers: &mut HeaderMap) {
    for op in ops {
        op.apply(headers);
    }
}

/// One RequestMirror of a forwarded request.
pub(crate) struct Mirror {
    target: MirrorTarget,
    route_namespace: String,
}

impl Mirror {
    /// The mirror's backend (an unset namespace is the route's).
    pub(crate) fn upstream_ref(&self) -> Option<UpstreamRef<'_>> {
        let reference = &self.target.backend;
        let namespace = reference
            .namespace
            .as_deref()
            .unwrap_or(&self.route_namespace);
        let group = reference.group.as_deref().unwrap_or("");
        let kind = reference.kind.as_deref().unwrap_or("Service");
        match (group, kind) {
            ("", "Service") => Some(UpstreamRef::Service {
                namespace,
                name: &reference.name,
                port: reference.port?,
                service: None,
            }),
            ("gateway.kgateway.dev", "Backend") => Some(UpstreamRef::Backend {
                namespace,
                name: &reference.name,
            }),
            _ => None,
        }
    }

    /// Whether this request is copied (the filter's percent or fraction).
    pub(crate) fn fires(&self, random: &(dyn Fn() -> u64 + Send + Sync)) -> bool {
        self.target.selects(random())
    }
}

/// Marks a mirror copy as Envoy does: `-shadow` appended to the host.
pub(crate) fn mark_shadow(request: &mut Request<ProxyBody>) {
    {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
            .or_else(|| request.uri().authority().map(|a| a.as_str().to_owned()));
        if let Some(host) = host {
            let shadow = match split_port(&host) {
                (name, Some(port)) => format!("{name}-shadow:{port}"),
                (name, None) => format!("{name}-shadow"),
            };
            if let Ok(value) = HeaderValue::from_str(&shadow) {
                request.headers_mut().insert(header::HOST, value);
            }
        }
    }
}

/// `host[:port]` → (host, port), IPv6 literals in brackets kept whole.
fn split_port(authority: &str) -> (&str, Option<&str>) {
    if authority.starts_with('[') {
        return match authority.find("]:") {
            Some(end) => (&authority[..=end], Some(&authority[end + 2..])),
            None => (authority, None),
        };
    }
    match authority.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') => (name, Some(port)),
        _ => (authority, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_split_off_names_and_ipv6_literals() {
        assert_eq!(split_port("a.example:8080"), ("a.example", Some("8080")));
        assert_eq!(split_port("a.example"), ("a.example", None));
        assert_eq!(split_port("[::1]:80"), ("[::1]", Some("80")));
        assert_eq!(split_port("[::1]"), ("[::1]", None));
    }
}
