//! The hub's query-string parsers (TAXII filters and paging, the dashboard API's parameters,
//! feed options), the feed's request headers and the `next` token opener: any input gives a
//! value or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yamori_hub::api::params::Params;
use yamori_hub::feeds::headers;
use yamori_hub::feeds::params::FeedParams;
use yamori_hub::taxii::params::{parse, Endpoint};

const API_PARAMS: &[&str] = &[
    "from", "to", "top", "limit", "cursor", "country", "tool", "scanners",
];

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    for ep in [
        Endpoint::Objects,
        Endpoint::Object,
        Endpoint::Versions,
        Endpoint::Delete,
    ] {
        let _ = parse(Some(s), ep);
    }
    if let Ok(p) = Params::parse(Some(s), API_PARAMS) {
        let _ = p.range(None);
        let _ = p.cursor();
        let _ = p.int("limit", 50, 1, 500);
        let _ = p.bool("scanners");
    }
    let _ = yamori_hub::taxii::next::open(&[7u8; 32], "api1/collection", s);
    if let Ok(p) = FeedParams::parse(Some(s), "api1") {
        let _ = p.key("c", "telescope", yamori_act::Format::Nftables);
    }
    let _ = headers::none_match_hits(s, "abc");
    let _ = headers::parse_http_date(s);
    let _ = headers::gzip_accepted(s);
});
