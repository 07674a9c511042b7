//! `GET /v1/logs`: captured replica output as an NDJSON stream.

use crate::support::{
    InProcessDaemon, TestHome, WAIT, env_spec, eventually, process, unique_sleep,
};
use daytwo_api::{LogLine, LogQuery, UpRequest};

async fn read_all(client: &daytwo_api::Client, query: &LogQuery) -> Result<Vec<LogLine>, String> {
    let mut stream = client
        .logs(query)
        .await
        .map_err(|error| error.to_string())?;
    let mut lines = Vec::new();
    while let Some(line) = stream.next().await.map_err(|error| error.to_string())? {
        lines.push(line);
    }
    Ok(lines)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_return_the_captured_lines_of_each_replica() {
    let home = TestHome::new();
    let _daemon = InProcessDaemon::start(&home).await;
    let client = home.client();
    let command = format!(
        "echo hello from $DAYTWO_REPLICA; echo oops >&2; exec sleep {}",
        unique_sleep()
    );
    let spec = env_spec("dev", home.path(), vec![process("web", &command, 2)]);
    client
        .up(&UpRequest {
            spec,
            release: "working-tree".to_string(),
            migrations: None,
        })
        .await
        .unwrap();

    let query = LogQuery {
        env: Some("dev".to_string()),
        ..LogQuery::default()
    };
    let lines = eventually("both replicas' lines", || {
        let client = client.clone();
        let query = query.clone();
        async move {
            let lines = read_all(&client, &query).await?;
            if lines.len() >= 4 {
                Ok(lines)
            } else {
                Err(format!("{lines:?}"))
            }
        }
    })
    .await;
    let hello = lines
        .iter()
        .find(|line| line.replica == 2 && line.stream == "stdout")
        .expect("a stdout line of web.2");
    assert_eq!(hello.env, "dev");
    assert_eq!(hello.process, "web");
    assert_eq!(hello.line, "hello from web.2");
    assert!(hello.ts.parse::<jiff::Timestamp>().is_ok(), "{}", hello.ts);
    assert!(
        lines
            .iter()
            .any(|line| line.stream == "stderr" && line.line == "oops")
    );

    let only_one = read_all(
        &client,
        &LogQuery {
            env: Some("dev".to_string()),
            replica: Some(1),
            ..LogQuery::default()
        },
    )
    .await
    .unwrap();
    assert!(!only_one.is_empty());
    assert!(only_one.iter().all(|line| line.replica == 1));

    let since = |since_ms| LogQuery {
        env: Some("dev".to_string()),
        since_ms: Some(since_ms),
        ..LogQuery::default()
    };
    let last_hour = read_all(&client, &since(3_600_000)).await.unwrap();
    assert_eq!(
        last_hour.len(),
        lines.len(),
        "every line is from the last hour"
    );
    let from_now = read_all(&client, &since(0)).await.unwrap();
    assert!(
        from_now.is_empty(),
        "no line is newer than now: {from_now:?}"
    );
    client.down("dev").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_streams_lines_as_they_are_written() {
    let home = TestHome::new();
    let _daemon = InProcessDaemon::start(&home).await;
    let client = home.client();
    let command = "n=0; while true; do n=$((n+1)); echo tick $n; sleep 0.1; done";
    let spec = env_spec("dev", home.path(), vec![process("ticker", command, 1)]);
    client
        .up(&UpRequest {
            spec,
            release: "working-tree".to_string(),
            migrations: None,
        })
        .await
        .unwrap();
    let mut stream = client
        .logs(&LogQuery {
            env: Some("dev".to_string()),
            tail: Some(0),
            follow: true,
            ..LogQuery::default()
        })
        .await
        .unwrap();
    let mut ticks = Vec::new();
    while ticks.len() < 3 {
        let line = tokio::time::timeout(WAIT, stream.next())
            .await
            .expect("a new line within the wait")
            .unwrap()
            .expect("the stream stays open");
        ticks.push(line.line);
    }
    let numbers: Vec<u32> = ticks
        .iter()
        .map(|tick| tick.strip_prefix("tick ").unwrap().parse().unwrap())
        .collect();
    assert!(
        numbers.windows(2).all(|pair| pair[1] == pair[0] + 1),
        "{ticks:?}"
    );
    drop(stream);
    client.down("dev").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_following_client_does_not_keep_the_daemon_from_stopping() {
    let home = TestHome::new();
    let daemon = InProcessDaemon::start(&home).await;
    let client = home.client();
    let command = format!("echo ready; exec sleep {}", unique_sleep());
    let spec = env_spec("dev", home.path(), vec![process("web", &command, 1)]);
    client
        .up(&UpRequest {
            spec,
            release: "working-tree".to_string(),
            migrations: None,
        })
        .await
        .unwrap();
    let mut stream = client
        .logs(&LogQuery {
            env: Some("dev".to_string()),
            follow: true,
            ..LogQuery::default()
        })
        .await
        .unwrap();
    let first = tokio::time::timeout(WAIT, stream.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.map(|line| line.line).as_deref(), Some("ready"));

    client.down("dev").await.unwrap();
    client.shutdown().await.unwrap();
    daemon.finished().await.unwrap();
    let end = tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("the stream ends with the daemon");
    assert!(matches!(end, Ok(None) | Err(_)), "{end:?}");
}
