//! Input hashes: a stage whose rendered inputs changed since it was done runs again.
use crate::plan::stages::{Action, Stage};
use crate::profile::Profile;
use crate::render::Rendered;
use sha2::{Digest, Sha256};

/// sha256 over the inputs `stage` runs with:
/// - script stages: the script and every rendered file whose path the script mentions
///   (cluster.yml, values/*.yaml, kubeflow/...);
/// - custom stages: the run/check snippets, retry flag and timeout;
/// - host stages: the stage id and the whole profile (they read many parts of it).
pub fn input_hash(stage: &Stage, profile: &Profile, rendered: &Rendered) -> String {
    let mut h = Sha256::new();
    let mut put = |label: &str, data: &[u8]| {
        // Length-prefixed fields so that moving bytes between fields changes the hash.
        h.update(label.as_bytes());
        h.update((data.len() as u64).to_le_bytes());
        h.update(data);
    };
    put("id", stage.id.as_str().as_bytes());
    put("target", stage.target().as_str().as_bytes());
    match &stage.action {
        Action::Script { script, .. } => {
            let text = rendered.get(script).map(String::as_str).unwrap_or("");
            put(script, text.as_bytes());
            for (path, body) in rendered {
                if path != script && text.contains(path.as_str()) {
                    put(path, body.as_bytes());
                }
            }
        }
        Action::Custom { snippets: c, .. } => {
            put("run", c.run.as_bytes());
            put("check", c.check.as_deref().unwrap_or("").as_bytes());
            put("retry", &[u8::from(c.retry)]);
            put("timeout", format!("{:?}", c.timeout).as_bytes());
        }
        Action::Machines | Action::Host(_) => {
            let profile = serde_json::to_vec(profile).unwrap_or_default();
            put("profile", &profile);
            if stage.action == Action::Machines {
                let vf = rendered
                    .get("Vagrantfile")
                    .map(String::as_str)
                    .unwrap_or("");
                put("Vagrantfile", vf.as_bytes());
            }
        }
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::stages::{Snippets, StageName};
    use crate::profile::StageTarget;

    fn custom(run: &str) -> Stage {
        Stage {
            id: StageName::Custom("c".into()),
            title: "c".into(),
            nodes: vec!["node1".into()],
            action: Action::Custom {
                on: StageTarget::AllNodes,
                snippets: Snippets {
                    run: run.into(),
                    check: None,
                    retry: false,
                    timeout: None,
                },
            },
        }
    }

    #[test]
    fn hash_follows_the_inputs_the_stage_uses() {
        let (p, _) = crate::commands::load_profile(&crate::cli::ProfileArgs {
            profile: "mono".into(),
            provider: None,
            distribution: None,
        })
        .unwrap();
        let mut r = Rendered::new();
        r.insert("stages/x.sh".into(), "helm -f values/a.yaml".into());
        r.insert("values/a.yaml".into(), "a: 1".into());
        r.insert("values/b.yaml".into(), "b: 1".into());
        let script = Stage {
            action: Action::Script {
                script: "stages/x.sh".into(),
                on: crate::catalogue::Nodes::All,
            },
            ..custom("")
        };
        let h1 = input_hash(&script, &p, &r);
        r.insert("values/b.yaml".into(), "b: 2".into());
        assert_eq!(h1, input_hash(&script, &p, &r), "unrelated file");
        r.insert("values/a.yaml".into(), "a: 2".into());
        assert_ne!(h1, input_hash(&script, &p, &r), "referenced values file");
        assert_ne!(
            input_hash(&custom("true"), &p, &r),
            input_hash(&custom("false"), &p, &r)
        );
    }
}
