//! The shell line a replica runs: `sh -c "<command>"`, with `exec` in front
//! when the command is a single simple command, so that the replica's pid is
//! the app's own pid (signals, sampling and `ps` then name the app, not `sh`),
//! as a Dockerfile's shell form would want but does not do.

/// Characters that make a command line more than one simple command.
const COMPOUND: &[char] = &[';', '&', '|', '\n', '(', ')', '{', '}', '`', '<', '>'];
/// Shell words that cannot follow `exec`.
const KEYWORDS: &[&str] = &[
    "exec", "if", "for", "while", "until", "case", "!", "cd", "export", "set", "trap", "eval",
];

/// `exec <command>` for a simple command, the command unchanged otherwise.
pub fn shell_line(command: &str) -> String {
    let trimmed = command.trim();
    let first = trimmed.split_whitespace().next().unwrap_or_default();
    let simple = !trimmed.is_empty()
        && !trimmed.contains(COMPOUND)
        && !trimmed.contains("$(")
        && !first.contains('=')
        && !KEYWORDS.contains(&first);
    if simple {
        format!("exec {trimmed}")
    } else {
        command.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::shell_line;

    #[test]
    fn simple_commands_are_execed() {
        assert_eq!(shell_line("python3 app.py"), "exec python3 app.py");
        assert_eq!(
            shell_line("../../target/debug/shop worker --port $PORT"),
            "exec ../../target/debug/shop worker --port $PORT"
        );
    }

    #[test]
    fn compound_commands_and_assignments_are_left_to_the_shell() {
        for command in [
            "cd web && ./run",
            "a; b",
            "a | b",
            "FOO=1 app",
            "exec app",
            "while true; do x; done",
            "app > out.log",
            "echo $(date)",
        ] {
            assert_eq!(shell_line(command), command);
        }
    }
}
