//! Verbatim copies of the kgateway docs examples (`shared/examples/kgateway-docs/`) that hold
//! Backend, BackendConfigPolicy or Secret documents, embedded so the tests do not depend on
//! files outside the crate.

/// `static-http.yaml`.
pub(crate) const STATIC_HTTP: &str = r#"# Source: kgateway-dev/kgateway.dev @ 85cd0fc8f14f844278f940ce20b2facd2be607ca
#   assets/kgw-docs/pages/traffic-management/static.md, section "HTTP static backend"
#   (rendered into content/docs/envoy/{latest,main,2.x}/traffic-management/destination-types/backends/static.md)
# Prerequisite: prereq-setup-gateway-http.yaml (Gateway "http" in kgateway-system, port 8080).
# Request:  curl -vi http://$INGRESS_GW_ADDRESS:8080/posts -H "host: static.example:8080"
#      (or: port-forward deployment/http 8080:8080, then curl -vi localhost:8080/posts -H "host: static.example:8080")
# Expected: HTTP/1.1 200 OK, JSON array of posts from jsonplaceholder.typicode.com.
# Note: the Backend has no namespace in the docs (applied to the current namespace, "default").
# Note: backendRefs has NO port; a port here yields ResolvedRefs=False/BackendNotFound.
apiVersion: gateway.kgateway.dev/v1alpha1
kind: Backend
metadata:
  name: json-backend
spec:
  type: Static
  static:
    hosts:
      - host: jsonplaceholder.typicode.com
        port: 80
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: static-backend
  namespace: default
spec:
  parentRefs:
  - name: http
    namespace: kgateway-system
  hostnames:
    - static.example
  rules:
    - backendRefs:
      - name: json-backend
        kind: Backend
        group: gateway.kgateway.dev
      filters:
      - type: URLRewrite
        urlRewrite:
          hostname: jsonplaceholder.typicode.com
"#;

/// `static-https-backendconfigpolicy.yaml`.
pub(crate) const STATIC_HTTPS_BACKENDCONFIGPOLICY: &str = r#"# Source: kgateway-dev/kgateway.dev @ 85cd0fc8f14f844278f940ce20b2facd2be607ca
#   assets/kgw-docs/pages/traffic-management/static.md, section "HTTPS static backend",
#   tab "BackendConfigPolicy".
# Prerequisite: a Gateway named "https" in kgateway-system with an HTTPS listener on 443
#   (docs: setup/listeners/https, self-signed cert for *.example.com with SANs).
# Request:  curl -vi --cacert example_certs/root.crt --resolve "static.example.com:443:${INGRESS_GW_ADDRESS}" https://static.example.com:443/posts
#      (port-forward variant: --connect-to static.example.com:443:localhost:8443)
# Expected: TLS handshake with gateway cert (*.example.com), then HTTP/1.1 200 OK, list of posts.
# Without the policy the gateway would speak plain HTTP to port 443 (no automatic upstream TLS).
apiVersion: gateway.kgateway.dev/v1alpha1
kind: Backend
metadata:
  name: json-backend
spec:
  type: Static
  static:
    hosts:
      - host: jsonplaceholder.typicode.com
        port: 443
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: static-backend
  namespace: default
spec:
  parentRefs:
  - name: https
    namespace: kgateway-system
  hostnames:
    - static.example.com
  rules:
    - backendRefs:
      - name: json-backend
        kind: Backend
        group: gateway.kgateway.dev
      filters:
      - type: URLRewrite
        urlRewrite:
          hostname: jsonplaceholder.typicode.com
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: BackendConfigPolicy
metadata:
  name: static-tls-policy
spec:
  targetRefs:
  - group: gateway.kgateway.dev
    kind: Backend
    name: json-backend
  tls:
    sni: "jsonplaceholder.typicode.com"
    wellKnownCACertificates: System
"#;

/// `static-https-backendtlspolicy.yaml`.
pub(crate) const STATIC_HTTPS_BACKENDTLSPOLICY: &str = r#"# Source: kgateway-dev/kgateway.dev @ 85cd0fc8f14f844278f940ce20b2facd2be607ca
#   assets/kgw-docs/pages/traffic-management/static.md, section "HTTPS static backend",
#   tab "BackendTLSPolicy" (docs: needs Gateway API experimental channel v1.4+).
# Same Backend/HTTPRoute and same request/expected result as static-https-backendconfigpolicy.yaml.
# validation.hostname is used by kgateway as the upstream SNI.
apiVersion: gateway.kgateway.dev/v1alpha1
kind: Backend
metadata:
  name: json-backend
spec:
  type: Static
  static:
    hosts:
      - host: jsonplaceholder.typicode.com
        port: 443
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: static-backend
  namespace: default
