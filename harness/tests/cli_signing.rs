//! Signed reports end to end on real PostgreSQL 16 (issue 15): `keygen`,
//! `run`/`report merge --sign-key`, `gate --trusted-key`, a forger who edits
//! a verdict and recomputes `integrity_sha256`, another key, an unsigned
//! report, a signed sharded run merged and re-signed, the standard
//! `minisign` verifier, and no secret key text in any output.
//!
//! The `minisign` command-line tool (Debian package `minisign`) is the
//! standard verifier; the test that needs it is a `prereq_*` test (skipped by
//! the default nextest profile, run by `--profile ci`, where its absence fails).

mod common;

use common::{
    assert_exit, assert_exit_says, assert_says, code, err, kernel, merge_args, out, read_json, s,
    text, tmp,
};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

/// Everything every command printed, to search for the secret key at the end.
static OUTPUTS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// `pgconform` with no signing key from the environment.
fn bin() -> Command {
    let mut c = common::bin();
    c.env_remove("PGCONFORM_SIGN_KEY")
        .env_remove("PGCONFORM_SIGN_KEY_FILE");
    c
}

fn record(o: &Output) {
    let mut all = OUTPUTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    all.push(out(o));
    all.push(err(o));
}

/// Run `c`, recording its output for `assert_no_secret`.
fn exec(mut c: Command) -> Output {
    let o = c.output().expect("run command");
    record(&o);
    o
}

/// Run `pgconform` with `args`, recording its output.
fn run(args: &[&str]) -> Output {
    let mut c = bin();
    c.args(args);
    exec(c)
}

struct Keys {
    secret: PathBuf,
    public: PathBuf,
    /// The secret key's base64 line: must never appear in any output.
    secret_line: String,
    id: String,
}

fn keygen(dir: &Path) -> Keys {
    let o = run(&["keygen", "-o", s(dir)]);
    assert_exit(&o, 0);
    let secret = dir.join("pgconform.key");
    let text = std::fs::read_to_string(&secret).expect("secret key file");
    let secret_line = text.lines().nth(1).expect("base64 line").to_owned();
    let id = out(&o)
        .lines()
        .find_map(|l| l.strip_prefix("key id:"))
        .expect("key id printed")
        .trim()
        .to_owned();
    Keys {
        secret,
        public: dir.join("pgconform.pub"),
        secret_line,
        id,
    }
}

fn b64decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes().take_while(|c| *c != b'=') {
        let v = ALPHABET
            .iter()
            .position(|a| *a == c)
            .expect("base64 character");
        acc = (acc << 6) | u32::try_from(v).expect("6 bits");
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).expect("byte"));
        }
    }
    out
}

/// Assert that no recorded output and no file under `dirs` (other than the
/// secret key file itself) contains the secret key: its base64 line, any
/// 20 characters of it that encode only the secret seed, or the seed in hex
/// or as a Debug byte list. (The rest of the line is public: zero KDF
/// fields, the key number and the public key.)
fn assert_no_secret(keys: &Keys, dirs: &[&Path]) {
    // minisign's secret key: sig_alg 2, kdf_alg 2, chk_alg 2, salt 32,
    // opslimit 8, memlimit 8, keynum 8, then the 32-byte seed.
    let raw = b64decode(&keys.secret_line);
    let seed = &raw[62..94];
    let mut needles: Vec<String> = vec![keys.secret_line.clone()];
    // Characters 84..124 of the base64 line encode seed bytes only.
    for i in (84..=104).step_by(4) {
        needles.push(keys.secret_line[i..i + 20].to_owned());
    }
    let hex: String = seed.iter().map(|b| format!("{b:02x}")).collect();
    needles.push(hex[..24].to_owned());
    needles.push(hex[..24].to_uppercase());
    needles.push(format!("{:?}", &seed[..8]).trim_end_matches(']').to_owned());
    let check = |what: &str, text: &str| {
        for n in &needles {
            assert!(
                !text.contains(n.as_str()),
                "{what} contains secret key material"
            );
        }
    };
    for o in OUTPUTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
    {
        check("command output", o);
    }
    for d in dirs {
        let mut stack = vec![d.to_path_buf()];
        while let Some(p) = stack.pop() {
            if p == keys.secret {
                continue;
            }
            if p.is_dir() {
                for e in std::fs::read_dir(&p).expect("read dir").flatten() {
                    stack.push(e.path());
                }
            } else if let Ok(bytes) = std::fs::read(&p) {
                check(&p.display().to_string(), &String::from_utf8_lossy(&bytes));
            }
        }
    }
}

