//! An object's Traffic Light Protocol level, ordered from most to least shareable.

use serde_json::Value;
use yamori_intel::markings::{Tlp2, TLP1};

/// TLP 2.0 levels; TLP 1.0 WHITE counts as CLEAR. Ordered: `Clear < … < Red`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tlp {
    Clear,
    Green,
    Amber,
    AmberStrict,
    Red,
}

impl Tlp {
    /// The level an object without any TLP marking is treated as: sharing rules for it are
    /// unknown, so it is not exported where only CLEAR or GREEN may go.
    pub const UNMARKED: Tlp = Tlp::Amber;

    /// Every level, in order (`ALL[t as usize] == t`).
    pub const ALL: [Tlp; 5] = [
        Tlp::Clear,
        Tlp::Green,
        Tlp::Amber,
        Tlp::AmberStrict,
        Tlp::Red,
    ];

    pub fn name(self) -> &'static str {
        self.tlp2().name()
    }

    /// MISP's tag (`tlp:clear`, `tlp:amber+strict`, …).
    pub fn misp_tag(self) -> String {
        self.name().to_ascii_lowercase()
    }

    /// Parses `clear`, `white`, `green`, `amber`, `amber+strict`, `red` (`TLP:` prefix optional).
    pub fn parse(text: &str) -> Option<Tlp> {
        let lower = text.to_ascii_lowercase();
        let level = lower.strip_prefix("tlp:").unwrap_or(&lower);
        if level == "white" {
            return Some(Tlp::Clear);
        }
        Tlp2::parse(level).map(Tlp::from_tlp2)
    }

    /// The most restrictive TLP marking in `object_marking_refs`, else [`Tlp::UNMARKED`].
    pub fn of_object(obj: &Value) -> Tlp {
        obj.get("object_marking_refs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter_map(Tlp::of_marking_id)
            .max()
            .unwrap_or(Tlp::UNMARKED)
    }

    /// The TLP level a marking definition id names, if it names one.
    pub(crate) fn of_marking_id(id: &str) -> Option<Tlp> {
        if let Some(t) = Tlp2::ALL.into_iter().find(|t| t.id() == id) {
            return Some(Tlp::from_tlp2(t));
        }
        TLP1.iter()
            .find(|t| t.id == id)
            .and_then(|t| Tlp::parse(t.level))
    }

    pub fn from_tlp2(t: Tlp2) -> Tlp {
        match t {
            Tlp2::Clear => Tlp::Clear,
            Tlp2::Green => Tlp::Green,
            Tlp2::Amber => Tlp::Amber,
            Tlp2::AmberStrict => Tlp::AmberStrict,
            Tlp2::Red => Tlp::Red,
        }
    }

    fn tlp2(self) -> Tlp2 {
        match self {
            Tlp::Clear => Tlp2::Clear,
            Tlp::Green => Tlp2::Green,
            Tlp::Amber => Tlp2::Amber,
            Tlp::AmberStrict => Tlp2::AmberStrict,
            Tlp::Red => Tlp2::Red,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use yamori_intel::markings::{TLP1_GREEN, TLP1_RED};

    #[test]
    fn the_most_restrictive_marking_wins_and_unmarked_is_amber() {
        let both = json!({"object_marking_refs": [TLP1_GREEN.id, Tlp2::Red.id()]});
        assert_eq!(Tlp::of_object(&both), Tlp::Red);
        assert_eq!(
            Tlp::of_object(&json!({"object_marking_refs": [TLP1_RED.id]})),
            Tlp::Red
        );
        assert_eq!(
            Tlp::of_object(&json!({"object_marking_refs": [Tlp2::Clear.id()]})),
            Tlp::Clear
        );
        assert_eq!(Tlp::of_object(&json!({})), Tlp::Amber);
        assert_eq!(Tlp::parse("TLP:WHITE"), Some(Tlp::Clear));
        assert_eq!(Tlp::parse("amber+strict"), Some(Tlp::AmberStrict));
    }
}
