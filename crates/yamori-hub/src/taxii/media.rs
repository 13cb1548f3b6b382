//! Content negotiation (TAXII 2.1 §1.6.8): `Accept` must allow the TAXII media type at version
//! 2.1 (406 otherwise); a POST body must be declared as TAXII 2.1 (415 otherwise).

use axum::http::{header, HeaderMap};

use super::error::TaxiiError;

/// Whether one media range (`type/subtype;params`) admits `application/taxii+json;version=2.1`.
fn admits_taxii(range: &str) -> bool {
    let mut parts = range.split(';').map(str::trim);
    let essence = parts.next().unwrap_or("").to_ascii_lowercase();
    let mut version: Option<String> = None;
    let mut q_zero = false;
    for p in parts {
        if let Some((k, v)) = p.split_once('=') {
            let k = k.trim().to_ascii_lowercase();
            let v = v.trim().trim_matches('"');
            if k == "version" {
                version = Some(v.to_string());
            } else if k == "q" {
                q_zero = v.parse::<f32>().map(|q| q <= 0.0).unwrap_or(false);
            }
        }
    }
    if q_zero {
        return false;
    }
    match essence.as_str() {
        "application/taxii+json" => version.is_none_or(|v| v == "2.1"),
        "*/*" | "application/*" => true,
        _ => false,
    }
}

/// 406 unless the `Accept` header (absent = anything) admits TAXII 2.1.
pub fn check_accept(headers: &HeaderMap) -> Result<(), TaxiiError> {
    let values: Vec<&str> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if values.is_empty() || values.iter().flat_map(|v| v.split(',')).any(admits_taxii) {
        return Ok(());
    }
    Err(TaxiiError::new(
        axum::http::StatusCode::NOT_ACCEPTABLE,
        "Not acceptable",
        "this endpoint answers with application/taxii+json;version=2.1",
    ))
}

/// 415 unless `Content-Type` is TAXII 2.1 JSON.
pub fn check_content_type(headers: &HeaderMap) -> Result<(), TaxiiError> {
    let ok = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let essence = v.split(';').next().unwrap_or("").trim();
            essence.eq_ignore_ascii_case("application/taxii+json") && admits_taxii(v)
        });
    if ok {
        Ok(())
    } else {
        Err(TaxiiError::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            "send the envelope as application/taxii+json;version=2.1",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::admits_taxii;

    #[test]
    fn accept_ranges() {
        assert!(admits_taxii("application/taxii+json;version=2.1"));
        assert!(admits_taxii("application/taxii+json"));
        assert!(admits_taxii("*/*"));
        assert!(!admits_taxii("application/taxii+json;version=2.0"));
        assert!(!admits_taxii("application/json"));
        assert!(!admits_taxii("application/taxii+json;version=2.1;q=0"));
    }
}
