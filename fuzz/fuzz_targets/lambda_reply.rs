//! Lambda reply decoding (Envoy's payload transform) on arbitrary replies: never panics; a
//! malformed reply is a 500 with an empty body; `content-length` is the body's; and what
//! `reply_json` writes unwraps to the same status, headers and body.
#![no_main]

use arbitrary::Arbitrary;
use http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use kgw_rewrite::backend::lambda_payload::{reply_json, unwrap_response};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    lambda_status: u16,
    lambda_headers: Vec<(String, String)>,
    function_error: bool,
    body: Vec<u8>,
    reply_status: u16,
    reply_headers: Vec<(String, String)>,
    reply_body: Vec<u8>,
}

/// Valid header pairs only, values in visible ASCII (what a JSON reply can carry unchanged).
fn header_map(pairs: &[(String, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs.iter().take(8) {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            continue;
        };
        if name == CONTENT_LENGTH || name == TRANSFER_ENCODING {
            continue;
        }
        map.append(name, value);
    }
    map
}

fn check_length(headers: &HeaderMap, body: &[u8]) {
    let lengths: Vec<_> = headers.get_all(CONTENT_LENGTH).iter().collect();
    assert_eq!(lengths.len(), 1, "{headers:?}");
    assert_eq!(
        lengths[0].to_str().ok(),
        Some(body.len().to_string().as_str())
    );
}

fuzz_target!(|input: Input| {
    // Arbitrary replies.
    if let Ok(status) = StatusCode::from_u16(input.lambda_status) {
        let mut headers = header_map(&input.lambda_headers);
        if input.function_error {
            headers.insert(
                "x-amz-function-error",
                HeaderValue::from_static("Unhandled"),
            );
        }
        let out = unwrap_response(status, &headers, &input.body);
        let transformed = status.as_u16() < 300 && !input.function_error && !input.body.is_empty();
        if transformed {
            check_length(&out.headers, &out.body);
            if out.error.is_some() {
                assert_eq!(out.status, StatusCode::INTERNAL_SERVER_ERROR);
                assert!(out.body.is_empty());
            }
        } else {
            assert_eq!(
                (out.status, &out.body),
                (status, &input.body),
                "passthrough changed"
            );
            assert!(out.error.is_none());
        }
    }

    // reply_json is unwrap_response's inverse.
    let Ok(status) = StatusCode::from_u16(input.reply_status) else {
        return;
    };
    let headers = header_map(&input.reply_headers);
    let json = reply_json(status, &headers, &input.reply_body);
    let out = unwrap_response(StatusCode::OK, &HeaderMap::new(), &json);
    assert_eq!(
        out.error, None,
        "reply_json wrote a reply that does not unwrap"
    );
    assert_eq!(out.status, status);
    assert_eq!(out.body, input.reply_body);
    check_length(&out.headers, &out.body);
    for name in headers.keys() {
        let want: Vec<_> = headers.get_all(name).iter().collect();
        let got: Vec<_> = out.headers.get_all(name).iter().collect();
        assert_eq!(got, want, "header {name}");
    }
});
