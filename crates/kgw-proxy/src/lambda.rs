//! Invoking an AWS Lambda Backend: kgw-rewrite builds the invocation and transforms the
//! payloads; this module signs (SigV4, service `lambda`) and sends it over HTTP/2 as kgateway's
//! cluster does.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::{Request, Response};
use http_body_util::BodyExt;

use crate::aws::{CredentialsRequest, sign_lambda_request};
use crate::body::{self, ProxyBody};
use crate::endpoints::Endpoint;
use crate::fault::Fault;
use crate::gateway::{ClientChoice, Gateway, collect_body};
use crate::table::BackendRuntime;
use crate::upstream::{UpstreamProtocol, strip_hop_by_hop};

pub(crate) async fn invoke(
    gateway: &Gateway,
    runtime: &Arc<BackendRuntime>,
    request: Request<ProxyBody>,
    timeout: Option<Duration>,
) -> Result<Response<ProxyBody>, Fault> {
    let BackendRuntime::Lambda(lambda) = &**runtime else {
        return Err(Fault::Unresolved("not a Lambda backend".into()));
    };
    let (mut parts, body) = request.into_parts();
    let body = collect_body(body).await?;
    strip_hop_by_hop(&mut parts.headers, false);
    let target = &lambda.target;
    let payload = target
        .prepare_request(&mut parts, &body)
        .map_err(|e| Fault::Unresolved(format!("lambda request: {e}")))?
        .map_or(body, bytes::Bytes::from);
    if !parts.headers.contains_key(http::header::HOST) {
        // An HTTP/2 client sent no Host header: sign the endpoint's.
        let host = http::HeaderValue::from_str(&target.endpoint.host)
            .map_err(|e| Fault::Unresolved(format!("lambda host: {e}")))?;
        parts.headers.insert(http::header::HOST, host);
    }
    let credentials = gateway
        .credentials()
        .credentials(&CredentialsRequest {
            namespace: &lambda.namespace,
            auth: lambda.auth.as_ref(),
        })
        .map_err(|e| Fault::Unresolved(format!("lambda credentials: {e}")))?;
    sign_lambda_request(
        &mut parts,
        &payload,
        &credentials,
        &target.region,
        SystemTime::now(),
    )
    .map_err(|e| Fault::Unresolved(e.to_string()))?;
    let authority = Endpoint {
        host: target.endpoint.host.trim_matches(['[', ']']).to_owned(),
        port: target.endpoint.port,
    }
    .uri_authority()
    .map_err(|e| Fault::Unresolved(format!("lambda endpoint: {e}")))?;
    let response = gateway
        .send_upstream(
            &ClientChoice::Backend(runtime.clone()),
            UpstreamProtocol::H2,
            authority,
            Request::from_parts(parts, body::full(payload)),
            timeout,
        )
        .await?;
    let (mut head, incoming) = response.into_parts();
    let reply = incoming
        .collect()
        .await
        .map_err(|e| Fault::BadUpstream(format!("lambda reply body: {e}")))?
        .to_bytes();
    strip_hop_by_hop(&mut head.headers, false);
    let transformed = target.transform_response(head.status, &head.headers, &reply);
    if let Some(error) = &transformed.error {
        tracing::warn!(%error, "malformed Lambda reply; answering 500");
    }
    head.status = transformed.status;
    head.headers = transformed.headers;
    Ok(Response::from_parts(head, body::full(transformed.body)))
}
