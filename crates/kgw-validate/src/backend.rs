//! kgateway Backend acceptance (kgateway-backend §1.5, §2.5, §3, §4.1): what makes kgateway set
//! `Accepted=False, Invalid` — schema violations and translation errors (missing auth Secret,
//! Lambda endpointURL without a port, static host port 0, EC2 discovery disabled, …).

use kgw_api::kgateway::backend::{AwsAuthType, Backend, BackendAcceptedReason, BackendType};
use kgw_api::{ConditionStatus, Resources, Stored};

use crate::Options;
use crate::diag::Sink;
use crate::gateway::condition;
use crate::report::{BackendReport, Diagnostic};

/// Computes the status of one Backend as loaded.
pub(crate) fn backend_report(
    raw: &Stored<Backend>,
    resources: &Resources,
    options: &Options,
    out: &mut Vec<Diagnostic>,
) -> BackendReport {
    let backend = &raw.object;
    let mut sink = Sink::new(raw, out);
    let mut errors = crate::fields::backend::check(&raw.object, &mut sink);
    if errors.is_empty() {
        translation_errors(backend, resources, options, &mut sink, &mut errors);
    }
    let reason = if errors.is_empty() {
        BackendAcceptedReason::Accepted
    } else {
        BackendAcceptedReason::Invalid
    };
    let status = if errors.is_empty() {
        ConditionStatus::True
    } else {
        ConditionStatus::False
    };
    BackendReport {
        conditions: vec![condition(
            "Accepted",
            status,
            reason.as_str(),
            BackendAcceptedReason::message(&errors),
            backend.metadata.generation,
        )],
    }
}

fn translation_errors(
    backend: &Backend,
    resources: &Resources,
    options: &Options,
    sink: &mut Sink<'_>,
    errors: &mut Vec<String>,
) {
    let ns = backend.metadata.namespace();
    let spec = &backend.spec;
    let mut fail =
        |sink: &mut Sink<'_>, code: &'static str, field: String, message: String, hint: &str| {
            sink.error(
                code,
                field,
                format!("{message}; {hint} (kgateway marks the Backend Invalid and answers 500)"),
            );
            errors.push(message);
        };
    if let Some(s) = &spec.static_ {
        for (i, h) in s.hosts.iter().enumerate() {
            if h.host.is_empty() {
                fail(
                    sink,
                    "static-host-empty",
                    format!("spec.static.hosts[{i}].host"),
                    "addr cannot be empty for host".into(),
                    "set the host name or IP",
                );
            }
            if h.port == 0 {
                fail(
                    sink,
                    "static-host-port",
                    format!("spec.static.hosts[{i}].port"),
                    "port cannot be empty for host".into(),
                    "set the host's port",
                );
            } else if !(1..=65535).contains(&h.port) {
                fail(
                    sink,
                    "static-host-port",
                    format!("spec.static.hosts[{i}].port"),
                    format!("port {} is not a valid port for host {}", h.port, h.host),
                    "use a port between 1 and 65535",
                );
            }
        }
    }
    if let Some(aws) = &spec.aws {
        if let Some(l) = &aws.lambda
            && let Some(url) = &l.endpoint_url
            && !url_has_port(url)
        {
            fail(
                sink,
                "lambda-endpoint-url-port",
                "spec.aws.lambda.endpointURL".into(),
                format!("failed to parse port: endpointURL {url:?} has no explicit port"),
                "write the port, e.g. http://localstack:4566",
            );
        }
        if aws.ec2.is_some() && !options.aws_ec2_discovery {
            fail(
                sink,
                "ec2-discovery-disabled",
                "spec.aws.ec2".into(),
                "aws ec2 discovery is disabled by controller settings".into(),
                "enable KGW_ENABLE_AWS_EC2_DISCOVERY on the controller",
            );
        }
        if let Some(auth) = &aws.auth
            && auth.type_ == AwsAuthType::Secret
        {
            let name = auth.secret_ref.as_ref().map_or("", |r| r.name());
            match resources.secrets.get(ns, name) {
                None => fail(
                    sink,
                    "secret-not-found",
                    "spec.aws.auth.secretRef.name".into(),
                    format!("Secret {ns}/{name} not found"),
                    "create the Secret with keys accessKey and secretKey in the Backend's namespace",
                ),
                Some(secret) => {
                    let missing: Vec<&str> =
                        [("accessKey", "access_key"), ("secretKey", "secret_key")]
                            .into_iter()
                            .filter(|(k, _)| !secret.object.has_key(k))
                            .map(|(_, env)| env)
                            .collect();
                    if !missing.is_empty() {
                        let detail: Vec<String> = missing
                            .iter()
                            .map(|m| format!("{m} is not a valid string"))
                            .collect();
                        fail(
                            sink,
                            "secret-key-missing",
                            "spec.aws.auth.secretRef.name".into(),
                            format!(
                                "failed to create aws request signing config: failed to derive static secret: {}",
                                detail.join("\n")
                            ),
                            "the Secret needs the keys accessKey and secretKey",
                        );
                    }
                }
            }
        }
    }
    if let Some(groups) = &spec.priority_groups {
        for (i, g) in groups.iter().enumerate() {
            for (j, r) in g.backend_refs.iter().enumerate() {
                let field = format!("spec.priorityGroups[{i}].backendRefs[{j}].name");
                match resources.backends.get(ns, r.name()) {
                    None => fail(
                        sink,
                        "priority-group-backend",
                        field,
                        format!("Backend {ns}/{} not found", r.name()),
                        "reference a static Backend in the same namespace",
                    ),
                    Some(b) if b.object.spec.member() != Some(BackendType::Static) => fail(
                        sink,
                        "priority-group-backend",
                        field,
                        format!("Backend {ns}/{} is not a static Backend", r.name()),
                        "priority groups may only reference static Backends",
                    ),
                    Some(_) => {}
                }
            }
        }
    }
}

