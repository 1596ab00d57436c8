-- rendezvous.lua — the wrk script of bench/rendezvous.sh.
--
-- RDV_BENCH_PUT unset: wrk's own request, a GET of the URL, again and
-- again. RDV_BENCH_PUT=repeat: PUT /v1/announcements of the first record
-- of the file RDV_BENCH_RECORDS (hex, one a line), again and again.
-- RDV_BENCH_PUT=distinct: PUT each record of that file once, this
-- thread's share of them (RDV_BENCH_THREADS threads), and stop the thread
-- when all of them are answered: a record sent twice would be answered
-- already-known and measure something else.
--
-- done() prints one line for the shell script:
--   result REQUESTS DURATION_US BYTES P50_US P99_US SOCKET_ERRORS HTTP_ERRORS

local ffi = require("ffi")
ffi.cdef [[
struct rdv_bench_timespec { long tv_sec; long tv_nsec; };
int clock_gettime (int clock, struct rdv_bench_timespec *ts);
]]
local CLOCK_MONOTONIC = 1

local function now_us()
  local ts = ffi.new("struct rdv_bench_timespec")
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

local mode = os.getenv("RDV_BENCH_PUT")
local records_file = os.getenv("RDV_BENCH_RECORDS")
local threads = tonumber(os.getenv("RDV_BENCH_THREADS") or "1")
local path = "/v1/announcements"
local headers = { ["Content-Type"] = "application/octet-stream" }

local function unhex(line)
  return (line:gsub("%x%x", function (h) return string.char(tonumber(h, 16)) end))
end

local all_threads = {}
function setup(thread)
  thread:set("id", #all_threads)
  all_threads[#all_threads + 1] = thread
end

if mode == "repeat" then
  wrk.method = "PUT"
  wrk.path = path
  wrk.headers = headers
  wrk.body = unhex(io.lines(records_file)())
elseif mode == "distinct" then
  local requests = {}
  local sent, answered = 0, 0

  function init(args)
    local n = 0
    for line in io.lines(records_file) do
      if n % threads == id then
        requests[#requests + 1] = wrk.format("PUT", path, headers, unhex(line))
      end
      n = n + 1
    end
  end

  -- Once every record is sent, a connection that wants another request
  -- gets the last one again; those few are answered already-known and
  -- not counted as accepted by the shell script, which reads the count
  -- of stored records from the server.
  local checked = false
  function request()
    -- wrk calls the first thread's request() once before the run to
    -- look at what it returns; nothing is sent then.
    if id == 0 and not checked then
      checked = true
      return requests[1]
    end
    if sent == 0 then
      started_us = now_us()
    end
    if sent < #requests then
      sent = sent + 1
    end
    return requests[sent]
  end

  -- A stopped thread waits for the end of wrk's duration, which wrk then
  -- reports as the run's: the time it stopped is kept for done().
  function response(status, headers, body)
    answered = answered + 1
    if answered == #requests then
      stopped_us = now_us()
      wrk.thread:stop()
    end
  end
end

-- The run's duration: wrk's, unless every thread stopped early.
local function duration_us(summary)
  local first, last
  for _, thread in ipairs(all_threads) do
    local started, stopped = thread:get("started_us"), thread:get("stopped_us")
    if started == nil or stopped == nil then
      return summary.duration
    end
    first = math.min(first or started, started)
    last = math.max(last or stopped, stopped)
  end
  return last - first
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("result %d %d %d %d %d %d %d\n", summary.requests, math.floor(duration_us(summary)),
                         summary.bytes, latency:percentile(50), latency:percentile(99),
                         e.connect + e.read + e.write + e.timeout, e.status))
end
