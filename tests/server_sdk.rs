//! The reference server driven by the official AWS SDK for Rust: if the SDK (generated from the
//! same model every real client uses) parses every answer, the server speaks the protocol.
//! The SDK gets static credentials and an explicit endpoint: no default chain, no IMDS probe.

use std::time::Duration;

use aws_sdk_iotsecuretunneling::config::http::HttpResponse;
use aws_sdk_iotsecuretunneling::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_iotsecuretunneling::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iotsecuretunneling::types::{ClientMode, DestinationConfig, TimeoutConfig, TunnelStatus};
use aws_sdk_iotsecuretunneling::Client;
use rotcheck::server::{self, RunningServer, ServerConfig, SigV4Keys, Variant};

const KEY_ID: &str = "AKIDROTCHECKTEST";
const SECRET: &str = "rotcheck-test-secret-key";

async fn start(config: ServerConfig) -> RunningServer {
    server::spawn(config, "127.0.0.1:0".parse().unwrap()).await.unwrap()
}

fn client(url: &str, secret: &str) -> Client {
    let config = aws_sdk_iotsecuretunneling::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(url)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(KEY_ID, secret, None, None, "rotcheck-test"))
        .build();
    Client::from_conf(config)
}

/// HTTP status and error code of a failed SDK call.
fn failure<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> (u16, Option<String>) {
    let status = err.raw_response().map_or(0, |r| r.status().as_u16());
    (status, err.code().map(str::to_owned))
}

async fn full_flow(sdk: &Client) {
    let open = sdk
        .open_tunnel()
        .description("rotcheck sdk test")
        .timeout_config(TimeoutConfig::builder().max_lifetime_timeout_minutes(30).build())
        .destination_config(
            DestinationConfig::builder()
                .thing_name("thing-1")
                .services("SSH")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let id = open.tunnel_id().unwrap().to_owned();
    let arn = open.tunnel_arn().unwrap().to_owned();
    assert!(arn.starts_with("arn:aws:iot:us-east-1:123456789012:tunnel/") && arn.ends_with(&id));
    let mut seen = vec![
        open.source_access_token().unwrap().to_owned(),
        open.destination_access_token().unwrap().to_owned(),
    ];
    let before = sdk.describe_tunnel().tunnel_id(&id).send().await.unwrap();
    let before = before.tunnel().unwrap().clone();

    // Rotate in each mode: exactly the mode's token set, every token new.
    for (mode, source, destination) in [
        (ClientMode::Source, true, false),
        (ClientMode::Destination, false, true),
        (ClientMode::All, true, true),
    ] {
        let r = sdk
            .rotate_tunnel_access_token()
            .tunnel_id(&id)
            .client_mode(mode.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.tunnel_arn(), Some(arn.as_str()), "{mode:?}");
        assert_eq!(r.source_access_token().is_some(), source, "{mode:?}");
        assert_eq!(r.destination_access_token().is_some(), destination, "{mode:?}");
        for token in [r.source_access_token(), r.destination_access_token()]
            .into_iter()
            .flatten()
        {
            assert!(
                !token.is_empty() && !seen.iter().any(|s| s == token),
                "{mode:?}: a new token"
            );
            seen.push(token.to_owned());
        }
    }

    // Rotation changed neither createdAt nor timeoutConfig, and the tunnel is still OPEN.
    let after = sdk.describe_tunnel().tunnel_id(&id).send().await.unwrap();
    let after = after.tunnel().unwrap();
    assert_eq!(after.status(), Some(&TunnelStatus::Open));
    assert_eq!(after.created_at(), before.created_at());
    assert_eq!(after.timeout_config(), before.timeout_config());
    assert_eq!(
        after.timeout_config().and_then(|t| t.max_lifetime_timeout_minutes()),
        Some(30)
    );

    // ListTunnels: newest first.
    let newer = sdk.open_tunnel().send().await.unwrap();
    // The SDK's paginator follows nextToken, whatever the page size.
    let pages: Vec<_> = sdk
        .list_tunnels()
        .into_paginator()
        .send()
        .collect::<Result<_, _>>()
        .await
        .unwrap();
    let ids: Vec<&str> = pages
        .iter()
        .flat_map(|p| p.tunnel_summaries())
        .filter_map(|t| t.tunnel_id())
        .collect();
    assert_eq!(ids.first().copied(), newer.tunnel_id());
    assert!(ids.contains(&id.as_str()));
    let by_thing = sdk.list_tunnels().thing_name("thing-1").send().await.unwrap();
    assert_eq!(by_thing.tunnel_summaries().len(), 1);

    // Unknown tunnel: ResourceNotFoundException with HTTP 400.
    let err = sdk
        .rotate_tunnel_access_token()
        .tunnel_id("no-such-tunnel")
        .client_mode(ClientMode::All)
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&err), (400, Some("ResourceNotFoundException".to_owned())));
    assert!(err
        .as_service_error()
        .is_some_and(|e| e.is_resource_not_found_exception()));

    // SOURCE + destinationConfig: a 4xx and nothing changed.
    let unchanged = sdk.describe_tunnel().tunnel_id(&id).send().await.unwrap();
    let err = sdk
        .rotate_tunnel_access_token()
        .tunnel_id(&id)
        .client_mode(ClientMode::Source)
        .destination_config(DestinationConfig::builder().services("RDP").build().unwrap())
        .send()
        .await
        .unwrap_err();
    let (status, code) = failure(&err);
    assert!((400..500).contains(&status), "{status} {code:?}");
    let now = sdk.describe_tunnel().tunnel_id(&id).send().await.unwrap();
    assert_eq!(now.tunnel(), unchanged.tunnel());

    // Close: still described, CLOSED, and rotation is refused with a 4xx.
    sdk.close_tunnel().tunnel_id(&id).send().await.unwrap();
    let closed = sdk.describe_tunnel().tunnel_id(&id).send().await.unwrap();
    assert_eq!(closed.tunnel().unwrap().status(), Some(&TunnelStatus::Closed));
    let err = sdk
        .rotate_tunnel_access_token()
        .tunnel_id(&id)
        .client_mode(ClientMode::All)
        .send()
        .await
        .unwrap_err();
    assert!((400..500).contains(&failure(&err).0));

    // Close with delete: gone.
    sdk.close_tunnel().tunnel_id(&id).delete(true).send().await.unwrap();
    let err = sdk.describe_tunnel().tunnel_id(&id).send().await.unwrap_err();
    assert_eq!(failure(&err), (400, Some("ResourceNotFoundException".to_owned())));
}

