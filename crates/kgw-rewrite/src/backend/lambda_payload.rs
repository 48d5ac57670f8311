//! The payload transforms of Envoy's `aws_lambda` filter (`payloadTransformMode: Envoy`).
//!
//! Request: the HTTP request becomes
//! `{"raw_path", "method", "headers", "query_string_parameters", "body", "is_base64_encoded"}`:
//! `raw_path` is path and query; header names are lowercase, repeated headers comma-joined,
//! `host` left out (Envoy holds it as the `:authority` pseudo-header, which it drops); query
//! parameters are split on `&` and `=` without decoding, the first value of a repeated name
//! wins; the body is text for `application/json`, `application/javascript`,
//! `application/xml` and `text/*` content types (exact, case-insensitive, no parameters; and
//! only without a non-identity `transfer-encoding`), base64 otherwise. A "text" body that is not
//! UTF-8 is sent base64-encoded (Envoy would emit invalid JSON).
//!
//! Response (Sync, status below 300, no `x-amz-function-error`, non-empty body): the JSON reply
//! `{statusCode|status_code, headers, multiValueHeaders, cookies, body, isBase64Encoded|
//! is_base64_encoded}` is unwrapped; unknown fields are ignored, status 0 or absent keeps
//! Lambda's status, `content-type` defaults to `application/json`, `headers` replace Lambda's,
//! `multiValueHeaders` (API Gateway's shape, which Envoy ignores; kgw honours it) replace a name
//! with all its values, each cookie becomes a `set-cookie`. Anything malformed gives a 500 with
//! an empty body and the reason in [`LambdaResponse::error`].

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, SET_COOKIE, TRANSFER_ENCODING};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::validate_output;

/// The JSON document Envoy sends to the function.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LambdaRequestPayload {
    /// Path and query.
    pub raw_path: String,
    /// Method.
    pub method: String,
    /// Headers, lowercase names, repeated values comma-joined.
    pub headers: BTreeMap<String, String>,
    /// Query parameters, first value wins, not decoded.
    pub query_string_parameters: BTreeMap<String, String>,
    /// The body, as text or base64.
    pub body: String,
    /// Whether `body` is base64.
    pub is_base64_encoded: bool,
}

fn is_textual(headers: &HeaderMap) -> bool {
    if let Some(te) = headers.get(TRANSFER_ENCODING)
        && !te.as_bytes().eq_ignore_ascii_case(b"identity")
    {
        return false;
    }
    let Some(ct) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let ct = ct.to_ascii_lowercase();
    matches!(
        ct.as_str(),
        "application/json" | "application/javascript" | "application/xml"
    ) || ct.starts_with("text/")
}

fn query_parameters(query: Option<&str>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        out.entry(name.to_owned())
            .or_insert_with(|| value.to_owned());
    }
    out
}

/// The request payload for `parts` and `body`.
pub fn request_payload(parts: &Parts, body: &[u8]) -> LambdaRequestPayload {
    let mut headers = BTreeMap::<String, String>::new();
    for (name, value) in &parts.headers {
        if *name == HOST {
            continue;
        }
        let value = String::from_utf8_lossy(value.as_bytes());
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push(',');
                v.push_str(&value);
            })
            .or_insert_with(|| value.into_owned());
    }
    let (body, is_base64_encoded) = match std::str::from_utf8(body) {
        _ if body.is_empty() => (String::new(), false),
        Ok(text) if is_textual(&parts.headers) => (text.to_owned(), false),
        _ => (BASE64.encode(body), true),
    };
    LambdaRequestPayload {
        raw_path: parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned()),
        method: parts.method.to_string(),
        headers,
        query_string_parameters: query_parameters(parts.uri.query()),
        body,
        is_base64_encoded,
    }
}

