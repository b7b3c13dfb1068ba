#!/bin/sh
# bench/src/peer.mjs runs `<python> -c ...` to probe torch and `<python> .../peer/workloads.py ...`
# for each workload: this shim, passed as --python, runs the second through peer_cuda.py.
here=$(dirname "$0")
python=${SDAE_PEER_PYTHON:-python3}
case "$1" in
  *.py) exec "$python" "$here/peer_cuda.py" "$@" ;;
  *) exec "$python" "$@" ;;
esac
