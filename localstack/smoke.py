"""End-to-end smoke test of the LocalStack the portal runs against (run it via localstack/smoke).

Checks, against the resources localstack/up created:
  - DynamoDB TransactWriteItems with a conditional Put succeeds; the same Put again fails with
    TransactionCanceledException / ConditionalCheckFailed
  - DynamoDB Streams: DescribeStream + GetShardIterator + GetRecords return the NEW_IMAGE
  - the state table has TTL enabled on expires_at
  - SNS publish(PhoneNumber=...) shows up at GET /_aws/sns/sms-messages
  - SES send_email from the verified identity shows up at GET /_aws/ses
  - KMS encrypt/decrypt round trip through the alias
  - the OpenID Connect key signs RS256 (a SHA-256 digest) that KMS and its public key verify
  - the signing secret holds 32 base64-encoded bytes
  - SQS send/receive through the returned QueueUrl, SSM put/get parameter
Cleans up what it wrote (items, SMS/mail records, queue, parameter). Exits 1 on any failure.
"""

import base64
import hashlib
import json
import os
import secrets
import sys
import time
import traceback
import urllib.request
import uuid

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
OIDC_ALIAS = "alias/" + (os.environ.get("PORTAL_OIDC_KEY_ALIAS") or "portal-oidc").removeprefix("alias/")
SIGNING_SECRET = os.environ.get("PORTAL_SIGNING_SECRET") or "portal/token-signing-key"

CFG = Config(region_name=REGION, connect_timeout=10, read_timeout=60, retries={"max_attempts": 3})
RUN = uuid.uuid4().hex[:12]


def client(name):
    return boto3.client(name, endpoint_url=ENDPOINT, config=CFG)


def http(method, path):
    req = urllib.request.Request(ENDPOINT + path, method=method)
    with urllib.request.urlopen(req, timeout=30) as resp:
        body = resp.read()
    return json.loads(body) if body else None


