//! The page's only stylesheet (inline: the page loads nothing).
//!
//! Colours carry meaning and nothing else uses them: a failure block is the
//! only thing on a light red background (`#ffebe9`), a replay command the only
//! thing on light yellow (`#fff8c5`); red is bad (a failure, a surviving
//! mutant), green is good (a pass, a killed mutant). The headless-browser test
//! looks for these colours in a screenshot.

/// Background of a failure block.
pub const FAILURE_BG: &str = "#ffebe9";
/// Background of a replay command.
pub const REPLAY_BG: &str = "#fff8c5";
/// Bad: failed, survived.
pub const RED: &str = "#cf222e";
/// Good: passed, killed.
pub const GREEN: &str = "#1a7f37";
/// A bar or cell that is good.
pub const GREEN_FILL: &str = "#2da44e";
/// Harness or environment trouble: nothing is known.
pub const AMBER: &str = "#bf8700";
/// Not run, or held on a mutant that another invariant killed.
pub const GREY: &str = "#8c959f";
/// An empty cell.
pub const EMPTY: &str = "#f6f8fa";

/// The stylesheet.
pub const CSS: &str = r#"
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:16px 24px;color:#1b1f24;background:#fff}
h1{font-size:1.5em;margin:0 0 4px} h2{font-size:1.2em;margin:20px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
h3{font-size:1.05em;margin:0 0 6px} h4{font-size:.9em;margin:6px 0 2px;color:#57606a}
header p{margin:2px 0} .identity{color:#57606a;font-size:.9em}
table{border-collapse:collapse;margin:8px 0} th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa} td.num{text-align:right;font-variant-numeric:tabular-nums}
.passed,.killed{color:#1a7f37} .failed,.error,.survived,.missing,.incomplete{color:#cf222e;font-weight:600} .skipped{color:#6e7781}
.install-broken{color:#9a6700;font-weight:600}
.badge{display:inline-block;padding:2px 10px;border-radius:12px;color:#fff;font-weight:600}
.badge.ok{background:#1a7f37} .badge.bad{background:#cf222e}
pre{background:#f6f8fa;border:1px solid #d0d7de;padding:6px 8px;margin:0;overflow:auto;max-height:260px;white-space:pre-wrap;font-size:.85em}
section.failure{background:#ffebe9;border-left:6px solid #cf222e;border-radius:6px;padding:10px 14px;margin:0 0 12px}
section.failure pre{background:#fff}
.what{font-weight:600;margin:4px 0} .meta{margin:4px 0;color:#57606a}
.replay-line{margin:6px 0} code.replay{background:#fff8c5;border:1px solid #d4a72c;border-radius:4px;padding:2px 6px;user-select:all}
.expected-actual{display:grid;grid-template-columns:1fr 1fr;gap:10px;margin:6px 0}
pre .differs{background:#ffcecb;font-weight:600}
details{margin:6px 0} summary{cursor:pointer;font-weight:600;color:#57606a}
.charts{display:flex;flex-wrap:wrap;gap:24px} figure{margin:0} figcaption{font-weight:600;margin-bottom:4px}
.kv td:first-child{color:#57606a}
#mutant-summary{font-size:1.05em}
#failure-index{margin:0 0 10px;padding-left:20px} #failure-index li{margin:1px 0}
"#;
