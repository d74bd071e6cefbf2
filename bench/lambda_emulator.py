"""bench/lambda: zip sizes and cold starts of the Lambda binaries (see there).

A Lambda runtime API emulator (GET .../invocation/next hands out one event,
POST .../response is timed) and an AWS stub (GetSecretValue, empty DynamoDB
Query) on loopback; each bootstrap runs as a fresh process per measurement.
"""

import base64
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
MIB = 1024 * 1024


def functions():
    """The Lambda binaries, and each HTTP one's first route: the first entry of
    the first route list its `run_http(&[group::ROUTES, ...])` names
    (`routes![METHOD "path" => handler; ...]` in functions/src/handlers/<group>.rs)."""
    names = sorted(p.stem for p in (ROOT / "lambdas/src/bin").glob("*.rs"))
    first = {}
    for fn in names:
        listed = re.search(r"run_http\(&\[\s*(\w+)::ROUTES", (ROOT / f"lambdas/src/bin/{fn}.rs").read_text())
        if not listed:
            continue
        handlers = (ROOT / f"functions/src/handlers/{listed.group(1)}.rs").read_text()
        method, path = re.search(r'routes!\[\s*(\w+)\s+"([^"]+)"', handlers).groups()
        first[fn] = (method, path.replace("{id}", "00000000-0000-4000-8000-000000000000"))
    return names, first


def bootstrap_of(fn):
    """(path, already stripped?) of the function's binary, or None."""
    for path, stripped in ((ROOT / "target/lambda" / fn / "bootstrap", True), (TARGET / "lambda" / fn / "bootstrap", False)):
        if path.is_file():
            return path, stripped
    return None


