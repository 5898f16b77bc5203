#!/usr/bin/env bash
# From `git clone` to the first answer: clone, make install, rag ingest seeds,
# rag serve, then ask through the API; prints the seconds of each step.
#   bash bench/first_answer.sh [REPO] [WORK_DIR]
set -euo pipefail
repo=${1:-$(cd "$(dirname "$0")/.." && pwd)}
work=${2:-$(mktemp -d)/rag-chat}
port=7911
start=$(date +%s.%N)
git clone -q "$repo" "$work" && cd "$work"
make install >"$work.install.log" 2>&1
installed=$(date +%s.%N)
.venv/bin/rag ingest seeds >"$work.ingest.log" 2>&1
ingested=$(date +%s.%N)
.venv/bin/rag serve --port "$port" >"$work.serve.log" 2>&1 &
server=$!
trap 'kill $server' EXIT
for _ in $(seq 600); do curl -sf -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.2; done
curl -s "http://127.0.0.1:$port/api/ask" -H 'Content-Type: application/json' \
     -d '{"question": "Which film used AI tools to de-age characters?"}' | head -c 160; echo
answered=$(date +%s.%N)
python3 -c "s,i,g,a=$start,$installed,$ingested,$answered; print(f'clone+install {i-s:.0f} s, \
ingest {g-i:.0f} s, serve+first answer {a-g:.0f} s, total {a-s:.0f} s')"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
