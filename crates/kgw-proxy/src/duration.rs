//! Gateway API durations (`1h30m`, `500ms`, `10s`): `^([0-9]{1,5}(h|m|s|ms)){1,4}$`.

use std::time::Duration;

/// Parses a Gateway API duration; `None` when it does not follow the grammar.
pub fn parse_gateway_duration(text: &str) -> Option<Duration> {
    let bytes = text.as_bytes();
    let (mut total, mut index, mut parts) = (Duration::ZERO, 0, 0);
    while index < bytes.len() {
        let start = index;
        while index < bytes.len() && bytes[index].is_ascii_digit() {
            index += 1;
        }
        let digits = &text[start..index];
        if digits.is_empty() || digits.len() > 5 {
            return None;
        }
        let value: u64 = digits.parse().ok()?;
        let rest = &text[index..];
        let (unit, len) = if rest.starts_with("ms") {
            (Duration::from_millis(1), 2)
        } else if rest.starts_with('h') {
            (Duration::from_hours(1), 1)
        } else if rest.starts_with('m') {
            (Duration::from_mins(1), 1)
        } else if rest.starts_with('s') {
            (Duration::from_secs(1), 1)
        } else {
            return None;
        };
        index += len;
        parts += 1;
        total += unit * u32::try_from(value).ok()?;
    }
    (1..=4).contains(&parts).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar_examples() {
        assert_eq!(parse_gateway_duration("10s"), Some(Duration::from_secs(10)));
        assert_eq!(
            parse_gateway_duration("500ms"),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            parse_gateway_duration("1h30m"),
            Some(Duration::from_mins(90))
        );
        assert_eq!(parse_gateway_duration("0s"), Some(Duration::ZERO));
        for bad in [
            "",
            "10",
            "s",
            "1.5s",
            "123456s",
            "1s1s1s1s1s",
            "10 s",
            "-1s",
        ] {
            assert_eq!(parse_gateway_duration(bad), None, "{bad}");
        }
    }
}
