//! The kgateway docs examples (`shared/examples/kgateway-docs/`) that hold Backend,
//! BackendConfigPolicy or Secret documents, read at compile time from the shared folder that
//! sits beside the repository (as it does in CI), so the tests cannot drift from the source.

macro_rules! example {
    ($file:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/examples/kgateway-docs/",
            $file
        ))
    };
}

/// `static-http.yaml`.
pub(crate) const STATIC_HTTP: &str = example!("static-http.yaml");
/// `static-https-backendconfigpolicy.yaml`.
pub(crate) const STATIC_HTTPS_BACKENDCONFIGPOLICY: &str =
    example!("static-https-backendconfigpolicy.yaml");
/// `static-https-backendtlspolicy.yaml`.
pub(crate) const STATIC_HTTPS_BACKENDTLSPOLICY: &str =
    example!("static-https-backendtlspolicy.yaml");
/// `lambda-creds-secret.yaml`.
pub(crate) const LAMBDA_CREDS_SECRET: &str = example!("lambda-creds-secret.yaml");
/// `lambda-service-accounts-single-role.yaml`.
pub(crate) const LAMBDA_SERVICE_ACCOUNTS_SINGLE_ROLE: &str =
    example!("lambda-service-accounts-single-role.yaml");
/// `lambda-service-accounts-role-chaining.yaml`.
pub(crate) const LAMBDA_SERVICE_ACCOUNTS_ROLE_CHAINING: &str =
    example!("lambda-service-accounts-role-chaining.yaml");

/// Every example used here, by file name.
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

/// Every shared example holding a kind typed in this module is among those above.
#[test]
fn every_relevant_shared_example_is_used() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/examples/kgateway-docs");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let typed_here = ["Backend", "BackendConfigPolicy", "Secret"]
            .iter()
            .any(|k| text.lines().any(|l| l.trim_end() == format!("kind: {k}")));
        assert!(
            !typed_here || ALL.iter().any(|(f, _)| *f == name),
            "{name} is not used"
        );
    }
}
