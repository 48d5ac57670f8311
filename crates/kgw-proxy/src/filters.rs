//! The bridge to kgw-rewrite: run a matched rule's filters on the request, and turn the
//! answer into what the gateway does next.

use http::{HeaderMap, HeaderValue, Request, Response, header};
use kgw_api::gateway::{HttpRouteFilter, HttpRouteFilterType};
use kgw_resolve::{BackendChoice, Resolution};
use kgw_rewrite::action::Action;
use kgw_rewrite::apply::{ExtensionHandling, RouteContext};
use kgw_rewrite::headers::HeaderOps;
use kgw_rewrite::mirror::MirrorTarget;
use kgw_rewrite::request::{ListenerInfo, Scheme};
use kgw_validate::report::ResolvedBackend;

use crate::body::{self, ProxyBody};
use crate::fault::{Fault, status_response};
use crate::gateway::UpstreamRef;
use crate::table::{MirrorSite, Snapshot};

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
            // kgw-rewrite returns one target per RequestMirror filter, rule filters first, in
            // filter order: pair each with where its filter sits so its validation verdict can
            // be looked up. A target without a site (never expected) gets none and never fires.
            mirrors: forward
                .mirrors
                .into_iter()
                .zip(
                    mirror_sites(resolution)
                        .map(Some)
                        .chain(std::iter::repeat(None)),
                )
                .filter_map(|(target, site)| {
                    Some(Mirror {
                        target,
                        site: site?,
                    })
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

/// Where every RequestMirror filter of the matched rule and chosen backendRef sits, in the
/// order kgw-rewrite applies them.
fn mirror_sites<'r>(resolution: &'r Resolution<'_>) -> impl Iterator<Item = MirrorSite> + 'r {
    let is_mirror = |filter: &HttpRouteFilter| filter.type_ == HttpRouteFilterType::RequestMirror;
    let backend_ref = match resolution.backend {
        BackendChoice::Forward { index, .. } | BackendChoice::Unresolved { index, .. } => {
            Some(index)
        }
        BackendChoice::NoBackends | BackendChoice::AllWeightsZero => None,
    };
    let rule = resolution
        .rule_filters
        .iter()
        .enumerate()
        .filter(move |(_, f)| is_mirror(f))
        .map(|(filter, _)| MirrorSite::Rule { filter });
    let backend = resolution
        .backend_filters()
        .iter()
        .enumerate()
        .filter(move |(_, f)| is_mirror(f))
        .filter_map(move |(filter, _)| {
            Some(MirrorSite::BackendRef {
                backend_ref: backend_ref?,
                filter,
            })
        });
    rule.chain(backend)
}

/// One RequestMirror of a forwarded request.
pub(crate) struct Mirror {
    target: MirrorTarget,
    site: MirrorSite,
}

impl Mirror {
    /// The mirror's backend as validation resolved it; `None` (do not mirror) when validation
    /// refused it — missing, unsupported kind, or cross-namespace without a ReferenceGrant.
    pub(crate) fn upstream_ref<'s>(
        &self,
        snapshot: &'s Snapshot,
        resolution: &Resolution<'_>,
    ) -> Option<UpstreamRef<'s>> {
        let resolved =
            snapshot.mirror_target(resolution.route_key, resolution.rule_index, self.site);
        let Some(resolved) = resolved else {
            tracing::debug!(
                route = %resolution.route_key,
                mirror = %self.target.backend.name,
                "mirror target not resolved by validation; not mirroring"
            );
            return None;
        };
        Some(match resolved {
            ResolvedBackend::Service { key, port } => UpstreamRef::Service {
                namespace: &key.namespace,
                name: &key.name,
                port: *port,
                service: None,
            },
            ResolvedBackend::Backend { key } => UpstreamRef::Backend {
                namespace: &key.namespace,
                name: &key.name,
            },
        })
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
