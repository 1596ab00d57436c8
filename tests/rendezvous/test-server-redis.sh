#!/bin/bash
# test-server-redis.sh — test-server.sh on the Redis store: one suite, two
# stores. Skipped (never passed) without redis-server.
export RDV_STORE=redis
exec bash "${srcdir:-.}/tests/rendezvous/test-server.sh"
