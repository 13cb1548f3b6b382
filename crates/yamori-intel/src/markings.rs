//! TLP marking definitions.
//!
//! * TLP 1.0: the four instances the STIX 2.1 spec itself defines (§7.2.1.4); no others may
//!   exist.
//! * TLP 2.0: the five instances OASIS publishes in `cti-stix-common-objects`
//!   (`extension-definition-specifications/tlp-2.0/`), using the property-extension
//!   `extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d`. Values below were copied
//!   from those JSON files (ids, names, created time) and are tested against them.

use serde_json::{json, Value};

/// A TLP 1.0 marking-definition as the spec defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlp1 {
    pub id: &'static str,
    pub level: &'static str,
    pub name: &'static str,
}

pub const TLP1_WHITE: Tlp1 = Tlp1 {
    id: "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    level: "white",
    name: "TLP:WHITE",
};
pub const TLP1_GREEN: Tlp1 = Tlp1 {
    id: "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    level: "green",
    name: "TLP:GREEN",
};
pub const TLP1_AMBER: Tlp1 = Tlp1 {
    id: "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    level: "amber",
    name: "TLP:AMBER",
};
pub const TLP1_RED: Tlp1 = Tlp1 {
    id: "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
    level: "red",
    name: "TLP:RED",
};
pub const TLP1: [Tlp1; 4] = [TLP1_WHITE, TLP1_GREEN, TLP1_AMBER, TLP1_RED];

/// `created` of every TLP 1.0 instance (spec §7.2.1.4).
pub const TLP1_CREATED: &str = "2017-01-20T00:00:00.000Z";

impl Tlp1 {
    /// The full marking-definition object, exactly as in the spec.
    pub fn object(&self) -> Value {
        json!({
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": self.id,
            "created": TLP1_CREATED,
            "definition_type": "tlp",
            "name": self.name,
            "definition": { "tlp": self.level },
        })
    }
}

/// The TLP 2.0 extension definition id.
pub const TLP2_EXTENSION: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";
/// `created` of every TLP 2.0 instance in the OASIS files.
pub const TLP2_CREATED: &str = "2022-10-01T00:00:00.000Z";

/// TLP 2.0 levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tlp2 {
    Clear,
    Green,
    Amber,
    AmberStrict,
    Red,
}

impl Tlp2 {
    pub const ALL: [Tlp2; 5] = [
        Tlp2::Clear,
        Tlp2::Green,
        Tlp2::Amber,
        Tlp2::AmberStrict,
        Tlp2::Red,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Tlp2::Clear => "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
            Tlp2::Green => "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
            Tlp2::Amber => "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
            Tlp2::AmberStrict => "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
            Tlp2::Red => "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        }
    }

    /// The value of `tlp_2_0` in the extension (`clear`, `green`, `amber`, `amber+strict`, `red`).
    pub fn level(self) -> &'static str {
        match self {
            Tlp2::Clear => "clear",
            Tlp2::Green => "green",
            Tlp2::Amber => "amber",
            Tlp2::AmberStrict => "amber+strict",
            Tlp2::Red => "red",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Tlp2::Clear => "TLP:CLEAR",
            Tlp2::Green => "TLP:GREEN",
            Tlp2::Amber => "TLP:AMBER",
            Tlp2::AmberStrict => "TLP:AMBER+STRICT",
            Tlp2::Red => "TLP:RED",
        }
    }

    /// Parses `clear`, `green`, `amber`, `amber+strict`, `red` (case-insensitive, optional
    /// `TLP:` prefix).
    pub fn parse(text: &str) -> Option<Tlp2> {
        let lower = text.to_ascii_lowercase();
        let level = lower.strip_prefix("tlp:").unwrap_or(&lower);
        Tlp2::ALL.into_iter().find(|t| t.level() == level)
    }

    /// The full marking-definition object as OASIS publishes it.
    pub fn object(self) -> Value {
        json!({
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": self.id(),
            "created": TLP2_CREATED,
            "name": self.name(),
            "extensions": {
                TLP2_EXTENSION: {
                    "extension_type": "property-extension",
                    "tlp_2_0": self.level(),
                }
            },
        })
    }
}