spec:
  parentRefs:
  - name: https
    namespace: kgateway-system
  hostnames:
    - static.example.com
  rules:
    - backendRefs:
      - name: json-backend
        kind: Backend
        group: gateway.kgateway.dev
      filters:
      - type: URLRewrite
        urlRewrite:
          hostname: jsonplaceholder.typicode.com
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata:
  name: static-tls-policy
spec:
  targetRefs:
  - group: gateway.kgateway.dev
    kind: Backend
    name: json-backend
  validation:
    hostname: "jsonplaceholder.typicode.com"
    wellKnownCACertificates: System
"#;

/// `lambda-creds-secret.yaml`.
pub(crate) const LAMBDA_CREDS_SECRET: &str = r#"# Source: kgateway-dev/kgateway.dev @ 85cd0fc8f14f844278f940ce20b2facd2be607ca
#   assets/kgw-docs/pages/traffic-management/destination-types/backends/lambda/creds-secret.md
#   (rendered into content/docs/envoy/{latest,main}/traffic-management/destination-types/backends/lambda/creds-secret.md)
# Shell placeholders of the guide were substituted so that the manifests pass the CRD schema:
#   ${REGION} -> us-east-1, ${ACCOUNT_ID} -> 111122223333,
#   ${AWS_ACCESS_KEY_ID} -> AKIAIOSFODNN7EXAMPLE, ${AWS_SECRET_ACCESS_KEY} -> wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
#   (AWS's published example key pair). Hugo shortcode namespace -> kgateway-system.
# The guide insists on long-lived IAM user keys (AKIA...), with sessionToken left empty.
# Prerequisite: prereq-setup-gateway-http.yaml; a Lambda function named "echo" that returns
#   {statusCode: 200, body: "Response from AWS Lambda. Here's the request you just sent me: <JSON of event>"}.
# Request:  curl -H "Host: lambda.us-east-1.amazonaws.com" $INGRESS_GW_ADDRESS:8080/echo \
#             -d '{"key1":"value1", "key2":"value2"}' -X POST
# Expected (as printed in the guide):
#   {"statusCode":200,"body":"Response from AWS Lambda. Here's the request you just sent me: {\"key1\":\"value1\",\"key2\":\"value2\"}"}
#   See spec/kgateway-backend.md: with the default payloadTransformMode (Envoy) the code wraps the
#   request (raw_path/method/headers/...) and unwraps the response, so real output differs.
apiVersion: v1
kind: Secret
metadata:
  name: aws-creds
  namespace: kgateway-system
stringData:
  accessKey: AKIAIOSFODNN7EXAMPLE
  secretKey: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
  sessionToken: ""
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
    accountId: "111122223333"
    auth:
      type: Secret
      secretRef:
        name: aws-creds
    lambda:
      functionName: echo
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: lambda
  namespace: kgateway-system
spec:
  parentRefs:
    - name: http
      namespace: kgateway-system
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /echo
    backendRefs:
    - name: lambda
      namespace: kgateway-system
      group: gateway.kgateway.dev
      kind: Backend
"#;

/// `lambda-service-accounts-single-role.yaml`.
pub(crate) const LAMBDA_SERVICE_ACCOUNTS_SINGLE_ROLE: &str = r#"# Source: kgateway-dev/kgateway.dev @ 85cd0fc8f14f844278f940ce20b2facd2be607ca
#   content/docs/envoy/latest/traffic-management/destination-types/backends/lambda/service-accounts.md
#   (identical in main), tab "Single role": IRSA; the proxy signs with its ambient credentials,
#   so the Backend has no spec.aws.auth.
# Shell placeholders substituted: ${ROLE_ARN} -> arn:aws:iam::111122223333:role/lambda-role,
#   ${AWS_LAMBDA_REGION} -> us-east-1, ${AWS_ACCOUNT_ID} -> 111122223333.
#   Hugo shortcodes: namespace -> kgateway-system, gatewayclass -> kgateway.
# The guide requires the Amazon EKS Pod Identity Webhook to be installed before kgateway.
# Request:  curl -H "Host: lambda.us-east-1.amazonaws.com" $INGRESS_GW_ADDRESS:8080/echo \
#             -d '{"key1":"value1", "key2":"value2"}' -X POST
# Expected: same example response as lambda-creds-secret.yaml; the first request can be slow
#   because STS credentials are fetched, then cached.
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayParameters
metadata:
  name: http-lambda
  namespace: kgateway-system
spec:
  kube:
    serviceAccount:
      extraAnnotations:
        eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/lambda-role
---
kind: Gateway
apiVersion: gateway.networking.k8s.io/v1
metadata:
  name: http
  namespace: kgateway-system
