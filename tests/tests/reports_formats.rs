//! Report formats without Postgres: the checked-in JSON schema, JUnit that
//! parses, Markdown and TAP content, HTML that a real headless browser
//! renders, and integrity checks that refuse edited or truncated reports.

mod reports_support;

use pgconform_reports::quick_junit::{NonSuccessKind, Report, TestCaseStatus};
use pgconform_reports::{
    html, junit, markdown, parse_report, schema, tap, RenderOptions, ReportError, Verdict,
};
use reports_support::{maximal, mixed, mutant_run, one_failure_among, problems};
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
    assert!(md.contains("Failed after 3 cases; shrunk in 12 steps. SQLSTATE `23514`."));
    assert!(md.contains("| `kind:exclude` | 0 | **MISSING** |"), "{md}");
    assert!(md.contains("| `harmless` | **survived** |"), "{md}");
    assert!(md.contains("## Mutants: 1 killed, 1 survived, 0 broken, 0 errors of 2 mutants"));
}

#[test]
fn markdown_puts_failures_first_with_values_as_json() {
    let md = markdown::render(&maximal(), &opts());
    let at = |needle: &str| {
        md.find(needle)
            .unwrap_or_else(|| panic!("no {needle} in {md}"))
    };
    assert!(at("## Failures") < at("## Mutants"), "{md}");
    assert!(at("## Mutants") < at("## Invariants"), "{md}");
    assert!(at("## Invariants") < at("## Run"), "{md}");
    // The failure's JSON value is pretty-printed in the diff, one key a line.
    assert!(
        md.contains("- SQLSTATE 23514\n+ {\n+   \"status\": \"opened\"\n+ }"),
        "{md}"
    );
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

/// The values of `attr` on every element of `page`.
fn attr_values(page: &str, attr: &str) -> Vec<String> {
    let needle = format!(" {attr}=\"");
    page.match_indices(&needle)
        .filter_map(|(at, _)| {
            let rest = &page[at + needle.len()..];
            rest.find('"').map(|end| rest[..end].to_owned())
        })
        .collect()
}

/// Every `href="#x"` of `page` names an `id="x"` of `page`; returns the links.
fn assert_links_resolve(page: &str) -> Vec<String> {
    let ids: std::collections::BTreeSet<String> = attr_values(page, "id").into_iter().collect();
    assert_eq!(
        ids.len(),
        attr_values(page, "id").len(),
        "duplicate ids in the page"
    );
    let links: Vec<String> = attr_values(page, "href")
        .into_iter()
        .filter_map(|h| h.strip_prefix('#').map(str::to_owned))
        .collect();
    for l in &links {
        assert!(
            ids.contains(l),
            "link #{l} points to no element; ids: {ids:?}"
        );
    }
    links
}

#[test]
fn html_links_all_resolve() {
    for (name, report) in [
        ("maximal", maximal()),
        ("mixed", mixed()),
        ("problems", problems()),
        ("mutant run", mutant_run(31, 12)),
    ] {
        let page = html::render(&report, &opts());
        let links = assert_links_resolve(&page);
        let problems = report
            .results
            .iter()
            .filter(|r| !matches!(r.verdict, Verdict::Passed | Verdict::Skipped))
            .count();
        assert!(
            links.len() >= problems,
            "{name}: every failure is linked from the table"
        );
    }
}

#[test]
fn html_puts_failures_first_with_values_as_json() {
    let page = html::render(&maximal(), &opts());
    let at = |needle: &str| page.find(needle).unwrap_or_else(|| panic!("no {needle}"));
    assert!(at("id=\"summary\"") < at("id=\"failures\""));
    assert!(at("id=\"failures\"") < at("id=\"mutants\""));
    assert!(at("id=\"mutants\"") < at("id=\"invariants\""));
    assert!(at("id=\"invariants\"") < at("id=\"run\""));
    // Inside a failure: what failed, the replay command, expected vs actual,
    // then the shrunk input.
    let block = &page[at("id=\"inv-GATE-MODEL\"")..];
    let inside = |needle: &str| block.find(needle).unwrap_or_else(|| panic!("no {needle}"));
    assert!(inside("the kernel accepted &lt;what&gt;") < inside("class=\"replay\""));
    assert!(inside("class=\"replay\"") < inside("class=\"expected\""));
    assert!(inside("class=\"expected\"") < inside("class=\"input\""));
    assert!(block.contains("Failed after 3 cases; shrunk in 12 steps."));
    // The actual value is JSON, pretty-printed, and differs from the expected.
    assert!(
        block.contains("<span class=\"differs\">  &quot;status&quot;: &quot;opened&quot;</span>"),
        "{block}"
    );
}

#[test]
fn html_of_a_mutant_run_heads_with_the_kill_result() {
    let report = mutant_run(31, 12);
    let page = html::render(&report, &opts());
    assert!(
        page.contains("id=\"status\">1 MUTANT SURVIVED</span>"),
        "{page}"
    );
    let summary = &page[page.find("id=\"mutant-summary\"").expect("summary")..];
    assert!(
        summary.starts_with(
            "id=\"mutant-summary\"><b class=\"killed\">11 killed</b>, <b class=\"survived\">1 survived</b>, 0 broken, 0 errors of 12 mutants."
        ),
        "{summary}"
    );
    let at = |needle: &str| page.find(needle).unwrap_or_else(|| panic!("no {needle}"));
    assert!(at("id=\"kill-matrix\"") < at("id=\"invariants\""));
    // Red in the matrix means "survived": the survivor's cells, and only those.
    let survivor_row = &page[at(">survivor-0</text>")..];
    let first_cell = &survivor_row[survivor_row.find("class=\"cell\"").expect("a cell")..];
    assert!(first_cell.contains(&format!("fill=\"{}\"", html::style::RED)));
    let killed_row = &page[at(">mutant-0</text>")..];
    assert!(
        !killed_row[..killed_row.find(">mutant-1</text>").expect("next row")]
            .contains(&format!("fill=\"{}\"", html::style::RED))
    );
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
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--window-size=1280,800",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .output()
        .expect("run chromium")
}

fn chromium_or_panic() -> PathBuf {
    chromium().unwrap_or_else(|| {
        panic!(
            "no chromium on PATH: install it (Debian: apt-get install -y chromium) to check \
             report.html, or run without --profile ci"
        )
    })
}

/// A screenshot of `report.html` as a person first sees it: the top
/// 1280×800 of the page, decoded to RGBA rows.
struct Screenshot {
    width: usize,
    height: usize,
    rgba: Vec<u8>,
}

impl Screenshot {
    fn of(report: &pgconform_reports::RunReport, name: &str) -> Self {
        let browser = chromium_or_panic();
        let dir = std::env::temp_dir().join(format!("pgc-shot-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("profile")).expect("temp dir");
        let page = dir.join("report.html");
        std::fs::write(&page, html::render(report, &opts())).expect("write page");
        let shot = dir.join("shot.png");
        let out = headless(
            &browser,
            &dir.join("profile"),
            &[&format!("--screenshot={}", shot.display())],
            &format!("file://{}", page.display()),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let file = std::fs::File::open(&shot).expect("screenshot written");
        let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
        let mut reader = decoder.read_info().expect("a PNG");
        let mut rgba = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut rgba).expect("PNG pixels");
        assert_eq!(info.color_type, png::ColorType::Rgba);
        if let Some(keep) = std::env::var_os("PGCONFORM_KEEP_SCREENSHOTS") {
            let _ = std::fs::copy(&shot, Path::new(&keep).join(format!("{name}.png")));
        }
        let _ = std::fs::remove_dir_all(&dir);
        Self {
            width: info.width as usize,
            height: info.height as usize,
            rgba,
        }
    }

    fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.width + x) * 4;
        [self.rgba[i], self.rgba[i + 1], self.rgba[i + 2]]
    }

    /// Pixels of exactly `hex` (`#rrggbb`).
    fn count(&self, hex: &str) -> usize {
        let want = rgb(hex);
        (0..self.height)
            .flat_map(|y| (0..self.width).map(move |x| (x, y)))
            .filter(|&(x, y)| self.pixel(x, y) == want)
            .count()
    }

    /// Whether some `side`×`side` square is all `hex`: a kill-matrix cell
    /// (16 px) and not a chart bar (14 px high) or a line of text.
    fn has_square(&self, hex: &str, side: usize) -> bool {
        let want = rgb(hex);
        (0..self.height.saturating_sub(side)).any(|y| {
            (0..self.width.saturating_sub(side))
                .any(|x| (0..side).all(|dy| (0..side).all(|dx| self.pixel(x + dx, y + dy) == want)))
        })
    }
}

fn rgb(hex: &str) -> [u8; 3] {
    let v = u32::from_str_radix(hex.trim_start_matches('#'), 16).expect("#rrggbb");
    [(v >> 16) as u8, (v >> 8) as u8, v as u8]
}

/// Needs Chromium. A report of 35 invariants, one failed (last in the
/// table), read as a person reads it: the
/// failure block (the page's only light-red area) and its replay command
/// (the only light-yellow one) are on the first screen at 1280×800.
#[test]
fn prereq_chromium_one_failure_is_above_the_fold() {
    let shot = Screenshot::of(&one_failure_among(34), "one-failure");
    assert_eq!((shot.width, shot.height), (1280, 800));
    let failure_px = shot.count(html::style::FAILURE_BG);
    assert!(
        failure_px > 1280 * 150,
        "the failure block fills much of the first screen ({failure_px} px)"
    );
    let replay_px = shot.count(html::style::REPLAY_BG);
    assert!(
        replay_px > 300 * 14,
        "the replay command is on the first screen ({replay_px} px)"
    );
}

/// Needs Chromium. With 31 control invariants passed and 12 mutants, the
/// first screen shows the kill matrix: its cells (16 px squares) in green
/// (killed) and red (survived).
#[test]
fn prereq_chromium_mutant_run_shows_the_kill_matrix_first() {
    let shot = Screenshot::of(&mutant_run(31, 12), "mutants");
    assert!(
        shot.has_square(html::style::GREEN_FILL, 16),
        "a green (killed) cell of the kill matrix on the first screen"
    );
    assert!(
        shot.has_square(html::style::RED, 16),
        "a red (survived) cell of the kill matrix on the first screen"
    );
}

/// Needs Chromium: skipped by the default nextest profile (shown as SKIP),
/// run by `--profile ci`.
#[test]
fn prereq_chromium_html_renders_in_a_headless_browser() {
    let browser = chromium_or_panic();
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
    assert_links_resolve(&dom);

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