/// The JSON body Envoy sends to the function for `parts` and `body`.
pub fn wrap_request(parts: &Parts, body: &[u8]) -> Vec<u8> {
    // Serialising a struct of strings, maps of strings and a bool cannot fail.
    serde_json::to_vec(&request_payload(parts, body)).unwrap_or_default()
}

/// Why a Lambda reply could not be unwrapped.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LambdaReplyError {
    /// The body is not a JSON object.
    #[error("lambda reply is not a JSON object: {0}")]
    NotAnObject(String),
    /// A field has the wrong type or value.
    #[error("lambda reply field {field}: {reason}")]
    BadField {
        /// The field.
        field: String,
        /// What is wrong.
        reason: String,
    },
}

/// The response the client gets.
#[derive(Clone, Debug, PartialEq)]
pub struct LambdaResponse {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Vec<u8>,
    /// Set when the reply was malformed (the status is then 500).
    pub error: Option<LambdaReplyError>,
}

impl LambdaResponse {
    /// Lambda's answer as it came.
    pub fn unchanged(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Self {
        Self {
            status,
            headers: headers.clone(),
            body: body.to_vec(),
            error: None,
        }
    }
}

fn bad(field: &str, reason: impl Into<String>) -> LambdaReplyError {
    LambdaReplyError::BadField {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

/// A field under its snake_case or camelCase name (protobuf JSON accepts both).
fn field<'a>(reply: &'a Map<String, Value>, snake: &str, camel: &str) -> Option<&'a Value> {
    reply
        .get(snake)
        .or_else(|| reply.get(camel))
        .filter(|v| !v.is_null())
}

fn status_of(
    reply: &Map<String, Value>,
    lambda_status: StatusCode,
) -> Result<StatusCode, LambdaReplyError> {
    let Some(value) = field(reply, "status_code", "statusCode") else {
        return Ok(lambda_status);
    };
    let code = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse::<u64>().ok(),
        _ => None,
    }
    .ok_or_else(|| bad("statusCode", "not a non-negative integer"))?;
    if code == 0 {
        return Ok(lambda_status);
    }
    u16::try_from(code)
        .ok()
        .and_then(|c| StatusCode::from_u16(c).ok())
        .ok_or_else(|| bad("statusCode", format!("{code} is not an HTTP status")))
}

fn string<'a>(value: &'a Value, field: &str) -> Result<&'a str, LambdaReplyError> {
    value.as_str().ok_or_else(|| bad(field, "not a string"))
}

fn object<'a>(value: &'a Value, field: &str) -> Result<&'a Map<String, Value>, LambdaReplyError> {
    value.as_object().ok_or_else(|| bad(field, "not an object"))
}

fn header_pair(
    name: &str,
    value: &str,
    field: &str,
) -> Result<(http::HeaderName, HeaderValue), LambdaReplyError> {
    Ok((
        validate_output::header_name(name).map_err(|e| bad(field, e.to_string()))?,
        validate_output::header_value(name, value).map_err(|e| bad(field, e.to_string()))?,
    ))
}

