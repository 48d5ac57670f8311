//! AWS credentials for Lambda backends and SigV4 signing (service `lambda`).
//!
//! kgw-api keeps only a Secret's key names, so credentials come from a [`CredentialsProvider`]
//! the embedder chooses. [`DefaultCredentials`] follows kgateway: `auth.type: Secret` reads the
//! keys `accessKey`, `secretKey` and optional `sessionToken` from the referenced Secret (through
//! a [`SecretStore`]); no `auth` uses the environment (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`).

use std::sync::Arc;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use kgw_api::kgateway::{AwsAuth, AwsAuthType};

use crate::secrets::SecretStore;

/// Why no credentials could be produced or a request could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwsError {
    /// The referenced Secret does not exist.
    #[error("Secret {0} not found")]
    SecretNotFound(String),
    /// A required key is missing from the Secret or is not UTF-8.
    #[error("Secret {secret}: {message}")]
    SecretKey {
        /// `namespace/name`.
        secret: String,
        /// kgateway's wording (`access_key is not a valid string`, …).
        message: String,
    },
    /// The environment holds no credentials.
    #[error("no AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)")]
    NoEnvironmentCredentials,
    /// The signer refused the request.
    #[error("signing failed: {0}")]
    Signing(String),
}

/// What a provider is asked for: the credentials of one Lambda Backend.
#[derive(Debug, Clone, Copy)]
pub struct CredentialsRequest<'a> {
    /// The Backend's namespace (where a `secretRef` is looked up, without a ReferenceGrant).
    pub namespace: &'a str,
    /// The Backend's `spec.aws.auth`, if any.
    pub auth: Option<&'a AwsAuth>,
}

/// Supplies AWS credentials for Lambda Backends. Implement it to plug in IRSA, a vault, etc.
pub trait CredentialsProvider: Send + Sync + 'static {
    /// Credentials for the Backend described by `request`.
    fn credentials(&self, request: &CredentialsRequest<'_>) -> Result<Credentials, AwsError>;
}

/// Credentials from the process environment only.
#[derive(Debug, Default, Clone, Copy)]
pub struct EnvironmentCredentials;

impl CredentialsProvider for EnvironmentCredentials {
    fn credentials(&self, _request: &CredentialsRequest<'_>) -> Result<Credentials, AwsError> {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        let (Some(access), Some(secret)) = (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY"))
        else {
            return Err(AwsError::NoEnvironmentCredentials);
        };
        Ok(Credentials::new(
            access,
            secret,
            var("AWS_SESSION_TOKEN"),
            None,
            "environment",
        ))
    }
}

/// kgateway's choice: the referenced Secret for `auth.type: Secret`, the environment otherwise.
///
/// `AssumeRole` is signed with the environment's identity, which is what kgateway 2.5 does (its
/// assume-role provider is dropped by Envoy, see the spec digest); a warning is logged.
#[derive(Clone)]
pub struct DefaultCredentials {
    secrets: Arc<dyn SecretStore>,
}

impl DefaultCredentials {
    /// Reads Secret values from `secrets`.
    pub fn new(secrets: Arc<dyn SecretStore>) -> Self {
        Self { secrets }
    }
}

impl std::fmt::Debug for DefaultCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DefaultCredentials").finish_non_exhaustive()
    }
}

impl CredentialsProvider for DefaultCredentials {
    fn credentials(&self, request: &CredentialsRequest<'_>) -> Result<Credentials, AwsError> {
        match request.auth {
            Some(AwsAuth {
                type_: AwsAuthType::Secret,
                secret_ref: Some(secret_ref),
                ..
            }) => secret_credentials(&*self.secrets, request.namespace, secret_ref.name()),
            Some(AwsAuth {
                type_: AwsAuthType::AssumeRole,
                ..
            }) => {
                tracing::warn!(
                    "AssumeRole credentials are not assumed (as in kgateway 2.5); signing with the environment's identity"
                );
                EnvironmentCredentials.credentials(request)
            }
            _ => EnvironmentCredentials.credentials(request),
        }
    }
}

