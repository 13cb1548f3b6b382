//! URL query parameters of the filtering endpoints (TAXII 2.1 §3.4). Malformed or repeated
//! parameters are a 400; unknown `match[...]` fields are ignored as §3.4 allows; other
//! unknown parameters are a 400 so a typo is not silently an unfiltered query.

use yamori_store::taxii::{taxii_key, version_key, VersionFilter, MAX_MATCH_VALUES};

use super::error::TaxiiError;

/// Which parameters an endpoint accepts.
#[derive(Clone, Copy)]
pub enum Endpoint {
    /// objects and manifest: everything.
    Objects,
    /// one object: no match[id] / match[type].
    Object,
    /// versions: added_after, limit, next, match[spec_version].
    Versions,
    /// DELETE: match[version], match[spec_version].
    Delete,
}

/// Query strings longer than this are refused before parsing.
const MAX_QUERY_LEN: usize = 64 * 1024;

#[derive(Debug, Default)]
pub struct Params {
    pub added_after: Option<String>,
    pub limit: Option<u32>,
    pub next: Option<String>,
    pub ids: Vec<String>,
    pub types: Vec<String>,
    pub versions: Option<VersionFilter>,
    pub spec_versions: Vec<String>,
    /// The parameters other than `next` and `limit`, sorted: what a `next` token is bound to.
    pub binding: String,
}

fn once(slot: &mut Option<String>, key: &str, v: String) -> Result<(), TaxiiError> {
    if slot.replace(v).is_some() {
        return Err(TaxiiError::bad_request(format!(
            "{key} given more than once"
        )));
    }
    Ok(())
}

fn list(v: &str, key: &str, count: &mut usize) -> Result<Vec<String>, TaxiiError> {
    let vals: Vec<String> = v.split(',').map(str::to_owned).collect();
    if vals.iter().any(String::is_empty) {
        return Err(TaxiiError::bad_request(format!("{key} has an empty value")));
    }
    *count += vals.len();
    if *count > MAX_MATCH_VALUES {
        return Err(TaxiiError::bad_request(format!(
            "too many match values (at most {MAX_MATCH_VALUES})"
        )));
    }
    Ok(vals)
}

pub fn parse(query: Option<&str>, ep: Endpoint) -> Result<Params, TaxiiError> {
    let query = query.unwrap_or("");
    if query.len() > MAX_QUERY_LEN {
        return Err(TaxiiError::bad_request("query string too long"));
    }
    let mut p = Params::default();
    let (mut added, mut limit, mut ver) = (None, None, None);
    let (mut ids, mut types, mut specs) = (None, None, None);
    let mut bound: Vec<(String, String)> = Vec::new();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        let (k, v) = (k.into_owned(), v.into_owned());
        let allowed = match (k.as_str(), ep) {
            ("added_after" | "limit" | "next", Endpoint::Delete) => false,
            ("added_after" | "limit" | "next", _) => true,
            ("match[id]" | "match[type]", Endpoint::Objects) => true,
            ("match[version]", Endpoint::Objects | Endpoint::Object | Endpoint::Delete) => true,
            ("match[spec_version]", _) => true,
            ("match[id]" | "match[type]" | "match[version]", _) => false,
            (k, _) if k.starts_with("match[") && k.ends_with(']') => continue,
            _ => false,
        };
        if !allowed {
            return Err(TaxiiError::bad_request(format!(
                "unsupported query parameter {k:?} for this endpoint"
            )));
        }
        if k != "next" && k != "limit" {
            bound.push((k.clone(), v.clone()));
        }
        match k.as_str() {
            "added_after" => once(&mut added, &k, v)?,
            "limit" => once(&mut limit, &k, v)?,
            "next" => once(&mut p.next, &k, v)?,
            "match[id]" => once(&mut ids, &k, v)?,
            "match[type]" => once(&mut types, &k, v)?,
            "match[version]" => once(&mut ver, &k, v)?,
            _ => once(&mut specs, &k, v)?,
        }
    }
    let mut count = 0;
    if let Some(a) = added {
        p.added_after = Some(
            taxii_key(&a)
                .ok_or_else(|| TaxiiError::bad_request("added_after is not a timestamp"))?,
        );
    }
    if let Some(l) = limit {
        let n: u32 = l
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| TaxiiError::bad_request("limit must be a positive integer"))?;
        p.limit = Some(n);
    }
    if let Some(v) = ids {
        p.ids = list(&v, "match[id]", &mut count)?;
    }
    if let Some(v) = types {
        p.types = list(&v, "match[type]", &mut count)?;
    }
    if let Some(v) = specs {
        p.spec_versions = list(&v, "match[spec_version]", &mut count)?;
    }
    if let Some(v) = ver {
        p.versions = Some(versions(&list(&v, "match[version]", &mut count)?)?);
    }
    bound.sort();
    p.binding = bound
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    Ok(p)
}

fn versions(vals: &[String]) -> Result<VersionFilter, TaxiiError> {
    let mut f = VersionFilter::default();
    for v in vals {
        match v.as_str() {
            "all" => f.all = true,
            "first" => f.first = true,
            "last" => f.last = true,
            ts => f.exact.push(version_key(ts).ok_or_else(|| {
                TaxiiError::bad_request(format!("match[version] value {ts:?} is not valid"))
            })?),
        }
    }
    if f.all && vals.len() > 1 {
        return Err(TaxiiError::bad_request(
            "match[version]=all cannot be combined with other versions",
        ));
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_filters_and_refuses_bad_ones() {
        let p = parse(
            Some("match[type]=indicator,malware&limit=5&match[version]=first,2020-01-01T00:00:00Z&match[x]=1"),
            Endpoint::Objects,
        )
        .expect("valid query");
        assert_eq!(p.types, vec!["indicator", "malware"]);
        assert_eq!(p.limit, Some(5));
        let v = p.versions.expect("versions");
        assert!(v.first && !v.last);
        assert_eq!(v.exact, vec!["2020-01-01T00:00:00.000000000Z"]);
        for bad in [
            "limit=0",
            "limit=-1",
            "added_after=yesterday",
            "foo=1",
            "limit=1&limit=2",
            "match[version]=all,last",
            "match[type]=",
        ] {
            assert!(parse(Some(bad), Endpoint::Objects).is_err(), "{bad}");
        }
        assert!(parse(Some("match[type]=x"), Endpoint::Versions).is_err());
        let many = format!("match[id]={}", vec!["a"; MAX_MATCH_VALUES + 1].join(","));
        assert!(parse(Some(&many), Endpoint::Objects).is_err());
    }
}