/// `pgconform gate` of `report` against the reference kernel, requiring the
/// foundation suite. These runs are short: the gate's case floor is not what
/// is under test.
fn gate(report: &Path, extra: &[&str]) -> Output {
    exec(gate_cmd(report, "foundation", "1", extra))
}

/// `pgconform gate` of `report` against the reference kernel, requiring
/// `require` with at least `min_cases` cases, with `extra` flags.
fn gate_cmd(report: &Path, require: &str, min_cases: &str, extra: &[&str]) -> Command {
    let mut c = bin();
    c.args(["gate", s(report), "--sut", s(&kernel())])
        .args(["--require", require, "--min-cases", min_cases])
        .args(extra);
    c
}

#[test]
fn keygen_writes_a_private_secret_key_and_refuses_to_overwrite() {
    use std::os::unix::fs::PermissionsExt;
    let d = tmp("keygen");
    let k = keygen(&d.join("k"));
    let mode = std::fs::metadata(&k.secret)
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "secret key mode {mode:o}");
    assert_eq!(k.id.len(), 16);
    let pubtext = std::fs::read_to_string(&k.public).expect("pub");
    assert!(pubtext.contains(&k.id), "{pubtext}");
    let again = run(&["keygen", "-o", s(&d.join("k"))]);
    assert_exit_says(&again, 2, "refusing to replace");
    assert_no_secret(&k, &[&d]);
}

/// `pgconform run` of the reference kernel into `out`, quietly, with `args`
/// choosing what runs (and how).
fn run_cmd(out: &Path, args: &[&str]) -> Command {
    let mut c = bin();
    c.args(["run", "--sut", s(&kernel()), "--out", s(out), "-q"])
        .args(args);
    c
}

/// `run_cmd` with its report signed by `k`.
fn signed_run_cmd(out: &Path, k: &Keys, args: &[&str]) -> Command {
    let mut c = run_cmd(out, args);
    c.arg("--sign-key").arg(&k.secret);
    c
}

/// `pgconform run` of SUT-SEARCH-PATH, one case, into `out`: the cheapest
/// real report (unsigned unless a key is added).
fn quick_run(out: &Path) -> Command {
    run_cmd(out, &["--invariant", "SUT-SEARCH-PATH", "--cases", "1"])
}

/// Rewrite the report at `path` with `edit` applied and its
/// `integrity_sha256` recomputed, as a forger with the unkeyed hash would.
fn reseal(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut v = read_json(path);
    edit(&mut v);
    v["integrity_sha256"] = pgconform_reports::run_report::integrity_of_value(&v).into();
    let text = serde_json::to_string_pretty(&v).expect("serialise") + "\n";
    std::fs::write(path, text).expect("write re-sealed report");
}

#[test]
fn signed_run_passes_and_forged_unsigned_or_foreign_reports_are_refused() {
    let d = tmp("gate");
    let k = keygen(&d.join("keys"));
    let other = keygen(&d.join("other"));
    let out = d.join("run");
    let o = exec(signed_run_cmd(
        &out,
        &k,
        &["--suite", "foundation", "--cases", "2", "--seed", "3"],
    ));
    assert_exit(&o, 0);
    let report = out.join("report.json");
    assert!(
        out.join("report.json.minisig").is_file(),
        "no signature written"
    );
    assert_eq!(read_json(&report)["signature_key_id"], k.id.as_str());
    assert_gate_checks_the_signer(&report, &k, &other);
    assert_unsigned_reports_are_refused(&d, &report, &k);
    assert_no_secret(&k, &[&d]);
}

/// A report signed by `k` passes a gate that trusts `k` (as a file or as
/// base64, among others), passes unchecked without `--trusted-key`, and is
/// refused by a gate that trusts only `other`.
fn assert_gate_checks_the_signer(report: &Path, k: &Keys, other: &Keys) {
    let pass = gate(report, &["--trusted-key", s(&k.public)]);
    assert_exit_says(&pass, 0, "authenticity checked");
    let b64 = std::fs::read_to_string(&k.public).expect("pub");
    let b64 = b64.lines().nth(1).expect("base64 line");
    let pass = gate(
        report,
        &["--trusted-key", s(&other.public), "--trusted-key", b64],
    );
    assert_exit(&pass, 0);

    // Without --trusted-key: today's gate, saying authenticity was not checked.
    let unchecked = gate(report, &[]);
    assert_exit_says(&unchecked, 0, "authenticity NOT checked");

    // Another key: refused, naming the signing key.
    let foreign = gate(report, &["--trusted-key", s(&other.public)]);
    assert_exit_says(&foreign, 1, &format!("signed by key {}", k.id));
    assert_says(&foreign, "not a --trusted-key");
}

