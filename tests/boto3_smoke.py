#!/usr/bin/env python3
"""Smoke test of a secure-tunneling endpoint with boto3 (a second real AWS SDK).

Usage:
    pip install boto3
    rotcheck serve --time-scale 60 &        # prints: listening on http://127.0.0.1:PORT
    python3 tests/boto3_smoke.py http://127.0.0.1:PORT [TIME_SCALE]

TIME_SCALE (default 60) is the server's --time-scale: the script waits 1.2 tunnel-minutes for a
1-minute tunnel to close. Dummy credentials, explicit endpoint and region: nothing is looked up
(the EC2 metadata service is never probed). Prints each step; exits 1 on the first mismatch.
Tokens are never printed.
"""

import os
import sys
import time

os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    print(f"ok: {msg}")


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    url = sys.argv[1]
    scale = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    client = boto3.client(
        "iotsecuretunneling",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIDROTCHECKSMOKE",
        aws_secret_access_key="dummy-secret",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )

    opened = client.open_tunnel(
        description="boto3 smoke",
        destinationConfig={"thingName": "smoke-thing", "services": ["SSH"]},
        timeoutConfig={"maxLifetimeTimeoutMinutes": 30},
    )
    tunnel_id, arn = opened["tunnelId"], opened["tunnelArn"]
    print(f"open_tunnel -> tunnelId={tunnel_id} tunnelArn={arn}")
    check(arn.endswith("tunnel/" + tunnel_id), "tunnelArn names the tunnel")
    seen = {opened["sourceAccessToken"], opened["destinationAccessToken"]}
    check(len(seen) == 2, "open_tunnel returns two distinct tokens")
    before = client.describe_tunnel(tunnelId=tunnel_id)["tunnel"]

    expected = {
        "SOURCE": {"sourceAccessToken"},
        "DESTINATION": {"destinationAccessToken"},
        "ALL": {"sourceAccessToken", "destinationAccessToken"},
    }
    for mode, members in expected.items():
        r = client.rotate_tunnel_access_token(tunnelId=tunnel_id, clientMode=mode)
        got = {k for k in r if k.endswith("AccessToken")}
        print(f"rotate_tunnel_access_token({mode}) -> members {sorted(got) + ['tunnelArn']}")
        check(got == members, f"{mode}: exactly {sorted(members)}")
        check(r.get("tunnelArn") == arn, f"{mode}: tunnelArn unchanged")
        for k in members:
            check(r[k] and r[k] not in seen, f"{mode}: {k} is new")
            seen.add(r[k])

    after = client.describe_tunnel(tunnelId=tunnel_id)["tunnel"]
    print(f"describe_tunnel -> status={after['status']} createdAt={after['createdAt'].isoformat()}")
    check(after["status"] == "OPEN", "still OPEN after rotations")
    check(after["createdAt"] == before["createdAt"], "createdAt unchanged by rotation")
    check(after["timeoutConfig"] == before["timeoutConfig"], "timeoutConfig unchanged by rotation")

    listed = client.list_tunnels()["tunnelSummaries"]
    print(f"list_tunnels -> {len(listed)} tunnel(s)")
    check(listed and listed[0]["tunnelId"] == tunnel_id, "list_tunnels shows the tunnel first")

    try:
        client.rotate_tunnel_access_token(tunnelId="no-such-tunnel", clientMode="ALL")
        fail("rotating an unknown tunnel succeeded")
    except ClientError as e:
        code = e.response["Error"]["Code"]
        status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        print(f"rotate unknown tunnel -> HTTP {status} {code}")
        check(code == "ResourceNotFoundException" and status == 400, "unknown tunnel: 400 ResourceNotFoundException")

    client.close_tunnel(tunnelId=tunnel_id)
    status = client.describe_tunnel(tunnelId=tunnel_id)["tunnel"]["status"]
    print(f"close_tunnel -> status={status}")
    check(status == "CLOSED", "closed tunnel reads CLOSED")
    client.close_tunnel(tunnelId=tunnel_id, delete=True)
    try:
        client.describe_tunnel(tunnelId=tunnel_id)
        fail("a deleted tunnel is still described")
    except ClientError as e:
        check(e.response["Error"]["Code"] == "ResourceNotFoundException", "close_tunnel(delete=True) removes it")

    short = client.open_tunnel(timeoutConfig={"maxLifetimeTimeoutMinutes": 1})["tunnelId"]
    wait = 1.2 * 60.0 / scale
    print(f"open_tunnel(1 minute) -> {short}; waiting {wait:.1f} s (time scale {scale:g})")
    time.sleep(wait)
    status = client.describe_tunnel(tunnelId=short)["tunnel"]["status"]
    print(f"describe_tunnel -> status={status}")
    check(status == "CLOSED", "a 1-minute tunnel is CLOSED after 1.2 tunnel-minutes")
    try:
        client.rotate_tunnel_access_token(tunnelId=short, clientMode="SOURCE")
        fail("rotating a CLOSED tunnel succeeded")
    except ClientError as e:
        status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        print(f"rotate CLOSED tunnel -> HTTP {status} {e.response['Error']['Code']}")
        check(400 <= status < 500, "rotating a CLOSED tunnel is a 4xx")

    print("boto3 smoke test passed")


if __name__ == "__main__":
    main()