/// Whether an `http(s)://host:port/...` URL spells its port (kgateway parses it with ParseUint).
fn url_has_port(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let port = if let Some(bracketed) = host_port.strip_prefix('[') {
        bracketed.split_once("]:").map(|(_, p)| p)
    } else {
        host_port.rsplit_once(':').map(|(_, p)| p)
    };
    port.is_some_and(|p| {
        !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u64>().is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::url_has_port;

    #[test]
    fn endpoint_url_ports() {
        assert!(url_has_port("http://localstack:4566"));
        assert!(url_has_port("https://lambda.us-east-1.amazonaws.com:443/x"));
        assert!(url_has_port("http://[::1]:80"));
        assert!(!url_has_port("https://lambda.us-east-1.amazonaws.com"));
        assert!(!url_has_port("http://host:/"));
        assert!(!url_has_port("http://[::1]"));
    }
}

#[cfg(test)]
mod backend_tests {
    use crate::Options;
    use crate::testing::{check, check_with, docs, with_code};

    fn backend(spec: &str) -> String {
        format!(
            "apiVersion: gateway.kgateway.dev/v1alpha1\nkind: Backend\nmetadata: {{name: b, namespace: apps}}\nspec:\n{spec}"
        )
    }

    fn accepted(r: &crate::Report) -> (String, String, String) {
        let c = &r.backends.values().next().unwrap().conditions[0];
        (
            format!("{:?}", c.status),
            c.reason.to_string(),
            c.message.to_string(),
        )
    }

    const LAMBDA: &str = "  aws:\n    accountId: '123456789012'\n    auth: {type: Secret, secretRef: {name: creds}}\n    lambda: {functionName: echo}\n";
    const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: apps}\nstringData: {accessKey: a, secretKey: b}\n";

    #[test]
    fn static_backend_is_accepted() {
        let r = check(&backend(
            "  type: Static\n  static: {hosts: [{host: a.com, port: 80}]}\n",
        ));
        assert_eq!(
            accepted(&r),
            ("True".into(), "Accepted".into(), "Backend accepted".into())
        );
        assert!(r.diagnostics.is_empty(), "{:#?}", r.diagnostics);
    }

    #[test]
    fn translation_errors_make_it_invalid() {
        let r = check(&backend("  static: {hosts: [{host: a.com, port: 0}]}\n"));
        assert_eq!(
            accepted(&r),
            (
                "False".into(),
                "Invalid".into(),
                "Backend error: \"port cannot be empty for host\"".into()
            )
        );
        let r = check(&backend(LAMBDA));
        assert_eq!(
            accepted(&r).2,
            "Backend error: \"Secret apps/creds not found\""
        );
        assert_eq!(with_code(&r, "secret-not-found").len(), 1);
        let r = check(&docs(&[&backend(LAMBDA), SECRET]));
        assert_eq!(accepted(&r).1, "Accepted");
        let r = check(&docs(&[
            &backend(LAMBDA),
            &SECRET.replace("secretKey: b", "other: b"),
        ]));
        assert!(accepted(&r).2.contains("secret_key is not a valid string"));
        let url = LAMBDA.replace(
            "functionName: echo",
            "functionName: echo, endpointURL: 'http://localstack'",
        );
        let r = check(&docs(&[&backend(&url), SECRET]));
        assert!(accepted(&r).2.contains("failed to parse port"));
        let ec2 = "  aws: {ec2: {}}\n";
        let r = check(&backend(ec2));
        assert!(accepted(&r).2.contains("aws ec2 discovery is disabled"));
        let r = check_with(
            &backend(ec2),
            &Options {
                aws_ec2_discovery: true,
                ..Options::default()
            },
        );
        assert_eq!(accepted(&r).1, "Accepted");
        let r = check(&docs(&[&backend(
            "  static: {hosts: [{host: a.com, port: 0}]}\n  priorityGroups: []\n",
        )]));
        assert_eq!(with_code(&r, "backend-member-count").len(), 1);
    }

    #[test]
    fn field_rules() {
        for (spec, code) in [
            (
                "  type: AWS\n  static: {hosts: [{host: a.com, port: 80}]}\n",
                "backend-type-mismatch",
            ),
            (
                "  dynamicForwardProxy: {}\n  gcp: {host: a.com}\n",
                "backend-member-count",
            ),
            (
                "  aws: {lambda: {functionName: f}}\n",
                "aws-account-id-required",
            ),
            ("  aws: {accountId: '123456789012'}\n", "aws-member-count"),
            (
                "  aws: {accountId: '1234', lambda: {functionName: f}}\n",
                "invalid-value",
            ),
            (
                "  aws: {accountId: '123456789012', lambda: {functionName: 'f.g'}}\n",
                "invalid-value",
            ),
            (
                "  aws: {accountId: '123456789012', lambda: {functionName: f, qualifier: 'a b'}}\n",
                "invalid-value",
            ),
            (
                "  aws: {accountId: '123456789012', region: US, lambda: {functionName: f}}\n",
                "invalid-value",
            ),
            (
                "  aws: {accountId: '123456789012', lambda: {functionName: f}, auth: {type: Secret}}\n",
                "aws-auth-mismatch",
            ),
            (
                "  aws: {accountId: '123456789012', lambda: {functionName: f}, auth: {type: AssumeRole, assumeRole: {roleArn: nope}}}\n",
                "invalid-value",
            ),
            (
                "  aws: {ec2: {filters: [{key: a, keyValue: {key: a, value: b}}]}}\n",
                "aws-member-count",
            ),
            ("  static: {hosts: []}\n", "min-items"),
            (
                "  priorityGroups: [{backendRefs: [{name: ''}]}]\n",
                "invalid-value",
            ),
        ] {
            let r = check(&backend(spec));
            assert!(
                !with_code(&r, code).is_empty(),
                "{code}: {:#?}",
                r.diagnostics
            );
            assert_eq!(accepted(&r).1, "Invalid", "{code}");
        }
    }

    #[test]
    fn priority_groups_need_static_backends() {
        let other = "apiVersion: gateway.kgateway.dev/v1alpha1\nkind: Backend\nmetadata: {name: s, namespace: apps}\nspec: {dynamicForwardProxy: {}}\n";
        let r = check(&docs(&[
            &backend("  priorityGroups: [{backendRefs: [{name: s}]}]\n"),
            other,
        ]));
        let status = &r.backends[&kgw_api::ObjectKey::new("apps", "b")].conditions[0];
        assert!(
            status.message.contains("is not a static Backend"),
            "{status:?}"
        );
    }
}