/// Credentials from the keys `accessKey`, `secretKey`, `sessionToken` of Secret `namespace/name`.
pub fn secret_credentials(
    secrets: &dyn SecretStore,
    namespace: &str,
    name: &str,
) -> Result<Credentials, AwsError> {
    let label = format!("{namespace}/{name}");
    let data = secrets
        .secret(namespace, name)
        .ok_or_else(|| AwsError::SecretNotFound(label.clone()))?;
    let text = |key: &str, what: &str| -> Result<Option<String>, AwsError> {
        data.get(key)
            .map(|bytes| {
                String::from_utf8(bytes.clone()).map_err(|_| AwsError::SecretKey {
                    secret: label.clone(),
                    message: format!("{what} is not a valid string"),
                })
            })
            .transpose()
    };
    let missing = |what: &str| AwsError::SecretKey {
        secret: label.clone(),
        message: format!("{what} is missing"),
    };
    let access = text("accessKey", "access_key")?.ok_or_else(|| missing("access_key"))?;
    let secret = text("secretKey", "secret_key")?.ok_or_else(|| missing("secret_key"))?;
    let token = text("sessionToken", "session_token")?;
    Ok(Credentials::new(access, secret, token, None, "secret"))
}

/// Signs `request` (whose body is `body`) with SigV4 for service `lambda` in `region`, adding
/// `authorization`, `x-amz-date` and (with a session token) `x-amz-security-token`.
///
/// The request must carry a `host` header or an absolute URI: that is what gets signed.
pub fn sign_lambda_request(
    request: &mut http::request::Parts,
    body: &[u8],
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
) -> Result<(), AwsError> {
    let identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("lambda")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| AwsError::Signing(e.to_string()))?
        .into();
    let uri = request.uri.to_string();
    let headers = request
        .headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)));
    let signable = SignableRequest::new(
        request.method.as_str(),
        &uri,
        headers,
        SignableBody::Bytes(body),
    )
    .map_err(|e| AwsError::Signing(e.to_string()))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| AwsError::Signing(e.to_string()))?
        .into_parts();
    let (headers, _params) = instructions.into_parts();
    for header in headers {
        let value = http::HeaderValue::from_str(header.value())
            .map_err(|e| AwsError::Signing(e.to_string()))?;
        let name = http::HeaderName::from_static(header.name());
        request.headers.insert(name, value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::MapSecrets;

    #[test]
    fn secret_credentials_read_kgateway_keys() {
        let mut store = MapSecrets::new();
        store.insert(
            "ns",
            "aws",
            [
                ("accessKey", "AK"),
                ("secretKey", "SK"),
                ("sessionToken", "TOK"),
            ],
        );
        let creds = secret_credentials(&store, "ns", "aws").unwrap();
        assert_eq!(creds.access_key_id(), "AK");
        assert_eq!(creds.secret_access_key(), "SK");
        assert_eq!(creds.session_token(), Some("TOK"));
    }

    #[test]
    fn secret_credentials_errors_use_kgateway_wording() {
        let mut store = MapSecrets::new();
        store.insert(
            "ns",
            "bad",
            [("accessKey", vec![0xff_u8]), ("secretKey", b"SK".to_vec())],
        );
        store.insert("ns", "partial", [("accessKey", "AK")]);
        assert_eq!(
            secret_credentials(&store, "ns", "gone")
                .unwrap_err()
                .to_string(),
            "Secret ns/gone not found"
        );
        assert_eq!(
            secret_credentials(&store, "ns", "bad")
                .unwrap_err()
                .to_string(),
            "Secret ns/bad: access_key is not a valid string"
        );
        assert_eq!(
            secret_credentials(&store, "ns", "partial")
                .unwrap_err()
                .to_string(),
            "Secret ns/partial: secret_key is missing"
        );
    }

    #[test]
    fn signing_adds_an_authorization_for_lambda() {
        let (mut parts, ()) =
            http::Request::post("http://127.0.0.1:9/2015-03-31/functions/f/invocations")
                .header("host", "lambda.us-east-1.amazonaws.com")
                .body(())
                .unwrap()
                .into_parts();
        let creds = Credentials::new("AKID", "SECRET", Some("TOKEN".into()), None, "test");
        sign_lambda_request(
            &mut parts,
            b"{}",
            &creds,
            "us-east-1",
            SystemTime::UNIX_EPOCH,
        )
        .unwrap();
        let auth = parts.headers["authorization"].to_str().unwrap();
        assert!(
            auth.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKID/19700101/us-east-1/lambda/aws4_request"
            ),
            "{auth}"
        );
        assert!(
            auth.contains("SignedHeaders=host;x-amz-date;x-amz-security-token"),
            "{auth}"
        );
        assert_eq!(parts.headers["x-amz-security-token"], "TOKEN");
        assert_eq!(parts.headers["x-amz-date"], "19700101T000000Z");
    }
}