/// The signed `report` without its signature file, and a report that was
/// never signed, are both refused by a gate that trusts `k`.
fn assert_unsigned_reports_are_refused(d: &Path, report: &Path, k: &Keys) {
    let unsigned_dir = d.join("unsigned");
    std::fs::create_dir_all(&unsigned_dir).expect("mkdir");
    std::fs::copy(report, unsigned_dir.join("report.json")).expect("copy");
    let unsigned = gate(
        &unsigned_dir.join("report.json"),
        &["--trusted-key", s(&k.public)],
    );
    assert_exit_says(&unsigned, 1, "unsigned");

    let plain = d.join("plain");
    let o = exec(quick_run(&plain));
    assert_exit(&o, 0);
    assert!(!plain.join("report.json.minisig").exists());
    let o = exec(gate_cmd(
        &plain.join("report.json"),
        "SUT-SEARCH-PATH",
        "1",
        &["--trusted-key", s(&k.public)],
    ));
    assert_exit_says(&o, 1, "the report is unsigned");
}

#[test]
fn a_failing_report_re_sealed_by_a_forger_is_refused() {
    let d = tmp("forge");
    let k = keygen(&d.join("keys"));
    let out = d.join("run");
    // A real failure: a mutant that GATE-LEDGER kills, signed by CI.
    let mutant = kernel().join("mutants/gates/close-writes-no-ledger-row.sql");
    let o = exec(signed_run_cmd(
        &out,
        &k,
        &[
            "--mutant",
            s(&mutant),
            "--invariant",
            "GATE-LEDGER",
            "--cases",
            "4",
            "--no-shrink",
            "--seed",
            "1",
        ],
    ));
    assert_eq!(code(&o), 1, "the mutant must fail GATE-LEDGER: {}", err(&o));
    let report = out.join("report.json");

    // The forger copies the unmutated kernel's SUT record from any report.
    let clean = d.join("clean");
    let o = exec(quick_run(&clean));
    assert_exit(&o, 0);
    let clean = read_json(&clean.join("report.json"));

    // The forger's script: flip the verdict to passed, drop the failure and
    // the mutant, raise the case count, recompute integrity_sha256.
    reseal(&report, |v| {
        let res = &mut v["results"][0];
        assert_eq!(res["verdict"], "failed");
        res["verdict"] = "passed".into();
        res["failures"] = serde_json::json!([]);
        res["cases"] = 64.into();
        v["sut"] = clean["sut"].clone();
    });

    // The unkeyed hash alone is fooled: this is why signatures exist.
    let fooled = exec(gate_cmd(&report, "GATE-LEDGER", "16", &[]));
    assert_eq!(
        code(&fooled),
        0,
        "the forgery should fool the hash-only gate: {}",
        err(&fooled)
    );
    // The signature is not.
    let refused = exec(gate_cmd(
        &report,
        "GATE-LEDGER",
        "16",
        &["--trusted-key", s(&k.public)],
    ));
    assert_exit_says(&refused, 1, "does not verify");
    assert_says(&refused, "bytes changed after it was signed");
    let e = err(&refused);
    assert!(
        e.contains("(1 reason)"),
        "the signature is the only reason: {e}"
    );
    let o = run(&["report", "verify", s(&report)]);
    assert_eq!(code(&o), 0, "the hash itself verifies: {}", err(&o));
    assert_no_secret(&k, &[&d]);
}

/// `pgconform run` of shard `shard` of the foundation suite into `out`.
fn shard_cmd(out: &Path, shard: &str) -> Command {
    run_cmd(
        out,
        &[
            "--suite",
            "foundation",
            "--cases",
            "2",
            "--seed",
            "9",
            "--shard",
            shard,
        ],
    )
}

/// `pgconform report merge` of `inputs` into `out`, with `extra` flags.
fn merge(inputs: &[&Path], out: &Path, extra: &[&str]) -> Output {
    run(&merge_args(inputs, out, extra))
}

