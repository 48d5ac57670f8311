//! Condition types and reasons of Gateway API status, with their exact strings (spec digest
//! section 5, the CRD descriptions and the upstream Go constants).
//!
//! [`crate::meta::Condition`] keeps `type` and `reason` as strings because controllers may
//! write implementation-specific ones; these enums are the vocabulary kgw itself writes and
//! compares against.

str_enum! {
    /// Condition types of a route's `status.parents[].conditions`.
    pub enum RouteConditionType {
        /// The route is accepted by the parent.
        Accepted = "Accepted",
        /// Every reference of the route (backends, mirrors) is resolved and permitted.
        ResolvedRefs = "ResolvedRefs",
        /// Some rules are invalid and were dropped (or an older version is still served).
        PartiallyInvalid = "PartiallyInvalid",
    }
}

str_enum! {
    /// Reasons of route conditions.
    pub enum RouteConditionReason {
        /// `Accepted=True`: at least one rule is implemented by the parent.
        Accepted = "Accepted",
        /// `Accepted=False`: the listeners' `allowedRoutes` (namespaces or kinds) reject it.
        NotAllowedByListeners = "NotAllowedByListeners",
        /// `Accepted=False`: no hostname intersects with a listener's.
        NoMatchingListenerHostname = "NoMatchingListenerHostname",
        /// `Accepted=False`: `sectionName` or `port` names no listener.
        NoMatchingParent = "NoMatchingParent",
        /// `Accepted=False` or `PartiallyInvalid=True`: an unsupported enum value.
        UnsupportedValue = "UnsupportedValue",
        /// `Accepted=Unknown`: not yet reconciled.
        Pending = "Pending",
        /// `Accepted=False`: a combination of filters the implementation cannot do.
        IncompatibleFilters = "IncompatibleFilters",
        /// `ResolvedRefs=True`.
        ResolvedRefs = "ResolvedRefs",
        /// `ResolvedRefs=False`: a cross-namespace reference without a ReferenceGrant.
        RefNotPermitted = "RefNotPermitted",
        /// `ResolvedRefs=False`: a reference to an unknown or unsupported kind.
        InvalidKind = "InvalidKind",
        /// `ResolvedRefs=False`: the referenced backend (or its port) does not exist.
        BackendNotFound = "BackendNotFound",
        /// `ResolvedRefs=False`: the backend's app protocol is not supported.
        UnsupportedProtocol = "UnsupportedProtocol",
    }
}

str_enum! {
    /// Condition types of a Gateway's `status.conditions`.
    pub enum GatewayConditionType {
        /// The Gateway is valid and accepted by the controller.
        Accepted = "Accepted",
        /// The Gateway's configuration is sent to the data plane.
        Programmed = "Programmed",
        /// Gateway-level references (the backend client certificate) are resolved.
        ResolvedRefs = "ResolvedRefs",
        /// Frontend TLS validation is configured with `AllowInsecureFallback`.
        InsecureFrontendValidationMode = "InsecureFrontendValidationMode",
        /// Deprecated predecessor of `Accepted`.
        Scheduled = "Scheduled",
        /// Reserved for future use.
        Ready = "Ready",
    }
}

