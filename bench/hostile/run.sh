#!/usr/bin/env bash
# Bounded state under hostile load (issue 14), against a real `trove serve`:
#  (a) 4 clients send maximum-size POST /scores requests (10,000 pairs, 100 distinct users each) to an ALS model of a
#      100,000-item catalogue for DURATION seconds; the server's peak RSS is compared with its idle RSS;
#  (b) 20,000 requests with made-up methods and random paths, then the size of /metrics.
#   bash bench/hostile/run.sh [DURATION=60]
# SERVE_ENV="NAME=value ..." starts the server with those environment variables (e.g. GC settings to compare).
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-60}
work=$(mktemp -d /tmp/trove-hostile.XXXX)
dotnet build src/Trove.Cli -c Release -v quiet -nologo >/dev/null
trove="dotnet src/Trove.Cli/bin/Release/net10.0/trove.dll"
$trove simulate --users 5000 --items 100000 --mean-interactions 40 --seed 1 --out "$work/data" >/dev/null 2>&1
$trove train --data "$work/data" --model als --param factors=32 --param iterations=5 --out "$work/als.trove" >/dev/null 2>&1
port=18500
env ${SERVE_ENV:-} $trove serve --model "$work/als.trove" --port $port --api-key k --retrieval exact > "$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break; sleep 0.5; done
pid=$(pgrep -f "trove.dll serve --model $work/als.trove" | head -1)
python3 - "$port" "$pid" "$duration" "$work/data/interactions.csv" <<'PY'
import http.client, json, random, sys, threading, time
port, pid, duration, data = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
users, items = [], set()
with open(data) as f:
    next(f)
    for line in f:
        u, i = line.split(",")[:2]
        users.append(u); items.add(i)
users = sorted(set(users)); items = sorted(items)
def rss():
    with open(f"/proc/{pid}/status") as s:
        return next(int(l.split()[1]) for l in s if l.startswith("VmRSS")) / 1024
def call(method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
    r = c.getresponse(); payload = r.read(); c.close()
    return r.status, payload
call("GET", f"/users/{users[0]}/recommendations")
time.sleep(2)
idle = rss()
rng = random.Random(1)
def body():
    us = rng.sample(users, 100)
    return json.dumps({"pairs": [{"user": us[k % 100], "item": rng.choice(items)} for k in range(10000)]})
bodies = [body() for _ in range(8)]
stop = time.time() + duration
counts = {"ok": 0, "other": 0}; peak = [idle]; lock = threading.Lock()
def client(n):
    while time.time() < stop:
        status, _ = call("POST", "/scores", bodies[n % len(bodies)]); n += 1
        with lock: counts["ok" if status == 200 else "other"] += 1
def watch():
    while time.time() < stop:
        peak[0] = max(peak[0], rss()); time.sleep(0.2)
threads = [threading.Thread(target=client, args=(k,)) for k in range(4)] + [threading.Thread(target=watch)]
for t in threads: t.start()
for t in threads: t.join()
print(f"(a) POST /scores, 4 clients x {duration:.0f} s, 10,000 pairs / 100 users each: {counts['ok']} answered 200, {counts['other']} other; "
      f"RSS idle {idle:.0f} MB, peak {peak[0]:.0f} MB, peak/idle {peak[0]/idle:.2f}")
methods = ["GET", "POST", "FOOBAR", "PURGE", "X" * 20, "PATCH", "BREW"]
for k in range(20000):
    m = rng.choice(methods) if k % 2 else "M" + str(k)
    call(m, "/" + "/".join(str(rng.randrange(10**6)) for _ in range(rng.randint(1, 3))))
_, metrics = call("GET", "/metrics")
print(f"(b) after 20,000 requests with made-up methods and random paths: /metrics is {len(metrics):,} bytes")
PY
