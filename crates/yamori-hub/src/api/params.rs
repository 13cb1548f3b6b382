//! Query parameters, parsed by hand so that every mistake gets a 400 naming the parameter
//! and what it should look like (axum's extractor answers in plain text without that).

use std::collections::HashMap;

use super::{ApiError, ApiResult};
use yamori_store::dashboard::Bounds;

/// Parsed `?a=b&…`; unknown names are refused (a typo should not silently mean "default").
pub struct Params(HashMap<String, String>);

impl Params {
    pub fn parse(raw: Option<&str>, allowed: &[&str]) -> ApiResult<Self> {
        let mut map = HashMap::new();
        for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            if !allowed.contains(&k.as_ref()) {
                return Err(ApiError::bad_request(format!(
                    "unknown query parameter `{k}`; this endpoint takes: {}",
                    allowed.join(", ")
                )));
            }
            if map.insert(k.to_string(), v.to_string()).is_some() {
                return Err(ApiError::bad_request(format!(
                    "query parameter `{k}` given twice"
                )));
            }
        }
        Ok(Self(map))
    }

    pub fn str(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// An integer in `lo..=hi`, or `default`.
    pub fn int(&self, k: &str, default: u32, lo: u32, hi: u32) -> ApiResult<u32> {
        match self.str(k) {
            None => Ok(default),
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|n| (lo..=hi).contains(n))
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "bad query parameter `{k}`: {v:?}; expected an integer from {lo} to {hi}"
                    ))
                }),
        }
    }

    pub fn bool(&self, k: &str) -> ApiResult<bool> {
        match self.str(k) {
            None | Some("false") | Some("0") => Ok(false),
            Some("true") | Some("1") => Ok(true),
            Some(v) => Err(ApiError::bad_request(format!(
                "bad query parameter `{k}`: {v:?}; expected true or false"
            ))),
        }
    }

    /// A time as Unix seconds.
    pub fn time(&self, k: &str) -> ApiResult<Option<i64>> {
        let Some(v) = self.str(k) else {
            return Ok(None);
        };
        time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339)
            .map(|t| Some(t.unix_timestamp()))
            .map_err(|_| {
                ApiError::bad_request(format!(
                    "bad query parameter `{k}`: {v:?}; expected an RFC 3339 time such as \
                     2026-11-24T08:00:00Z"
                ))
            })
    }

    /// The keyset cursor `a.b` (two integers) of the previous page's `next`.
    pub fn cursor(&self) -> ApiResult<Option<(i64, i64)>> {
        let Some(v) = self.str("cursor") else {
            return Ok(None);
        };
        v.split_once('.')
            .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
            .map(Some)
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "bad query parameter `cursor`: {v:?}; pass the `next` value of the previous page"
                ))
            })
    }

    /// The [from, to) range: given times, else the last 24 hours of stored data.
    pub fn range(&self, bounds: Option<Bounds>) -> ApiResult<(i64, i64)> {
        const DAY: i64 = 86_400;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let (first, end) = bounds
            .map(|b| (b.first_s, b.end_s))
            .unwrap_or((now - DAY, now));
        let (from, to) = match (self.time("from")?, self.time("to")?) {
            (Some(f), Some(t)) => (f, t),
            (Some(f), None) => (f, end.max(f + 60)),
            (None, Some(t)) => (first.min(t - 60), t),
            (None, None) => ((end - DAY).max(first), end),
        };
        if from >= to {
            return Err(ApiError::bad_request(format!(
                "bad range: `from` ({}) must be before `to` ({})",
                fmt_time(from),
                fmt_time(to)
            )));
        }
        Ok((from, to))
    }
}

/// RFC 3339 UTC to the second, e.g. `2026-11-24T08:00:00Z`.
pub fn fmt_time(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// Series bucket width for a range: one minute, or coarser so at most 1,440 buckets.
pub fn bucket_for(span: i64) -> i64 {
    const NICE: [i64; 11] = [
        60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200,
    ];
    let want = (span + 1439) / 1440;
    NICE.iter()
        .copied()
        .find(|&b| b >= want)
        .unwrap_or_else(|| (want + 86_399) / 86_400 * 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_keep_series_short() {
        assert_eq!(bucket_for(3600), 60);
        assert_eq!(bucket_for(86_400), 60);
        assert_eq!(bucket_for(7 * 86_400), 600);
        assert_eq!(bucket_for(365 * 86_400), 43_200);
        assert_eq!(bucket_for(1000 * 86_400), 86_400);
        for span in [60, 3600, 86_401, 7 * 86_400, 400 * 86_400] {
            assert!(span / bucket_for(span) <= 1440, "{span}");
        }
    }

    #[test]
    fn bad_parameters_name_themselves() {
        let p = Params::parse(Some("from=yesterday"), &["from", "to"]).expect("parse");
        let e = p.range(None).expect_err("bad");
        assert!(e.message.contains("`from`"), "{}", e.message);
        let e = Params::parse(Some("form=1"), &["from"])
            .err()
            .expect("unknown");
        assert!(e.message.contains("unknown query parameter `form`"));
        let p = Params::parse(Some("limit=0"), &["limit"]).expect("parse");
        assert!(p.int("limit", 50, 1, 500).is_err());
        let p = Params::parse(
            Some("from=2026-11-24T08:00:00Z&to=2026-11-24T07:00:00Z"),
            &["from", "to"],
        )
        .expect("parse");
        assert!(p.range(None).is_err());
    }

    #[test]
    fn default_range_is_the_last_day_of_data() {
        let p = Params::parse(None, &[]).expect("parse");
        let b = Bounds {
            first_s: 0,
            end_s: 10 * 86_400,
        };
        assert_eq!(p.range(Some(b)).expect("range"), (9 * 86_400, 10 * 86_400));
        let short = Bounds {
            first_s: 100,
            end_s: 3700,
        };
        assert_eq!(p.range(Some(short)).expect("range"), (100, 3700));
    }
}
