//! Report formats without Postgres: the checked-in JSON schema, JUnit that
//! parses, Markdown and TAP content, HTML that a real headless browser
//! renders, and integrity checks that refuse edited or truncated reports.

mod reports_support;

use pgconform_reports::quick_junit::{NonSuccessKind, Report, TestCaseStatus};
use pgconform_reports::{
    html, junit, markdown, parse_report, schema, tap, RenderOptions, ReportError,
};
use reports_support::{maximal, mixed};
use std::path::{Path, PathBuf};
use std::process::Command;

fn opts() -> RenderOptions {
    RenderOptions {
        out_dir: "out".to_owned(),
        replay_args: String::new(),
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

#[test]
fn schema_file_matches_the_types() {
    let path = repo().join("reports/schema/report.schema.json");
    let generated = schema::report_schema_text();
    if std::env::var_os("PGCONFORM_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write schema");
    }
    let checked_in = std::fs::read_to_string(&path).expect("reports/schema/report.schema.json");
    assert!(
        checked_in == generated,
        "report.json's format changed but reports/schema/report.schema.json was not updated.\n\
         Review the change (bump FORMAT_VERSION if it is incompatible), then regenerate with\n\
         `pgconform report schema > reports/schema/report.schema.json` (or PGCONFORM_BLESS=1)."
    );
    // The schema names every top-level field a maximal report writes.
    let v: serde_json::Value = serde_json::from_str(&checked_in).expect("schema is JSON");
    let props = v["properties"].as_object().expect("properties");
    let report = serde_json::to_value(maximal()).expect("serialise");
    for key in report.as_object().expect("object").keys() {
        assert!(
            props.contains_key(key),
            "field {key} missing from the schema"
        );
    }
    for req in v["required"].as_array().expect("required") {
        assert!(
            report.get(req.as_str().expect("str")).is_some(),
            "{req} required"
        );
    }
}

#[test]
fn junit_parses_with_one_testcase_per_invariant() {
    let r = mixed();
    let xml = junit::render(&r, &opts()).expect("render");
    let parsed = Report::deserialize_from_str(&xml).expect("junit.xml parses");
    assert_eq!(parsed.tests, 3);
    assert_eq!(parsed.failures, 1);
    let names: Vec<&str> = parsed.test_suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["gates", "foundation"]);
    let case = parsed
        .test_suites
        .iter()
        .flat_map(|s| &s.test_cases)
        .find(|c| c.name.as_str() == "GATE-MODEL")
        .expect("GATE-MODEL testcase");
    match &case.status {
        TestCaseStatus::NonSuccess {
            kind: NonSuccessKind::Failure,
            message,
            ty,
            description,
            ..
        } => {
            assert_eq!(
                message.as_ref().map(|m| m.as_str()),
                Some("the kernel accepted <what> it must refuse & more")
            );
            assert_eq!(ty.as_ref().map(|t| t.as_str()), Some("SQLSTATE 23514"));
            let d = description.as_ref().expect("description").as_str();
            assert!(
                d.contains("pgconform replay out/cases/GATE-MODEL-0123456789.json"),
                "{d}"
            );
            assert!(d.contains("\"ttl\": 0"), "{d}");
        }
        other => panic!("GATE-MODEL should be a failure, got {other:?}"),
    }
}

#[test]
fn markdown_has_the_table_failures_and_replay_commands() {
    let md = markdown::render(&maximal(), &opts());
    assert!(md.starts_with("# pgconform: FAILED"), "{md}");
    assert!(
        md.contains("| `GATE-LEDGER` | gates | passed | 32 |"),
        "{md}"
    );
    assert!(
        md.contains("| `GATE-MODEL` | gates | **FAILED** | 5 |"),
        "{md}"
    );
    assert!(md.contains("```sh\npgconform replay out/cases/GATE-MODEL-0123456789.json\n```"));
    assert!(md.contains("- SQLSTATE 23514") && md.contains("+ {\"status\": \"opened\"}"));
    assert!(md.contains("| `kind:exclude` | 0 | **MISSING** |"), "{md}");
    assert!(md.contains("| `harmless` | **survived** |"), "{md}");
}

