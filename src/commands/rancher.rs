//! `mlk rancher reset-password`: a new admin password from Rancher's own reset command, shown
//! once on the terminal and stored 0600 in `<cluster>/secrets/rancher-admin-password`.
use crate::cli::{ClusterArg, Global};
use crate::exit::{Class, classify};
use crate::login::{rancher, reset};
use anyhow::Result;
use clap::{Args, Subcommand};
use std::io::IsTerminal;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk rancher reset-password        # a new admin password, shown once on a terminal
  mlk rancher reset-password -c distributed")]
pub struct RancherArgs {
    #[command(subcommand)]
    pub command: RancherCommand,
}

#[derive(Debug, Subcommand)]
pub enum RancherCommand {
    /// Reset the admin password (`kubectl -n cattle-system exec <rancher pod> -- reset-password`
    /// on the first controlplane node). Shown on a terminal only, stored 0600.
    ResetPassword(ResetArgs),
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk rancher reset-password
  mlk rancher reset-password -c distributed")]
pub struct ResetArgs {
    #[command(flatten)]
    pub cluster: ClusterArg,
}

pub fn run(g: &Global, a: &RancherArgs) -> Result<()> {
    match &a.command {
        RancherCommand::ResetPassword(r) => reset_password(g, r),
    }
}

fn reset_password(g: &Global, a: &ResetArgs) -> Result<()> {
    let c = super::open_cluster(g, &a.cluster)?.machines(None)?;
    c.require_machines()?;
    if !c.profile.components.rancher.enabled {
        return Err(classify(
            Class::Usage,
            format!(
                "cluster {} has no Rancher (components.rancher.enabled: false)",
                c.profile.name
            ),
        ));
    }
    let runner = c.first_controlplane()?;
    let (pod, user, password) =
        reset::run(runner.as_ref()).map_err(|e| crate::exit::retag(Class::Remote, e))?;
    let file = crate::stages::secrets::path(c.c.dir(), rancher::RESET_FILE);
    // The secrets folder exists after `mlk up`; keep it 0700 like the secrets stage does.
    reset::ensure_secrets_dir(c.c.dir())?;
    crate::fsutil::write_atomic(&file, password.as_bytes(), Some(0o600))?;
    eprintln!(
        "mlk: reset the password of Rancher's admin ({user}) in pod {pod}; stored in {} (0600)",
        file.display()
    );
    if std::io::stdout().is_terminal() {
        println!("{password}");
        eprintln!(
            "mlk: this is the only time mlk shows it. Log in as admin with it: Rancher then asks for a new password and preselects \"{}\"; choose \"{}\" and type your own.",
            crate::login::text::USE_RANDOM,
            crate::login::text::USE_MANUAL
        );
    } else {
        eprintln!("mlk: not printed: stdout is not a terminal; read it from the file");
    }
    Ok(())
}