def zip_size(fn, tmp):
    z = ROOT / "target/lambda" / fn / "bootstrap.zip"
    if z.is_file():
        return z.stat().st_size, "infra/build"
    found = bootstrap_of(fn)
    if not found:
        return None, "no binary"
    path, stripped = found
    copy = Path(tmp) / f"{fn}.bootstrap"
    shutil.copy(path, copy)
    if not stripped:
        subprocess.run(["strip", "--strip-all", str(copy)], check=True)
    buf = io.BytesIO()
    info = zipfile.ZipInfo("bootstrap", date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = 0o100755 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(info, copy.read_bytes(), compresslevel=9)
    return len(buf.getvalue()), f"stripped copy of {path}"


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset(None)

    def reset(self, event):
        self.event = event
        self.handed = False
        self.t_next = None
        self.t_secret = None
        self.t_response = None
        self.response = None
        self.error = None
        self.other_calls = []
        self.done = threading.Event()




class Server(ThreadingHTTPServer):
    """One per run: a killed process's late request cannot reach the next run."""

    daemon_threads = True

    def __init__(self, handler, state):
        super().__init__(("127.0.0.1", 0), handler)
        self.state = state

    def handle_error(self, request, client_address):
        pass  # a killed process's connection

    def start(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    @property
    def port(self):
        return self.server_address[1]


class Runtime(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _send(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.endswith("/runtime/invocation/next"):
            with self.server.state.lock:
                first = not self.server.state.handed
                self.server.state.handed = True
                if first:
                    self.server.state.t_next = time.perf_counter()
            if not first:  # the next invocation never comes: the process is killed
                self.server.state.done.wait(30)
                time.sleep(30)
                return
            body = json.dumps(self.server.state.event).encode()
            self._send(
                200,
                body,
                [
                    ("Lambda-Runtime-Aws-Request-Id", "bench-request-1"),
                    ("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000)),
                    ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-central-1:123456789012:function:bench"),
                    ("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000"),
                    ("Content-Type", "application/json"),
                ],
            )
        else:
            self._send(404)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.endswith("/response"):
            self.server.state.t_response = time.perf_counter()
            self.server.state.response = body
            self._send(202, b'{"status":"OK"}')
            self.server.state.done.set()
        elif self.path.endswith("/error"):
            self.server.state.error = body.decode(errors="replace")
            self._send(202, b'{"status":"OK"}')
            self.server.state.done.set()
        else:
            self._send(404)


class Aws(BaseHTTPRequestHandler):
    """Secrets Manager GetSecretValue and an empty DynamoDB Query; other calls counted and refused."""

    SECRET = base64.b64encode(b"b" * 32).decode()

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        target = self.headers.get("X-Amz-Target", "")
        if target == "secretsmanager.GetSecretValue":
            self.server.state.t_secret = time.perf_counter()
            body = {"ARN": "arn:aws:secretsmanager:eu-central-1:123456789012:secret:bench", "Name": "bench",
                    "SecretString": self.SECRET, "VersionId": "v1"}
            code, ctype = 200, "application/x-amz-json-1.1"
        elif target == "DynamoDB_20120810.Query":
            body, code, ctype = {"Count": 0, "Items": [], "ScannedCount": 0}, 200, "application/x-amz-json-1.0"
        else:
            self.server.state.other_calls.append(target or self.path)
            body = {"__type": "UnknownOperationException", "message": "bench stub"}
            code, ctype = 400, "application/x-amz-json-1.1"
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def http_event(method, path):
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "user-agent": "bench"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "bench", "domainName": "bench.execute-api.eu-central-1.amazonaws.com",
            "domainPrefix": "bench", "requestId": "bench", "routeKey": "$default", "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000", "timeEpoch": 1767225600000,
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "bench"},
        },
        "body": "{" if method in ("POST", "DELETE") else None,
        "isBase64Encoded": False,
    }


def event_for(fn, first_route):
    if fn == "projector":
        return {"Records": []}, "an empty stream batch"
    if fn == "sla_watch":
        return {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}, "a schedule tick (empty queue)"
    if fn == "dav_authorizer":
        e = json.loads((ROOT / "tests/fixtures/apigw_authorizer_v2.json").read_text())
        e["headers"]["authorization"] = "Bearer not-basic"
        e["identitySource"] = ["Bearer not-basic"]
        return e, "no Basic credentials"
    method, path = first_route[fn]
    return http_event(method, path), f"{method} {path}, no credentials" + (", body '{'" if method != "GET" else "")


def answer(st):
    if st.error:
        return "error: " + st.error[:80]
    try:
        r = json.loads(st.response)
    except Exception:
        return "?"
    if "statusCode" in r:
        return f"HTTP {r['statusCode']}"
    if "isAuthorized" in r:
        return f"isAuthorized={r['isAuthorized']}"
    return json.dumps(r)[:40]


def main():
    names, first_route = functions()
    tmp = tempfile.mkdtemp()
    try:
        print(f"zip sizes (goal: each <= 4 MiB)")
        print(f"  {'function':16} {'zip':>9}  from")
        for fn in names:
            size, source = zip_size(fn, tmp)
            shown = f"{size / MIB:.1f} MiB" if size else "-"
            print(f"  {fn:16} {shown:>9}  {source}")

        home = Path(tmp) / "home"
        home.mkdir()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
            "AWS_LAMBDA_LOG_GROUP_NAME": "bench",
            "AWS_REGION": "eu-central-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_EC2_METADATA_DISABLED": "true",
            "PORTAL_PUBLIC_URL": "https://portal.example",
            "PORTAL_MAIL_FROM": "no-reply@portal.example",
            "RUST_LOG": "warn",
        }
        print()
        print(f"cold start: process start -> first answered event, {RUNS} runs each, median (min)")
        print("  (init = process start -> first GET /invocation/next: the SDK's configuration and")
        print("   GetSecretValue from the loopback stub)")
        print(f"  {'function':16} {'total ms':>16} {'init ms':>14} {'secret ms':>10}  answer; event")
        for fn in names:
            found = bootstrap_of(fn)
            if not found:
                print(f"  {fn:16} {'-':>16}  no binary")
                continue
            path, _ = found
            event, what = event_for(fn, first_route)
            totals, inits, secrets, others, result = [], [], [], set(), ""
            for _ in range(RUNS):
                st = State()
                st.reset(event)
                runtime, aws = Server(Runtime, st).start(), Server(Aws, st).start()
                run_env = {**env, "AWS_LAMBDA_FUNCTION_NAME": fn, "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{runtime.port}",
                           "AWS_ENDPOINT_URL": f"http://127.0.0.1:{aws.port}"}
                t0 = time.perf_counter()
                proc = subprocess.Popen([str(path)], env=run_env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                finished = st.done.wait(30)
                proc.kill()
                _, err = proc.communicate()
                for server in (runtime, aws):
                    server.shutdown()
                    server.server_close()
                if not finished or st.t_response is None:
                    result = "no answer: " + (st.error or err.decode(errors="replace").strip()[-200:])
                    break
                totals.append((st.t_response - t0) * 1000)
                inits.append((st.t_next - t0) * 1000)
                if st.t_secret:
                    secrets.append((st.t_secret - t0) * 1000)
                others.update(st.other_calls)
                result = answer(st)
            if not totals:
                print(f"  {fn:16} {'-':>16}  {result}")
                continue
            med = lambda xs: f"{statistics.median(xs):6.1f} ({min(xs):5.1f})" if xs else "-"
            extra = f"; other AWS calls: {sorted(others)}" if others else ""
            sec = f"{statistics.median(secrets):10.1f}" if secrets else f"{'-':>10}"
            print(f"  {fn:16} {med(totals):>16} {med(inits):>14} {sec}  {result}; {what}{extra}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
