//! Benchmark helper for `bench/why.sh` (not a test): indexes a large tree
//! the way `daytwo build` does (minus blame), then looks up concrete lines
//! made from templates sampled over the distinct texts, placeholders filled
//! with values, half of them with a timestamp/level/target prefix and a
//! quarter as JSON lines.
//!
//! Prints the index build time, template count, index size (JSON as stored
//! in a bundle, and zstd-compressed as the bundle packs it), the time to
//! read the index back (what `why --release` adds), lookup latency
//! percentiles and how often the sampled template is the best match.
//!
//! Usage: why_bench TREE [LOOKUPS]; `WHY_BENCH_MISSES=1` prints the lines
//! whose best match is another template, `WHY_BENCH_DUMP=FILE` writes the
//! serialized index.

use daytwo_why::{DEFAULT_LIMIT, Index, IndexOptions, Template};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const VALUES: &[&str] = &["42", "alice", "3.14", "/var/lib/shop/db", "0x1f", "timeout"];

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(tree) = args.next().map(PathBuf::from) else {
        eprintln!("usage: why_bench TREE [LOOKUPS]");
        std::process::exit(2);
    };
    let lookups: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(5000);

    let started = Instant::now();
    let index = Index::build_with(&tree, &IndexOptions::default()).unwrap_or_else(|error| {
        eprintln!("why_bench: {error}");
        std::process::exit(1);
    });
    let build = started.elapsed();
    let bytes = index.to_bytes();
    if let Some(path) = std::env::var_os("WHY_BENCH_DUMP") {
        std::fs::write(&path, &bytes).expect("the dump is written");
    }
    let compressed = zstd::bulk::compress(&bytes, 9).map_or(0, |c| c.len());
    let started = Instant::now();
    let reloaded = Index::from_bytes(&bytes).expect("the index reads back");
    let load = started.elapsed();
    drop(index);

    let templates = reloaded.templates();
    // One template per distinct text: a few files repeat a message
    // thousands of times (macro test suites) and would dominate the sample.
    let mut seen = std::collections::HashSet::new();
    let distinct: Vec<&Template> = templates
        .iter()
        .filter(|template| seen.insert(template.text.as_str()))
        .collect();
    println!("tree:               {}", tree.display());
    println!("index build:        {:.2} s", build.as_secs_f64());
    println!(
        "templates:          {} ({} distinct texts)",
        templates.len(),
        distinct.len()
    );
    println!(
        "index size:         {:.1} MiB JSON, {:.1} MiB zstd -9 (in the bundle)",
        mib(bytes.len()),
        mib(compressed)
    );
    println!("index read back:    {:.0} ms", load.as_secs_f64() * 1000.0);
    if templates.is_empty() {
        return;
    }

    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut latencies: Vec<Duration> = Vec::with_capacity(lookups);
    let (mut first, mut first_equivalent, mut top) = (0usize, 0usize, 0usize);
    for n in 0..lookups {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let template = distinct[(seed >> 33) as usize % distinct.len()];
        let line = concrete_line(template, n);
        let started = Instant::now();
        let matches = reloaded.lookup(&line, DEFAULT_LIMIT);
        latencies.push(started.elapsed());
        let same = |found: &daytwo_why::Match| found.template == template.text;
        // Same fixed text, other placeholder names (`{}` / `{name}`): no
        // line can tell them apart.
        let equivalent = |found: &daytwo_why::Match| {
            same(found) || fixed_text(&found.template) == fixed_text(&template.text)
        };
        if matches.first().is_some_and(same) {
            first += 1;
        }
        if matches.first().is_some_and(equivalent) {
            first_equivalent += 1;
        } else if std::env::var_os("WHY_BENCH_MISSES").is_some() {
            eprintln!(
                "miss: {line:?}\n  want {:?} ({:?})\n  got  {:?}",
                template.text,
                template.fragments,
                matches.first().map(|m| (&m.template, m.score))
            );
        }
        if matches.iter().any(same) {
            top += 1;
        }
    }
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    println!("lookups:            {lookups}");
    println!(
        "lookup latency:     p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        ms(at(0.50)),
        ms(at(0.90)),
        ms(at(0.99)),
        ms(at(1.0))
    );
    let share = |n: usize| 100.0 * n as f64 / lookups as f64;
    println!(
        "sampled template:   rank 1 in {:.1} % (same text; copies of a message are common), \
         {:.1} % counting same fixed text with other placeholder names, top {DEFAULT_LIMIT} in {:.1} %",
        share(first),
        share(first_equivalent),
        share(top)
    );
}

/// The template with its placeholders filled; every other line gets a
/// timestamp and level, every fourth is a JSON line.
fn concrete_line(template: &Template, n: usize) -> String {
    let mut values = VALUES.iter().cycle().skip(n % VALUES.len());
    let mut message = String::new();
    if template.leading_placeholder {
        message.push_str(values.next().unwrap());
    }
    for (index, fragment) in template.fragments.iter().enumerate() {
        if index > 0 {
            message.push_str(values.next().unwrap());
        }
        message.push_str(fragment);
    }
    if template.trailing_placeholder {
        message.push_str(values.next().unwrap());
    }
    match n % 4 {
        0 => serde_json::json!({"ts": "2026-11-27T04:00:00.123Z", "level": "info", "msg": message})
            .to_string(),
        1 | 3 => format!("2026-11-27T04:00:00.123Z  INFO app::module: {message}"),
        _ => message,
    }
}

/// A template's text without its placeholders (`{…}`, `%…`, `${…}`), in a
/// rough but language-neutral way.
fn fixed_text(text: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.replace('$', "").trim().to_string()
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
