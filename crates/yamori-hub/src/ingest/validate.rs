//! Ingest validation of one STIX 2.1 object: the full validator of `yamori-intel`, plus the
//! one rule that is TAXII's rather than STIX's: an envelope holds objects, not bundles
//! (TAXII 2.1 §3.7), so a bundle is refused instead of being validated as a container.

use serde_json::Value;
pub use yamori_intel::validate::Issue;

pub fn validate_object(obj: &Value) -> Result<(), Vec<Issue>> {
    if obj.get("type").and_then(Value::as_str) == Some("bundle") {
        return Err(vec![Issue {
            path: "/type".into(),
            message: "a bundle is not a STIX object; send its objects in the envelope".into(),
        }]);
    }
    yamori_intel::validate::validate_object(obj)
}