spec:
  gatewayClassName: kgateway
  infrastructure:
    parametersRef:
      name: http-lambda
      group: gateway.kgateway.dev
      kind: GatewayParameters
  listeners:
  - protocol: HTTP
    port: 8080
    name: http
    allowedRoutes:
      namespaces:
        from: All
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
    accountId: "111122223333"
    lambda:
      functionName: echo
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: lambda
  namespace: kgateway-system
spec:
  parentRefs:
    - name: http
      namespace: kgateway-system
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /echo
    backendRefs:
    - name: lambda
      namespace: kgateway-system
      group: gateway.kgateway.dev
      kind: Backend
"#;

/// `lambda-service-accounts-role-chaining.yaml`.
pub(crate) const LAMBDA_SERVICE_ACCOUNTS_ROLE_CHAINING: &str = r#"# Source: kgateway-dev/kgateway.dev @ 85cd0fc8f14f844278f940ce20b2facd2be607ca
#   content/docs/envoy/latest/traffic-management/destination-types/backends/lambda/service-accounts.md
#   (identical in main), tab "Role chaining": IRSA base identity, then sts:AssumeRole of a
#   per-Backend invocation role.
# Shell placeholders substituted: ${ROLE_ARN} -> arn:aws:iam::111122223333:role/kgateway-proxy-role,
#   ${INVOKE_ROLE_ARN} -> arn:aws:iam::444455556666:role/lambda-invoke-role,
#   ${AWS_LAMBDA_REGION} -> us-east-1, ${AWS_ACCOUNT_ID} -> 111122223333.
#   (The guide keeps accountId: "${AWS_ACCOUNT_ID}" in this tab although it introduces
#    AUTH_ACCOUNT_ID/LAMBDA_ACCOUNT_ID; the Lambda ARN is built from accountId.)
# GatewayParameters + Gateway are as in lambda-service-accounts-single-role.yaml.
# Request/expected: as in lambda-service-accounts-single-role.yaml.
# Caveat: at kgateway main 48460f7 the generated aws_request_signing filter does not set
#   custom_credential_provider_chain, so Envoy ignores the assume-role provider (kgateway#14632,
#   fixed after that commit; follow-up hang kgateway#14661, fixed by Envoy v1.39.1 in kgateway#14663).
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayParameters
metadata:
  name: http-lambda
  namespace: kgateway-system
spec:
  kube:
    serviceAccount:
      extraAnnotations:
        eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/kgateway-proxy-role
---
kind: Gateway
apiVersion: gateway.networking.k8s.io/v1
metadata:
  name: http
  namespace: kgateway-system
spec:
  gatewayClassName: kgateway
  infrastructure:
    parametersRef:
      name: http-lambda
      group: gateway.kgateway.dev
      kind: GatewayParameters
  listeners:
  - protocol: HTTP
    port: 8080
    name: http
    allowedRoutes:
      namespaces:
        from: All
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
    accountId: "111122223333"
    auth:
      type: AssumeRole
      assumeRole:
        roleArn: "arn:aws:iam::444455556666:role/lambda-invoke-role"
    lambda:
      functionName: echo
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: lambda
  namespace: kgateway-system
spec:
  parentRefs:
    - name: http
      namespace: kgateway-system
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /echo
    backendRefs:
    - name: lambda
      namespace: kgateway-system
      group: gateway.kgateway.dev
      kind: Backend
"#;

/// Every embedded example, by file name.
pub(crate) const ALL: &[(&str, &str)] = &[
    ("static-http.yaml", STATIC_HTTP),
    (
        "static-https-backendconfigpolicy.yaml",
        STATIC_HTTPS_BACKENDCONFIGPOLICY,
    ),
    (
        "static-https-backendtlspolicy.yaml",
        STATIC_HTTPS_BACKENDTLSPOLICY,
    ),
    ("lambda-creds-secret.yaml", LAMBDA_CREDS_SECRET),
    (
        "lambda-service-accounts-single-role.yaml",
        LAMBDA_SERVICE_ACCOUNTS_SINGLE_ROLE,
    ),
    (
        "lambda-service-accounts-role-chaining.yaml",
        LAMBDA_SERVICE_ACCOUNTS_ROLE_CHAINING,
    ),
];

/// The embedded copies still match the shared examples, and every shared example holding a
/// kind typed here is embedded (skipped when the shared folder is not next to the repository).
#[test]
fn embedded_copies_match_shared_examples() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/examples/kgateway-docs");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let typed_here = [
            "Backend",
            "BackendConfigPolicy",
            "Secret",
            "Service",
            "Namespace",
        ]
        .iter()
        .any(|k| text.lines().any(|l| l.trim_end() == format!("kind: {k}")));
        match ALL.iter().find(|(f, _)| *f == name) {
            Some((_, copy)) => assert_eq!(*copy, text, "{name} changed"),
            None => assert!(!typed_here, "{name} is not embedded"),
        }
    }
}
