//! AWS Lambda Backends (`spec.aws.lambda`): where and how a request is invoked.
//!
//! As kgateway configures Envoy's `aws_lambda` filter: every request becomes
//! `POST /2015-03-31/functions/<ARN>/invocations` (the ARN carries the qualifier) with
//! `x-amz-invocation-type: RequestResponse` (Sync) or `Event` (Async), sent to
//! `lambda.<region>.amazonaws.com:443` over TLS, or to `endpointURL` (which must name its port).
//! The `Host` header is left as the client sent it, as in kgateway; against real AWS the adapter
//! should set it to [`LambdaEndpoint::host`] (or the route a `URLRewrite` hostname) before
//! signing. Signing (SigV4) is the adapter's job.

use http::header::{CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use kgw_api::kgateway::{AwsBackend, LambdaInvocationMode, LambdaPayloadTransformMode};
use serde::Serialize;

use super::lambda_payload::{self, LambdaResponse};
use crate::RewriteError;

/// The header naming the invocation type.
pub const INVOCATION_TYPE: HeaderName = HeaderName::from_static("x-amz-invocation-type");

/// Where invocations are sent.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct LambdaEndpoint {
    /// Host name (also the TLS SNI).
    pub host: String,
    /// Port.
    pub port: u16,
    /// Whether TLS is used (`https`).
    pub tls: bool,
}

impl LambdaEndpoint {
    /// `https` or `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls { "https" } else { "http" }
    }

    /// `host:port`.
    pub fn authority(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// Why a Lambda Backend cannot be invoked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LambdaConfigError {
    /// `spec.aws` has no `lambda` member.
    #[error("aws backend has no lambda function")]
    NotLambda,
    /// `endpointURL` does not parse as an `http(s)://host:port` URL.
    #[error("failed to parse endpointURL {url:?}: {reason}")]
    InvalidEndpointUrl {
        /// The URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `endpointURL` has no explicit port (kgateway parses it and fails).
    #[error("failed to parse port: endpointURL {url:?} has no explicit port")]
    MissingEndpointPort {
        /// The URL.
        url: String,
    },
}

/// A Lambda function ready to invoke, with the CRD defaults applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LambdaTarget {
    /// Function name.
    pub function_name: String,
    /// Version, alias or `$LATEST`.
    pub qualifier: String,
    /// Region (`us-east-1` by default).
    pub region: String,
    /// `arn:aws:lambda:<region>:<account>:function:<name>:<qualifier>`, when an account id is set.
    pub arn: Option<String>,
    /// Sync or Async.
    #[serde(skip)]
    pub invocation_mode: LambdaInvocationMode,
    /// Envoy (wrap/unwrap) or None (pass through).
    #[serde(skip)]
    pub payload_transform: LambdaPayloadTransformMode,
    /// Where requests go.
    pub endpoint: LambdaEndpoint,
}

fn parse_endpoint(url: &str) -> Result<LambdaEndpoint, LambdaConfigError> {
    let invalid = |reason: &str| LambdaConfigError::InvalidEndpointUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    // `http::Uri` keeps an explicit default port (`:443`), which kgateway requires.
    let uri: Uri = url.parse().map_err(|_| invalid("not a URL"))?;
    let tls = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => return Err(invalid("scheme must be http or https")),
    };
    let authority = uri.authority().ok_or_else(|| invalid("no host"))?;
    if authority.as_str().contains('@') {
        return Err(invalid("user info is not allowed"));
    }
    let host = authority.host();
    if host.is_empty() {
        return Err(invalid("no host"));
    }
    let port = authority
        .port_u16()
        .ok_or_else(|| LambdaConfigError::MissingEndpointPort {
            url: url.to_owned(),
        })?;
    Ok(LambdaEndpoint {
        host: host.to_owned(),
        port,
        tls,
    })
}

impl LambdaTarget {
    /// The invocation target of an AWS Backend.
    pub fn from_backend(aws: &AwsBackend) -> Result<Self, LambdaConfigError> {
        let lambda = aws.lambda.as_ref().ok_or(LambdaConfigError::NotLambda)?;
        let region = aws.effective_region().to_owned();
        let endpoint = match &lambda.endpoint_url {
            Some(url) => parse_endpoint(url)?,
            None => LambdaEndpoint {
                host: format!("lambda.{region}.amazonaws.com"),
                port: 443,
                tls: true,
            },
        };
        Ok(Self {
            function_name: lambda.function_name.clone(),
            qualifier: lambda.effective_qualifier().to_owned(),
            region,
            arn: aws.lambda_arn(),
            invocation_mode: lambda.effective_invocation_mode(),
            payload_transform: lambda.effective_payload_transform_mode(),
            endpoint,
        })
    }