/// Applies the JSON reply to `headers` and returns status and body.
fn unwrap_reply(
    lambda_status: StatusCode,
    headers: &mut HeaderMap,
    body: &[u8],
) -> Result<(StatusCode, Vec<u8>), LambdaReplyError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| LambdaReplyError::NotAnObject(e.to_string()))?;
    let reply = value
        .as_object()
        .ok_or_else(|| LambdaReplyError::NotAnObject(format!("found {value}")))?;
    let status = status_of(reply, lambda_status)?;
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(h) = field(reply, "headers", "headers") {
        for (name, value) in object(h, "headers")? {
            if name.starts_with(':') {
                continue;
            }
            let (n, v) = header_pair(name, string(value, "headers")?, "headers")?;
            headers.insert(n, v);
        }
    }
    if let Some(h) = field(reply, "multi_value_headers", "multiValueHeaders") {
        for (name, values) in object(h, "multiValueHeaders")? {
            if name.starts_with(':') {
                continue;
            }
            let values = values
                .as_array()
                .ok_or_else(|| bad("multiValueHeaders", "not an array"))?;
            let mut pairs = Vec::with_capacity(values.len());
            for v in values {
                pairs.push(header_pair(
                    name,
                    string(v, "multiValueHeaders")?,
                    "multiValueHeaders",
                )?);
            }
            if let Some((first, _)) = pairs.first() {
                headers.remove(first);
            }
            for (n, v) in pairs {
                headers.append(n, v);
            }
        }
    }
    if let Some(c) = field(reply, "cookies", "cookies") {
        for cookie in c.as_array().ok_or_else(|| bad("cookies", "not an array"))? {
            let (_, v) = header_pair("set-cookie", string(cookie, "cookies")?, "cookies")?;
            headers.append(SET_COOKIE, v);
        }
    }
    let text = field(reply, "body", "body")
        .map(|b| string(b, "body"))
        .transpose()?;
    let base64 = match field(reply, "is_base64_encoded", "isBase64Encoded") {
        None => false,
        Some(b) => b
            .as_bool()
            .ok_or_else(|| bad("isBase64Encoded", "not a boolean"))?,
    };
    let body = match text {
        None => Vec::new(),
        Some(t) if base64 => BASE64
            .decode(t)
            .map_err(|e| bad("body", format!("invalid base64: {e}")))?,
        Some(t) => t.as_bytes().to_vec(),
    };
    Ok((status, body))
}

