//! Installing and removing the `ferrokeras` kernelspec, so Jupyter lists "Rust (ferrokeras)".
//!
//! Where, as `jupyter kernelspec install` decides: `--user` (the default) is the user's
//! Jupyter data directory (`$JUPYTER_DATA_DIR`, else `~/Library/Jupyter` on macOS, else
//! `$XDG_DATA_HOME/jupyter`, i.e. `~/.local/share/jupyter`); `--sys-prefix` is the active
//! Python environment's `share/jupyter`; `--prefix DIR` is `DIR/share/jupyter`. `uninstall`
//! without a location removes the kernelspec Jupyter would use: the first one on its search
//! path (`$JUPYTER_PATH`, the user's, the environment's, the system's), as
//! `jupyter kernelspec uninstall` does.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// The kernelspec's name, as `jupyter kernelspec list` shows it.
pub const KERNEL_NAME: &str = "ferrokeras";

/// The environment the kernel needs, taken from the installing environment: where libtorch,
/// cargo and ferrokeras's caches are.
const CARRIED_ENV: &[&str] = &[
    "LIBTORCH",
    "LIBTORCH_CXX11_ABI",
    "LD_LIBRARY_PATH",
    "FERROKERAS_HOME",
    "FERROKERAS_PRELUDE_DIR",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "PATH",
];

/// Where a kernelspec goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Location {
    User,
    SysPrefix,
    Prefix(PathBuf),
}

/// What `install` and `uninstall` were asked, from their arguments.
#[derive(Debug, PartialEq)]
pub struct Options {
    /// `None`: no location flag (install: the user's; uninstall: everywhere).
    pub location: Option<Location>,
    /// `--env K=V` pairs for kernel.json, in order (a later one wins).
    pub env: Vec<(String, String)>,
}

impl Options {
    pub fn parse(args: &[String]) -> Result<Self> {
        let mut options = Options {
            location: None,
            env: Vec::new(),
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let location = match arg.as_str() {
                "--user" => Location::User,
                "--sys-prefix" => Location::SysPrefix,
                "--prefix" => Location::Prefix(args.next().context("--prefix needs a DIR")?.into()),
                "--env" => {
                    let pair = args.next().context("--env needs K=V")?;
                    let (k, v) = pair.split_once('=').context("--env needs K=V")?;
                    options.env.push((k.to_string(), v.to_string()));
                    continue;
                }
                other => bail!("unknown argument {other:?}"),
            };
            if options.location.replace(location).is_some() {
                bail!("give one of --user, --sys-prefix, --prefix DIR");
            }
        }
        Ok(options)
    }
}

/// The kernel.json content for a kernel binary at `exe`, with `extra` environment on top of
/// what is carried from the installing environment and the toolchain resolved for everyone.
pub fn kernel_json(exe: &Path, extra: &[(String, String)]) -> serde_json::Value {
    let mut env: serde_json::Map<String, serde_json::Value> = CARRIED_ENV
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| ((*k).to_string(), v.into())))
        .collect();
    for (k, v) in toolchain_env() {
        env.insert(k, v.into());
    }
    for (k, v) in extra {
        env.insert(k.clone(), v.clone().into());
    }
    serde_json::json!({
        "argv": [exe.to_string_lossy(), "--connection-file", "{connection_file}"],
        "display_name": "Rust (ferrokeras)",
        "language": "rust",
        "interrupt_mode": "message",
        "env": env,
        "metadata": { "debugger": false },
    })
}

/// The toolchain and crates of the installing user, named so that any user's kernel finds the
/// same ones: `PATH` starting with the active toolchain's own `bin` (rustup's proxies choose a
/// toolchain from the *running* user's `RUSTUP_HOME`, `~/.rustup`, where another account has
/// none), and `CARGO_HOME` (a prebuilt session was compiled from the crates there; another
/// user's `~/.cargo` does not have them). A rustc that cannot be asked leaves `PATH` as it is.
fn toolchain_env() -> Vec<(String, String)> {
    let mut env = Vec::new();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let sysroot = std::process::Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let mut dirs: Vec<PathBuf> = sysroot.map(|s| s.join("bin")).into_iter().collect();
    for dir in std::env::split_paths(&path) {
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    if let Ok(joined) = std::env::join_paths(&dirs) {
        env.push(("PATH".into(), joined.to_string_lossy().into_owned()));
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join(".cargo")));
    if let Some(home) = cargo_home.filter(|h| h.is_dir()) {
        env.push(("CARGO_HOME".into(), home.to_string_lossy().into_owned()));
    }
    env
}

/// Warns about every path the kernelspec needs that other users cannot reach, when the
/// kernelspec itself is outside the installing user's home (installed for others to use).
fn warn_unreachable(dir: &Path, exe: &Path, env: &serde_json::Value) {
    let home = dirs::home_dir().and_then(|h| h.canonicalize().ok());
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    if home.is_some_and(|h| dir.starts_with(h)) {
        return;
    }
    let first_path = |k: &str| {
        env[k]
            .as_str()
            .and_then(|v| std::env::split_paths(v).next())
    };
    let mut needed: Vec<(&str, PathBuf)> = vec![("the kernel", exe.to_path_buf())];
    for key in [
        "LIBTORCH",
        "CARGO_HOME",
        "FERROKERAS_PRELUDE_DIR",
        "FERROKERAS_PREBUILT",
        "PATH",
    ] {
        needed.extend(first_path(key).map(|p| (key, p)));
    }
    for (what, path) in needed {
        if let Some((blocker, mode)) = crate::reachable::blocked_for_others(&path) {
            eprintln!(
                "warning: other users cannot reach {what} ({}): {} has mode {mode:o}, so their \
                 kernels will not start. For a class, install under a shared folder such as \
                 /opt (docs/jupyterhub.md).",
                path.display(),
                blocker.display()
            );
        }
    }
}