#[test]
fn a_signed_sharded_run_merged_and_re_signed_passes() {
    let d = tmp("shards");
    let k = keygen(&d.join("keys"));
    let other = keygen(&d.join("other"));
    let secret_text = std::fs::read_to_string(&k.secret).expect("secret");
    let (a, b) = (d.join("s1"), d.join("s2"));
    let mut c = shard_cmd(&a, "1/2");
    c.arg("--sign-key").arg(&k.secret);
    assert_exit(&exec(c), 0);
    // The second shard signs with the key from the environment (a CI secret).
    let mut c = shard_cmd(&b, "2/2");
    c.env("PGCONFORM_SIGN_KEY", &secret_text);
    assert_exit(&exec(c), 0);
    assert!(b.join("report.json.minisig").is_file());
    let (ra, rb) = (a.join("report.json"), b.join("report.json"));

    // Merged and re-signed (the merge trusts its own signing key): passes.
    let merged = d.join("merged/report.json");
    assert_exit(
        &merge(&[&ra, &rb], &merged, &["--sign-key", s(&k.secret)]),
        0,
    );
    let v = read_json(&merged);
    assert_eq!(v["signature_key_id"], k.id.as_str());
    for sh in v["shards"].as_array().expect("shards") {
        assert_eq!(sh["signature"]["key_id"], k.id.as_str(), "{sh}");
        assert_eq!(sh["signature"]["verified"], true, "{sh}");
    }
    let pass = gate(&merged, &["--trusted-key", s(&k.public)]);
    assert_exit_says(&pass, 0, "all 2 shards");

    assert_badly_signed_merges_are_refused(&d, (&ra, &rb), &k, &other);
    assert_no_secret(&k, &[&d]);
}

/// Merges of the shards `ra` and `rb` (both signed by `k`) that the gate or
/// the merge itself must refuse: an unsigned merge, an unsigned shard, a
/// merge by a key that does not trust `k`, and a shard re-sealed after
/// signing.
fn assert_badly_signed_merges_are_refused(
    d: &Path,
    (ra, rb): (&Path, &Path),
    k: &Keys,
    other: &Keys,
) {
    // A merge that is not signed itself: refused.
    let unsigned_merge = d.join("merged-unsigned/report.json");
    let o = merge(&[ra, rb], &unsigned_merge, &["--trusted-key", s(&k.public)]);
    assert_exit(&o, 0);
    let refused = gate(&unsigned_merge, &["--trusted-key", s(&k.public)]);
    assert_exit_says(&refused, 1, "unsigned");

    // A signed merge of an unsigned shard: refused, naming the shard.
    let plain = d.join("plain2");
    assert_exit(&exec(shard_cmd(&plain, "2/2")), 0);
    let mixed = d.join("merged-mixed/report.json");
    let o = merge(
        &[ra, &plain.join("report.json")],
        &mixed,
        &["--sign-key", s(&k.secret)],
    );
    assert_exit(&o, 0);
    let refused = gate(&mixed, &["--trusted-key", s(&k.public)]);
    assert_exit_says(&refused, 1, "shard 2/2 of the merge was not signed");

    // A merge signed by a key the shards' signer does not share, which was
    // not told to trust the shards' key: merged unverified, and refused.
    let foreign = d.join("merged-foreign/report.json");
    let o = merge(&[ra, rb], &foreign, &["--sign-key", s(&other.secret)]);
    assert_exit_says(&o, 0, "does not trust");
    let trust_both = [
        "--trusted-key",
        s(&k.public),
        "--trusted-key",
        s(&other.public),
    ];
    let refused = gate(&foreign, &trust_both);
    assert_exit_says(&refused, 1, "the merge did not verify it");

    // A shard edited and re-sealed after signing: the merge refuses it.
    reseal(rb, |v| v["duration_ms"] = 1.into());
    let tampered = d.join("merged-tampered/report.json");
    let o = merge(&[ra, rb], &tampered, &["--sign-key", s(&k.secret)]);
    assert_exit_says(&o, 1, "does not verify");
}

