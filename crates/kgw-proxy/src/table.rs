//! The routing snapshot the gateway serves from: kgw-resolve's table for one Gateway plus what
//! the data plane needs per backend (endpoints, protocol, TLS, Lambda settings), and the
//! `arc-swap` holder that replaces it atomically.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use arc_swap::ArcSwap;
use http::uri::Authority;
use kgw_api::kgateway::{AwsAuth, Backend, BackendConfigPolicy};
use kgw_api::{ObjectKey, Resources, SmolStr};
use kgw_resolve::{GatewayTable, RouteTable};
use kgw_rewrite::backend::{LambdaTarget, RoundRobin, StaticEndpoints};
use kgw_validate::report::{BackendRefReport, Report, ResolvedBackend};

use crate::connector::UpstreamTls;
use crate::endpoints::Endpoint;
use crate::pool::H1Pool;
use crate::secrets::SecretStore;
use crate::tls::{system_tls, upstream_tls};
use crate::upstream::{ClientOptions, PooledClient, UpstreamProtocol, pooled_client};

const KGATEWAY_GROUP: &str = "gateway.kgateway.dev";

/// Why a snapshot could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    /// The Gateway is not among the resources, or validation did not accept it.
    #[error("Gateway {0} is not in the routing table (missing, or not accepted by validation)")]
    UnknownGateway(ObjectKey),
}

/// Everything the gateway routes by, for one Gateway. Immutable once built; replace it whole
/// with [`crate::Gateway::swap_table`].
#[derive(Debug)]
pub struct Snapshot {
    routes: RouteTable,
    gateway: ObjectKey,
    backends: ByName<Arc<BackendRuntime>>,
    services: ByName<Arc<TlsClient>>,
    /// Validated RequestMirror targets by (route, rule index): only these may receive copies.
    mirrors: HashMap<ObjectKey, Vec<RuleMirrors>>,
}

/// Where a RequestMirror filter sits in a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MirrorSite {
    /// The rule's filter at this index.
    Rule { filter: usize },
    /// The filter at `filter` of the backendRef at `backend_ref`.
    BackendRef { backend_ref: usize, filter: usize },
}

/// What validation decided for the RequestMirror targets of one rule (kind, existence,
/// ReferenceGrant): a mirror is sent only when its entry is `Resolved`.
#[derive(Debug, Default)]
struct RuleMirrors {
    rule: Vec<(usize, BackendRefReport)>,
    backend_refs: Vec<(usize, usize, BackendRefReport)>,
}

impl RuleMirrors {
    fn report(&self, site: MirrorSite) -> Option<&BackendRefReport> {
        match site {
            MirrorSite::Rule { filter } => self
                .rule
                .iter()
                .find(|(index, _)| *index == filter)
                .map(|(_, report)| report),
            MirrorSite::BackendRef {
                backend_ref,
                filter,
            } => self
                .backend_refs
                .iter()
                .find(|(b, f, _)| *b == backend_ref && *f == filter)
                .map(|(_, _, report)| report),
        }
    }
}

impl Snapshot {
    /// Compiles the routing table of Gateway `gateway` from `resources` and their validation
    /// `report`, and prepares every Backend's data plane. Secret values (Backend TLS through
    /// `secretRef`) come from `secrets`.
    pub fn build(
        resources: &Resources,
        report: &Report,
        gateway: &ObjectKey,
        secrets: &dyn SecretStore,
    ) -> Result<Self, SnapshotError> {
        let options = kgw_resolve::BuildOptions {
            gateways: Some(vec![gateway.clone()]),
            ..kgw_resolve::BuildOptions::default()
        };
        let routes = RouteTable::build_with(resources, report, &options);
        if routes.gateway(&gateway.namespace, &gateway.name).is_none() {
            return Err(SnapshotError::UnknownGateway(gateway.clone()));
        }
        let policies: Vec<&BackendConfigPolicy> = resources
            .backend_config_policies
            .iter()
            .map(|stored| &stored.object)
            .collect();
        let backends = resources
            .backends
            .entries()
            .map(|(key, stored)| {
                let runtime = BackendRuntime::build(key, &stored.object, &policies, secrets);
                if let BackendRuntime::Unusable(reason) = &runtime {
                    tracing::warn!(backend = %key, %reason, "backend unusable; its traffic answers 500");
                }
                (key, Arc::new(runtime))
            })
            .collect();
        let services = resources
            .services
            .entries()
            .filter_map(|(key, stored)| {
                let policy = policy_for(&policies, key, "", "Service", stored.object.metadata.labels.as_ref())?;
                let tls = policy.spec.tls.as_ref()?;
                match upstream_tls(tls, &key.namespace, secrets, &[b"http/1.1"]) {
                    Ok(tls) => Some((key, Arc::new(TlsClient::new(tls)))),
                    Err(error) => {
                        tracing::warn!(service = %key, %error, "BackendConfigPolicy tls unusable; speaking plaintext");
                        None
                    }
                }
            })
            .collect();
        let mirrors = report
            .routes
            .iter()
            .filter(|(_, route)| {
                route
                    .rules
                    .iter()
                    .any(|rule| !rule.mirrors.is_empty() || !rule.backend_mirrors.is_empty())
            })
            .map(|(key, route)| {
                let rules = route
                    .rules
                    .iter()
                    .map(|rule| RuleMirrors {
                        rule: rule.mirrors.clone(),
                        backend_refs: rule.backend_mirrors.clone(),
                    })
                    .collect();
                (key.clone(), rules)
            })
            .collect();
        Ok(Self {
            routes,
            gateway: gateway.clone(),
            backends,
            services,
            mirrors,
        })
    }

