//! `appProtocol` → the protocol spoken upstream (kgateway's `ir.ParseAppProtocol`).

use kgw_api::kgateway::StaticAppProtocol;
use serde::Serialize;

/// How the gateway talks to a backend.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UpstreamProtocol {
    /// HTTP/1.1 (no or an unknown `appProtocol`).
    #[default]
    Http1,
    /// HTTP/2 (`http2`, `grpc`, `grpc-web`). kgateway speaks it in cleartext with prior
    /// knowledge unless a TLS policy targets the backend.
    H2,
    /// Cleartext HTTP/2 (`kubernetes.io/h2c`).
    H2c,
    /// HTTP/1.1 with WebSocket upgrades allowed (`kubernetes.io/ws`).
    Websocket,
}

impl UpstreamProtocol {
    /// The protocol for an `appProtocol` string (Service ports and static Backends), compared
    /// case-insensitively; unknown values mean HTTP/1.1, as in kgateway.
    pub fn from_app_protocol(app_protocol: Option<&str>) -> Self {
        let Some(value) = app_protocol else {
            return Self::Http1;
        };
        match value.to_ascii_lowercase().as_str() {
            "http2" | "grpc" | "grpc-web" => Self::H2,
            "kubernetes.io/h2c" => Self::H2c,
            "kubernetes.io/ws" => Self::Websocket,
            _ => Self::Http1,
        }
    }

    /// The protocol of a static Backend's `appProtocol`.
    pub fn of_static(app_protocol: Option<StaticAppProtocol>) -> Self {
        Self::from_app_protocol(app_protocol.map(StaticAppProtocol::as_str))
    }

    /// `http1`, `h2`, `h2c` or `websocket`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Http1 => "http1",
            Self::H2 => "h2",
            Self::H2c => "h2c",
            Self::Websocket => "websocket",
        }
    }

    /// Whether requests go upstream over HTTP/2.
    pub const fn is_http2(self) -> bool {
        matches!(self, Self::H2 | Self::H2c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping() {
        let cases = [
            (None, UpstreamProtocol::Http1),
            (Some("http2"), UpstreamProtocol::H2),
            (Some("GRPC"), UpstreamProtocol::H2),
            (Some("grpc-web"), UpstreamProtocol::H2),
            (Some("kubernetes.io/h2c"), UpstreamProtocol::H2c),
            (Some("kubernetes.io/ws"), UpstreamProtocol::Websocket),
            (Some("http"), UpstreamProtocol::Http1),
            (Some("something-else"), UpstreamProtocol::Http1),
        ];
        for (input, want) in cases {
            assert_eq!(
                UpstreamProtocol::from_app_protocol(input),
                want,
                "{input:?}"
            );
        }
        assert_eq!(
            UpstreamProtocol::of_static(Some(StaticAppProtocol::KubernetesWs)),
            UpstreamProtocol::Websocket
        );
        assert_eq!(
            UpstreamProtocol::of_static(Some(StaticAppProtocol::GrpcWeb)),
            UpstreamProtocol::H2
        );
        assert!(UpstreamProtocol::H2c.is_http2());
        assert!(!UpstreamProtocol::Websocket.is_http2());
        assert_eq!(UpstreamProtocol::H2c.as_str(), "h2c");
        assert_eq!(
            serde_json::to_value(UpstreamProtocol::Websocket).unwrap(),
            "websocket"
        );
    }
}