str_enum! {
    /// Reasons of Gateway conditions.
    pub enum GatewayConditionReason {
        /// `Accepted=True`.
        Accepted = "Accepted",
        /// `Accepted=True` or `False`: some (or all) listeners are invalid.
        ListenersNotValid = "ListenersNotValid",
        /// `Accepted=False` or `Programmed=False`: the Gateway is invalid.
        Invalid = "Invalid",
        /// `Accepted=False`: the GatewayClass or infrastructure parameters are invalid.
        InvalidParameters = "InvalidParameters",
        /// Deprecated: not reconciled yet.
        NotReconciled = "NotReconciled",
        /// `Accepted=False`: a requested address type is not supported.
        UnsupportedAddress = "UnsupportedAddress",
        /// `Unknown`: not yet reconciled, or `Programmed=False` while waiting.
        Pending = "Pending",
        /// `Programmed=True`.
        Programmed = "Programmed",
        /// `Programmed=False`: not enough resources to run the Gateway.
        NoResources = "NoResources",
        /// `Programmed=False`: no address could be assigned.
        AddressNotAssigned = "AddressNotAssigned",
        /// `Programmed=False`: a requested address cannot be used.
        AddressNotUsable = "AddressNotUsable",
        /// `ResolvedRefs=True`.
        ResolvedRefs = "ResolvedRefs",
        /// `ResolvedRefs=False`: a cross-namespace reference without a ReferenceGrant.
        RefNotPermitted = "RefNotPermitted",
        /// `ResolvedRefs=False`: the backend client certificate cannot be used.
        InvalidClientCertificateRef = "InvalidClientCertificateRef",
        /// `ResolvedRefs=False`: some listener references are unresolved.
        ListenersNotResolved = "ListenersNotResolved",
        /// `InsecureFrontendValidationMode=True`.
        ConfigurationChanged = "ConfigurationChanged",
        /// Deprecated `Scheduled=True`.
        Scheduled = "Scheduled",
        /// Reserved `Ready=True`.
        Ready = "Ready",
        /// Reserved `Ready=False`: listeners are not ready.
        ListenersNotReady = "ListenersNotReady",
    }
}

str_enum! {
    /// Condition types of a Gateway's `status.listeners[].conditions`.
    pub enum ListenerConditionType {
        /// The listener conflicts with another on hostname or protocol.
        Conflicted = "Conflicted",
        /// The listener is valid and accepted.
        Accepted = "Accepted",
        /// The listener's references (certificates, route kinds) are resolved.
        ResolvedRefs = "ResolvedRefs",
        /// The listener is sent to the data plane.
        Programmed = "Programmed",
        /// The listener's TLS configuration overlaps another's.
        OverlappingTlsConfig = "OverlappingTLSConfig",
        /// Deprecated predecessor of `Programmed`.
        Ready = "Ready",
    }
}

str_enum! {
    /// Reasons of listener conditions.
    pub enum ListenerConditionReason {
        /// `Conflicted=True`: same port and hostname as another listener.
        HostnameConflict = "HostnameConflict",
        /// `Conflicted=True`: same port, different protocol.
        ProtocolConflict = "ProtocolConflict",
        /// `Conflicted=False`.
        NoConflicts = "NoConflicts",
        /// `Accepted=True`.
        Accepted = "Accepted",
        /// `Accepted=False`: the port cannot be used.
        PortUnavailable = "PortUnavailable",
        /// `Accepted=False`: the protocol is not supported.
        UnsupportedProtocol = "UnsupportedProtocol",
        /// `Accepted=False`: no frontend CA certificate is usable.
        NoValidCaCertificate = "NoValidCACertificate",
        /// `Accepted=False`: an unsupported field value.
        UnsupportedValue = "UnsupportedValue",
        /// `Unknown`: not yet reconciled, or `Programmed=False` while waiting.
        Pending = "Pending",
        /// `ResolvedRefs=True`.
        ResolvedRefs = "ResolvedRefs",
        /// `ResolvedRefs=False`: a certificate reference is invalid or missing.
        InvalidCertificateRef = "InvalidCertificateRef",
        /// `ResolvedRefs=False`: an `allowedRoutes.kinds` entry is unsupported.
        InvalidRouteKinds = "InvalidRouteKinds",
        /// `ResolvedRefs=False`: a cross-namespace reference without a ReferenceGrant.
        RefNotPermitted = "RefNotPermitted",
        /// `ResolvedRefs=False`: a frontend CA certificate reference is invalid.
        InvalidCaCertificateRef = "InvalidCACertificateRef",
        /// `ResolvedRefs=False`: a frontend CA certificate reference has an unsupported kind.
        InvalidCaCertificateKind = "InvalidCACertificateKind",
        /// `Programmed=True`.
        Programmed = "Programmed",
        /// `Programmed=False`: the listener is invalid.
        Invalid = "Invalid",
        /// `OverlappingTLSConfig=True`: hostnames overlap with another listener's.
        OverlappingHostnames = "OverlappingHostnames",
        /// `OverlappingTLSConfig=True`: certificates overlap with another listener's.
        OverlappingCertificates = "OverlappingCertificates",
        /// Deprecated `Ready=True`.
        Ready = "Ready",
    }
}

