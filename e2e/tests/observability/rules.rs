//! Metric names read from PromQL in the rule files and dashboards, and the rule files prepared for the
//! test's Prometheus.

use std::{collections::BTreeSet, path::Path};

use serde_json::Value;

/// The rule files copied for the test's Prometheus, their groups evaluated every second instead of their
/// production interval; with the number of rules they declare.
pub struct RuleFiles {
    pub files: Vec<String>,
    pub rules: usize,
}

pub fn copy_rules(from: &Path, to: &Path) -> RuleFiles {
    std::fs::create_dir_all(to).unwrap();
    let mut files = Vec::new();
    let mut rules = 0;
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("read {}: {e}", from.display())) {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut copy = String::new();
        for line in text.lines() {
            let trimmed = line.trim_start();
            let key = trimmed.trim_start_matches("- ");
            if key.starts_with("alert:") || key.starts_with("record:") {
                rules += 1;
            }
            if trimmed.starts_with("interval:") {
                copy.push_str(&line[..line.len() - trimmed.len()]);
                copy.push_str("interval: 1s\n");
            } else {
                copy.push_str(line);
                copy.push('\n');
            }
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        std::fs::write(to.join(&name), copy).unwrap();
        files.push(name);
    }
    assert!(!files.is_empty(), "no rule files in {}", from.display());
    RuleFiles { files, rules }
}

/// Metric names of every query in the dashboards' panels and query variables, with where each is used.
pub fn dashboard_metrics(dir: &Path) -> Vec<(String, String)> {
    fn exprs(value: &Value, title: &str, out: &mut Vec<(String, String)>) {
        match value {
            Value::Object(object) => {
                let title = object.get("title").and_then(Value::as_str).unwrap_or(title);
                for (key, value) in object {
                    match (key.as_str(), value) {
                        ("expr", Value::String(expr)) => out.push((expr.clone(), format!("panel \"{title}\""))),
                        _ => exprs(value, title, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| exprs(v, title, out)),
            _ => {}
        }
    }
    let mut names = Vec::new();
    let mut dashboards = 0;
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        dashboards += 1;
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let dashboard: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut queries = Vec::new();
        exprs(&dashboard["panels"], "", &mut queries);
        for variable in dashboard["templating"]["list"].as_array().into_iter().flatten() {
            if variable["type"] == "query" {
                let query = variable["query"]["query"].as_str().or(variable["query"].as_str());
                let name = variable["name"].as_str().unwrap_or_default();
                queries.extend(query.map(|q| (q.to_owned(), format!("variable ${name}"))));
            }
        }
        for (query, place) in queries {
            for name in metric_names(&query) {
                names.push((name, format!("{file}: {place}")));
            }
        }
    }
    assert!(dashboards > 0, "no dashboards in {}", dir.display());
    names
}

/// The metric names a PromQL expression (or a Grafana `label_values(metric, label)`) selects: identifiers
/// that are neither functions, keywords, label names (inside `{}` and `by (...)`-style lists), strings,
/// numbers, durations nor Grafana variables (`$var`).
pub fn metric_names(expr: &str) -> BTreeSet<String> {
    if let Some(args) = expr.trim().strip_prefix("label_values(") {
        return match args.split_once(',') {
            Some((metric, _)) => metric_names(metric),
            None => BTreeSet::new(),
        };
    }
    // Aggregations may put `by (...)` between their name and their parenthesis.
    const KEYWORDS: &[&str] = &[
        "and",
        "or",
        "unless",
        "bool",
        "offset",
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "inf",
        "nan",
        "atan2",
        "sum",
        "min",
        "max",
        "avg",
        "group",
        "stddev",
        "stdvar",
        "count",
        "count_values",
        "bottomk",
        "topk",
        "quantile",
        "limitk",
        "limit_ratio",
    ];
    const LABEL_LISTS: &[&str] = &["by", "without", "on", "ignoring", "group_left", "group_right"];
    let chars: Vec<char> = expr.chars().collect();
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    let mut names = BTreeSet::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '"' | '\'' | '`' => i = skip_past(&chars, i, chars[i]),
            '{' => i = skip_past(&chars, i, '}'),
            '[' => i = skip_past(&chars, i, ']'),
            '#' => i = skip_past(&chars, i, '\n'),
            '$' if chars.get(i + 1) == Some(&'{') => i = skip_past(&chars, i + 1, '}'),
            '$' => {
                i += 1;
                while i < chars.len() && ident(chars[i]) {
                    i += 1;
                }
            }
            c if c.is_ascii_digit() || c == '.' => {
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                    i += 1;
                }
            }
            c if ident(c) => {
                let start = i;
                while i < chars.len() && ident(chars[i]) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let lower = word.to_ascii_lowercase();
                let next = (i..chars.len()).find(|&j| !chars[j].is_whitespace());
                let call = next.is_some_and(|j| chars[j] == '(');
                if call && LABEL_LISTS.contains(&lower.as_str()) {
                    i = skip_past(&chars, next.unwrap(), ')');
                } else if !call && !KEYWORDS.contains(&lower.as_str()) {
                    names.insert(word);
                }
            }
            _ => i += 1,
        }
    }
    names
}

/// The index after the first `close` following `open_at`, skipping quoted strings in between.
pub fn skip_past(chars: &[char], open_at: usize, close: char) -> usize {
    let mut i = open_at + 1;
    while i < chars.len() {
        match chars[i] {
            c if c == close => return i + 1,
            '\\' => i += 2,
            q @ ('"' | '\'' | '`') => i = skip_past(chars, i, q),
            _ => i += 1,
        }
    }
    chars.len()
}

#[test]
fn metric_names_are_read_from_promql() {
    let names = |expr: &str| metric_names(expr).into_iter().collect::<Vec<_>>();
    assert_eq!(
        names(r#"sum by (outcome, le) (rate(a_seconds_bucket{outcome=~"x|y}"}[5m] offset 1h)) / on(job) group_left b"#),
        ["a_seconds_bucket", "b"]
    );
    assert_eq!(
        names("absent(up{job=\"w\"} == 1) or ocean:ratio:rate5m > bool 0.2 unless vector($limit)"),
        ["ocean:ratio:rate5m", "up"]
    );
    assert_eq!(
        names("histogram_quantile(0.95, sum without(pod) (rate(c[$__rate_interval]))) * 60"),
        ["c"]
    );
    assert_eq!(names("label_values(ocean_accounts, integration)"), ["ocean_accounts"]);
    assert_eq!(names("label_values(integration)"), Vec::<String>::new());
}
