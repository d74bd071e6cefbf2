"""Create the portal's AWS resources in LocalStack, idempotently, and print a summary.

Run by localstack/up with the boto3 of the LocalStack venv. Never overwrites what exists
(the signing secret in particular); fails if an existing table has a different key schema.

Environment (defaults in brackets):
  LOCALSTACK_ENDPOINT [http://127.0.0.1:4566]   AWS_REGION [eu-central-1]
  AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY [test / test]
  PORTAL_EVENTS_TABLE [portal-events]   PORTAL_STATE_TABLE [portal-state]
  PORTAL_MAIL_FROM [no-reply@portal.example]   PORTAL_KMS_ALIAS [portal-totp]
  PORTAL_SIGNING_SECRET [portal/token-signing-key]   PORTAL_OIDC_KEY_ALIAS [portal-oidc]
"""

import base64
import os
import secrets
import sys
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ.get("LOCALSTACK_ENDPOINT") or "http://127.0.0.1:4566"
REGION = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-central-1"
os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")

EVENTS_TABLE = os.environ.get("PORTAL_EVENTS_TABLE") or "portal-events"
STATE_TABLE = os.environ.get("PORTAL_STATE_TABLE") or "portal-state"
MAIL_FROM = os.environ.get("PORTAL_MAIL_FROM") or "no-reply@portal.example"
KMS_ALIAS = "alias/" + (os.environ.get("PORTAL_KMS_ALIAS") or "portal-totp").removeprefix("alias/")
SIGNING_SECRET = os.environ.get("PORTAL_SIGNING_SECRET") or "portal/token-signing-key"
OIDC_ALIAS = "alias/" + (os.environ.get("PORTAL_OIDC_KEY_ALIAS") or "portal-oidc").removeprefix("alias/")

# The first DynamoDB call starts DynamoDB Local, the first stream-enabled table installs and
# starts kinesis-local: allow for slow first responses.
_CONFIG = Config(
    region_name=REGION,
    connect_timeout=10,
    read_timeout=120,
    retries={"max_attempts": 5, "mode": "standard"},
)


def client(name):
    return boto3.client(name, endpoint_url=ENDPOINT, config=_CONFIG)


def say(msg):
    print(f"[init] {msg}", flush=True)


def error_code(exc):
    return exc.response.get("Error", {}).get("Code", "")


# ---------------------------------------------------------------- DynamoDB
def ensure_table(ddb, name, keys, stream=None, ttl_attribute=None):
    """keys: [(attribute, 'S'|'N', 'HASH'|'RANGE'), ...]"""
    want_schema = [{"AttributeName": a, "KeyType": k} for a, _, k in keys]
    try:
        table = ddb.describe_table(TableName=name)["Table"]
        say(f"table {name}: exists")
    except ClientError as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise
        params = {
            "TableName": name,
            "KeySchema": want_schema,
            "AttributeDefinitions": [{"AttributeName": a, "AttributeType": t} for a, t, _ in keys],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if stream:
            params["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream}
        say(f"table {name}: creating")
        try:
            ddb.create_table(**params)
        except ClientError as exc2:
            if error_code(exc2) != "ResourceInUseException":  # created concurrently
                raise
        ddb.get_waiter("table_exists").wait(
            TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
        )
        table = ddb.describe_table(TableName=name)["Table"]

    if table["KeySchema"] != want_schema:
        raise SystemExit(
            f"[init] ERROR: table {name} exists with key schema {table['KeySchema']}, "
            f"expected {want_schema}; delete it (or restart LocalStack) and run up again"
        )

    if stream:
        spec = table.get("StreamSpecification") or {}
        if not spec.get("StreamEnabled"):
            say(f"table {name}: enabling stream ({stream})")
            ddb.update_table(
                TableName=name,
                StreamSpecification={"StreamEnabled": True, "StreamViewType": stream},
            )
        elif spec.get("StreamViewType") != stream:
            raise SystemExit(
                f"[init] ERROR: table {name} has stream view type {spec.get('StreamViewType')}, "
                f"expected {stream}; delete it (or restart LocalStack) and run up again"
            )

    if ttl_attribute:
        ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
            if ttl.get("AttributeName") != ttl_attribute:
                raise SystemExit(
                    f"[init] ERROR: table {name} has TTL on {ttl.get('AttributeName')}, "
                    f"expected {ttl_attribute}"
                )
        else:
            say(f"table {name}: enabling TTL on {ttl_attribute}")
            ddb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute},
            )


def wait_stream(ddb, name, timeout=120):
    """Wait until the table's stream is ENABLED (kinesis-local may still be installing)."""
    streams = client("dynamodbstreams")
    deadline = time.time() + timeout
    while True:
        arn = ddb.describe_table(TableName=name)["Table"].get("LatestStreamArn")
        if arn:
            desc = streams.describe_stream(StreamArn=arn)["StreamDescription"]
            if desc.get("StreamStatus") == "ENABLED":
                return arn
        if time.time() > deadline:
            raise SystemExit(f"[init] ERROR: stream of table {name} not ENABLED after {timeout} s")
        time.sleep(1)


