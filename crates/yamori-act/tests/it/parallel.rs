//! Selection on several threads gives the one-thread result, and so the same bytes.

use serde_json::json;
use yamori_act::{ConfidenceScore, Export, Format, Request};

use crate::fixtures::{criteria, indicator, options, standard};

/// Several batches' worth of objects of every fate: listed, left out for each reason,
/// malformed, not JSON, repeated ids (the last copy is the one kept), and more than
/// `MAX_LISTED_SKIPS` skips so the listed ones must be the first in store order, and ids
/// written with JSON escapes (not a slice of the text: kept apart on the threads).
fn objects() -> Vec<String> {
    let mut out = Vec::new();
    let batches = yamori_act::parallel::BATCH_OBJECTS * 3 + 17;
    for n in 0..batches as u32 {
        let o = match n % 9 {
            0 => indicator(
                n,
                &format!("[ipv4-addr:value = '10.{}.{}.1']", n >> 8 & 255, n & 255),
                json!({}),
            ),
            1 => indicator(
                n,
                "[ipv4-addr:value = '198.51.100.7']",
                json!({"confidence": 40 + n % 40}),
            ),
            2 => indicator(
                n,
                &format!(
                    "[domain-name:value = 'h{n}.test' OR ipv6-addr:value = '2001:db8::{:x}']",
                    n
                ),
                json!({}),
            ),
            3 => indicator(
                n,
                "[ipv4-addr:value = '198.51.100.9']",
                json!({"valid_until": "2026-11-30T00:00:00Z"}),
            ),
            4 => indicator(
                n,
                &format!("[ipv4-addr:value = '10.0.{}.7/24']", n & 255),
                json!({}),
            ),
            5 => format!("{{\"id\": \"indicator--{n}\", \"type\": "),
            // The same id as an earlier object, with another value.
            6 => indicator(
                n - 6,
                &format!("[url:value = 'http://u{n}.test/x']"),
                json!({}),
            ),
            7 => indicator(
                n,
                "[ipv4-addr:value = '1.2.3.4'] WITHIN 5 SECONDS",
                json!({}),
            ),
            _ => indicator(
                n,
                "[ipv4-addr:value = '198.51.100.11']",
                json!({"confidence": 10}),
            ),
        };
        out.push(o);
    }
    // An id with an escape, and an escaped copy of an earlier object's id followed by a plain
    // one: the last copy is kept.
    let escaped = |o: String| o.replacen("\"indicator--", "\"indicator\\u002d-", 1);
    out.push(escaped(indicator(
        900_001,
        "[ipv4-addr:value = '198.51.100.21']",
        json!({}),
    )));
    out.push(escaped(indicator(
        900_002,
        "[ipv4-addr:value = '198.51.100.22']",
        json!({}),
    )));
    out.push(indicator(
        900_002,
        "[ipv4-addr:value = '198.51.100.23']",
        json!({}),
    ));
    out.extend(standard());
    out
}

fn read(format: Format, workers: usize, objects: &[String]) -> Export {
    let request = Request {
        format,
        criteria: criteria(),
        options: options(),
    };
    request
        .read_on(workers, &ConfidenceScore, |push| {
            objects.iter().for_each(|o| push(o));
            Ok::<_, ()>(())
        })
        .expect("the source does not fail")
}

#[test]
fn threads_select_what_one_thread_selects_byte_for_byte() {
    let objects = objects();
    for format in Format::ALL {
        let one = read(format, 1, &objects);
        assert!(one.selected.skips.listed.len() == yamori_act::select::MAX_LISTED_SKIPS);
        assert!(
            one.selected.entries.len() > 1500,
            "{}",
            one.selected.entries.len()
        );
        for workers in [2, 3, 8] {
            let many = read(format, workers, &objects);
            let s = (&one.selected, &many.selected);
            assert_eq!(s.0.read, s.1.read, "{workers} threads");
            assert_eq!(s.0.indicators, s.1.indicators);
            assert_eq!(s.0.entries, s.1.entries, "{workers} threads");
            assert_eq!(s.0.objects, s.1.objects);
            assert_eq!(s.0.skips, s.1.skips, "{workers} threads");
            let (a, _) = one.render().expect("render");
            let (b, _) = many.render().expect("render");
            assert_eq!(a, b, "{} on {workers} threads", format.name());
            if format == Format::Stix {
                // The escaped ids' objects are in the bundle, the last copy of a repeated one.
                let bundle = String::from_utf8_lossy(&b[0].bytes);
                assert!(bundle.contains("198.51.100.21"), "escaped id kept");
                assert!(bundle.contains("198.51.100.23"), "last copy kept");
                assert!(!bundle.contains("198.51.100.22"), "earlier copy dropped");
            }
        }
    }
}

#[test]
fn a_failing_source_is_an_error_with_threads_too() {
    let objects = objects();
    for workers in [1, 4] {
        let request = Request {
            format: Format::Csv,
            criteria: criteria(),
            options: options(),
        };
        let mut handed = 0;
        let result = request.read_on(workers, &ConfidenceScore, |push| {
            for o in &objects {
                if handed == 2500 {
                    return Err("store gone");
                }
                push(o);
                handed += 1;
            }
            Ok(())
        });
        assert_eq!(result.err(), Some("store gone"), "{workers} threads");
    }
}