#[tokio::test]
async fn sdk_full_flow_against_the_default_server() {
    let server = start(ServerConfig::default()).await;
    full_flow(&client(&server.url(), SECRET)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn sdk_full_flow_under_every_variant_at_once() {
    // Variants are conformant: the SDK must not notice any of them.
    let server = start(ServerConfig {
        variants: Variant::all().to_vec(),
        ..Default::default()
    })
    .await;
    full_flow(&client(&server.url(), SECRET)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn sdk_requests_pass_sigv4_verification_and_a_wrong_secret_is_refused() {
    let server = start(ServerConfig {
        verify_sigv4: Some(SigV4Keys::new(KEY_ID, SECRET)),
        ..Default::default()
    })
    .await;
    full_flow(&client(&server.url(), SECRET)).await;
    let err = client(&server.url(), "wrong-secret")
        .list_tunnels()
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&err), (403, Some("InvalidSignatureException".to_owned())));
    server.shutdown().await;
}

#[tokio::test]
async fn one_minute_tunnel_at_time_scale_60_closes_after_a_second_and_refuses_rotation() {
    let server = start(ServerConfig {
        time_scale: 60.0,
        ..Default::default()
    })
    .await;
    let sdk = client(&server.url(), SECRET);
    let open = sdk
        .open_tunnel()
        .timeout_config(TimeoutConfig::builder().max_lifetime_timeout_minutes(1).build())
        .send()
        .await
        .unwrap();
    let id = open.tunnel_id().unwrap();
    let status = |d: aws_sdk_iotsecuretunneling::operation::describe_tunnel::DescribeTunnelOutput| {
        d.tunnel().and_then(|t| t.status()).cloned()
    };
    // Rotating mid-life succeeds and does not extend the lifetime.
    sdk.rotate_tunnel_access_token()
        .tunnel_id(id)
        .client_mode(ClientMode::All)
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let described = sdk.describe_tunnel().tunnel_id(id).send().await.unwrap();
    assert_eq!(status(described), Some(TunnelStatus::Closed));
    let err = sdk
        .rotate_tunnel_access_token()
        .tunnel_id(id)
        .client_mode(ClientMode::Source)
        .send()
        .await
        .unwrap_err();
    assert!((400..500).contains(&failure(&err).0));
    let described = sdk.describe_tunnel().tunnel_id(id).send().await.unwrap();
    assert_eq!(status(described), Some(TunnelStatus::Closed), "never reopens");
    server.shutdown().await;
}
