//! Group docker's GID on the nodes (issue 10, defect 7): the Telegraf DaemonSet reads the
//! Docker socket through `supplementalGroups: [DOCKER_GID]`, so the docker stage gives group
//! `docker` that GID (and the socket that group). The stage's group functions run on a real
//! sshd test host with sudo; a render test holds the two sides to the one constant.
use crate::node_render::{embedded, eval_in, load_text};
use crate::ssh_support::{TestHosts, have_root, run};
use mlk::profile::Hypervisor;
use mlk::remote::Runner;
use mlk::render::context::DOCKER_GID;

/// Calls `f` of the rendered docker stage (sourced, so `main` does not run) on the node.
fn call(r: &dyn Runner, f: &str) -> (i32, Vec<String>) {
    run(
        r,
        &format!("bash -c 'source /opt/mlk/stages/docker.sh && {f}' 2>&1"),
    )
}

fn gid_of(r: &dyn Runner, group: &str) -> String {
    run(r, &format!("getent group {group} | cut -d: -f3"))
        .1
        .join("")
}

const SOCK: &str = "/var/run/docker.sock";

#[test]
fn the_docker_stage_gives_group_docker_its_gid_on_a_real_host() {
    let test = "the_docker_stage_gives_group_docker_its_gid_on_a_real_host";
    if !have_root(test) {
        return;
    }
    let gid = DOCKER_GID.to_string();
    let p = load_text(&embedded("mono"), None);
    let script = mlk::render::render_all(&p).unwrap()["stages/docker.sh"].clone();
    let lab = TestHosts::up(1);
    let r = lab.connect(1);
    let (st, out) = run(
        &r,
        "sudo mkdir -p /opt/mlk/stages && sudo chown -R \"$(id -un)\" /opt/mlk",
    );
    assert_eq!(st, 0, "{out:?}");
    r.upload(script.as_bytes(), "/opt/mlk/stages/docker.sh", 0o755)
        .unwrap();
    // The node's groups come from this machine's /etc/group (copy on write): start clean.
    run(&r, "sudo groupdel docker 2>/dev/null; true");
    assert_eq!(
        run(&r, &format!("getent group {gid}")).1,
        Vec::<String>::new(),
        "GID {gid} is free on a fresh node"
    );

    // 1. No group docker (a fresh box): created with the GID, before any Docker exists.
    let (st, out) = call(&r, "docker_group_ok");
    assert_eq!(
        (st, out),
        (1, vec![format!("group docker has GID none, not {gid}")])
    );
    let (st, out) = call(&r, "docker_group");
    assert_eq!(
        (st, out),
        (0, vec![format!("created group docker with GID {gid}")])
    );
    assert_eq!(gid_of(&r, "docker"), gid);
    assert_eq!(call(&r, "docker_group_ok"), (0, vec![]));
    // A second run changes nothing and says nothing.
    let sums = "sudo sha256sum /etc/group /etc/gshadow";
    let before = run(&r, sums).1;
    assert_eq!(call(&r, "docker_group"), (0, vec![]));
    assert_eq!(run(&r, sums).1, before);

    // 2. Group docker with another GID (an earlier Docker: docker-ce's postinst makes it a
    //    system group), the login user in it, and the socket that Docker made for that GID
    //    (a real Unix socket, root:docker 0660, as dockerd leaves it).
    let (st, out) = run(
        &r,
        &format!(
            "sudo groupdel docker && sudo groupadd --system docker && sudo usermod -aG docker \"$(id -un)\" \
             && sudo /usr/bin/python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind(\"{SOCK}\")' \
             && sudo chgrp docker {SOCK} && sudo chmod 0660 {SOCK}"
        ),
    );
    assert_eq!(st, 0, "{out:?}");
    let old = gid_of(&r, "docker");
    assert!(!old.is_empty() && old != gid, "{old}");
    assert_eq!(run(&r, &format!("stat -c %g {SOCK}")).1, [old.as_str()]);
    let (st, out) = call(&r, "docker_group_ok");
    assert_eq!(
        (st, out),
        (1, vec![format!("group docker has GID {old}, not {gid}")])
    );
    let (st, out) = call(&r, "docker_group");
    assert_eq!(
        (st, out),
        (
            0,
            vec![
                format!("group docker had GID {old}, now {gid}"),
                format!("{SOCK} had group GID {old}, now {gid}"),
            ]
        )
    );
    assert_eq!(gid_of(&r, "docker"), gid);
    assert_eq!(
        run(&r, &format!("stat -c '%F %U %g %a' {SOCK}")).1,
        [format!("socket root {gid} 660")]
    );
    // The login user stays in the renumbered group.
    let (_, members) = run(&r, "getent group docker | cut -d: -f4");
    assert!(
        members.join("").split(',').any(|m| m == "vagrant"),
        "{members:?}"
    );
    assert_eq!(call(&r, "docker_group_ok"), (0, vec![]));
    let before = run(&r, &format!("{sums}; sudo stat -c %Z {SOCK}")).1;
    assert_eq!(call(&r, "docker_group"), (0, vec![]));
    assert_eq!(
        run(&r, &format!("{sums}; sudo stat -c %Z {SOCK}")).1,
        before
    );

    // The socket alone drifts (a daemon that made it while the group was renumbered).
    run(&r, &format!("sudo chgrp root {SOCK}"));
    let (st, out) = call(&r, "docker_group_ok");
    assert_eq!(
        (st, out),
        (1, vec![format!("{SOCK} has group GID 0, not {gid}")])
    );
    let (st, out) = call(&r, "docker_group");
    assert_eq!(
        (st, out),
        (0, vec![format!("{SOCK} had group GID 0, now {gid}")])
    );
    assert_eq!(call(&r, "docker_group_ok"), (0, vec![]));

    // 3. The GID belongs to another group: nothing is changed, and the message says which
    //    group and what to do; with group docker absent and present.
    let taken = format!(
        "GID {gid} belongs to group mlkother, but group docker needs it (the Telegraf DaemonSet reads the Docker socket with that GID): give mlkother another GID (groupmod -g NEW mlkother) or use a fresh box"
    );
    for setup in [
        format!("sudo groupdel docker && sudo groupadd -g {gid} mlkother"),
        "sudo groupadd --system docker".to_string(),
    ] {
        let (st, out) = run(&r, &setup);
        assert_eq!(st, 0, "{setup}: {out:?}");
        let before = run(&r, sums).1;
        let (st, out) = call(&r, "docker_group");
        assert_eq!((st, out), (1, vec![taken.clone()]), "{setup}");
        assert_eq!(run(&r, sums).1, before, "{setup}: nothing changed");
        assert_ne!(gid_of(&r, "docker"), gid);
    }
    // The stage's `run` stops there, before it configures or installs anything.
    let (st, out) = run(&r, "bash /opt/mlk/stages/docker.sh run 2>&1");
    assert_eq!((st, out), (1, vec![taken]));
}