    /// The Gateway this snapshot serves.
    pub fn gateway_key(&self) -> &ObjectKey {
        &self.gateway
    }

    /// The compiled routes of the served Gateway.
    pub fn gateway_table(&self) -> &GatewayTable {
        // `build` refused to create a snapshot whose Gateway is missing from the table, and the
        // table is never modified afterwards.
        self.routes
            .gateway(&self.gateway.namespace, &self.gateway.name)
            .expect("snapshot gateway is in its table")
    }

    pub(crate) fn backend(&self, namespace: &str, name: &str) -> Option<&Arc<BackendRuntime>> {
        self.backends.get(namespace, name)
    }

    /// The validated target of the RequestMirror at `site` of rule `rule` of `route`; `None`
    /// when validation did not resolve it (missing, wrong kind, no ReferenceGrant) or did not
    /// report it at all: such a mirror never fires.
    pub(crate) fn mirror_target(
        &self,
        route: &ObjectKey,
        rule: usize,
        site: MirrorSite,
    ) -> Option<&ResolvedBackend> {
        match self.mirrors.get(route)?.get(rule)?.report(site)? {
            BackendRefReport::Resolved(target) => Some(target),
            BackendRefReport::Unresolved { .. } => None,
        }
    }

    pub(crate) fn service_tls(&self, namespace: &str, name: &str) -> Option<&Arc<TlsClient>> {
        self.services.get(namespace, name)
    }
}

/// Values by namespace and name, looked up with borrowed strings (no key is built per request);
/// the keys share the `ObjectKey`s' strings (inline up to 23 bytes) instead of copying them.
#[derive(Debug)]
struct ByName<T>(foldhash::HashMap<SmolStr, foldhash::HashMap<SmolStr, T>>);

impl<T> ByName<T> {
    fn get(&self, namespace: &str, name: &str) -> Option<&T> {
        self.0.get(namespace)?.get(name)
    }
}

impl<'k, T> FromIterator<(&'k ObjectKey, T)> for ByName<T> {
    fn from_iter<I: IntoIterator<Item = (&'k ObjectKey, T)>>(entries: I) -> Self {
        let mut map: foldhash::HashMap<SmolStr, foldhash::HashMap<SmolStr, T>> =
            foldhash::HashMap::default();
        for (key, value) in entries {
            map.entry(key.namespace.clone())
                .or_default()
                .insert(key.name.clone(), value);
        }
        Self(map)
    }
}

/// The policy targeting `group/kind/name` in its namespace, by `targetRefs` or
/// `targetSelectors`. With several, the oldest wins as in kgateway; here: the first in input
/// order.
fn policy_for<'p>(
    policies: &[&'p BackendConfigPolicy],
    key: &ObjectKey,
    group: &str,
    kind: &str,
    labels: Option<&std::collections::BTreeMap<String, String>>,
) -> Option<&'p BackendConfigPolicy> {
    policies.iter().copied().find(|policy| {
        policy.metadata.namespace.as_deref().unwrap_or("default") == key.namespace
            && (policy.spec.targets(group, kind, &key.name)
                || policy
                    .spec
                    .target_selectors
                    .iter()
                    .flatten()
                    .any(|selector| {
                        selector.group == group
                            && selector.kind == kind
                            && selector
                                .match_labels
                                .iter()
                                .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
                    }))
    })
}

/// TLS towards one upstream, with its lazily built pooled clients.
#[derive(Debug)]
pub(crate) struct TlsClient {
    pub(crate) tls: UpstreamTls,
    client: OnceLock<PooledClient>,
    h1: OnceLock<H1Pool>,
}

impl TlsClient {
    fn new(tls: UpstreamTls) -> Self {
        Self {
            tls,
            client: OnceLock::new(),
            h1: OnceLock::new(),
        }
    }

    /// The pool for HTTP/1.1 exchanges over this TLS setting (see [`crate::pool`]).
    pub(crate) fn h1_pool(&self, options: &ClientOptions) -> &H1Pool {
        self.h1
            .get_or_init(|| H1Pool::new(options, Some(self.tls.clone())))
    }

