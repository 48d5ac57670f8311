//! kgateway Backend field rules (spec: kgateway-backend §1): exactly one member, `type`
//! consistency, AWS/Lambda patterns, auth union, static hosts, priority groups.

use kgw_api::kgateway::backend::{AwsAuthType, AwsBackend, Backend, BackendType};

use super::{invalid, length, max_items, min_items};
use crate::diag::{Path, Sink};

const MEMBERS: [BackendType; 5] = [
    BackendType::Aws,
    BackendType::Static,
    BackendType::DynamicForwardProxy,
    BackendType::Gcp,
    BackendType::PriorityGroups,
];

/// Checks one Backend as loaded; returns the CEL/OpenAPI messages that make the API server reject it.
pub(crate) fn check(backend: &Backend, sink: &mut Sink<'_>) -> Vec<String> {
    let mark = sink.mark();
    let spec = &backend.spec;
    if let Some(t) = spec.type_
        && !spec.members().any(|m| m == t)
    {
        sink.error(
            "backend-type-mismatch",
            "spec.type",
            format!(
                "{} backend must be specified when type is '{t}'",
                t.field_name()
            ),
        );
    }
    let count = spec.members().count();
    if count != 1 {
        let names: Vec<&str> = MEMBERS.iter().map(|m| m.field_name()).collect();
        sink.error(
            "backend-member-count",
            "spec",
            format!(
                "exactly one of the fields in [{}] must be set (this Backend sets {count})",
                names.join(" ")
            ),
        );
    }
    if let Some(aws) = &spec.aws {
        check_aws(aws, sink);
    }
    if let Some(s) = &spec.static_ {
        min_items(sink, "spec.static.hosts", s.hosts.len(), 1);
        let hosts = Path::Root("spec.static.hosts");
        for (i, h) in s.hosts.iter().enumerate() {
            length(sink, hosts.index(i).field("host"), &h.host, 1, usize::MAX);
        }
    }
    if let Some(g) = &spec.gcp {
        length(sink, "spec.gcp.host", &g.host, 1, usize::MAX);
        if let Some(a) = &g.audience {
            length(sink, "spec.gcp.audience", a, 1, usize::MAX);
        }
    }
    if let Some(groups) = &spec.priority_groups {
        min_items(sink, "spec.priorityGroups", groups.len(), 1);
        max_items(sink, "spec.priorityGroups", groups.len(), 16);
        for (i, g) in groups.iter().enumerate() {
            let f = format!("spec.priorityGroups[{i}].backendRefs");
            min_items(sink, &f, g.backend_refs.len(), 1);
            max_items(sink, &f, g.backend_refs.len(), 16);
            for (j, r) in g.backend_refs.iter().enumerate() {
                if r.name().is_empty() {
                    sink.error(
                        "invalid-value",
                        format!("{f}[{j}].name"),
                        "backend reference name must not be empty",
                    );
                }
            }
        }
    }
    sink.errors_since(mark)
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn name_chars(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn check_aws(aws: &AwsBackend, sink: &mut Sink<'_>) {
    let account = |sink: &mut Sink<'_>, f: &str, v: &str| {
        if !(v.len() == 12 && all_digits(v)) {
            invalid(sink, f, v, "an AWS account id is exactly 12 digits");
        }
    };
    if let Some(a) = &aws.account_id {
        account(sink, "spec.aws.accountId", a);
    }
    if let Some(r) = &aws.region
        && (!(1..=63).contains(&r.len())
            || !r
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
    {
        invalid(
            sink,
            "spec.aws.region",
            r,
            "a region is 1 to 63 lowercase letters, digits and '-' (e.g. us-east-1)",
        );
    }
    if aws.lambda.is_some() == aws.ec2.is_some() {
        sink.error(
            "aws-member-count",
            "spec.aws",
            "exactly one of the fields in [lambda ec2] must be set",
        );
    }
    if let Some(l) = &aws.lambda {
        if aws.account_id.is_none() && l.account_id.is_none() {
            sink.error(
                "aws-account-id-required",
                "spec.aws",
                "accountId must be specified on aws or aws.lambda for lambda backends",
            );
        }
        if let Some(a) = &l.account_id {
            account(sink, "spec.aws.lambda.accountId", a);
        }
        if !((1..=140).contains(&l.function_name.len()) && name_chars(&l.function_name)) {
            invalid(
                sink,
                "spec.aws.lambda.functionName",
                &l.function_name,
                "a function name is 1 to 140 letters, digits, '-' and '_' (pattern ^[A-Za-z0-9-_]{1,140}$)",
            );
        }
        if let Some(q) = &l.qualifier {
            let ok =
                q == "$LATEST" || all_digits(q) || ((1..=128).contains(&q.len()) && name_chars(q));
            if !ok {
                invalid(
                    sink,
                    "spec.aws.lambda.qualifier",
                    q,
                    "a qualifier is $LATEST, a version number or an alias of 1 to 128 letters, digits, '-' and '_'",
                );
            }
        }
        if let Some(u) = &l.endpoint_url {
            let body = u
                .strip_prefix("https://")
                .or_else(|| u.strip_prefix("http://"));
            let ok = u.len() <= 2048
                && body.is_some_and(|b| {
                    !b.is_empty()
                        && b.bytes()
                            .all(|c| c.is_ascii_alphanumeric() || b"-@:%.+~#?&/=".contains(&c))
                });
            if !ok {
                invalid(
                    sink,
                    "spec.aws.lambda.endpointURL",
                    u,
                    "an endpoint URL is http:// or https:// followed by a host, a port and an optional path",
                );
            }
        }
    }
    if let Some(e) = &aws.ec2 {
        let filters = e.filters.as_deref().unwrap_or_default();
        max_items(sink, "spec.aws.ec2.filters", filters.len(), 16);
        for (i, flt) in filters.iter().enumerate() {
            let f = format!("spec.aws.ec2.filters[{i}]");
            if flt.key.is_some() == flt.key_value.is_some() {
                sink.error(
                    "aws-member-count",
                    f.clone(),
                    "exactly one of the fields in [key keyValue] must be set",
                );
            }
            if let Some(k) = &flt.key {
                length(sink, &format!("{f}.key"), k, 1, 128);
            }
            if let Some(kv) = &flt.key_value {
                length(sink, &format!("{f}.keyValue.key"), &kv.key, 1, 128);
                length(sink, &format!("{f}.keyValue.value"), &kv.value, 1, 256);
            }
        }
    }
    if let Some(auth) = &aws.auth {
        let pairs = [
            (
                "secretRef",
                AwsAuthType::Secret,
                "Secret",
                auth.secret_ref.is_some(),
            ),
            (
                "assumeRole",
                AwsAuthType::AssumeRole,
                "AssumeRole",
                auth.assume_role.is_some(),
            ),
        ];
        for (field, t, name, set) in pairs {
            if set && auth.type_ != t {
                sink.error(
                    "aws-auth-mismatch",
                    format!("spec.aws.auth.{field}"),
                    format!("{field} must be nil if the type is not '{name}'"),
                );
            } else if !set && auth.type_ == t {
                sink.error(
                    "aws-auth-mismatch",
                    "spec.aws.auth.type",
                    format!("{field} must be specified when type is '{name}'"),
                );
            }
        }
        if let Some(role) = &auth.assume_role
            && !role_arn_ok(&role.role_arn)
        {
            invalid(
                sink,
                "spec.aws.auth.assumeRole.roleArn",
                &role.role_arn,
                "a role ARN looks like arn:aws:iam::123456789012:role/NAME",
            );
        }
    }
}

/// `^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$`, at most 2048 characters.
fn role_arn_ok(arn: &str) -> bool {
    let Some(rest) = arn.strip_prefix("arn:aws") else {
        return false;
    };
    let partition_len = rest
        .bytes()
        .take_while(|b| b.is_ascii_lowercase() || *b == b'-')
        .count();
    let Some(rest) = rest[partition_len..].strip_prefix(":iam::") else {
        return false;
    };
    let (account, rest) = rest.split_at(rest.len().min(12));
    arn.len() <= 2048
        && account.len() == 12
        && all_digits(account)
        && rest.strip_prefix(":role/").is_some_and(|r| !r.is_empty())
}

#[cfg(test)]
mod tests {
    use super::role_arn_ok;

    #[test]
    fn role_arns() {
        assert!(role_arn_ok("arn:aws:iam::123456789012:role/x"));
        assert!(role_arn_ok("arn:aws-cn:iam::123456789012:role/x/y"));
        assert!(!role_arn_ok("arn:aws:iam::12345678901:role/x"));
        assert!(!role_arn_ok("arn:aws:iam::123456789012:role/"));
        assert!(!role_arn_ok("arn:aws:s3::123456789012:role/x"));
    }
}