    /// `/2015-03-31/functions/<ARN>/invocations` as Envoy sends it; without an account id (which
    /// the CRD requires) the function name with a `Qualifier` query parameter, which the Lambda
    /// API accepts as well.
    pub fn invoke_path(&self) -> String {
        match &self.arn {
            Some(arn) => format!("/2015-03-31/functions/{arn}/invocations"),
            None => format!(
                "/2015-03-31/functions/{}/invocations?Qualifier={}",
                self.function_name, self.qualifier
            ),
        }
    }

    /// `RequestResponse` (Sync) or `Event` (Async).
    pub fn invocation_type(&self) -> &'static str {
        match self.invocation_mode {
            LambdaInvocationMode::Sync => "RequestResponse",
            LambdaInvocationMode::Async => "Event",
        }
    }

    /// The absolute invoke URI: endpoint scheme and authority, invoke path.
    pub fn invoke_uri(&self) -> Result<Uri, RewriteError> {
        let uri = format!(
            "{}://{}{}",
            self.endpoint.scheme(),
            self.endpoint.authority(),
            self.invoke_path()
        );
        uri.parse()
            .map_err(|_| RewriteError::InvalidPath { path: uri })
    }

    /// Turns the (already filtered) request into a Lambda invocation: method `POST`, the invoke
    /// URI, `x-amz-invocation-type`. In Envoy mode the request is wrapped as JSON (see
    /// [`lambda_payload::wrap_request`]), `content-type: application/json` and `content-length`
    /// are set, `transfer-encoding` is dropped, and the new body is returned; in None mode the
    /// body is untouched and `None` is returned.
    pub fn prepare_request(
        &self,
        parts: &mut Parts,
        body: &[u8],
    ) -> Result<Option<Vec<u8>>, RewriteError> {
        let uri = self.invoke_uri()?;
        let wrapped = match self.payload_transform {
            LambdaPayloadTransformMode::Envoy => Some(lambda_payload::wrap_request(parts, body)),
            LambdaPayloadTransformMode::None => None,
        };
        parts.method = Method::POST;
        parts.uri = uri;
        parts.headers.insert(
            INVOCATION_TYPE,
            HeaderValue::from_static(self.invocation_type()),
        );
        if let Some(json) = &wrapped {
            parts.headers.remove(TRANSFER_ENCODING);
            parts
                .headers
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            parts
                .headers
                .insert(CONTENT_LENGTH, HeaderValue::from(json.len()));
        }
        Ok(wrapped)
    }

    /// Turns Lambda's HTTP answer into the client's response: in Envoy mode with Sync
    /// invocation the JSON reply is unwrapped ([`lambda_payload::unwrap_response`]); None mode
    /// and Async invocations (Lambda answers 202 with an empty body) pass through unchanged.
    pub fn transform_response(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> LambdaResponse {
        let passthrough = self.payload_transform == LambdaPayloadTransformMode::None
            || self.invocation_mode == LambdaInvocationMode::Async;
        if passthrough {
            LambdaResponse::unchanged(status, headers, body)
        } else {
            lambda_payload::unwrap_response(status, headers, body)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::tests::parts;
    use kgw_api::kgateway::AwsLambda;

    fn aws(lambda: AwsLambda, region: Option<&str>) -> AwsBackend {
        AwsBackend {
            lambda: Some(lambda),
            region: region.map(Into::into),
            ..Default::default()
        }
    }

    fn function(name: &str) -> AwsLambda {
        AwsLambda {
            function_name: name.into(),
            account_id: Some("000000000000".into()),
            endpoint_url: None,
            invocation_mode: None,
            qualifier: None,
            payload_transform_mode: None,
        }
    }

    #[test]
    fn defaults() {
        let t = LambdaTarget::from_backend(&aws(function("hello"), None)).unwrap();
        assert_eq!(t.region, "us-east-1");
        assert_eq!(t.qualifier, "$LATEST");
        assert_eq!(
            t.endpoint,
            LambdaEndpoint {
                host: "lambda.us-east-1.amazonaws.com".into(),
                port: 443,
                tls: true
            }
        );
        assert_eq!(
            t.invoke_path(),
            "/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:hello:$LATEST/invocations"
        );
        assert_eq!(t.invocation_type(), "RequestResponse");
        assert_eq!(t.payload_transform, LambdaPayloadTransformMode::Envoy);
    }

    #[test]
    fn region_qualifier_async_and_no_account() {
        let mut f = function("fn-1");
        f.qualifier = Some("prod".into());
        f.invocation_mode = Some(LambdaInvocationMode::Async);
        let t = LambdaTarget::from_backend(&aws(f.clone(), Some("eu-west-1"))).unwrap();
        assert_eq!(t.endpoint.host, "lambda.eu-west-1.amazonaws.com");
        assert!(t.invoke_path().ends_with(":function:fn-1:prod/invocations"));
        assert_eq!(t.invocation_type(), "Event");
        f.account_id = None;
        let t = LambdaTarget::from_backend(&aws(f, Some("eu-west-1"))).unwrap();
        assert_eq!(
            t.invoke_path(),
            "/2015-03-31/functions/fn-1/invocations?Qualifier=prod"
        );
    }

    #[test]
    fn endpoint_url_override() {
        let mut f = function("hello");
        f.endpoint_url = Some("http://localstack.local:4566".into());
        let t = LambdaTarget::from_backend(&aws(f.clone(), None)).unwrap();
        assert_eq!(
            t.endpoint,
            LambdaEndpoint {
                host: "localstack.local".into(),
                port: 4566,
                tls: false
            }
        );
        assert!(
            t.invoke_uri()
                .unwrap()
                .to_string()
                .starts_with("http://localstack.local:4566/2015-03-31/")
        );
        f.endpoint_url = Some("https://lambda.example:443".into());
        assert_eq!(
            LambdaTarget::from_backend(&aws(f.clone(), None))
                .unwrap()
                .endpoint
                .port,
            443
        );
        f.endpoint_url = Some("https://lambda.example".into());
        assert_eq!(
            LambdaTarget::from_backend(&aws(f.clone(), None)),
            Err(LambdaConfigError::MissingEndpointPort {
                url: "https://lambda.example".into()
            })
        );
        for bad in ["ftp://x:21", "not a url", "https://user@x:443", "/relative"] {
            f.endpoint_url = Some(bad.into());
            assert!(
                matches!(
                    LambdaTarget::from_backend(&aws(f.clone(), None)),
                    Err(LambdaConfigError::InvalidEndpointUrl { .. })
                ),
                "{bad}"
            );
        }
        assert_eq!(
            LambdaTarget::from_backend(&AwsBackend::default()),
            Err(LambdaConfigError::NotLambda)
        );
    }

    #[test]
    fn prepare_request_in_envoy_mode_wraps_the_request() {
        let t = LambdaTarget::from_backend(&aws(function("hello"), None)).unwrap();
        let mut p = parts(
            "GET",
            "/lambda?a=1",
            &[
                ("host", "www.example.com"),
                ("transfer-encoding", "chunked"),
                ("content-type", "text/plain"),
            ],
        );
        let body = t.prepare_request(&mut p, b"hi").unwrap().unwrap();
        assert_eq!(p.method, Method::POST);
        assert_eq!(p.uri, t.invoke_uri().unwrap());
        assert_eq!(p.headers[INVOCATION_TYPE], "RequestResponse");
        assert_eq!(p.headers[CONTENT_TYPE], "application/json");
        assert_eq!(p.headers[CONTENT_LENGTH], body.len().to_string().as_str());
        assert!(!p.headers.contains_key(TRANSFER_ENCODING));
        // kgateway keeps the client's Host.
        assert_eq!(p.headers["host"], "www.example.com");
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["method"], "GET");
        assert_eq!(json["raw_path"], "/lambda?a=1");
        // A chunked body counts as binary for Envoy, whatever its content type.
        assert_eq!(
            (&json["body"], &json["is_base64_encoded"]),
            (&serde_json::json!("aGk="), &serde_json::json!(true))
        );
    }

    #[test]
    fn prepare_request_in_none_mode_keeps_the_body() {
        let mut f = function("hello");
        f.payload_transform_mode = Some(LambdaPayloadTransformMode::None);
        f.invocation_mode = Some(LambdaInvocationMode::Async);
        let t = LambdaTarget::from_backend(&aws(f, None)).unwrap();
        let mut p = parts("PUT", "/x", &[("content-type", "application/octet-stream")]);
        assert_eq!(t.prepare_request(&mut p, b"raw").unwrap(), None);
        assert_eq!(p.method, Method::POST);
        assert_eq!(p.headers[INVOCATION_TYPE], "Event");
        assert_eq!(p.headers[CONTENT_TYPE], "application/octet-stream");
        assert!(!p.headers.contains_key(CONTENT_LENGTH));
    }

    #[test]
    fn transform_response_by_mode() {
        let reply = br#"{"statusCode": 201, "body": "made"}"#;
        let sync = LambdaTarget::from_backend(&aws(function("f"), None)).unwrap();
        let r = sync.transform_response(StatusCode::OK, &HeaderMap::new(), reply);
        assert_eq!((r.status, &r.body[..]), (StatusCode::CREATED, &b"made"[..]));

        let mut f = function("f");
        f.invocation_mode = Some(LambdaInvocationMode::Async);
        let asynchronous = LambdaTarget::from_backend(&aws(f, None)).unwrap();
        let r = asynchronous.transform_response(StatusCode::ACCEPTED, &HeaderMap::new(), b"");
        assert_eq!(
            (r.status, r.body.len(), r.error),
            (StatusCode::ACCEPTED, 0, None)
        );

        let mut f = function("f");
        f.payload_transform_mode = Some(LambdaPayloadTransformMode::None);
        let raw = LambdaTarget::from_backend(&aws(f, None)).unwrap();
        let r = raw.transform_response(StatusCode::OK, &HeaderMap::new(), reply);
        assert_eq!((r.status, &r.body[..]), (StatusCode::OK, &reply[..]));
    }
}