    pub(crate) fn client(
        &self,
        options: &ClientOptions,
        protocol: UpstreamProtocol,
    ) -> &PooledClient {
        self.client
            .get_or_init(|| pooled_client(options, protocol, Some(self.tls.clone())))
    }
}

/// The data plane of one kgateway Backend.
#[derive(Debug)]
pub(crate) enum BackendRuntime {
    /// Static hosts, round robin.
    Static(StaticUpstream),
    /// An AWS Lambda function.
    Lambda(LambdaUpstream),
    /// Cannot carry traffic (invalid, unsupported type): 500.
    Unusable(String),
}

#[derive(Debug)]
pub(crate) struct StaticUpstream {
    pub(crate) endpoints: StaticEndpoints,
    /// `host:port` of every endpoint, index for index, parsed once.
    authorities: Vec<Authority>,
    pub(crate) round_robin: RoundRobin,
    pub(crate) tls: Option<TlsClient>,
}

impl StaticUpstream {
    /// The next endpoint in round-robin order (`None` only for an empty host list, which
    /// building refuses).
    pub(crate) fn pick(&self) -> Option<Authority> {
        // One host (the common case) needs no turn taken: the shared counter would be one more
        // cache line that every worker thread writes on every request.
        let index = match self.authorities.len() {
            0 | 1 => 0,
            len => self.round_robin.next_index(len),
        };
        self.authorities.get(index).cloned()
    }
}

#[derive(Debug)]
pub(crate) struct LambdaUpstream {
    pub(crate) target: LambdaTarget,
    pub(crate) tls: Option<TlsClient>,
    pub(crate) namespace: String,
    pub(crate) auth: Option<AwsAuth>,
}

impl BackendRuntime {
    fn build(
        key: &ObjectKey,
        backend: &Backend,
        policies: &[&BackendConfigPolicy],
        secrets: &dyn SecretStore,
    ) -> Self {
        if let Some(static_) = &backend.spec.static_ {
            let endpoints = match StaticEndpoints::from_backend(static_) {
                Ok(endpoints) => endpoints,
                Err(error) => return Self::Unusable(error.to_string()),
            };
            let alpn: &[&[u8]] = if endpoints.protocol().is_http2() {
                &[b"h2"]
            } else {
                &[b"http/1.1"]
            };
            let labels = backend.metadata.labels.as_ref();
            let tls = match policy_for(policies, key, KGATEWAY_GROUP, "Backend", labels)
                .and_then(|p| p.spec.tls.as_ref())
                .map(|tls| upstream_tls(tls, &key.namespace, secrets, alpn))
                .transpose()
            {
                Ok(tls) => tls.map(TlsClient::new),
                Err(error) => return Self::Unusable(format!("BackendConfigPolicy tls: {error}")),
            };
            let authorities = match endpoints
                .endpoints()
                .iter()
                .map(|e| {
                    Endpoint {
                        host: e.host.trim_matches(['[', ']']).to_owned(),
                        port: e.port,
                    }
                    .uri_authority()
                })
                .collect::<Result<Vec<_>, _>>()
            {
                Ok(authorities) => authorities,
                Err(error) => return Self::Unusable(format!("static host: {error}")),
            };
            return Self::Static(StaticUpstream {
                endpoints,
                authorities,
                round_robin: RoundRobin::new(),
                tls,
            });
        }
        if let Some(aws) = &backend.spec.aws
            && aws.lambda.is_some()
        {
            let target = match LambdaTarget::from_backend(aws) {
                Ok(target) => target,
                Err(error) => return Self::Unusable(error.to_string()),
            };
            let tls = if target.endpoint.tls {
                // kgateway: TLS with SNI set to the endpoint host.
                match system_tls(&target.endpoint.host, &[b"h2"]) {
                    Ok(tls) => Some(TlsClient::new(tls)),
                    Err(error) => return Self::Unusable(format!("lambda TLS: {error}")),
                }
            } else {
                None
            };
            return Self::Lambda(LambdaUpstream {
                target,
                tls,
                namespace: key.namespace.to_string(),
                auth: aws.auth.clone(),
            });
        }
        let kind = backend.spec.member().map_or("unknown", |t| t.as_str());
        Self::Unusable(format!("Backend type {kind} is not supported by kgw-proxy"))
    }
}

/// The current snapshot behind `arc-swap`: readers never block, a swap is one atomic store,
/// and requests already in flight finish on the snapshot they started with.
#[derive(Debug)]
pub(crate) struct TableHolder {
    current: ArcSwap<Snapshot>,
}

impl TableHolder {
    pub(crate) fn new(snapshot: Snapshot) -> Self {
        Self {
            current: ArcSwap::from_pointee(snapshot),
        }
    }

    pub(crate) fn load(&self) -> arc_swap::Guard<Arc<Snapshot>> {
        self.current.load()
    }

    pub(crate) fn swap(&self, snapshot: Snapshot) -> Arc<Snapshot> {
        self.current.swap(Arc::new(snapshot))
    }
}
