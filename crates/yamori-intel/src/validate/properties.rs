//! Property tables of the STIX 2.1 types (spec §3.2 common-property table, §4–§7 property
//! tables), used for required-property and custom-property checks. A table, hence long.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Sdo,
    Sro,
    Sco,
    /// marking-definition, language-content, extension-definition.
    Meta,
    /// A type the spec does not define: only generic checks apply.
    Custom,
}

/// Common properties by category (spec §3.2 table).
pub const SDO_COMMON: &[&str] = &[
    "type",
    "spec_version",
    "id",
    "created_by_ref",
    "created",
    "modified",
    "revoked",
    "labels",
    "confidence",
    "lang",
    "external_references",
    "object_marking_refs",
    "granular_markings",
    "extensions",
];
pub const SCO_COMMON: &[&str] = &[
    "type",
    "spec_version",
    "id",
    "object_marking_refs",
    "granular_markings",
    "defanged",
    "extensions",
];

/// Type-specific properties of the types whose property lists this module knows (spec §4–7).
/// On these types any other property must start with `x_` (see the module docs).
#[rustfmt::skip]
pub const SPECIFIC: &[(&str, Category, &[&str])] = &[
    ("attack-pattern", Category::Sdo, &["name", "description", "aliases", "kill_chain_phases"]),
    ("campaign", Category::Sdo, &["name", "description", "aliases", "first_seen", "last_seen", "objective"]),
    ("course-of-action", Category::Sdo, &["name", "description"]),
    ("grouping", Category::Sdo, &["name", "description", "context", "object_refs"]),
    ("identity", Category::Sdo, &["name", "description", "roles", "identity_class", "sectors", "contact_information"]),
    ("incident", Category::Sdo, &["name", "description", "kill_chain_phases"]),
    ("indicator", Category::Sdo, &["name", "description", "indicator_types", "pattern", "pattern_type", "pattern_version", "valid_from", "valid_until", "kill_chain_phases"]),
    ("infrastructure", Category::Sdo, &["name", "description", "infrastructure_types", "aliases", "kill_chain_phases", "first_seen", "last_seen"]),
    ("intrusion-set", Category::Sdo, &["name", "description", "aliases", "first_seen", "last_seen", "goals", "resource_level", "primary_motivation", "secondary_motivations"]),
    ("location", Category::Sdo, &["name", "description", "latitude", "longitude", "precision", "region", "country", "administrative_area", "city", "street_address", "postal_code"]),
    ("malware", Category::Sdo, &["name", "description", "malware_types", "is_family", "aliases", "kill_chain_phases", "first_seen", "last_seen", "operating_system_refs", "architecture_execution_envs", "implementation_languages", "capabilities", "sample_refs"]),
    ("malware-analysis", Category::Sdo, &["product", "version", "host_vm_ref", "operating_system_ref", "installed_software_refs", "configuration_version", "modules", "analysis_engine_version", "analysis_definition_version", "submitted", "analysis_started", "analysis_ended", "result_name", "result", "analysis_sco_refs", "sample_ref"]),
    ("note", Category::Sdo, &["abstract", "content", "authors", "object_refs"]),
    ("observed-data", Category::Sdo, &["first_observed", "last_observed", "number_observed", "objects", "object_refs"]),
    ("opinion", Category::Sdo, &["explanation", "authors", "opinion", "object_refs"]),
    ("report", Category::Sdo, &["name", "description", "report_types", "published", "object_refs"]),
    ("threat-actor", Category::Sdo, &["name", "description", "threat_actor_types", "aliases", "first_seen", "last_seen", "roles", "goals", "sophistication", "resource_level", "primary_motivation", "secondary_motivations", "personal_motivations"]),
    ("tool", Category::Sdo, &["name", "description", "tool_types", "aliases", "kill_chain_phases", "tool_version"]),
    ("vulnerability", Category::Sdo, &["name", "description"]),
    ("relationship", Category::Sro, &["relationship_type", "description", "source_ref", "target_ref", "start_time", "stop_time"]),
    ("sighting", Category::Sro, &["description", "first_seen", "last_seen", "count", "sighting_of_ref", "observed_data_refs", "where_sighted_refs", "summary"]),
    ("autonomous-system", Category::Sco, &["number", "name", "rir"]),
    ("domain-name", Category::Sco, &["value", "resolves_to_refs"]),
    ("ipv4-addr", Category::Sco, &["value", "resolves_to_refs", "belongs_to_refs"]),
    ("ipv6-addr", Category::Sco, &["value", "resolves_to_refs", "belongs_to_refs"]),
    ("mac-addr", Category::Sco, &["value"]),
    ("software", Category::Sco, &["name", "cpe", "swid", "languages", "vendor", "version"]),
    ("url", Category::Sco, &["value"]),
    ("marking-definition", Category::Meta, &["type", "spec_version", "id", "created_by_ref", "created", "external_references", "object_marking_refs", "granular_markings", "extensions", "name", "definition_type", "definition"]),
];

/// SCO types whose property lists are not in [`SPECIFIC`] (generic checks only).
pub const OTHER_SCOS: &[&str] = &[
    "artifact",
    "directory",
    "email-addr",
    "email-message",
    "file",
    "mutex",
    "network-traffic",
    "process",
    "user-account",
    "windows-registry-key",
    "x509-certificate",
];
pub const OTHER_META: &[&str] = &["language-content", "extension-definition"];

/// Reserved everywhere (spec §3.8).
pub const RESERVED: &[&str] = &["severity", "username", "phone_number", "action"];

/// Types that are not SDOs or SCOs, and so may not be relationship ends or sighted.
pub const NOT_RELATABLE: &[&str] = &[
    "relationship",
    "sighting",
    "bundle",
    "marking-definition",
    "language-content",
];
