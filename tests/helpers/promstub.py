#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A small Prometheus-compatible query endpoint for tests.

GET /api/v1/query?query=Q answers an instant vector with one sample whose value is read from
VALUE_FILE at each request (so a test changes it while a run goes on).  If DELAY_FILE holds a
number of milliseconds, each answer waits that long first.  Every query is appended to
QUERY_LOG.  Binds 127.0.0.1:PORT only.
"""
import json
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, value_file, delay_file, query_log = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]


def read(path, default):
    try:
        with open(path) as f:
            return f.read().strip() or default
    except OSError:
        return default


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path != "/api/v1/query":
            self.send_error(404)
            return
        query = urllib.parse.parse_qs(url.query).get("query", [""])[0]
        with open(query_log, "a") as f:
            f.write(query + "\n")
        time.sleep(float(read(delay_file, "0")) / 1000.0)
        value = read(value_file, "0")
        body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {"__name__": "up"}, "value": [time.time(), value]}]}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
