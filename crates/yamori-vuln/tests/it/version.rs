use std::cmp::Ordering::{self, Equal, Greater, Less};

use yamori_vuln::version::{compare, Check, Range};

#[test]
fn comparison_table() {
    let table: &[(&str, &str, Option<Ordering>)] = &[
        ("1.0", "1.0", Some(Equal)),
        ("1.0", "1.0.0", Some(Equal)),
        ("1.10", "1.9", Some(Greater)),
        ("1.2.3", "1.2.10", Some(Less)),
        ("01.02", "1.2", Some(Equal)),
        ("V5.4.5", "5.4.5", Some(Equal)),
        ("v5.5.0 build 170725", "5.5.800", Some(Less)),
        ("5.5.800", "5.5.800", Some(Equal)),
        ("1.0.2k", "1.0.2", Some(Greater)),
        ("1.0.2a", "1.0.2b", Some(Less)),
        ("1.0rc1", "1.0", Some(Less)),
        ("1.0-beta", "1.0-rc1", Some(Less)),
        ("1.0-alpha", "1.0-beta", Some(Less)),
        ("2016.74", "2016.73", Some(Greater)),
        ("2019.78", "2016.74", Some(Greater)),
        ("7.4p1", "7.4", Some(Greater)),
        ("99999999999999999999.1", "1.0", Some(Greater)),
        ("V100R001C01B020", "V100R001C01B021", Some(Less)),
        // A number meets a word at the first difference: cannot be ordered.
        ("1.2.3", "1.2.b3", None),
        // Not versions at all.
        ("", "1.0", None),
        ("-", "1.0", None),
        ("*", "1.0", None),
        ("latest", "1.0", None),
        ("1.0<script>", "1.0", None),
    ];
    for (a, b, want) in table {
        assert_eq!(compare(a, b), *want, "compare({a:?}, {b:?})");
        assert_eq!(
            compare(b, a),
            want.map(Ordering::reverse),
            "compare({b:?}, {a:?}) is the reverse"
        );
    }
    let too_long = "1.".repeat(100);
    assert_eq!(compare(&too_long, "1.0"), None);
}

#[test]
fn ranges_at_their_boundaries() {
    let end_excl = Range {
        end_excluding: Some("5.5.800"),
        ..Range::default()
    };
    assert_eq!(end_excl.check("5.5.799"), Check::Inside);
    assert_eq!(end_excl.check("5.5.800"), Check::Outside);
    assert_eq!(end_excl.check("5.5.801"), Check::Outside);
    let incl = Range {
        start_including: Some("5.5.0"),
        end_including: Some("5.5.600"),
        ..Range::default()
    };
    assert_eq!(incl.check("5.5.0"), Check::Inside);
    assert_eq!(incl.check("5.5.600"), Check::Inside);
    assert_eq!(incl.check("5.4.99"), Check::Outside);
    assert_eq!(incl.check("5.5.601"), Check::Outside);
    let excl_start = Range {
        start_excluding: Some("1.0"),
        ..Range::default()
    };
    assert_eq!(excl_start.check("1.0"), Check::Outside);
    assert_eq!(excl_start.check("1.0.1"), Check::Inside);
    assert!(matches!(incl.check("unknown"), Check::Unknown(_)));
    // One bound that excludes settles it even when another cannot be compared.
    let mixed = Range {
        start_including: Some("b2"),
        end_excluding: Some("2.0"),
        ..Range::default()
    };
    assert_eq!(mixed.check("3.0"), Check::Outside);
    assert!(matches!(mixed.check("1.0"), Check::Unknown(_)));
    assert_eq!(incl.describe(), ">= 5.5.0, <= 5.5.600");
}
