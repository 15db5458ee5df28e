//! Which stages of the plan a run covers: `--from`, `--only` and `--skip`.
use crate::exit::{Class, classify};
use crate::plan::stages::Stage;
use anyhow::Result;

/// The user's selection, as given on the command line.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub from: Option<String>,
    pub only: Vec<String>,
    pub skip: Vec<String>,
}

/// Indexes (into `stages`, in plan order) of the stages to run. Unknown ids are a usage
/// error listing the valid ones.
pub fn select(stages: &[Stage], sel: &Selection) -> Result<Vec<usize>> {
    let ids: Vec<&str> = stages.iter().map(|s| s.id.as_str()).collect();
    let check = |flag: &str, id: &str| -> Result<usize> {
        ids.iter().position(|x| *x == id).ok_or_else(|| {
            classify(
                Class::Usage,
                format!(
                    "{flag}: no stage `{id}` in this plan; valid stage ids: {}",
                    ids.join(", ")
                ),
            )
        })
    };
    let start = match &sel.from {
        Some(id) => check("--from", id)?,
        None => 0,
    };
    let only = sel
        .only
        .iter()
        .map(|id| check("--only", id))
        .collect::<Result<Vec<_>>>()?;
    let skip = sel
        .skip
        .iter()
        .map(|id| check("--skip", id))
        .collect::<Result<Vec<_>>>()?;
    let picked: Vec<usize> = (start..stages.len())
        .filter(|i| only.is_empty() || only.contains(i))
        .filter(|i| !skip.contains(i))
        .collect();
    if picked.is_empty() {
        return Err(classify(
            Class::Usage,
            "--from/--only/--skip leave no stage to run".to_string(),
        ));
    }
    Ok(picked)
}

/// Splits comma-separated flag values (`--only a,b --only c`).
pub fn split_ids(values: &[String]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::stages::{Action, Snippets, StageName};
    use crate::profile::StageTarget;

    fn st(id: &str) -> Stage {
        Stage {
            id: StageName::Custom(id.into()),
            title: id.into(),
            nodes: vec![],
            action: Action::Custom {
                on: StageTarget::Host,
                snippets: Snippets {
                    run: "true".into(),
                    check: None,
                    retry: false,
                    timeout: None,
                },
            },
        }
    }

    #[test]
    fn from_only_skip_and_unknown_ids() {
        let s: Vec<Stage> = ["a", "b", "c", "d"].iter().map(|x| st(x)).collect();
        let sel = |from: Option<&str>, only: &[&str], skip: &[&str]| Selection {
            from: from.map(str::to_string),
            only: only.iter().map(|x| x.to_string()).collect(),
            skip: skip.iter().map(|x| x.to_string()).collect(),
        };
        assert_eq!(select(&s, &sel(None, &[], &[])).unwrap(), vec![0, 1, 2, 3]);
        assert_eq!(
            select(&s, &sel(Some("b"), &[], &["c"])).unwrap(),
            vec![1, 3]
        );
        assert_eq!(
            select(&s, &sel(None, &["d", "a"], &[])).unwrap(),
            vec![0, 3]
        );
        let err = select(&s, &sel(None, &["x"], &[])).unwrap_err();
        assert!(err.to_string().contains("valid stage ids: a, b, c, d"));
        assert_eq!(crate::exit::class_of(&err), Class::Usage);
        assert!(select(&s, &sel(None, &["a"], &["a"])).is_err());
        assert_eq!(split_ids(&["a, b".into(), "c".into()]), vec!["a", "b", "c"]);
    }
}
