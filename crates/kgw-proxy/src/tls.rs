//! Upstream TLS from a BackendConfigPolicy `tls` block, with rustls (ring provider).

use std::sync::Arc;

use kgw_api::kgateway::backend_config_policy::{BackendTls, TlsVersion};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::connector::UpstreamTls;
use crate::secrets::SecretStore;

/// Why a `tls` block could not be turned into a client configuration.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// A file named by `files` could not be read or held no usable PEM.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The Secret named by `secretRef` does not exist or lacks a usable key.
    #[error("Secret {0}: {1}")]
    Secret(String, String),
    /// `sni` is not a valid server name.
    #[error("invalid sni {0:?}")]
    Sni(String),
    /// rustls refused the configuration.
    #[error("{0}")]
    Rustls(#[from] rustls::Error),
    /// No trust source is set.
    #[error(
        "no trust source: set one of secretRef, files, wellKnownCACertificates, insecureSkipVerify"
    )]
    NoTrust,
}

/// The ring crypto provider; aws-lc-rs is not used (it needs cmake to build).
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Builds the TLS settings for one upstream. `namespace` is the policy's namespace (where
/// `secretRef` is looked up); `default_alpn` is offered when the policy sets no ALPN list.
pub fn upstream_tls(
    tls: &BackendTls,
    namespace: &str,
    secrets: &dyn SecretStore,
    default_alpn: &[&[u8]],
) -> Result<UpstreamTls, TlsSetupError> {
    let versions = protocol_versions(tls);
    let builder =
        ClientConfig::builder_with_provider(provider()).with_protocol_versions(&versions)?;

    let mut roots = RootCertStore::empty();
    let mut client_auth: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> = None;
    let skip_verify = tls.insecure_skip_verify == Some(true);

    if let Some(files) = &tls.files {
        if let Some(path) = &files.root_ca {
            for cert in read_certs(
                &std::fs::read(path).map_err(|e| file_error(path, &e))?,
                path,
            )? {
                roots.add(cert).map_err(|e| file_error(path, &e))?;
            }
        }
        if let (Some(cert), Some(key)) = (&files.tls_certificate, &files.tls_key) {
            let chain = read_certs(
                &std::fs::read(cert).map_err(|e| file_error(cert, &e))?,
                cert,
            )?;
            let key_pem = std::fs::read(key).map_err(|e| file_error(key, &e))?;
            let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| file_error(key, &e))?;
            client_auth = Some((chain, key));
        }
    }
    if let Some(secret_ref) = &tls.secret_ref {
        let name = secret_ref.name();
        let label = format!("{namespace}/{name}");
        let data = secrets
            .secret(namespace, name)
            .ok_or_else(|| TlsSetupError::Secret(label.clone(), "not found".into()))?;
        if let Some(ca) = data.get("ca.crt") {
            for cert in read_certs(ca, &label)? {
                roots.add(cert)?;
            }
        }
        if let (Some(cert), Some(key)) = (data.get("tls.crt"), data.get("tls.key")) {
            let chain = read_certs(cert, &label)?;
            let key = PrivateKeyDer::from_pem_slice(key)
                .map_err(|e| TlsSetupError::Secret(label.clone(), format!("tls.key: {e}")))?;
            client_auth = Some((chain, key));
        }
    }
    if tls.uses_system_ca() {
        let loaded = rustls_native_certs::load_native_certs();
        for cert in loaded.certs {
            // A single unparsable system certificate should not disable the others.
            let _ = roots.add(cert);
        }
    }
    if roots.is_empty() && !skip_verify {
        return Err(TlsSetupError::NoTrust);
    }

    let builder = if skip_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider())))
    } else {
        builder.with_root_certificates(roots)
    };
    let mut config = match client_auth {
        Some((chain, key)) if tls.simple_tls != Some(true) => {
            builder.with_client_auth_cert(chain, key)?
        }
        _ => builder.with_no_client_auth(),
    };
    config.alpn_protocols = match &tls.alpn_protocols {
        Some(list) => list.iter().map(|p| p.as_bytes().to_vec()).collect(),
        None => default_alpn.iter().map(|p| p.to_vec()).collect(),
    };
    let server_name = match tls.sni.as_deref().filter(|s| !s.is_empty()) {
        Some(sni) => Some(
            ServerName::try_from(sni.to_owned()).map_err(|_| TlsSetupError::Sni(sni.to_owned()))?,
        ),
        None => None,
    };
    Ok(UpstreamTls {
        config: Arc::new(config),
        server_name,
    })
}

