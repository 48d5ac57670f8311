//! Why a request could not be forwarded, and the status the client gets for it.

use http::{Response, StatusCode, header};

use crate::body::{self, ProxyBody};

/// A reason the proxy answers on its own instead of relaying an upstream response.
///
/// The statuses follow the fault contract: the upstream refused or could not be reached
/// → 503; it reset the connection or spoke malformed HTTP → 502; it did not answer within the
/// rule's timeout → 504; the routing table holds no usable backend → 500.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Fault {
    /// Connecting failed: refused, unreachable, name not resolved, TLS handshake failed.
    #[error("upstream connect failed: {0}")]
    ConnectFailed(String),
    /// The upstream reset the connection or sent something that is not HTTP.
    #[error("upstream protocol error: {0}")]
    BadUpstream(String),
    /// No response head within the rule's timeout.
    #[error("upstream timed out")]
    Timeout,
    /// The chosen backend cannot be used (unresolved reference, invalid Backend, no endpoints).
    #[error("backend unavailable: {0}")]
    Unresolved(String),
    /// The request body exceeded the configured limit.
    #[error("request body too large")]
    BodyTooLarge,
    /// The request body could not be read from the client.
    #[error("request body read failed: {0}")]
    ClientBody(String),
}

impl Fault {
    /// The status the client receives.
    pub fn status(&self) -> StatusCode {
        match self {
            Fault::ConnectFailed(_) => StatusCode::SERVICE_UNAVAILABLE,
            Fault::BadUpstream(_) => StatusCode::BAD_GATEWAY,
            Fault::Timeout => StatusCode::GATEWAY_TIMEOUT,
            Fault::Unresolved(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Fault::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Fault::ClientBody(_) => StatusCode::BAD_REQUEST,
        }
    }

    /// A plain-text response for this fault. The text is the status reason only: upstream
    /// details go to the logs, not to clients.
    pub fn into_response(self) -> Response<ProxyBody> {
        status_response(self.status())
    }
}

/// A response with `status` and its canonical reason as a plain-text body.
pub fn status_response(status: StatusCode) -> Response<ProxyBody> {
    let text = status.canonical_reason().unwrap_or("error");
    let mut response = Response::new(body::full(format!("{text}\n")));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// Classifies an error of the pooled client.
pub(crate) fn classify_client_error(error: &hyper_util::client::legacy::Error) -> Fault {
    if error.is_connect() {
        return Fault::ConnectFailed(error_chain(error));
    }
    classify_send_error(error)
}

/// Classifies an error of an exchange on an established connection: the request body failed
/// (413 over the limit, 400 when the client's body broke off) or the upstream did (502).
pub(crate) fn classify_send_error(error: &(dyn std::error::Error + 'static)) -> Fault {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if current.is::<http_body_util::LengthLimitError>() {
            return Fault::BodyTooLarge;
        }
        if let Some(hyper_error) = current.downcast_ref::<hyper::Error>()
            && hyper_error.is_user()
            && hyper_error.is_body_write_aborted()
        {
            return Fault::ClientBody(error_chain(error));
        }
        source = current.source();
    }
    Fault::BadUpstream(error_chain(error))
}

/// `error: cause: cause…` on one line, for logs.
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_fault_contract() {
        assert_eq!(Fault::ConnectFailed(String::new()).status(), 503);
        assert_eq!(Fault::BadUpstream(String::new()).status(), 502);
        assert_eq!(Fault::Timeout.status(), 504);
        assert_eq!(Fault::Unresolved(String::new()).status(), 500);
        assert_eq!(Fault::BodyTooLarge.status(), 413);
    }

    #[test]
    fn responses_carry_the_reason_not_the_detail() {
        let response = Fault::ConnectFailed("10.0.0.1 refused".into()).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/plain; charset=utf-8"
        );
    }
}
