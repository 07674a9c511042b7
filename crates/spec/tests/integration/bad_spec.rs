//! Every kind of bad spec, each with its precise diagnostic: an insta
//! snapshot of the rendered miette report (no colour, fixed width) and an
//! assertion on code, line and field.

use daytwo_spec::{Severity, SpecDiagnostic, SpecError, code, parse_str};
use miette::{GraphicalReportHandler, GraphicalTheme};
use std::path::Path;

/// Renders a report as `daytwo check` shows it, minus colour.
pub fn render(diagnostic: &dyn miette::Diagnostic) -> String {
    let mut out = String::new();
    GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut out, diagnostic)
        .unwrap();
    out
}

fn lookup(name: &str) -> Option<String> {
    (name == "USER").then(|| "ada".to_string())
}

/// Checks `text`, which must be invalid; returns the rendering and records.
fn check(text: &str) -> (String, Vec<SpecDiagnostic>) {
    match parse_str(text, Path::new("daytwo.toml"), &lookup) {
        Ok(loaded) => panic!("expected errors, got a valid spec: {:#?}", loaded.spec),
        Err(error) => {
            let diagnostics = error.diagnostics();
            (render(&error), diagnostics)
        }
    }
}

/// The single diagnostic of `text`, asserting code, line and field (`""`
/// for none); returns the rendering and the record.
fn only(text: &str, code: &str, line: usize, field: &str) -> (String, SpecDiagnostic) {
    let (rendered, diagnostics) = check(text);
    assert_eq!(diagnostics.len(), 1, "{rendered}");
    let diagnostic = &diagnostics[0];
    assert_eq!(diagnostic.code, code, "{rendered}");
    assert_eq!(diagnostic.line, Some(line), "{rendered}");
    assert_eq!(
        diagnostic.field.as_deref().unwrap_or(""),
        field,
        "{rendered}"
    );
    assert_eq!(diagnostic.severity, Severity::Error);
    assert!(diagnostic.hint.is_some(), "every diagnostic has a hint");
    (rendered, diagnostic.clone())
}

const HEADER: &str = "[app]\nname = \"hello\"\n\n";

fn spec(body: &str) -> String {
    format!("{HEADER}{body}")
}