# ---------------------------------------------------------------- SES / KMS / Secrets
def ensure_ses_identity(ses, address):
    ses.verify_email_identity(EmailAddress=address)  # idempotent
    attrs = ses.get_identity_verification_attributes(Identities=[address])
    return attrs["VerificationAttributes"].get(address, {}).get("VerificationStatus", "?")


def ensure_kms_alias(kms, alias, spec="SYMMETRIC_DEFAULT", usage="ENCRYPT_DECRYPT",
                     description="portal TOTP secret encryption (LocalStack)"):
    try:
        meta = kms.describe_key(KeyId=alias)["KeyMetadata"]
        if meta.get("KeySpec", spec) == spec:
            say(f"kms {alias}: exists")
            return meta
        # A key of another spec (the ES256 key of before, in a LocalStack
        # still running): the alias moves to a new key of the right one.
        say(f"kms {alias}: names a {meta.get('KeySpec')} key; moving it to a new {spec} key")
        key = kms.create_key(KeySpec=spec, KeyUsage=usage, Description=description)["KeyMetadata"]
        kms.update_alias(AliasName=alias, TargetKeyId=key["KeyId"])
        return kms.describe_key(KeyId=alias)["KeyMetadata"]
    except ClientError as exc:
        if error_code(exc) != "NotFoundException":
            raise
    say(f"kms {alias}: creating {spec} key + alias")
    key = kms.create_key(KeySpec=spec, KeyUsage=usage, Description=description)["KeyMetadata"]
    try:
        kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    except ClientError as exc:
        if error_code(exc) != "AlreadyExistsException":  # created concurrently
            raise
        kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    return kms.describe_key(KeyId=alias)["KeyMetadata"]


def ensure_secret(sm, name):
    try:
        meta = sm.describe_secret(SecretId=name)
        say(f"secret {name}: exists (not touched)")
        return meta["ARN"]
    except ClientError as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise
    say(f"secret {name}: creating (32 random bytes, base64)")
    value = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
    try:
        return sm.create_secret(
            Name=name,
            SecretString=value,
            Description="portal token signing key (LocalStack)",
        )["ARN"]
    except ClientError as exc:
        if error_code(exc) != "ResourceExistsException":
            raise
        return sm.describe_secret(SecretId=name)["ARN"]


def main():
    started = time.time()
    say(f"endpoint {ENDPOINT}, region {REGION}")
    ddb = client("dynamodb")

    ensure_table(
        ddb,
        EVENTS_TABLE,
        [("stream", "S", "HASH"), ("version", "N", "RANGE")],
        stream="NEW_IMAGE",
        # Sign-in activity expires (events::retention), as in the template.
        ttl_attribute="expires_at",
    )
    ensure_table(
        ddb,
        STATE_TABLE,
        [("pk", "S", "HASH"), ("sk", "S", "RANGE")],
        ttl_attribute="expires_at",
    )
    stream_arn = wait_stream(ddb, EVENTS_TABLE)

    ses_status = ensure_ses_identity(client("ses"), MAIL_FROM)
    say(f"ses identity {MAIL_FROM}: {ses_status}")
    key = ensure_kms_alias(client("kms"), KMS_ALIAS)
    # The OpenID Connect token signing key (RS256, the one algorithm API
    # Gateway's JWT authorizer takes); the -next and -previous aliases of a
    # rotation are not made here.
    oidc_key = ensure_kms_alias(
        client("kms"), OIDC_ALIAS, "RSA_2048", "SIGN_VERIFY",
        "portal OpenID Connect token signing (LocalStack)",
    )
    secret_arn = ensure_secret(client("secretsmanager"), SIGNING_SECRET)

    # Touch the remaining services so their first real request is not slowed by lazy loading.
    client("sns").list_topics()
    client("sqs").list_queues()
    client("ssm").describe_parameters(MaxResults=1)

    # ---- summary
    print("[init] ---- resources ----", flush=True)
    for name in (EVENTS_TABLE, STATE_TABLE):
        t = ddb.describe_table(TableName=name)["Table"]
        keys = ", ".join(
            f"{k['AttributeName']} ({k['KeyType']})" for k in t["KeySchema"]
        )
        extra = []
        billing = (t.get("BillingModeSummary") or {}).get("BillingMode", "?")
        extra.append(billing)
        spec = t.get("StreamSpecification") or {}
        if spec.get("StreamEnabled"):
            extra.append(f"stream {spec.get('StreamViewType')}")
        ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
            extra.append(f"TTL {ttl.get('AttributeName')}")
        print(f"  dynamodb table   {name}: {keys}; {', '.join(extra)}")
    print(f"  dynamodb stream  {stream_arn}")
    print(f"  ses identity     {MAIL_FROM}: {ses_status}")
    print(f"  kms key          {KMS_ALIAS} -> {key['KeyId']} ({key.get('KeySpec', '?')}, {key.get('KeyState', '?')})")
    print(f"  kms key          {OIDC_ALIAS} -> {oidc_key['KeyId']} ({oidc_key.get('KeySpec', '?')}, {oidc_key.get('KeyState', '?')})")
    print(f"  secret           {SIGNING_SECRET}: {secret_arn}")
    print(f"[init] done in {time.time() - started:.1f} s", flush=True)


if __name__ == "__main__":
    try:
        main()
    except ClientError as exc:
        print(f"[init] ERROR: {exc}", file=sys.stderr)
        sys.exit(1)
