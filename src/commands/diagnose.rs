//! `mlk diagnose`: write the diagnostics bundle of a cluster and print its path.
use crate::cli::Global;
use crate::exit::{Class, classify};
use anyhow::Result;
use clap::Args;

#[derive(Debug, Args)]
pub struct DiagnoseArgs {
    /// The cluster (its folder under the mlk home). Default: the only cluster there.
    #[arg(long)]
    pub cluster: Option<String>,
}

pub fn run(g: &Global, a: &DiagnoseArgs) -> Result<()> {
    let home = super::doctor::home(g);
    let name = match &a.cluster {
        Some(n) => {
            crate::state::check_cluster_name(n)?;
            n.clone()
        }
        None => {
            let mut names: Vec<String> = std::fs::read_dir(&home)
                .map(|rd| {
                    rd.filter_map(Result::ok)
                        .filter(|e| e.path().is_dir())
                        .filter_map(|e| e.file_name().to_str().map(str::to_string))
                        .filter(|n| crate::state::is_cluster_name(n))
                        .collect()
                })
                .unwrap_or_default();
            names.sort();
            match names.as_slice() {
                [one] => one.clone(),
                [] => {
                    return Err(classify(
                        Class::Usage,
                        format!(
                            "no cluster folder under {}; run `mlk up` first or pass --dir",
                            home.display()
                        ),
                    ));
                }
                many => {
                    return Err(classify(
                        Class::Usage,
                        format!(
                            "several clusters under {}: {}; choose one with --cluster",
                            home.display(),
                            many.join(", ")
                        ),
                    ));
                }
            }
        }
    };
    let dir = home.join(&name);
    if !dir.is_dir() {
        return Err(classify(
            Class::Usage,
            format!("--cluster: no folder {}", dir.display()),
        ));
    }
    let path = crate::diagnose::write(&dir)?;
    println!("{}", path.display());
    Ok(())
}
