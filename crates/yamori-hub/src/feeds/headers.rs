//! The request headers a feed reads (`Accept-Encoding`, `If-None-Match`,
//! `If-Modified-Since`) and the HTTP dates it writes: client input, read without panicking.

use axum::http::{header, HeaderMap};
use time::OffsetDateTime;

/// Whether `If-None-Match` names these bytes (`*`, or a tag with this hash, weak or strong,
/// of either encoding).
pub fn none_match_hits(header: &str, hash: &str) -> bool {
    header.split(',').map(str::trim).any(|tag| {
        let tag = tag.strip_prefix("W/").unwrap_or(tag);
        tag == "*" || {
            let t = tag.trim_matches('"');
            t.strip_suffix("-gz").unwrap_or(t) == hash
        }
    })
}

/// Whether `Accept-Encoding` admits gzip (`gzip` or `*` without `q=0`).
pub fn accepts_gzip(req: &HeaderMap) -> bool {
    req.get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(gzip_accepted)
}

/// Whether an `Accept-Encoding` value admits gzip.
pub fn gzip_accepted(v: &str) -> bool {
    let mut gzip = None;
    let mut star = None;
    for part in v.split(',') {
        let mut it = part.split(';').map(str::trim);
        let coding = it.next().unwrap_or("").to_ascii_lowercase();
        let q = it
            .find_map(|p| p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        match coding.as_str() {
            "gzip" | "x-gzip" => gzip = Some(q > 0.0),
            "*" => star = Some(q > 0.0),
            _ => {}
        }
    }
    gzip.or(star).unwrap_or(false)
}

const HTTP_DATE: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);

/// An IMF-fixdate (RFC 9110 §5.6.7).
pub fn http_date(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(HTTP_DATE)
        .unwrap_or_default()
}

/// An IMF-fixdate; other forms (obsolete, or invalid) are `None`, and the condition is then
/// ignored as RFC 9110 §13.1.3 says.
pub fn parse_http_date(s: &str) -> Option<OffsetDateTime> {
    time::PrimitiveDateTime::parse(s.trim(), HTTP_DATE)
        .ok()
        .map(|t| t.assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn http_dates_read_back() {
        let t = OffsetDateTime::from_unix_timestamp(1_764_979_200).expect("time");
        assert_eq!(http_date(t), "Sat, 06 Dec 2025 00:00:00 GMT");
        assert_eq!(parse_http_date(&http_date(t)), Some(t));
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn gzip_is_used_only_when_accepted() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(
                header::ACCEPT_ENCODING,
                HeaderValue::from_str(v).expect("v"),
            );
            accepts_gzip(&m)
        };
        assert!(h("gzip, deflate"));
        assert!(h("br;q=1.0, gzip;q=0.5"));
        assert!(h("*"));
        assert!(!h("gzip;q=0"));
        assert!(!h("gzip;q=0, *"));
        assert!(!h("identity"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn if_none_match_names_either_encoding() {
        assert!(none_match_hits("\"abc\"", "abc"));
        assert!(none_match_hits("W/\"abc-gz\"", "abc"));
        assert!(none_match_hits("\"x\", \"abc\"", "abc"));
        assert!(none_match_hits("*", "abc"));
        assert!(!none_match_hits("\"abd\"", "abc"));
    }
}