#[test]
fn tap_has_a_plan_test_points_and_yaml_diagnostics() {
    let out = tap::render(&maximal(), &opts());
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "TAP version 14");
    assert_eq!(lines[1], "1..5", "3 invariants + 2 coverage requirements");
    let points: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with("ok ") || l.starts_with("not ok "))
        .collect();
    assert_eq!(points.len(), 5);
    assert!(points[1].starts_with("not ok 2 - GATE-MODEL"));
    assert!(points[4].starts_with("not ok 5 - coverage kind:exclude"));
    // Every YAML block line is `key: value` with a JSON (hence YAML) value.
    let mut in_block = false;
    let mut keys = Vec::new();
    for l in &lines {
        match *l {
            "  ---" => in_block = true,
            "  ..." => in_block = false,
            l if in_block => {
                let (k, v) = l.trim_start().split_once(": ").expect("key: value");
                serde_json::from_str::<serde_json::Value>(v)
                    .unwrap_or_else(|e| panic!("{k}: {v} is not a JSON scalar: {e}"));
                keys.push(k.to_owned());
            }
            _ => {}
        }
    }
    for k in [
        "message", "sql", "expected", "actual", "sqlstate", "input", "replay",
    ] {
        assert!(keys.iter().any(|x| x == k), "no {k} in {keys:?}");
    }
}

#[test]
fn integrity_refuses_edits_and_truncation() {
    let r = mixed();
    let text = serde_json::to_string_pretty(&r).expect("serialise");
    let ok = parse_report("r.json", &text).expect("parse");
    assert!(ok.integrity_ok());

    let edited = text.replacen("\"seed\": 42", "\"seed\": 43", 1);
    assert_ne!(edited, text);
    assert!(!parse_report("r.json", &edited)
        .expect("parse")
        .integrity_ok());

    let verdict = text.replacen("\"failed\"", "\"passed\"", 1);
    assert!(!parse_report("r.json", &verdict)
        .expect("parse")
        .integrity_ok());

    let mut extra: serde_json::Value = serde_json::from_str(&text).expect("json");
    extra["approved_by"] = serde_json::json!("me");
    let extra = serde_json::to_string(&extra).expect("json");
    assert!(!parse_report("r.json", &extra)
        .expect("parse")
        .integrity_ok());

    let truncated = &text[..text.len() / 2];
    match parse_report("r.json", truncated) {
        Err(ReportError::Json { line, .. }) => assert!(line > 1),
        other => panic!("truncated report should be a JSON error, got {other:?}"),
    }
    assert!(matches!(
        parse_report("r.json", "[1, 2]"),
        Err(ReportError::Shape { .. })
    ));
    assert!(matches!(
        parse_report("r.json", "{\"format-version\": 1, \"seed\": 1}"),
        Err(ReportError::Shape { .. })
    ));
    let future = text.replacen("\"format-version\": 1", "\"format-version\": 99", 1);
    assert!(matches!(
        parse_report("r.json", &future),
        Err(ReportError::Version { found: 99, .. })
    ));
}

#[test]
fn html_is_self_contained_and_escaped() {
    let page = html::render(&maximal(), &opts());
    assert!(page.contains("the kernel accepted &lt;what&gt; it must refuse &amp; more"));
    assert!(!page.contains("<what>"));
    for forbidden in ["<script", "<link", "src=", "@import", "url("] {
        assert!(
            !page.contains(forbidden),
            "{forbidden} in a self-contained page"
        );
    }
    assert!(!page
        .replace("http://www.w3.org/2000/svg", "")
        .contains("http"));
}

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH").and_then(|p| {
                std::env::split_paths(&p)
                    .map(|d| d.join(name))
                    .find(|c| c.is_file())
            })
        })
}

fn headless(browser: &Path, profile: &Path, extra: &[&str], url: &str) -> std::process::Output {
    Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1200,900",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .output()
        .expect("run chromium")
}

/// Needs Chromium: skipped by the default nextest profile (shown as SKIP),
/// run by `--profile ci`.
#[test]
fn prereq_chromium_html_renders_in_a_headless_browser() {
    let browser = chromium().unwrap_or_else(|| {
        panic!(
            "no chromium on PATH: install it (Debian: apt-get install -y chromium) to check \
             report.html, or run without --profile ci"
        )
    });
    let dir = std::env::temp_dir().join(format!("pgc-reports-html-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("profile")).expect("temp dir");
    let page = dir.join("report.html");
    std::fs::write(&page, html::render(&maximal(), &opts())).expect("write page");
    let url = format!("file://{}", page.display());

    let dom = headless(&browser, &dir.join("profile"), &["--dump-dom"], &url);
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("<table id=\"invariants\">"), "{dom}");
    assert_eq!(dom.matches("<tr data-id=").count(), 3);
    assert_eq!(
        dom.matches("<g class=\"bar\">").count(),
        6,
        "two charts of 3 bars"
    );
    assert!(dom.contains("<svg id=\"kill-matrix\""));
    assert_eq!(dom.matches("class=\"cell\"").count(), 3, "3 tried cells");
    assert!(dom.contains("id=\"status\">FAILED</span>"));

    let shot = dir.join("shot.png");
    let out = headless(
        &browser,
        &dir.join("profile"),
        &[&format!("--screenshot={}", shot.display())],
        &url,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(
        png.len() > 20_000,
        "a rendered page, not a blank one ({} bytes)",
        png.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
