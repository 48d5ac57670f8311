//! AWS Lambda Backends against a local server that checks the SigV4 signature itself.

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use bytes::Bytes;
use common::*;
use http::{Response, StatusCode};
use http_body_util::Full;
use kgw_proxy::GatewayOptions;
use kgw_proxy::secrets::MapSecrets;

const ACCESS_KEY: &str = "AKIDEXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let doy = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `20260102T030405Z` → time.
fn amz_date(text: &str) -> SystemTime {
    let n = |range: std::ops::Range<usize>| text[range].parse::<i64>().unwrap();
    let days = days_from_civil(n(0..4), n(4..6), n(6..8));
    let secs = days * 86_400 + n(9..11) * 3600 + n(11..13) * 60 + n(13..15);
    SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap())
}

/// Recomputes the signature of what the server received with `secret` and compares it with
/// the `authorization` header: what a Lambda endpoint does.
fn signature_valid(seen: &Seen, secret: &str) -> bool {
    let Some(authorization) = seen.header("authorization") else {
        return false;
    };
    let signed_headers: Vec<&str> = authorization
        .split("SignedHeaders=")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .map(|list| list.split(';').collect())
        .unwrap_or_default();
    let path = seen.uri.parse::<http::Uri>().unwrap();
    let path = path.path_and_query().unwrap().as_str();
    let host = seen.header("host").unwrap();
    let mut parts = http::Request::builder()
        .method(seen.method.as_str())
        .uri(format!("http://{host}{path}"))
        .body(())
        .unwrap()
        .into_parts()
        .0;
    for name in &signed_headers {
        if *name == "x-amz-date" || *name == "x-amz-security-token" {
            continue;
        }
        parts.headers.insert(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            seen.headers[*name].clone(),
        );
    }
    let token = seen.header("x-amz-security-token").map(str::to_owned);
    let credentials = Credentials::new(ACCESS_KEY, secret, token, None, "test");
    let time = amz_date(seen.header("x-amz-date").unwrap());
    kgw_proxy::aws::sign_lambda_request(&mut parts, &seen.body, &credentials, "us-east-1", time)
        .unwrap();
    parts.headers["authorization"] == authorization
}

/// A Lambda stand-in: 403 unless the signature verifies with `secret`, else a Sync reply.
async fn fake_lambda(secret: &'static str) -> (std::net::SocketAddr, Log) {
    upstream_with(
        Duration::ZERO,
        Arc::new(move |seen: &Seen| {
            if !signature_valid(seen, secret) {
                return Response::builder()
                    .status(StatusCode::FORBIDDEN)
                    .body(Full::new(Bytes::from_static(b"{\"message\":\"signature mismatch\"}")))
                    .unwrap();
            }
            let reply = br#"{"statusCode": 201, "headers": {"x-function": "echo"}, "body": "hello from lambda"}"#;
            Response::new(Full::new(Bytes::from_static(reply)))
        }),
    )
    .await
}

fn manifests(addr: std::net::SocketAddr) -> String {
    format!(
        "\
apiVersion: v1
kind: Secret
metadata:
  name: aws-creds
  namespace: kgateway-system
stringData:
  accessKey: placeholder
  secretKey: placeholder
type: Opaque
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: Backend
metadata:
  name: lambda
  namespace: kgateway-system
spec:
  type: AWS
  aws:
    region: us-east-1
    auth:
      type: Secret
      secretRef:
        name: aws-creds
    lambda:
      accountId: \"111122223333\"
      functionName: echo
      endpointURL: http://{addr}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: lambda
  namespace: kgateway-system
spec:
  parentRefs:
    - name: http
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /echo
    backendRefs:
    - name: lambda
      group: gateway.kgateway.dev
      kind: Backend
"
    )
}

fn options_with_secret(secret: &str) -> GatewayOptions {
    let mut secrets = MapSecrets::new();
    secrets.insert(
        "kgateway-system",
        "aws-creds",
        [("accessKey", ACCESS_KEY), ("secretKey", secret)],
    );
    GatewayOptions {
        secrets: Arc::new(secrets),
        ..GatewayOptions::default()
    }
}

#[tokio::test]
async fn lambda_invocations_are_signed_and_unwrapped() {
    let (addr, log) = fake_lambda(SECRET_KEY).await;
    let running = start(&manifests(addr), options_with_secret(SECRET_KEY)).await;
    let (status, headers, body) = send(
        &client(),
        running.addr,
        "POST",
        "lambda.us-east-1.amazonaws.com",
        "/echo?name=kgw",
        "{\"a\":1}",
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body, "hello from lambda");
    assert_eq!(headers["x-function"], "echo");

    let seen = log.lock().unwrap()[0].clone();
    assert_eq!(seen.method, "POST");
    assert!(
        seen.uri.ends_with("/2015-03-31/functions/arn:aws:lambda:us-east-1:111122223333:function:echo:$LATEST/invocations"),
        "{}",
        seen.uri
    );
    assert_eq!(seen.version, http::Version::HTTP_2);
    assert_eq!(
        seen.header("x-amz-invocation-type"),
        Some("RequestResponse")
    );
    // Envoy mode: the function receives the request wrapped as JSON.
    let payload: serde_json::Value = serde_json::from_slice(&seen.body).unwrap();
    assert_eq!(payload["raw_path"], "/echo?name=kgw");
    // No JSON content type was sent, so the body travels base64-encoded.
    assert_eq!(payload["body"], "eyJhIjoxfQ==");
    assert_eq!(payload["is_base64_encoded"], true);
    assert!(signature_valid(&seen, SECRET_KEY));
    assert!(
        !signature_valid(&seen, "another-secret"),
        "the verifier must be able to fail"
    );
    running.shutdown().await;
}

#[tokio::test]
async fn a_wrong_secret_is_refused_by_the_endpoint() {
    let (addr, _) = fake_lambda(SECRET_KEY).await;
    let running = start(&manifests(addr), options_with_secret("not-the-secret")).await;
    let (status, _, body) = send(
        &client(),
        running.addr,
        "POST",
        "lambda.example",
        "/echo",
        "{}",
    )
    .await;
    // Lambda errors (status >= 300) pass through unchanged.
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("signature mismatch"), "{body}");
    running.shutdown().await;
}

#[tokio::test]
async fn missing_credentials_answer_500() {
    let (addr, log) = fake_lambda(SECRET_KEY).await;
    let running = start(&manifests(addr), GatewayOptions::default()).await;
    let (status, _, _) = send(
        &client(),
        running.addr,
        "POST",
        "lambda.example",
        "/echo",
        "{}",
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(log.lock().unwrap().is_empty());
    running.shutdown().await;
}
