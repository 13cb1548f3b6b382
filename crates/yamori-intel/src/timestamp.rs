//! STIX 2.1 timestamps (spec §2.16): `YYYY-MM-DDTHH:mm:ss[.s+]Z`, UTC, any number of fractional
//! digits. Parsed by hand because general RFC 3339 parsers accept offsets, lowercase `t`/`z`
//! and spaces, all of which STIX forbids.

use std::cmp::Ordering;

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// A parsed STIX timestamp that keeps every fractional digit, so comparisons are exact at any
/// precision (a producer may send more than nanoseconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StixTimestamp {
    whole_seconds: PrimitiveDateTime,
    /// Fractional-second digits as sent, trailing zeros removed (so `.100` equals `.1`).
    fraction: String,
    /// Digits after the decimal point as sent (0 when there is no decimal point).
    precision: usize,
}

/// Longest fractional part accepted; far beyond any clock, short enough to bound work.
pub const MAX_FRACTION_DIGITS: usize = 32;

impl StixTimestamp {
    /// Parses the exact STIX form; `None` when the text is not one.
    pub fn parse(text: &str) -> Option<StixTimestamp> {
        let bytes = text.as_bytes();
        // "YYYY-MM-DDTHH:MM:SS" is 19 bytes, then optional ".d+", then "Z".
        if bytes.len() < 20 || bytes.len() > 20 + 1 + MAX_FRACTION_DIGITS {
            return None;
        }
        let digits = |range: std::ops::Range<usize>| -> Option<u32> {
            let part = bytes.get(range)?;
            if !part.iter().all(u8::is_ascii_digit) {
                return None;
            }
            part.iter().try_fold(0u32, |acc, b| {
                acc.checked_mul(10)?.checked_add(u32::from(b - b'0'))
            })
        };
        let separators_ok = bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes[10] == b'T'
            && bytes[13] == b':'
            && bytes[16] == b':';
        if !separators_ok || bytes[bytes.len() - 1] != b'Z' {
            return None;
        }
        let year = i32::try_from(digits(0..4)?).ok()?;
        let month = Month::try_from(u8::try_from(digits(5..7)?).ok()?).ok()?;
        let day = u8::try_from(digits(8..10)?).ok()?;
        let hour = u8::try_from(digits(11..13)?).ok()?;
        let minute = u8::try_from(digits(14..16)?).ok()?;
        let second = u8::try_from(digits(17..19)?).ok()?;
        let date = Date::from_calendar_date(year, month, day).ok()?;
        // Leap second 60 is refused: stix2-validator (dateutil) and most stores refuse it too.
        let clock = Time::from_hms(hour, minute, second).ok()?;
        let rest = &text[19..text.len() - 1];
        let (fraction, precision) = if rest.is_empty() {
            (String::new(), 0)
        } else {
            let frac = rest.strip_prefix('.')?;
            if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (frac.trim_end_matches('0').to_string(), frac.len())
        };
        Some(StixTimestamp {
            whole_seconds: PrimitiveDateTime::new(date, clock),
            fraction,
            precision,
        })
    }

    /// Number of fractional digits as sent (`created`/`modified` need at least 3).
    pub fn precision(&self) -> usize {
        self.precision
    }
}

impl PartialOrd for StixTimestamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for StixTimestamp {
    fn cmp(&self, other: &Self) -> Ordering {
        // Trailing zeros are trimmed, so comparing digit strings lexicographically compares
        // the fractions numerically ("05" < "5" because ".05" < ".5").
        self.whole_seconds
            .cmp(&other.whole_seconds)
            .then_with(|| self.fraction.as_str().cmp(other.fraction.as_str()))
    }
}

/// Formats a time as a STIX timestamp with exactly millisecond precision (the minimum that
/// `created`/`modified` allow), truncating finer digits.
pub fn format_millis(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Parses any RFC 3339 time (as written in telescope reports) into a UTC instant.
pub fn parse_rfc3339(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_stix_forms_and_compares_exactly() {
        let a = StixTimestamp::parse("2016-01-20T12:31:12.123Z").expect("spec example");
        let b = StixTimestamp::parse("2016-01-20T12:31:12.1230000001Z").expect("sub-ns");
        let c = StixTimestamp::parse("2016-01-20T12:31:12Z").expect("no fraction");
        assert_eq!(a.precision(), 3);
        assert_eq!(c.precision(), 0);
        assert!(a < b && c < a);
        let d = StixTimestamp::parse("2016-01-20T12:31:12.1230Z").expect("trailing zero");
        assert_eq!(a.cmp(&d), Ordering::Equal);
    }

    #[test]
    fn refuses_what_stix_forbids() {
        for bad in [
            "2016-01-20T12:31:12.123+00:00",
            "2016-01-20t12:31:12.123z",
            "2016-01-20 12:31:12Z",
            "2016-02-30T00:00:00Z",
            "2016-01-20T24:00:00Z",
            "2016-01-20T12:31:60Z",
            "2016-01-20T12:31:12.Z",
            "2016-01-20T12:31:12",
            "+016-01-20T12:31:12Z",
            "２016-01-20T12:31:12Z",
            "",
        ] {
            assert!(StixTimestamp::parse(bad).is_none(), "{bad} accepted");
        }
    }

    #[test]
    fn formats_milliseconds_in_utc() {
        let t = parse_rfc3339("2024-05-01T09:00:00.123456789+09:00").expect("valid");
        assert_eq!(format_millis(t), "2024-05-01T00:00:00.123Z");
    }
}
