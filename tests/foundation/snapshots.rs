//! Snapshots of every rendered file (both profiles, all providers) and of `mlk plan`.
//! Review changes with `cargo insta review`; accept locally with INSTA_UPDATE=always.
use super::common::{PROFILES, combined, load, render};
use mlk::profile::Hypervisor;

#[test]
fn rendered_files_of_every_profile_and_provider() {
    for p in PROFILES {
        for prov in Hypervisor::ALL {
            let files = render(p, prov);
            insta::assert_snapshot!(format!("render-{p}-{}", prov.as_str()), combined(&files));
        }
    }
}

#[test]
fn plan_text_and_json() {
    for p in PROFILES {
        let plan = mlk::plan::build(&load(p, None), &format!("<embedded>/profiles/{p}.yaml"));
        insta::assert_snapshot!(format!("plan-{p}-text"), plan.to_text());
        insta::assert_snapshot!(
            format!("plan-{p}-json"),
            serde_json::to_string_pretty(&plan).unwrap()
        );
    }
}