/// One source of truth: the Telegraf DaemonSet's supplementalGroups and the docker stage's
/// GID are the same constant, neither template writes the number itself, and the stage
/// settles the group before it installs Docker and checks it in `check` and after `run`.
#[test]
fn the_daemonset_and_the_docker_stage_share_one_gid() {
    let p = load_text(&embedded("distributed"), Some(Hypervisor::Virtualbox));
    let files = mlk::render::render_all(&p).unwrap();
    let plan = mlk::plan::build(&p, "");
    let ds = plan
        .helm_releases
        .iter()
        .find(|r| r.release == "telegraf-ds")
        .expect("telegraf-ds release");
    let values: serde_yaml_ng::Value = serde_yaml_ng::from_str(&files[&ds.values]).unwrap();
    let groups: Vec<u64> = values["podSecurityContext"]["supplementalGroups"]
        .as_sequence()
        .expect("supplementalGroups")
        .iter()
        .map(|g| g.as_u64().unwrap())
        .collect();
    let docker = &files["stages/docker.sh"];
    let stage_gid: u64 = eval_in(docker, "echo \"$DOCKER_GID\"")
        .trim()
        .parse()
        .unwrap();
    assert_eq!(groups, [stage_gid]);
    assert_eq!(stage_gid, u64::from(DOCKER_GID));
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    for t in ["stages/docker.sh.hbs", "helm/telegraf-ds.yaml.hbs"] {
        let text = std::fs::read_to_string(root.join(t)).unwrap();
        assert!(
            text.contains("{{docker_gid}}") && !text.contains(&DOCKER_GID.to_string()),
            "{t} must take the GID from the context"
        );
    }
    let body = |f: &str| -> &str {
        let start = docker.find(&format!("\n{f}() {{\n")).expect(f);
        let rest = &docker[start + 1..];
        &rest[..rest.find("\n}\n").unwrap()]
    };
    let run_fn = body("run");
    let group_at = run_fn
        .find("\n  docker_group\n")
        .expect("run calls docker_group");
    assert!(group_at < run_fn.find("mlk-install-docker.sh").unwrap());
    assert!(
        run_fn
            .trim_end()
            .lines()
            .rev()
            .nth(1)
            .unwrap()
            .contains("docker_group_ok")
    );
    assert!(body("check").contains("docker_group_ok"));
}
