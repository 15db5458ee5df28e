//! Snapshots of every rendered file (both profiles, all providers) and of `mlk plan`.
//! Review changes with `cargo insta review`; accept locally with INSTA_UPDATE=always.
use super::common::{PROFILES, combined, load, load_with, render};
use mlk::distribution::Distribution;
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

/// The same for RKE2 (`--distribution rke2`): every rendered file under every provider, and
/// the plan with RKE2's matrix.
#[test]
fn rke2_rendered_files_and_plan_of_every_profile() {
    for p in PROFILES {
        for prov in Hypervisor::ALL {
            let files =
                mlk::render::render_all(&load_with(p, Some(prov), Distribution::Rke2)).unwrap();
            insta::assert_snapshot!(
                format!("render-rke2-{p}-{}", prov.as_str()),
                combined(&files)
            );
        }
        let plan = mlk::plan::build(
            &load_with(p, None, Distribution::Rke2),
            &format!("<embedded>/profiles/{p}.yaml"),
        );
        insta::assert_snapshot!(format!("plan-rke2-{p}-text"), plan.to_text());
        insta::assert_snapshot!(
            format!("plan-rke2-{p}-json"),
            serde_json::to_string_pretty(&plan).unwrap()
        );
    }
}
