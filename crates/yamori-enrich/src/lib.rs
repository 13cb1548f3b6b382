//! GeoIP/ASN enrichment from MaxMind DB and ip2asn/pfx2as files.