str_enum! {
    /// Condition types of a GatewayClass's `status.conditions`.
    pub enum GatewayClassConditionType {
        /// The controller accepts the class.
        Accepted = "Accepted",
        /// The installed CRD versions are supported by the controller.
        SupportedVersion = "SupportedVersion",
    }
}

str_enum! {
    /// Reasons of GatewayClass conditions.
    pub enum GatewayClassConditionReason {
        /// `Accepted=True`.
        Accepted = "Accepted",
        /// `Accepted=False`: `parametersRef` is invalid.
        InvalidParameters = "InvalidParameters",
        /// `Accepted=Unknown`: not yet reconciled.
        Pending = "Pending",
        /// `Accepted=False`: the class is not supported.
        Unsupported = "Unsupported",
        /// `Accepted=False` or `SupportedVersion=False`: unsupported CRD versions.
        UnsupportedVersion = "UnsupportedVersion",
        /// `SupportedVersion=True`.
        SupportedVersion = "SupportedVersion",
    }
}

str_enum! {
    /// Condition types of a policy's `status.ancestors[].conditions` (BackendTLSPolicy).
    pub enum PolicyConditionType {
        /// The policy is accepted for the ancestor.
        Accepted = "Accepted",
        /// The policy's references (CA certificates) are resolved.
        ResolvedRefs = "ResolvedRefs",
    }
}

str_enum! {
    /// Reasons of policy conditions.
    pub enum PolicyConditionReason {
        /// `Accepted=True`.
        Accepted = "Accepted",
        /// `Accepted=False`: another policy targets the same object and wins.
        Conflicted = "Conflicted",
        /// `Accepted=False`: the policy is invalid.
        Invalid = "Invalid",
        /// `Accepted=False`: the target does not exist.
        TargetNotFound = "TargetNotFound",
        /// `Accepted=Unknown`: not yet reconciled.
        Pending = "Pending",
        /// `Accepted=False`: every CA certificate reference is invalid.
        NoValidCaCertificate = "NoValidCACertificate",
        /// `ResolvedRefs=True`.
        ResolvedRefs = "ResolvedRefs",
        /// `ResolvedRefs=False`: a CA certificate reference is invalid or missing.
        InvalidCaCertificateRef = "InvalidCACertificateRef",
        /// `ResolvedRefs=False`: a CA certificate reference has an unsupported kind.
        InvalidKind = "InvalidKind",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check<T>(all: &[T])
    where
        T: Copy + PartialEq + std::fmt::Debug + std::fmt::Display + serde::Serialize,
        T: serde::de::DeserializeOwned,
    {
        for v in all {
            let s = v.to_string();
            assert_eq!(
                serde_json::to_value(v).unwrap(),
                serde_json::Value::String(s.clone())
            );
            assert_eq!(
                serde_json::from_value::<T>(serde_json::Value::String(s)).unwrap(),
                *v
            );
        }
    }

    #[test]
    fn strings_round_trip() {
        check(RouteConditionType::ALL);
        check(RouteConditionReason::ALL);
        check(GatewayConditionType::ALL);
        check(GatewayConditionReason::ALL);
        check(ListenerConditionType::ALL);
        check(ListenerConditionReason::ALL);
        check(GatewayClassConditionType::ALL);
        check(GatewayClassConditionReason::ALL);
        check(PolicyConditionType::ALL);
        check(PolicyConditionReason::ALL);
    }

    #[test]
    fn acronyms_keep_api_spelling() {
        assert_eq!(
            ListenerConditionType::OverlappingTlsConfig.as_str(),
            "OverlappingTLSConfig"
        );
        assert_eq!(
            ListenerConditionReason::InvalidCaCertificateRef.as_str(),
            "InvalidCACertificateRef"
        );
        assert_eq!(
            RouteConditionReason::NoMatchingListenerHostname.to_string(),
            "NoMatchingListenerHostname"
        );
        assert!(serde_json::from_str::<RouteConditionReason>("\"accepted\"").is_err());
    }
}
