//! Where a Service backendRef is dialled.

use std::collections::HashMap;
use std::sync::RwLock;

/// A host and port to dial; a DNS name is resolved when connecting, an IP is used as is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// DNS name or IP address (IPv6 without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl Endpoint {
    /// `host:port`, bracketing IPv6 addresses, as used in a URI authority.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// [`Self::authority`] as a URI authority; `Err` when the host is not valid in a URI.
    pub fn uri_authority(&self) -> Result<http::uri::Authority, http::uri::InvalidUri> {
        http::uri::Authority::try_from(self.authority())
    }
}

/// A Service port chosen by routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ServiceTarget<'a> {
    /// The Service's namespace.
    pub namespace: &'a str,
    /// The Service's name.
    pub name: &'a str,
    /// The Service port from the backendRef.
    pub port: u16,
}

/// Turns a Service backendRef into an endpoint to dial. Implement it to use EndpointSlices,
/// a service mesh, or fixed addresses in tests.
pub trait EndpointResolver: Send + Sync + 'static {
    /// The endpoint for `target`, or `None` when the Service has none (the request answers 503).
    fn resolve(&self, target: &ServiceTarget<'_>) -> Option<Endpoint>;
}

/// The default: the cluster DNS name `name.namespace.svc.<domain>` on the Service port, so
/// kube-proxy (or the mesh) balances across Pods.
#[derive(Debug, Clone)]
pub struct ClusterDns {
    domain: String,
}

impl ClusterDns {
    /// Names under `svc.cluster.local`.
    pub fn new() -> Self {
        Self::with_domain("cluster.local")
    }

    /// Names under `svc.<domain>`.
    pub fn with_domain(domain: impl Into<String>) -> Self {
        Self {
            domain: domain.into(),
        }
    }
}

impl Default for ClusterDns {
    fn default() -> Self {
        Self::new()
    }
}

impl EndpointResolver for ClusterDns {
    fn resolve(&self, target: &ServiceTarget<'_>) -> Option<Endpoint> {
        Some(Endpoint {
            host: format!("{}.{}.svc.{}", target.name, target.namespace, self.domain),
            port: target.port,
        })
    }
}

/// Fixed endpoints per Service port (tests, local development); unknown Services have none.
#[derive(Debug, Default)]
pub struct StaticEndpoints {
    map: RwLock<HashMap<(String, String, u16), Endpoint>>,
}

impl StaticEndpoints {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends `namespace/name:port` to `endpoint`.
    pub fn insert(&self, namespace: &str, name: &str, port: u16, endpoint: Endpoint) {
        self.map
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert((namespace.to_owned(), name.to_owned(), port), endpoint);
    }
}

impl EndpointResolver for StaticEndpoints {
    fn resolve(&self, target: &ServiceTarget<'_>) -> Option<Endpoint> {
        self.map
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&(
                target.namespace.to_owned(),
                target.name.to_owned(),
                target.port,
            ))
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_dns_builds_the_service_name() {
        let target = ServiceTarget {
            namespace: "shop",
            name: "cart",
            port: 8080,
        };
        let endpoint = ClusterDns::new().resolve(&target).unwrap();
        assert_eq!(endpoint.authority(), "cart.shop.svc.cluster.local:8080");
        let endpoint = ClusterDns::with_domain("corp").resolve(&target).unwrap();
        assert_eq!(endpoint.host, "cart.shop.svc.corp");
    }

    #[test]
    fn static_endpoints_answer_only_known_services() {
        let endpoints = StaticEndpoints::new();
        let local = Endpoint {
            host: "::1".into(),
            port: 9000,
        };
        endpoints.insert("shop", "cart", 80, local.clone());
        let known = ServiceTarget {
            namespace: "shop",
            name: "cart",
            port: 80,
        };
        assert_eq!(endpoints.resolve(&known), Some(local));
        assert_eq!(
            endpoints.resolve(&ServiceTarget { port: 81, ..known }),
            None
        );
        assert_eq!(endpoints.resolve(&known).unwrap().authority(), "[::1]:9000");
    }
}
