//! Which strategy a deploy uses: `--strategy` when given, else the deployed
//! release's `[rollout] strategy` for the env (rolling without one).

use crate::deploy_fixture::{
    AppSource, SERVING, deploy, deploy_request, finish, import, serving, trust,
};
use crate::support::{ChildDaemon, TestHome};
use daytwo_api::{ClientError, DeployRequest};
use std::collections::BTreeSet;

const ROLLOUT: &str = r#"
[rollout]
strategy = "blue-green"

[env.qa.rollout]
strategy = "canary"
steps = [50, 100]
step_duration = "1s"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_strategy_the_release_spec_decides_and_strategy_overrides_it() {
    let home = TestHome::new();
    trust(&home, "prod");
    trust(&home, "qa");
    let app = AppSource::new();
    let v1 = app.build_with_section("1.0.0", SERVING, ROLLOUT);
    let v2 = app.build_with_section("2.0.0", SERVING, ROLLOUT);
    let _daemon = ChildDaemon::start(&home).await;
    let client = home.client();
    let r1 = import(&client, &v1).await;
    let r2 = import(&client, &v2).await;

    // prod: the spec's `[rollout] strategy`, with no --strategy.
    let first = deploy(&client, "prod", "1.0.0").await;
    assert_eq!(
        (first.outcome.as_str(), first.strategy.as_str()),
        ("succeeded", "blue-green"),
        "{first:?}"
    );
    let second = deploy(&client, "prod", "2.0.0").await;
    assert_eq!(
        (second.outcome.as_str(), second.strategy.as_str()),
        ("succeeded", "blue-green"),
        "{second:?}"
    );
    assert_eq!(
        serving(app.prod, 10).await,
        BTreeSet::from([r2.digest.clone()])
    );

    // --strategy overrides the spec.
    let request = DeployRequest {
        strategy: Some("rolling".to_string()),
        ..deploy_request(&r1.digest)
    };
    let third = finish(client.deploy("prod", &request).await.expect("accepted"))
        .await
        .1;
    assert_eq!(
        (third.outcome.as_str(), third.strategy.as_str()),
        ("succeeded", "rolling"),
        "{third:?}"
    );

    // qa's overlay says canary; a first deploy has no stable release to
    // compare with, so the canary switches at once.
    let qa = deploy(&client, "qa", "1.0.0").await;
    assert_eq!(
        (qa.outcome.as_str(), qa.strategy.as_str()),
        ("succeeded", "canary"),
        "{qa:?}"
    );
    assert_eq!(
        serving(app.qa, 5).await,
        BTreeSet::from([r1.digest.clone()])
    );

    // An unknown strategy is refused before anything changes.
    let request = DeployRequest {
        strategy: Some("yolo".to_string()),
        ..deploy_request("2.0.0")
    };
    match client.deploy("qa", &request).await {
        Err(ClientError::Api { body, .. }) => {
            assert_eq!(body.code, "bad_request");
            assert!(body.message.contains("`yolo`"), "{}", body.message);
        }
        Err(other) => panic!("expected an API error, got {other}"),
        Ok(_) => panic!("an unknown strategy was accepted"),
    }
}