class Failed(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failed(msg)


# ---------------------------------------------------------------- checks
def check_transactions(ctx):
    ddb = client("dynamodb")
    stream_key = f"smoke-{RUN}"
    ctx["event_key"] = {"stream": {"S": stream_key}, "version": {"N": "1"}}
    put = {
        "Put": {
            "TableName": EVENTS_TABLE,
            "Item": {**ctx["event_key"], "type": {"S": "SmokeTested"}, "run": {"S": RUN}},
            "ConditionExpression": "attribute_not_exists(#s)",
            "ExpressionAttributeNames": {"#s": "stream"},
        }
    }
    ddb.transact_write_items(TransactItems=[put])
    try:
        ddb.transact_write_items(TransactItems=[put])
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
        check(code == "TransactionCanceledException", f"second Put failed with {code}, expected TransactionCanceledException")
        check(reasons == ["ConditionalCheckFailed"], f"cancellation reasons {reasons}, expected ['ConditionalCheckFailed']")
        return f"{EVENTS_TABLE}: conditional Put ok; repeat -> {code} {reasons}"
    raise Failed("second conditional Put of the same key succeeded")


def check_stream(ctx):
    ddb = client("dynamodb")
    streams = client("dynamodbstreams")
    arn = ddb.describe_table(TableName=EVENTS_TABLE)["Table"].get("LatestStreamArn")
    check(arn, f"{EVENTS_TABLE} has no stream")
    want = ctx["event_key"]
    deadline = time.time() + 30
    seen = 0
    while time.time() < deadline:
        desc = streams.describe_stream(StreamArn=arn)["StreamDescription"]
        check(desc["StreamViewType"] == "NEW_IMAGE", f"stream view type {desc['StreamViewType']}")
        for shard in desc["Shards"]:
            it = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            for _ in range(100):  # pages
                if not it:
                    break
                resp = streams.get_records(ShardIterator=it, Limit=1000)
                for rec in resp["Records"]:
                    seen += 1
                    img = rec["dynamodb"].get("NewImage") or {}
                    if rec["eventName"] == "INSERT" and img.get("run") == {"S": RUN}:
                        check(img.get("stream") == want["stream"], f"NewImage {img}")
                        check(img.get("type") == {"S": "SmokeTested"}, f"NewImage {img}")
                        return f"stream {desc['StreamViewType']}: INSERT with NewImage {sorted(img)} ({len(desc['Shards'])} shard(s))"
                if not resp["Records"]:
                    break
                it = resp.get("NextShardIterator")
        time.sleep(1)
    raise Failed(f"INSERT record of run {RUN} not found in the stream ({seen} records read)")


def check_state_ttl(ctx):
    ddb = client("dynamodb")
    ttl = ddb.describe_time_to_live(TableName=STATE_TABLE)["TimeToLiveDescription"]
    check(ttl.get("TimeToLiveStatus") == "ENABLED" and ttl.get("AttributeName") == "expires_at", f"TTL {ttl}")
    key = {"pk": {"S": f"smoke-{RUN}"}, "sk": {"S": "view"}}
    ddb.put_item(TableName=STATE_TABLE, Item={**key, "expires_at": {"N": str(int(time.time()) + 600)}})
    got = ddb.get_item(TableName=STATE_TABLE, Key=key, ConsistentRead=True).get("Item")
    ddb.delete_item(TableName=STATE_TABLE, Key=key)
    check(got is not None, "put/get on the state table failed")
    return f"{STATE_TABLE}: TTL ENABLED on expires_at, put/get ok"


def check_sms(ctx):
    phone = "+1555" + "".join(str(secrets.randbelow(10)) for _ in range(7))
    text = f"Your portal code is 123456 ({RUN})"
    client("sns").publish(PhoneNumber=phone, Message=text)
    q = f"?region={REGION}&phoneNumber=%2B{phone[1:]}"
    try:
        msgs = http("GET", "/_aws/sns/sms-messages" + q)["sms_messages"].get(phone, [])
    finally:
        http("DELETE", "/_aws/sns/sms-messages" + q)
    check(any(m.get("Message") == text for m in msgs), f"SMS to {phone} not at /_aws/sns/sms-messages: {msgs}")
    return f"SNS SMS to {phone} visible at GET /_aws/sns/sms-messages?region={REGION}"


def check_mail(ctx):
    ses = client("ses")
    status = ses.get_identity_verification_attributes(Identities=[MAIL_FROM])["VerificationAttributes"]
    check(status.get(MAIL_FROM, {}).get("VerificationStatus") == "Success", f"{MAIL_FROM} not verified: {status}")
    subject = f"portal smoke {RUN}"
    mid = ses.send_email(
        Source=MAIL_FROM,
        Destination={"ToAddresses": ["user@customer.example"]},
        Message={"Subject": {"Data": subject}, "Body": {"Text": {"Data": "code 654321"}}},
    )["MessageId"]
    try:
        msgs = http("GET", f"/_aws/ses?id={mid}")["messages"]
    finally:
        http("DELETE", f"/_aws/ses?id={mid}")
    check(any(m.get("Subject") == subject and m.get("Source") == MAIL_FROM for m in msgs), f"mail {mid} not at /_aws/ses: {msgs}")
    return f"SES mail {mid} from {MAIL_FROM} visible at GET /_aws/ses"


def check_kms(ctx):
    kms = client("kms")
    plain = secrets.token_bytes(20)
    blob = kms.encrypt(KeyId=KMS_ALIAS, Plaintext=plain)["CiphertextBlob"]
    back = kms.decrypt(CiphertextBlob=blob)["Plaintext"]
    back2 = kms.decrypt(CiphertextBlob=blob, KeyId=KMS_ALIAS)["Plaintext"]
    check(back == plain and back2 == plain, "KMS decrypt did not return the plaintext")
    return f"KMS {KMS_ALIAS}: encrypt/decrypt round trip ({len(blob)}-byte ciphertext)"


def check_oidc_key(ctx):
    """RS256 as the portal signs its tokens: a SHA-256 digest, RSASSA_PKCS1_V1_5_SHA_256, the raw
    256-byte signature back, verified by KMS and, from the public key alone, here."""
    kms = client("kms")
    public = kms.get_public_key(KeyId=OIDC_ALIAS)
    check(public.get("KeySpec") == "RSA_2048", f"{OIDC_ALIAS} is {public.get('KeySpec')}")
    check("RSASSA_PKCS1_V1_5_SHA_256" in public.get("SigningAlgorithms", []), "the key cannot sign RS256")
    digest = hashlib.sha256(b"header.payload").digest()
    sig = kms.sign(KeyId=public["KeyId"], Message=digest, MessageType="DIGEST",
                   SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256")["Signature"]
    valid = kms.verify(KeyId=public["KeyId"], Message=digest, MessageType="DIGEST", Signature=sig,
                       SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256")["SignatureValid"]
    check(valid and len(sig) == 256, "KMS did not verify its own RS256 signature")
    n, e = rsa_public_numbers(public["PublicKey"])
    check(n.bit_length() == 2048 and e == 65537, f"not a 2048-bit key with e 65537 ({n.bit_length()}, {e})")
    # RSASSA-PKCS1-v1_5 (RFC 8017 8.2.2): s^e mod n is 00 01 FF..FF 00, the
    # SHA-256 DigestInfo prefix, then the digest.
    em = pow(int.from_bytes(sig, "big"), e, n).to_bytes(256, "big")
    prefix = bytes.fromhex("3031300d060960864801650304020105000420")
    check(em == b"\x00\x01" + b"\xff" * (256 - 3 - len(prefix) - 32) + b"\x00" + prefix + digest,
          "the signature does not verify with the public key")
    return f"KMS {OIDC_ALIAS}: RS256 sign/verify of a digest ({len(sig)}-byte signature)"


def rsa_public_numbers(spki):
    """n and e of an RSA SubjectPublicKeyInfo DER (as GetPublicKey gives it)."""
    def read(der, at):
        tag, length, at = der[at], der[at + 1], at + 2
        if length & 0x80:
            count = length & 0x7F
            length, at = int.from_bytes(der[at:at + count], "big"), at + count
        return tag, der[at:at + length], at + length

    _, spki_body, _ = read(spki, 0)               # SEQUENCE SubjectPublicKeyInfo
    _, _, at = read(spki_body, 0)                  # SEQUENCE AlgorithmIdentifier
    tag, bits, _ = read(spki_body, at)             # BIT STRING
    check(tag == 0x03 and bits[0] == 0, "no BIT STRING in the public key")
    _, rsa_key, _ = read(bits[1:], 0)              # SEQUENCE RSAPublicKey
    _, n, at = read(rsa_key, 0)                    # INTEGER n
    _, e, _ = read(rsa_key, at)                    # INTEGER e
    return int.from_bytes(n, "big"), int.from_bytes(e, "big")


def check_secret(ctx):
    value = client("secretsmanager").get_secret_value(SecretId=SIGNING_SECRET)["SecretString"]
    raw = base64.b64decode(value, validate=True)
    check(len(raw) == 32, f"secret decodes to {len(raw)} bytes, expected 32")
    return f"secret {SIGNING_SECRET}: 32 bytes (base64)"


def check_sqs_ssm(ctx):
    sqs = client("sqs")
    url = sqs.create_queue(QueueName=f"portal-smoke-{RUN}")["QueueUrl"]
    try:
        sqs.send_message(QueueUrl=url, MessageBody=RUN)
        msgs = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2).get("Messages", [])
        check([m["Body"] for m in msgs] == [RUN], f"SQS received {msgs}")
    finally:
        sqs.delete_queue(QueueUrl=url)
    ssm = client("ssm")
    name = f"/portal/smoke/{RUN}"
    ssm.put_parameter(Name=name, Value=RUN, Type="String")
    got = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    ssm.delete_parameter(Name=name)
    check(got == RUN, f"SSM returned {got}")
    return f"SQS send/receive via {url}; SSM put/get parameter"


def cleanup(ctx):
    if "event_key" in ctx:
        try:
            client("dynamodb").delete_item(TableName=EVENTS_TABLE, Key=ctx["event_key"])
        except Exception as exc:  # noqa: BLE001 - best effort
            print(f"  (cleanup of {ctx['event_key']} failed: {exc})")


def main():
    print(f"smoke: LocalStack at {ENDPOINT}, region {REGION}, run {RUN}", flush=True)
    ctx = {}
    checks = [
        ("dynamodb transactions", check_transactions),
        ("dynamodb streams", check_stream),
        ("dynamodb state ttl", check_state_ttl),
        ("sns sms", check_sms),
        ("ses mail", check_mail),
        ("kms", check_kms),
        ("kms rs256", check_oidc_key),
        ("secrets manager", check_secret),
        ("sqs + ssm", check_sqs_ssm),
    ]
    passed = failed = 0
    for name, fn in checks:
        started = time.time()
        try:
            detail = fn(ctx)
            passed += 1
            print(f"  ok    {name:22s} {detail} [{time.time() - started:.1f} s]", flush=True)
        except Exception as exc:  # noqa: BLE001 - report every check
            failed += 1
            print(f"  FAIL  {name:22s} {exc}", flush=True)
            if not isinstance(exc, Failed):
                traceback.print_exc()
    cleanup(ctx)
    print(f"smoke: {passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
