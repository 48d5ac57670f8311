//! Upstream TLS from a BackendConfigPolicy against a loopback TLS server: the SNI sent is
//! exactly `tls.sni`, the certificate is verified with the CA from the referenced Secret, and
//! a wrong SNI (the certificate does not cover it) fails the handshake (503).

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use http::StatusCode;
use kgw_proxy::GatewayOptions;
use kgw_proxy::secrets::MapSecrets;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Server names the TLS upstream saw in ClientHellos (`None`: no SNI).
type SeenSni = Arc<Mutex<Vec<Option<String>>>>;

/// A TLS upstream presenting a certificate for `backend.internal`; answers `tls-ok` to every
/// HTTP/1.1 request. Returns its address, the CA (the self-signed certificate) in PEM, and the
/// SNI log.
async fn tls_upstream() -> (std::net::SocketAddr, String, SeenSni) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["backend.internal".to_owned()]).unwrap();
    let cert_pem = certified.cert.pem();
    let key =
        rustls::pki_types::PrivateKeyDer::try_from(certified.signing_key.serialize_der()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![certified.cert.der().clone()], key)
    .unwrap();
    let config = Arc::new(config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = SeenSni::default();
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (config, log) = (config.clone(), log.clone());
            tokio::spawn(async move {
                let acceptor = tokio_rustls::LazyConfigAcceptor::new(
                    rustls::server::Acceptor::default(),
                    stream,
                );
                let Ok(start) = acceptor.await else { return };
                log.lock()
                    .unwrap()
                    .push(start.client_hello().server_name().map(str::to_owned));
                let Ok(mut tls) = start.into_stream(config).await else {
                    return;
                };
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                loop {
                    let n = tls.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    head.extend_from_slice(&buf[..n]);
                    if head.windows(4).any(|w| w == b"\r\n\r\n") {
                        head.clear();
                        let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\ntls-ok";
                        if tls.write_all(reply).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (addr, cert_pem, seen)
}

fn tls_setup(addr: std::net::SocketAddr, sni: &str) -> String {
    format!(
        "{}---\n{}---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: BackendConfigPolicy
metadata:
  name: tls-policy
  namespace: default
spec:
  targetRefs:
  - group: gateway.kgateway.dev
    kind: Backend
    name: tls-backend
  tls:
    sni: {sni}
    secretRef:
      name: backend-ca
",
        static_backend("default", "tls-backend", addr),
        "\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: tls-route
  namespace: default
spec:
  parentRefs:
  - name: http
    namespace: kgateway-system
  hostnames:
    - tls.example
  rules:
    - backendRefs:
      - name: tls-backend
        kind: Backend
        group: gateway.kgateway.dev
"
    )
}

fn options_with_ca(ca_pem: &str) -> GatewayOptions {
    let mut secrets = MapSecrets::new();
    secrets.insert("default", "backend-ca", [("ca.crt", ca_pem.as_bytes())]);
    GatewayOptions {
        secrets: Arc::new(secrets),
        ..GatewayOptions::default()
    }
}

#[tokio::test]
async fn backend_config_policy_tls_sends_its_sni_and_verifies_the_secret_ca() {
    let (addr, ca, seen) = tls_upstream().await;
    let options = options_with_ca(&ca);
    let running = start(&tls_setup(addr, "backend.internal"), options).await;
    let (status, body) = get(&client(), running.addr, "tls.example", "/").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "tls-ok"));
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        [Some("backend.internal".to_owned())]
    );
    running.shutdown().await;
}

#[tokio::test]
async fn a_certificate_that_does_not_cover_the_sni_fails_with_503() {
    let (addr, ca, seen) = tls_upstream().await;
    let options = options_with_ca(&ca);
    let running = start(&tls_setup(addr, "other.internal"), options).await;
    let (status, _) = get(&client(), running.addr, "tls.example", "/").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        seen.lock().unwrap().first().cloned().flatten().as_deref(),
        Some("other.internal")
    );
    running.shutdown().await;
}
