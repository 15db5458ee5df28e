//! docs/measurement.md and docs/contracts.md say what the code does.

/// The sources table in docs/measurement.md is the one `src/report/sources.rs` uses.
#[test]
fn the_sources_table_in_the_docs_is_the_codes() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/measurement.md"))
        .unwrap();
    let table = mlk::report::sources::markdown();
    assert!(
        doc.contains(&table),
        "docs/measurement.md lacks the current sources table; paste:\n{table}"
    );
}

/// Every measurement and field the report reads is cited in docs/contracts.md.
#[test]
fn every_queried_field_is_cited_in_the_contracts() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/contracts.md")).unwrap();
    let section = doc
        .split("## Telegraf measurements")
        .nth(1)
        .expect("a \"Telegraf measurements\" section");
    for s in mlk::report::queries::ALL {
        assert!(
            section.contains(&format!("`{}`", s.measurement)),
            "{}",
            s.measurement
        );
        for f in s.fields {
            assert!(section.contains(&format!("`{f}`")), "{}.{f}", s.measurement);
        }
        for t in s.group_by {
            assert!(
                section.contains(&format!("`{t}`")),
                "{}: tag {t}",
                s.measurement
            );
        }
    }
}
