"""Runs localstripe on 127.0.0.1 only (its own command listens on every interface), with
nothing written to /tmp, so parallel test runs never share a store.

Usage: python localstripe_server.py PORT
"""

import sys

from aiohttp import web
from localstripe import resources, server

resources.Store.dump_to_disk = lambda self: None

if __name__ == "__main__":
    web.run_app(server.app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