/// The user's Jupyter data directory, as jupyter_core's `jupyter_data_dir()`.
fn user_data_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("JUPYTER_DATA_DIR").filter(|d| !d.is_empty()) {
        return Ok(dir.into());
    }
    let home = dirs::home_dir().context("no home directory")?;
    if cfg!(target_os = "macos") {
        return Ok(home.join("Library/Jupyter"));
    }
    let xdg = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty());
    Ok(xdg
        .map_or_else(|| home.join(".local/share"), PathBuf::from)
        .join("jupyter"))
}

/// `sys.prefix` of the Python on PATH (the active virtualenv or conda environment).
fn sys_prefix() -> Result<PathBuf> {
    for python in ["python3", "python"] {
        let out = std::process::Command::new(python)
            .args(["-c", "import sys; print(sys.prefix)"])
            .output();
        if let Some(out) = out.ok().filter(|o| o.status.success()) {
            return Ok(String::from_utf8_lossy(&out.stdout).trim().into());
        }
    }
    bail!("--sys-prefix: no python3 on PATH to ask for sys.prefix")
}

/// The `jupyter` data directory a location stands for.
fn data_dir(location: &Location) -> Result<PathBuf> {
    Ok(match location {
        Location::User => user_data_dir()?,
        Location::SysPrefix => sys_prefix()?.join("share/jupyter"),
        Location::Prefix(p) => p.join("share/jupyter"),
    })
}

/// Every data directory Jupyter looks for kernelspecs in, in its order.
fn search_path() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("JUPYTER_PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .filter(|d| !d.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    dirs.extend(user_data_dir().ok());
    dirs.extend(sys_prefix().ok().map(|p| p.join("share/jupyter")));
    dirs.extend(["/usr/local/share/jupyter", "/usr/share/jupyter"].map(PathBuf::from));
    dirs.dedup();
    dirs
}

/// Writes kernel.json (atomically) and the logos. Returns the kernelspec's directory.
pub fn install(options: &Options) -> Result<PathBuf> {
    let exe = std::env::current_exe()?.canonicalize()?;
    let location = options.location.clone().unwrap_or(Location::User);
    let dir = data_dir(&location)?.join("kernels").join(KERNEL_NAME);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let spec = kernel_json(&exe, &options.env);
    warn_unreachable(&dir, &exe, &spec["env"]);
    let json = serde_json::to_string_pretty(&spec)?;
    let tmp = dir.join("kernel.json.tmp");
    std::fs::write(&tmp, json)?;
    std::fs::rename(&tmp, dir.join("kernel.json"))?;
    for size in [32, 64] {
        let path = dir.join(format!("logo-{size}x{size}.png"));
        let png = crate::logo::logo_png(size).context("drawing the logo")?;
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(dir)
}

/// Removes the kernelspec from the given location, or the first one on Jupyter's search
/// path. Returns the directory removed; none found is an error.
pub fn uninstall(options: &Options) -> Result<PathBuf> {
    let candidates = match &options.location {
        Some(location) => vec![data_dir(location)?],
        None => search_path(),
    };
    let found = candidates
        .into_iter()
        .map(|data| data.join("kernels").join(KERNEL_NAME))
        .find(|dir| dir.join("kernel.json").is_file());
    let Some(dir) = found else {
        bail!("no {KERNEL_NAME} kernelspec found");
    };
    std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_parse_locations_and_env() {
        let o = Options::parse(&args(&[
            "--prefix", "/opt/x", "--env", "A=1", "--env", "B=x=y",
        ]))
        .unwrap();
        assert_eq!(o.location, Some(Location::Prefix("/opt/x".into())));
        assert_eq!(
            o.env,
            [("A".into(), "1".into()), ("B".into(), "x=y".into())]
        );
        assert_eq!(
            Options::parse(&args(&["--user"])).unwrap().location,
            Some(Location::User)
        );
        assert!(Options::parse(&args(&["--user", "--sys-prefix"])).is_err());
        assert!(Options::parse(&args(&["--env", "novalue"])).is_err());
        assert!(Options::parse(&args(&["--bogus"])).is_err());
    }

    #[test]
    fn the_toolchain_is_named_for_every_user() {
        let json = kernel_json(Path::new("/k"), &[]);
        let path = json["env"]["PATH"].as_str().unwrap();
        let first = std::env::split_paths(path).next().unwrap();
        // The toolchain's own folder (beside its lib/rustlib), not rustup's per-user proxies.
        assert!(first.join("cargo").is_file(), "{first:?}");
        assert!(first.join("../lib/rustlib").is_dir(), "{first:?}");
        let cargo_home = json["env"]["CARGO_HOME"].as_str().unwrap();
        assert!(Path::new(cargo_home).is_dir());
    }

    #[test]
    fn extra_env_overrides_the_carried_one() {
        let json = kernel_json(Path::new("/k"), &[("PATH".into(), "/only".into())]);
        assert_eq!(json["env"]["PATH"], "/only");
        assert_eq!(json["argv"][0], "/k");
    }
}
