//! The start every Yamori bundle shares (telescope, survey, decoy): the organisation that
//! speaks, as an `identity` object, and the TLP marking its objects carry.

use serde_json::Value;

use crate::ids::generated_id;
use crate::markings::Tlp2;
use crate::model::{self, Common};
use crate::telescope::{ConvertError, OrgIdentity, STATIC_OBJECTS_CREATED};

/// Who a bundle's objects come from and how they are marked.
pub(crate) struct Producer {
    /// What every generated id of the organisation derives from ([`OrgIdentity::key`]).
    pub org_key: String,
    /// The organisation's identity id: every object's `created_by_ref`.
    pub identity: String,
    /// Every object's `object_marking_refs`.
    pub markings: Vec<String>,
}

impl Producer {
    /// Checks the organisation and returns the producer with the bundle's first objects: the
    /// identity and, when marked, the marking-definition. The identity describes the
    /// organisation itself, so it names no creator and carries no confidence, and it keeps
    /// one fixed timestamp so every bundle of the organisation repeats the same object.
    pub(crate) fn start(
        org: &OrgIdentity,
        marking: Option<Tlp2>,
    ) -> Result<(Producer, Vec<Value>), ConvertError> {
        if org.name.trim().is_empty() {
            return Err(ConvertError::EmptyOrganisation);
        }
        let org_key = org.key();
        let identity = generated_id("identity", &org_key);
        let markings: Vec<String> = marking
            .map(|m| vec![m.id().to_string()])
            .unwrap_or_default();
        let mut objects = vec![model::to_value(&model::Identity {
            common: Common {
                object_type: "identity",
                spec_version: "2.1",
                id: identity.clone(),
                created_by_ref: None,
                created: STATIC_OBJECTS_CREATED.to_string(),
                modified: STATIC_OBJECTS_CREATED.to_string(),
                confidence: None,
                object_marking_refs: markings.clone(),
            },
            name: org.name.clone(),
            identity_class: "organization",
            contact_information: org.contact_information.clone(),
        })];
        if let Some(m) = marking {
            objects.push(m.object());
        }
        Ok((
            Producer {
                org_key,
                identity,
                markings,
            },
            objects,
        ))
    }
}
