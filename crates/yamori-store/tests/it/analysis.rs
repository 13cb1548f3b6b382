use yamori_store::{FileDigest, NewAnalysis, PutOutcome, StoreError};

use crate::backends::each;

fn file(n: &str) -> FileDigest {
    FileDigest {
        name: format!("{n}.pcap"),
        sha256: format!("{n:0>64}"),
        bytes: 10,
    }
}

fn analysis(files: &[&str], replace: bool) -> NewAnalysis {
    NewAnalysis {
        files: files.iter().map(|f| file(f)).collect(),
        report_json: crate::dashboard::report_json(files.len()),
        first_packet: Some("2024-01-01T00:00:00Z".into()),
        last_packet: None,
        darknet_packets: 7,
        replace_overlapping: replace,
    }
}

#[test]
fn analysis_idempotency_and_overlap() {
    each(|s| {
        let a = analysis(&["a", "b"], false);
        let id = a.id();
        assert_eq!(
            s.put_analysis(&a).expect("put"),
            PutOutcome::Inserted { id: id.clone() }
        );
        assert_eq!(
            s.put_analysis(&a).expect("again"),
            PutOutcome::Replaced { id: id.clone() }
        );
        let got = s.get_analysis(&id).expect("get").expect("stored");
        assert_eq!(got.report_json, crate::dashboard::report_json(2));
        assert_eq!(got.meta.files.len(), 2);
        assert_eq!(got.meta.darknet_packets, 7);
        let overlap = analysis(&["b", "c"], false);
        assert!(matches!(
            s.put_analysis(&overlap),
            Err(StoreError::Conflict(_))
        ));
        let out = s
            .put_analysis(&analysis(&["b", "c"], true))
            .expect("replace");
        assert!(
            matches!(out, PutOutcome::Superseded { ref removed, .. } if removed == &vec![id.clone()])
        );
        assert!(s.get_analysis(&id).expect("get").is_none());
        assert_eq!(s.list_analyses().expect("list").len(), 1);
    });
}
