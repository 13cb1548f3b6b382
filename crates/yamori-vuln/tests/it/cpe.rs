use yamori_vuln::cpe::{Component, Cpe, CpeError, Part, Piece, MAX_CPE_LEN};

#[test]
fn parses_formatted_string_with_escapes() {
    let c = Cpe::parse("cpe:2.3:o:hikvision:ds-2cd2026g2-iu\\/sl_firmware:*:*:*:*:*:*:*:*")
        .expect("valid CPE");
    assert_eq!(c.part, Part::OperatingSystem);
    assert_eq!(c.vendor.as_literal().as_deref(), Some("hikvision"));
    assert_eq!(
        c.product.as_literal().as_deref(),
        Some("ds-2cd2026g2-iu/sl_firmware"),
        "\\/ unescapes to /"
    );
    assert_eq!(c.version, Component::Any);
    // Re-binding escapes the specials again, so index keys are stable.
    assert_eq!(c.product.to_string(), "ds-2cd2026g2-iu\\/sl_firmware");
}

#[test]
fn escaped_colon_does_not_split_and_na_is_kept() {
    let c = Cpe::parse("cpe:2.3:a:vendor:prod\\:uct:1.0:-:*:*:*:*:*:*").expect("valid CPE");
    assert_eq!(c.product.as_literal().as_deref(), Some("prod:uct"));
    assert_eq!(c.update, Component::Na);
    assert_eq!(c.version.as_literal().as_deref(), Some("1.0"));
}

#[test]
fn unquoted_wildcards_inside_values() {
    let c = Cpe::parse("cpe:2.3:h:huawei:hg53?:*:*:*:*:*:*:*:*").expect("valid CPE");
    assert_eq!(
        c.product,
        Component::Value(vec![
            Piece::Lit('h'),
            Piece::Lit('g'),
            Piece::Lit('5'),
            Piece::Lit('3'),
            Piece::Question
        ])
    );
    assert!(c.product.matches_literal("HG532"));
    assert!(!c.product.matches_literal("hg5320"));
    let star = Cpe::parse("cpe:2.3:h:huawei:hg*:*:*:*:*:*:*:*:*").expect("valid CPE");
    assert!(star.product.matches_literal("hg532"));
    assert!(star.product.matches_literal("hg"));
    assert!(!star.product.matches_literal("ws5200"));
}

#[test]
fn rejects_bad_strings_with_reasons() {
    assert_eq!(
        Cpe::parse("cpe:/o:vendor:product"),
        Err(CpeError::BadPrefix)
    );
    assert_eq!(
        Cpe::parse("cpe:2.3:o:vendor:product:1.0"),
        Err(CpeError::ComponentCount { found: 4 })
    );
    assert_eq!(
        Cpe::parse("cpe:2.3:x:v:p:*:*:*:*:*:*:*:*"),
        Err(CpeError::BadPart("x".into()))
    );
    assert_eq!(
        Cpe::parse("cpe:2.3:o:v:p:*:*:*:*:*:*:*:abc\\"),
        Err(CpeError::TrailingBackslash { index: 10 })
    );
    assert_eq!(
        Cpe::parse("cpe:2.3:o::p:*:*:*:*:*:*:*:*"),
        Err(CpeError::Empty { index: 1 })
    );
    let long = format!("cpe:2.3:o:v:{}:*:*:*:*:*:*:*:*", "p".repeat(MAX_CPE_LEN));
    assert!(matches!(Cpe::parse(&long), Err(CpeError::TooLong { .. })));
}

#[test]
fn uri_binding_for_device_identities() {
    let c = Cpe::parse_any("cpe:/h:hikvision:ds-2cd2026g2-iu%2fsl:5.5.0").expect("valid URI");
    assert_eq!(c.part, Part::Hardware);
    assert_eq!(
        c.product.as_literal().as_deref(),
        Some("ds-2cd2026g2-iu/sl")
    );
    assert_eq!(c.version.as_literal().as_deref(), Some("5.5.0"));
    assert_eq!(c.update, Component::Any, "missing attributes are ANY");
    // Malformed percent escapes are kept, never a panic (also on multi-byte text).
    let odd = Cpe::parse_any("cpe:/a:v:p%zz%e6%97:1").expect("valid URI");
    assert!(odd.product.as_literal().is_some());
}

#[test]
fn display_round_trips() {
    let s = "cpe:2.3:o:huawei:hg532_firmware:-:*:*:*:*:*:*:*";
    assert_eq!(Cpe::parse(s).expect("valid CPE").to_string(), s);
}