/// Plain TLS towards `server_name` verified with the system roots (used for the default AWS
/// Lambda endpoint, where kgateway sets SNI to the endpoint host).
pub fn system_tls(server_name: &str, alpn: &[&[u8]]) -> Result<UpstreamTls, TlsSetupError> {
    let tls = BackendTls {
        well_known_ca_certificates: Some("System".into()),
        sni: Some(server_name.to_owned()),
        ..BackendTls::default()
    };
    upstream_tls(&tls, "", &crate::secrets::NoSecrets, alpn)
}

fn protocol_versions(tls: &BackendTls) -> Vec<&'static rustls::SupportedProtocolVersion> {
    let parameters = tls.parameters.as_ref();
    let min = parameters.and_then(|p| p.min_version);
    let max = parameters.and_then(|p| p.max_version);
    // rustls speaks TLS 1.2 and 1.3 only; older bounds clamp to 1.2.
    let allows = |version: TlsVersion| {
        min.is_none_or(|m| m == TlsVersion::Auto || m <= version)
            && max.is_none_or(|m| m == TlsVersion::Auto || m >= version)
    };
    let mut versions = Vec::new();
    if allows(TlsVersion::Tls1_3) {
        versions.push(&rustls::version::TLS13);
    }
    if allows(TlsVersion::Tls1_2) {
        versions.push(&rustls::version::TLS12);
    }
    if versions.is_empty() {
        versions.push(&rustls::version::TLS12);
    }
    versions
}

fn read_certs(pem: &[u8], origin: &str) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .map_err(|e| file_error(origin, &e))?;
    if certs.is_empty() {
        return Err(TlsSetupError::File {
            path: origin.to_owned(),
            reason: "no PEM certificate found".into(),
        });
    }
    Ok(certs)
}

fn file_error(path: &str, error: &dyn std::fmt::Display) -> TlsSetupError {
    TlsSetupError::File {
        path: path.to_owned(),
        reason: error.to_string(),
    }
}

/// `insecureSkipVerify: true`: any certificate is accepted, handshake signatures still checked.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kgw_api::kgateway::backend_config_policy::TlsParameters;

    #[test]
    fn version_bounds_pick_rustls_versions() {
        let mut tls = BackendTls::default();
        assert_eq!(protocol_versions(&tls).len(), 2);
        tls.parameters = Some(TlsParameters {
            min_version: Some(TlsVersion::Tls1_3),
            ..TlsParameters::default()
        });
        assert_eq!(protocol_versions(&tls), vec![&rustls::version::TLS13]);
        tls.parameters = Some(TlsParameters {
            max_version: Some(TlsVersion::Tls1_2),
            ..TlsParameters::default()
        });
        assert_eq!(protocol_versions(&tls), vec![&rustls::version::TLS12]);
    }

    #[test]
    fn no_trust_source_is_an_error_and_skip_verify_is_enough() {
        let tls = BackendTls::default();
        assert!(matches!(
            upstream_tls(&tls, "ns", &crate::secrets::NoSecrets, &[]),
            Err(TlsSetupError::NoTrust)
        ));
        let tls = BackendTls {
            insecure_skip_verify: Some(true),
            sni: Some("upstream.example".into()),
            ..BackendTls::default()
        };
        let built = upstream_tls(&tls, "ns", &crate::secrets::NoSecrets, &[b"h2"]).unwrap();
        assert_eq!(built.config.alpn_protocols, vec![b"h2".to_vec()]);
        assert_eq!(
            built.server_name,
            Some(ServerName::try_from("upstream.example").unwrap())
        );
    }

    #[test]
    fn missing_secret_is_named() {
        let tls = BackendTls {
            secret_ref: Some(kgw_api::k8s::LocalObjectReference::new("ca")),
            ..BackendTls::default()
        };
        let err = upstream_tls(&tls, "ns", &crate::secrets::NoSecrets, &[]).unwrap_err();
        assert_eq!(err.to_string(), "Secret ns/ca: not found");
    }
}