/// Unwraps a Sync Lambda answer (status, headers, body) as Envoy does. Errors from Lambda
/// (status ≥ 300 or `x-amz-function-error`) and empty bodies pass through unchanged.
pub fn unwrap_response(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> LambdaResponse {
    if status.as_u16() >= 300 || headers.contains_key("x-amz-function-error") || body.is_empty() {
        return LambdaResponse::unchanged(status, headers, body);
    }
    let mut out_headers = headers.clone();
    out_headers.remove(CONTENT_LENGTH);
    out_headers.remove(TRANSFER_ENCODING);
    let (status, body, error) = match unwrap_reply(status, &mut out_headers, body) {
        Ok((status, body)) => (status, body, None),
        Err(e) => {
            // Envoy keeps Lambda's headers but not anything half-applied from the reply.
            out_headers = headers.clone();
            out_headers.remove(CONTENT_LENGTH);
            out_headers.remove(TRANSFER_ENCODING);
            (StatusCode::INTERNAL_SERVER_ERROR, Vec::new(), Some(e))
        }
    };
    out_headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    LambdaResponse {
        status,
        headers: out_headers,
        body,
        error,
    }
}

/// The JSON a function returns to produce `status`, `headers` and `body` through
/// [`unwrap_response`]: the inverse of the response transform, for mock functions and tests.
/// Repeated headers become `multiValueHeaders`; a non-UTF-8 body is base64-encoded.
pub fn reply_json(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Vec<u8> {
    let mut single = Map::new();
    let mut multi = Map::new();
    for name in headers.keys() {
        let values: Vec<Value> = headers
            .get_all(name)
            .iter()
            .map(|v| Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        if let [one] = &values[..] {
            single.insert(name.as_str().to_owned(), one.clone());
        } else {
            multi.insert(name.as_str().to_owned(), Value::Array(values));
        }
    }
    let (body, is_base64) = match std::str::from_utf8(body) {
        Ok(text) => (text.to_owned(), false),
        Err(_) => (BASE64.encode(body), true),
    };
    let reply = serde_json::json!({
        "statusCode": status.as_u16(),
        "headers": single,
        "multiValueHeaders": multi,
        "body": body,
        "isBase64Encoded": is_base64,
    });
    reply.to_string().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::tests::parts;

    #[test]
    fn request_payload_follows_envoy() {
        let p = parts(
            "POST",
            "/path/x?a=1&b=%20two&a=2&flag",
            &[
                ("host", "www.example.com"),
                ("X-Multi", "1"),
                ("x-multi", "2"),
                ("content-type", "application/json"),
            ],
        );
        let payload = request_payload(&p, br#"{"k":"v"}"#);
        assert_eq!(payload.raw_path, "/path/x?a=1&b=%20two&a=2&flag");
        assert_eq!(payload.method, "POST");
        assert_eq!(
            payload.headers.get("x-multi").map(String::as_str),
            Some("1,2")
        );
        assert!(!payload.headers.contains_key("host"));
        let q = &payload.query_string_parameters;
        assert_eq!(
            (q["a"].as_str(), q["b"].as_str(), q["flag"].as_str()),
            ("1", "%20two", "")
        );
        assert_eq!(
            (payload.body.as_str(), payload.is_base64_encoded),
            (r#"{"k":"v"}"#, false)
        );
        // Exactly the six fields, snake_case.
        let json: Value = serde_json::from_slice(&wrap_request(&p, b"")).unwrap();
        let mut keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "body",
                "headers",
                "is_base64_encoded",
                "method",
                "query_string_parameters",
                "raw_path"
            ]
        );
        assert_eq!(
            (json["body"].as_str(), json["is_base64_encoded"].as_bool()),
            (Some(""), Some(false))
        );
    }

    #[test]
    fn textual_content_types() {
        let cases = [
            (Some("application/json"), None, false),
            (Some("Application/XML"), None, false),
            (Some("application/javascript"), None, false),
            (Some("text/plain; charset=utf-8"), None, false),
            (Some("application/json; charset=utf-8"), None, true),
            (Some("application/octet-stream"), None, true),
            (None, None, true),
            (Some("text/plain"), Some("chunked"), true),
            (Some("text/plain"), Some("identity"), false),
        ];
        for (ct, te, base64) in cases {
            let mut h = vec![];
            if let Some(ct) = ct {
                h.push(("content-type", ct));
            }
            if let Some(te) = te {
                h.push(("transfer-encoding", te));
            }
            let payload = request_payload(&parts("POST", "/", &h), b"hello");
            assert_eq!(payload.is_base64_encoded, base64, "{ct:?} {te:?}");
            assert_eq!(payload.body, if base64 { "aGVsbG8=" } else { "hello" });
        }
        // Text that is not UTF-8 goes base64.
        let p = parts("POST", "/", &[("content-type", "text/plain")]);
        assert!(request_payload(&p, &[0xff, 0xfe]).is_base64_encoded);
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (n, v) in pairs {
            m.append(
                http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        m
    }

    #[test]
    fn unwraps_every_field() {
        let lambda_headers = headers(&[
            ("x-amzn-requestid", "r1"),
            ("content-length", "999"),
            ("content-type", "text/plain"),
        ]);
        let reply = br#"{"statusCode": 201, "headers": {"X-One": "1", ":bad": "x"},
            "multiValueHeaders": {"x-many": ["a", "b"]}, "cookies": ["a=1", "b=2; Path=/"],
            "body": "aGk=", "isBase64Encoded": true, "extra": {"ignored": true}}"#;
        let r = unwrap_response(StatusCode::OK, &lambda_headers, reply);
        assert_eq!(r.error, None);
        assert_eq!(r.status, StatusCode::CREATED);
        assert_eq!(r.body, b"hi");
        let h = &r.headers;
        assert_eq!(h["x-amzn-requestid"], "r1");
        assert_eq!(h["x-one"], "1");
        assert_eq!(h["content-type"], "application/json");
        assert_eq!(h["content-length"], "2");
        let many: Vec<_> = h.get_all("x-many").iter().collect();
        assert_eq!(many, ["a", "b"]);
        let cookies: Vec<_> = h.get_all("set-cookie").iter().collect();
        assert_eq!(cookies, ["a=1", "b=2; Path=/"]);
    }

    #[test]
    fn snake_case_fields_and_defaults() {
        let r = unwrap_response(
            StatusCode::OK,
            &HeaderMap::new(),
            br#"{"status_code": "404", "headers": {"content-type": "text/html"}, "body": "<p>", "is_base64_encoded": false}"#,
        );
        assert_eq!(
            (r.status, &r.body[..]),
            (StatusCode::NOT_FOUND, &b"<p>"[..])
        );
        assert_eq!(r.headers["content-type"], "text/html");
        let r = unwrap_response(StatusCode::OK, &HeaderMap::new(), b"{}");
        assert_eq!((r.status, r.body.len(), r.error), (StatusCode::OK, 0, None));
        assert_eq!(r.headers["content-type"], "application/json");
        let r = unwrap_response(
            StatusCode::OK,
            &HeaderMap::new(),
            br#"{"statusCode": 0, "body": null}"#,
        );
        assert_eq!(r.status, StatusCode::OK);
    }

    #[test]
    fn errors_pass_through() {
        let h = headers(&[("x-amz-function-error", "Unhandled")]);
        let body = br#"{"errorMessage": "boom"}"#;
        let r = unwrap_response(StatusCode::OK, &h, body);
        assert_eq!((r.status, &r.body[..]), (StatusCode::OK, &body[..]));
        let r = unwrap_response(StatusCode::NOT_FOUND, &HeaderMap::new(), b"not json");
        assert_eq!(
            (r.status, &r.body[..], r.error),
            (StatusCode::NOT_FOUND, &b"not json"[..], None)
        );
    }

    #[test]
    fn malformed_replies_are_500_with_a_reason() {
        let lambda_headers = headers(&[("x-amzn-requestid", "r1")]);
        let cases: [&[u8]; 13] = [
            b"not json",
            b"\"just a string\"",
            b"[1, 2]",
            br#"{"statusCode": "abc"}"#,
            br#"{"statusCode": -1}"#,
            br#"{"statusCode": 42}"#,
            br#"{"statusCode": 70000}"#,
            br#"{"headers": {"x": 1}}"#,
            br#"{"headers": {"x": "a\r\nx-evil: 1"}}"#,
            br#"{"headers": {"bad name": "v"}}"#,
            br#"{"cookies": "a=1"}"#,
            br#"{"body": "%%%", "isBase64Encoded": true}"#,
            br#"{"body": 12}"#,
        ];
        for body in cases {
            let r = unwrap_response(StatusCode::OK, &lambda_headers, body);
            assert_eq!(
                r.status,
                StatusCode::INTERNAL_SERVER_ERROR,
                "{}",
                String::from_utf8_lossy(body)
            );
            assert!(r.error.is_some());
            assert!(r.body.is_empty());
            assert_eq!(r.headers["x-amzn-requestid"], "r1");
            assert!(!r.headers.contains_key("x-evil"));
            assert!(!r.headers.contains_key("x"));
        }
        let r = unwrap_response(
            StatusCode::OK,
            &HeaderMap::new(),
            br#"{"statusCode": true}"#,
        );
        assert_eq!(
            r.error.unwrap().to_string(),
            "lambda reply field statusCode: not a non-negative integer"
        );
    }

    #[test]
    fn reply_json_is_the_inverse_of_unwrap() {
        let h = headers(&[("x-a", "1"), ("set-cookie", "a=1"), ("set-cookie", "b=2")]);
        for body in [&b"text"[..], &[0u8, 159, 146, 150][..], &b""[..]] {
            let r = unwrap_response(
                StatusCode::OK,
                &HeaderMap::new(),
                &reply_json(StatusCode::ACCEPTED, &h, body),
            );
            assert_eq!(r.status, StatusCode::ACCEPTED);
            assert_eq!(r.body, body);
            assert_eq!(r.headers["x-a"], "1");
            assert_eq!(r.headers.get_all("set-cookie").iter().count(), 2);
        }
    }
}