#[test]
fn toml_syntax_error_points_at_the_broken_line() {
    let (rendered, _) = only(
        &spec("[process.web\ncommand = \"x\"\n"),
        code::TOML_SYNTAX,
        4,
        "",
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn unknown_key_suggests_the_closest_key() {
    let (rendered, diagnostic) = only(
        &spec("[process.web]\ncommand = \"x\"\nreplica = 2\n"),
        code::UNKNOWN_KEY,
        6,
        "process.web.replica",
    );
    assert!(
        diagnostic
            .hint
            .unwrap()
            .starts_with("did you mean `replicas`?")
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn wrong_type_says_what_was_expected_and_found() {
    let (rendered, diagnostic) = only(
        &spec("[process.web]\ncommand = \"x\"\nreplicas = \"2\"\n"),
        code::WRONG_TYPE,
        6,
        "process.web.replicas",
    );
    assert!(
        diagnostic
            .message
            .contains("expected an integer, found a string")
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn missing_app_name_is_an_error() {
    let (rendered, _) = only(
        "[app]\n\n[process.web]\ncommand = \"x\"\n",
        code::MISSING_KEY,
        1,
        "app.name",
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn app_name_must_be_lowercase_letters_digits_and_dashes() {
    let (rendered, diagnostic) = only(
        "[app]\nname = \"Hello_World\"\n\n[process.web]\ncommand = \"x\"\n",
        code::INVALID_APP_NAME,
        2,
        "app.name",
    );
    assert!(
        diagnostic.hint.unwrap().contains("\"hello-world\""),
        "suggests a valid name"
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn a_spec_without_processes_is_an_error() {
    let (rendered, _) = only(HEADER, code::MISSING_PROCESSES, 1, "process");
    insta::assert_snapshot!(rendered);
}

#[test]
fn a_process_without_command_is_an_error() {
    let (rendered, _) = only(
        &spec("[process.web]\nreplicas = 2\n"),
        code::MISSING_KEY,
        4,
        "process.web.command",
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn an_empty_command_is_an_error() {
    let (rendered, _) = only(
        &spec("[process.web]\ncommand = \"  \"\n"),
        code::EMPTY_COMMAND,
        5,
        "process.web.command",
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn bad_duration_is_reported_with_the_parse_error() {
    let (rendered, _) = only(
        &spec("[process.web]\ncommand = \"x\"\nstop_timeout = \"5 parsecs\"\n"),
        code::INVALID_DURATION,
        6,
        "process.web.stop_timeout",
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn duration_written_as_a_number_is_a_type_error() {
    let (rendered, diagnostic) = only(
        &spec("[process.web]\ncommand = \"x\"\nstop_timeout = 5\n"),
        code::WRONG_TYPE,
        6,
        "process.web.stop_timeout",
    );
    assert!(
        diagnostic
            .message
            .contains("expected a duration string, found an integer")
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn bad_size_is_reported() {
    let (rendered, _) = only(
        &spec("[process.web]\ncommand = \"x\"\nmemory_limit = \"256 potatoes\"\n"),
        code::INVALID_SIZE,
        6,
        "process.web.memory_limit",
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn negative_replicas_are_out_of_range() {
    let (rendered, _) = only(
        &spec("[process.worker]\ncommand = \"x\"\nreplicas = -1\n"),
        code::INVALID_REPLICAS,
        6,
        "process.worker.replicas",
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn zero_replicas_of_the_http_process_in_an_overlay_is_an_error() {
    let (rendered, diagnostic) = only(
        &spec(
            "[process.web]\ncommand = \"x\"\nhttp = true\n\n[env.prod]\nlisten = \"127.0.0.1:18083\"\n\n[env.prod.process.web]\nreplicas = 0\n",
        ),
        code::ZERO_HTTP_REPLICAS,
        12,
        "env.prod.process.web.replicas",
    );
    assert!(diagnostic.message.contains("in env `prod`"));
    insta::assert_snapshot!(rendered);
}

#[test]
fn only_one_process_may_serve_http() {
    let (rendered, _) = only(
        &spec(
            "[process.web]\ncommand = \"x\"\nhttp = true\n\n[process.api]\ncommand = \"y\"\nhttp = true\n",
        ),
        code::MULTIPLE_HTTP_PROCESSES,
        10,
        "process.api.http",
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn overlay_of_an_undeclared_process_suggests_the_declared_one() {
    let (rendered, diagnostic) = only(
        &spec("[process.web]\ncommand = \"x\"\n\n[env.prod.process.wbe]\nreplicas = 3\n"),
        code::UNKNOWN_PROCESS,
        7,
        "env.prod.process.wbe",
    );
    assert!(diagnostic.hint.unwrap().starts_with("did you mean `web`?"));
    insta::assert_snapshot!(rendered);
}

#[test]
fn two_envs_on_the_same_port_are_an_error() {
    let (rendered, _) = only(
        &spec(
            "[process.web]\ncommand = \"x\"\nhttp = true\n\n[env.dev]\nlisten = \"127.0.0.1:18080\"\n\n[env.qa]\nlisten = \"127.0.0.1:18080\"\n",
        ),
        code::DUPLICATE_PORT,
        12,
        "env.qa.listen",
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn listen_must_be_a_socket_address() {
    let (rendered, _) = only(
        &spec("[process.web]\ncommand = \"x\"\nhttp = true\n\n[env.dev]\nlisten = \"localhost\"\n"),
        code::INVALID_LISTEN,
        9,
        "env.dev.listen",
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn health_check_needs_a_probe() {
    let (rendered, _) = only(
        &spec("[process.web]\ncommand = \"x\"\nhealth = { interval = \"1s\" }\n"),
        code::MISSING_HEALTH_PROBE,
        6,
        "process.web.health",
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn health_check_with_two_probes_is_ambiguous() {
    let (rendered, _) = only(
        &spec("[process.web]\ncommand = \"x\"\nhealth = { path = \"/healthz\", tcp = true }\n"),
        code::AMBIGUOUS_HEALTH_PROBE,
        6,
        "process.web.health.tcp",
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn health_path_must_start_with_a_slash() {
    let (rendered, _) = only(
        &spec("[process.web]\ncommand = \"x\"\nhealth = { path = \"healthz\" }\n"),
        code::INVALID_HEALTH_PATH,
        6,
        "process.web.health.path",
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn thresholds_of_zero_are_an_error() {
    let (rendered, _) = only(
        &spec(
            "[process.web]\ncommand = \"x\"\n\n[process.web.health]\ntcp = true\nhealthy_threshold = 0\n",
        ),
        code::INVALID_THRESHOLD,
        9,
        "process.web.health.healthy_threshold",
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn unknown_stop_signal_lists_the_supported_ones() {
    let (rendered, diagnostic) = only(
        &spec("[process.web]\ncommand = \"x\"\nstop_signal = \"SIGTREM\"\n"),
        code::UNKNOWN_SIGNAL,
        6,
        "process.web.stop_signal",
    );
    assert!(
        diagnostic
            .hint
            .unwrap()
            .starts_with("did you mean `SIGTERM`?")
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn unset_variable_names_the_variable_and_points_into_the_string() {
    let text = spec(
        "[process.web]\ncommand = \"x\"\nenvironment = { DATABASE_URL = \"postgres://${DB_HOST}/shop\" }\n",
    );
    let (rendered, _) = only(
        &text,
        code::UNSET_VARIABLE,
        6,
        "process.web.environment.DATABASE_URL",
    );
    let (_, diagnostics) = check(&text);
    // The column is that of `${DB_HOST}` itself, not of the whole string.
    let column = text.lines().nth(5).unwrap().find("${").unwrap() + 1;
    assert_eq!(diagnostics[0].column, Some(column));
    assert!(rendered.contains("DB_HOST"));
    insta::assert_snapshot!(rendered);
}

#[test]
fn env_names_must_be_simple_identifiers() {
    let (rendered, _) = only(
        &spec("[process.web]\ncommand = \"x\"\n\n[env.\"Prod EU\"]\n"),
        code::INVALID_NAME,
        7,
        "env.Prod EU",
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn environment_keys_must_be_variable_names() {
    let (rendered, _) = only(
        &spec("[process.web]\ncommand = \"x\"\nenvironment = { \"LOG-LEVEL\" = \"debug\" }\n"),
        code::INVALID_ENV_VAR_NAME,
        6,
        "process.web.environment.LOG-LEVEL",
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn max_backoff_shorter_than_backoff_is_an_error() {
    let (rendered, _) = only(
        &spec(
            "[process.web]\ncommand = \"x\"\nrestart = { backoff = \"10s\", max_backoff = \"1s\" }\n",
        ),
        code::INVALID_RESTART,
        6,
        "process.web.restart.max_backoff",
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn all_problems_are_collected_not_just_the_first() {
    let text = "[app]\nname = \"Shop\"\n\n[process.web]\ncomand = \"x\"\nreplicas = \"two\"\nhttp = true\nstop_timeout = \"forever\"\n\n[env.qa]\nlisten = \"127.0.0.1:9000\"\n[env.prod]\nlisten = \"127.0.0.1:9000\"\n";
    let (rendered, diagnostics) = check(text);
    let codes: Vec<(&str, Option<usize>)> = diagnostics
        .iter()
        .map(|d| (d.code.as_str(), d.line))
        .collect();
    assert_eq!(
        codes,
        vec![
            (code::INVALID_APP_NAME, Some(2)),
            (code::MISSING_KEY, Some(4)),
            (code::UNKNOWN_KEY, Some(5)),
            (code::WRONG_TYPE, Some(6)),
            (code::INVALID_DURATION, Some(8)),
            (code::DUPLICATE_PORT, Some(13)),
        ]
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn json_records_carry_code_file_line_column_field_and_hint() {
    let (_, diagnostics) = check(&spec("[process.web]\ncommand = \"x\"\nreplica = 2\n"));
    let json = serde_json::to_value(&diagnostics).unwrap();
    insta::assert_json_snapshot!(json);
}

#[test]
fn spec_error_exposes_the_first_error_code() {
    let error: SpecError = parse_str(
        &spec("[process.web]\ncommand = 1\n"),
        Path::new("daytwo.toml"),
        &lookup,
    )
    .unwrap_err();
    assert_eq!(error.code(), code::WRONG_TYPE);
}

#[test]
fn every_misplaced_type_is_a_type_error_not_a_crash() {
    let text = r#"process = 5
env = "x"
"#;
    let (_, diagnostics) = check(&format!("{text}{HEADER}"));
    let codes: Vec<&str> = diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, vec![code::WRONG_TYPE, code::WRONG_TYPE]);

    let text = r#"[process.web]
command = ["python3", "app.py"]
health = "yes"
restart = 5
environment = 5
http = "true"
stop_signal = 15
memory_limit = 1979-05-27T07:32:00Z

[env.prod]
process = 3
listen = 18080
"#;
    let (_, diagnostics) = check(&spec(text));
    assert!(
        diagnostics.iter().all(|d| d.code == code::WRONG_TYPE),
        "{diagnostics:#?}"
    );
    assert_eq!(diagnostics.len(), 9);
}

#[test]
fn an_empty_file_lacks_app_and_processes() {
    let (_, diagnostics) = check("");
    let codes: Vec<&str> = diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, vec![code::MISSING_KEY, code::MISSING_PROCESSES]);
}

#[test]
fn interpolation_in_escaped_strings_points_at_the_whole_value() {
    let text =
        spec("[process.web]\ncommand = \"x\"\nenvironment = { A = \"tab\\there ${NOPE}\" }\n");
    let (_, diagnostics) = check(&text);
    assert_eq!(diagnostics[0].code, code::UNSET_VARIABLE);
    assert_eq!(
        diagnostics[0].column,
        Some(21),
        "the string starts at column 21"
    );
}

const WEB: &str = "[process.web]\ncommand = \"x\"\n\n";

#[test]
fn build_without_artifacts_is_an_error() {
    let (rendered, _) = only(
        &spec(&format!("{WEB}[build]\ncommand = \"make\"\n")),
        code::MISSING_ARTIFACTS,
        7,
        "build.artifacts",
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn an_empty_artifact_list_is_an_error() {
    let (rendered, _) = only(
        &spec(&format!("{WEB}[build]\nartifacts = []\n")),
        code::MISSING_ARTIFACTS,
        8,
        "build.artifacts",
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn an_artifact_that_leaves_the_spec_directory_is_an_error() {
    let (rendered, diagnostic) = only(
        &spec(&format!(
            "{WEB}[build]\nartifacts = [\"app.py\", \"static/../../etc\"]\n"
        )),
        code::INVALID_ARTIFACT,
        8,
        "build.artifacts[1]",
    );
    assert!(
        diagnostic.message.contains("`..`"),
        "{}",
        diagnostic.message
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn an_absolute_artifact_is_an_error() {
    let (rendered, diagnostic) = only(
        &spec(&format!("{WEB}[build]\nartifacts = [\"/etc/passwd\"]\n")),
        code::INVALID_ARTIFACT,
        8,
        "build.artifacts[0]",
    );
    assert!(diagnostic.message.contains("absolute"));
    insta::assert_snapshot!(rendered);
}

#[test]
fn artifacts_must_be_a_list_of_strings() {
    let (rendered, _) = only(
        &spec(&format!("{WEB}[build]\nartifacts = \"app.py\"\n")),
        code::WRONG_TYPE,
        8,
        "build.artifacts",
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn smoke_timeout_must_be_a_positive_duration() {
    let (rendered, _) = only(
        &spec(&format!(
            "{WEB}[checks]\nsmoke = \"./smoke.sh\"\nsmoke_timeout = \"0s\"\n"
        )),
        code::INVALID_DURATION,
        9,
        "checks.smoke_timeout",
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn unknown_key_in_checks_suggests_the_closest_key() {
    let (_, diagnostic) = only(
        &spec(&format!("{WEB}[checks]\nsmoke_timout = \"5s\"\n")),
        code::UNKNOWN_KEY,
        8,
        "checks.smoke_timout",
    );
    assert!(
        diagnostic
            .hint
            .unwrap()
            .starts_with("did you mean `smoke_timeout`?")
    );
}