#[test]
fn a_bad_key_is_refused_without_quoting_it() {
    let d = tmp("badkey");
    let k = keygen(&d.join("keys"));
    let text = std::fs::read_to_string(&k.secret).expect("secret");
    // A damaged key (one character of the seed changed) in the environment.
    let mut damaged: Vec<char> = text.chars().collect();
    let pos = text.find(&k.secret_line).expect("line") + 100;
    damaged[pos] = if damaged[pos] == 'A' { 'B' } else { 'A' };
    let damaged: String = damaged.into_iter().collect();
    let mut c = quick_run(&d.join("out"));
    c.env("PGCONFORM_SIGN_KEY", &damaged);
    let o = exec(c);
    assert_exit_says(&o, 2, "$PGCONFORM_SIGN_KEY");
    assert!(
        !d.join("out/report.json").exists(),
        "refused before the run"
    );
    // A public key given as the secret key.
    let o = run(&[
        "run",
        "--invariant",
        "SUT-SEARCH-PATH",
        "--sign-key",
        s(&k.public),
        "--out",
        s(&d.join("out2")),
    ]);
    assert_exit(&o, 2);
    let mut damaged_keys = Keys {
        secret: k.secret.clone(),
        public: k.public.clone(),
        secret_line: damaged.lines().nth(1).unwrap_or_default().to_owned(),
        id: k.id.clone(),
    };
    assert_no_secret(&damaged_keys, &[&d.join("out")]);
    damaged_keys.secret_line = k.secret_line.clone();
    assert_no_secret(&damaged_keys, &[&d]);
}

/// `minisign -V` of `report` with the public key `public`, its output recorded.
fn minisign_verify(public: &Path, report: &Path) -> Output {
    let mut c = Command::new("minisign");
    c.arg("-V").arg("-p").arg(public).arg("-m").arg(report);
    exec(c)
}

/// Needs the `minisign` tool: skipped by the default nextest profile (shown
/// as SKIP), run by `--profile ci`.
#[test]
fn prereq_minisign_the_standard_tool_accepts_the_signature() {
    let have = Command::new("minisign")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        have,
        "the standard verifier `minisign` is missing: install it (Debian: apt-get install minisign), \
         or run without --profile ci"
    );
    let d = tmp("minisign");
    let k = keygen(&d.join("keys"));
    let out = d.join("run");
    let o = exec(signed_run_cmd(
        &out,
        &k,
        &["--invariant", "SUT-CLOCK", "--cases", "2"],
    ));
    assert_exit(&o, 0);
    let report = out.join("report.json");
    let v = minisign_verify(&k.public, &report);
    let said = text(&v);
    assert!(v.status.success(), "minisign -V refused: {said}");
    assert!(said.contains("integrity_sha256:"), "{said}");
    // And it refuses the report once a byte changes.
    let mut bytes = std::fs::read(&report).expect("read");
    let last = bytes.len() - 2;
    bytes[last] = b' ';
    std::fs::write(&report, bytes).expect("write");
    let v = minisign_verify(&k.public, &report);
    assert!(!v.status.success(), "minisign accepted a changed report");
    assert_no_secret(&k, &[&d]);
}

#[test]
fn the_mutant_runner_signs_its_report() {
    let d = tmp("mutants");
    let k = keygen(&d.join("keys"));
    let m = d.join("mutants");
    std::fs::create_dir_all(&m).expect("mkdir");
    std::fs::write(
        m.join("killed.sql"),
        "-- mutant: search-path-unpinned\n-- kills: SUT-SEARCH-PATH\n-- why: kernel_now() loses its pinned search_path\n\
         ALTER FUNCTION public.kernel_now() RESET search_path;\n",
    )
    .expect("write mutant");
    let out = d.join("out");
    let mut c = bin();
    c.args([
        "mutants",
        "--sut",
        s(&kernel()),
        "--mutants",
        s(&m),
        "--out",
        s(&out),
        "--cases",
        "2",
        "--seed",
        "1",
        "-q",
    ])
    .env("PGCONFORM_SIGN_KEY_FILE", &k.secret);
    let o = exec(c);
    assert_exit(&o, 0);
    let report = out.join("report.json");
    let v = read_json(&report);
    assert_eq!(v["signature_key_id"], k.id.as_str());
    let loaded = pgconform_reports::load_report(&report).expect("load");
    let sig = std::fs::read_to_string(out.join("report.json.minisig")).expect("signature");
    let trusted = pgconform_reports::signature::TrustedKey::from_arg(s(&k.public)).expect("pub");
    let check = pgconform_reports::signature::check(&loaded.bytes, Some(&sig), &[trusted]);
    assert!(
        matches!(
            check,
            pgconform_reports::signature::SignatureCheck::Verified { .. }
        ),
        "{check:?}"
    );
    assert_no_secret(&k, &[&d]);
}
