#!/bin/bash
# test-mesh-routes-redis.sh — test-mesh-routes.sh on the Redis store: one suite, two
# stores. Skipped (never passed) without redis-server.
export RDV_STORE=redis
exec bash "${srcdir:-.}/tests/rendezvous/test-mesh-routes.sh"
