//! RFC 3339 UTC strings for report times.

use time::OffsetDateTime;

fn parts(secs: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(secs).ok()
}

/// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` (always nine fraction digits).
pub(crate) fn rfc3339_ns(ts_ns: u64) -> String {
    let secs = (ts_ns / 1_000_000_000) as i64;
    let frac = ts_ns % 1_000_000_000;
    let mut s = rfc3339_s(secs as u64);
    s.pop(); // the 'Z'
    s.push_str(&format!(".{frac:09}Z"));
    s
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn rfc3339_s(secs: u64) -> String {
    // u64 seconds beyond year 9999 cannot be formatted; clamp to the last representable day.
    let secs = i64::try_from(secs).unwrap_or(i64::MAX).min(253_402_300_799);
    match parts(secs) {
        Some(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        None => "9999-12-31T23:59:59Z".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_with_nanoseconds() {
        assert_eq!(rfc3339_s(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339_ns(1_700_000_000_123_456_789),
            "2023-11-14T22:13:20.123456789Z"
        );
        assert_eq!(rfc3339_ns(5), "1970-01-01T00:00:00.000000005Z");
    }
}
