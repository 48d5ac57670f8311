//! Static Backends (`spec.static`): every host is an endpoint of one cluster, picked round-robin
//! (Envoy's default; kgateway sets no load-balancing policy).

use std::fmt;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

use kgw_api::kgateway::StaticBackend;
use serde::Serialize;

use super::protocol::UpstreamProtocol;

/// One upstream endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct StaticEndpoint {
    /// IP literal or DNS name.
    pub host: String,
    /// Port (1–65535).
    pub port: u16,
}

impl StaticEndpoint {
    /// Whether the host is an IP literal.
    pub fn is_ip(&self) -> bool {
        self.host.parse::<IpAddr>().is_ok()
    }

    /// `host:port`, with brackets around an IPv6 literal.
    pub fn authority(&self) -> String {
        if self.host.parse::<std::net::Ipv6Addr>().is_ok() {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// How the cluster finds addresses: all IPs → static; any DNS name → DNS (every resolved
/// address an endpoint).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Discovery {
    /// Every host is an IP literal.
    Static,
    /// At least one host is a DNS name.
    Dns,
}

/// Why a static Backend cannot be translated; messages are kgateway's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaticBackendError {
    /// One message per bad host, in host order.
    pub errors: Vec<String>,
}

impl fmt::Display for StaticBackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.errors.join("; "))
    }
}

impl std::error::Error for StaticBackendError {}

/// The endpoints of a static Backend, in manifest order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StaticEndpoints {
    endpoints: Vec<StaticEndpoint>,
    protocol: UpstreamProtocol,
}

impl StaticEndpoints {
    /// The endpoints of `spec.static`. An empty host or port 0 fails as in kgateway (`addr
    /// cannot be empty for host`, `port cannot be empty for host`); a port outside 1–65535,
    /// which the CRD does not catch, fails too. An empty host list is an error as well.
    pub fn from_backend(backend: &StaticBackend) -> Result<Self, StaticBackendError> {
        let mut errors = Vec::new();
        let mut endpoints = Vec::with_capacity(backend.hosts.len());
        for h in &backend.hosts {
            if h.host.is_empty() {
                errors.push("addr cannot be empty for host".to_owned());
                continue;
            }
            match u16::try_from(h.port) {
                Ok(0) => errors.push("port cannot be empty for host".to_owned()),
                Ok(port) => endpoints.push(StaticEndpoint {
                    host: h.host.clone(),
                    port,
                }),
                Err(_) => errors.push(format!(
                    "port {} is out of range for host {}",
                    h.port, h.host
                )),
            }
        }
        if backend.hosts.is_empty() {
            errors.push("static backend has no hosts".to_owned());
        }
        if !errors.is_empty() {
            return Err(StaticBackendError { errors });
        }
        Ok(Self {
            endpoints,
            protocol: UpstreamProtocol::of_static(backend.app_protocol),
        })
    }

    /// The endpoints, never empty.
    pub fn endpoints(&self) -> &[StaticEndpoint] {
        &self.endpoints
    }

    /// The protocol spoken to every endpoint.
    pub fn protocol(&self) -> UpstreamProtocol {
        self.protocol
    }

    /// Static when every host is an IP literal, DNS otherwise.
    pub fn discovery(&self) -> Discovery {
        if self.endpoints.iter().all(StaticEndpoint::is_ip) {
            Discovery::Static
        } else {
            Discovery::Dns
        }
    }

    /// The next endpoint in round-robin order; `state` is the caller's (one per Backend).
    pub fn pick(&self, state: &RoundRobin) -> &StaticEndpoint {
        // `from_backend` refuses an empty list, so the index is always in range.
        &self.endpoints[state.next_index(self.endpoints.len())]
    }
}

/// Round-robin state, shared between threads: the first pick is endpoint 0.
#[derive(Debug, Default)]
pub struct RoundRobin {
    next: AtomicUsize,
}

impl RoundRobin {
    /// Fresh state.
    pub fn new() -> Self {
        Self::default()
    }

    /// The next index below `len` (0 when `len` is 0).
    pub fn next_index(&self, len: usize) -> usize {
        if len == 0 {
            return 0;
        }
        self.next.fetch_add(1, Ordering::Relaxed) % len
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kgw_api::kgateway::{StaticAppProtocol, StaticHost};

    fn backend(hosts: &[(&str, i32)], app: Option<StaticAppProtocol>) -> StaticBackend {
        StaticBackend {
            hosts: hosts
                .iter()
                .map(|(h, p)| StaticHost {
                    host: (*h).into(),
                    port: *p,
                })
                .collect(),
            app_protocol: app,
        }
    }

    #[test]
    fn round_robin_cycles_in_order() {
        let eps =
            StaticEndpoints::from_backend(&backend(&[("10.0.0.1", 80), ("10.0.0.2", 8080)], None))
                .unwrap();
        let rr = RoundRobin::new();
        let picks: Vec<_> = (0..5).map(|_| eps.pick(&rr).authority()).collect();
        assert_eq!(
            picks,
            [
                "10.0.0.1:80",
                "10.0.0.2:8080",
                "10.0.0.1:80",
                "10.0.0.2:8080",
                "10.0.0.1:80"
            ]
        );
        assert_eq!(eps.discovery(), Discovery::Static);
        assert_eq!(eps.protocol(), UpstreamProtocol::Http1);
    }

    #[test]
    fn one_dns_name_makes_the_cluster_dns() {
        let eps = StaticEndpoints::from_backend(&backend(
            &[("::1", 80), ("jsonplaceholder.typicode.com", 80)],
            Some(StaticAppProtocol::Http2),
        ))
        .unwrap();
        assert_eq!(eps.discovery(), Discovery::Dns);
        assert_eq!(eps.endpoints()[0].authority(), "[::1]:80");
        assert_eq!(eps.protocol(), UpstreamProtocol::H2);
    }

    #[test]
    fn bad_hosts_are_reported_like_kgateway() {
        let err = StaticEndpoints::from_backend(&backend(
            &[("", 80), ("a", 0), ("b", 70000), ("c", -1), ("ok", 1)],
            None,
        ))
        .unwrap_err();
        assert_eq!(
            err.errors,
            [
                "addr cannot be empty for host",
                "port cannot be empty for host",
                "port 70000 is out of range for host b",
                "port -1 is out of range for host c",
            ]
        );
        assert!(StaticEndpoints::from_backend(&backend(&[], None)).is_err());
    }

    #[test]
    fn empty_len_is_harmless() {
        assert_eq!(RoundRobin::new().next_index(0), 0);
    }
}
